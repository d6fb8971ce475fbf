"""Benchmark: delivering a whole round through a fake Slack that enforces Slack's rate limits.

A seeded synthetic workspace (bench/synthetic.py) is matched into a round; the
outbox then opens every group DM (conversations.open, Tier 3: about 50 a
minute after a burst) and posts every introduction (chat.postMessage, about
one a second per conversation). Reported: the wall time against the least the
limits allow, duplicates, losses and 429s (each one must be absorbed by a
retry, none may fail a message).

    .venv/bin/python bench/delivery.py --members 2000              # real Slack pace: about 19 minutes
    .venv/bin/python bench/delivery.py --members 2000 --scale 10   # limits and pacing 10x faster

    .venv/bin/python bench/delivery.py --members 400 --scale 10 --senders 2   # two sender processes
    .venv/bin/python bench/delivery.py --members 400 --scale 10 --senders 2 \
        --database-url postgresql://postgres@127.0.0.1:5432/EMPTY_DB

`--scale` multiplies the fake's allowance and divides the pacer's spacing by
the same factor, so the ratio "actual / least possible" is what is measured.
`--senders N` drains with N separate OS processes (each its own engine and pacer,
like a serving process plus `run-due`s, or replicas) against the one fake Slack:
they share one delivery budget through the database (bot.ratelimit.SharedPacer).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench import report  # noqa: E402
from bench.round import _load  # noqa: E402
from bot import outbox  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.crypto import new_data_key_text  # noqa: E402
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.deps import Deps  # noqa: E402
from devtools.fake_slack import RATE_LIMITS, FakeSlack  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import Member, OutboxMessage  # noqa: E402
from bot.ratelimit import DEFAULT_BURSTS, DEFAULT_INTERVALS, SharedPacer, pacer_burst  # noqa: E402
from bot.rounds import run_round  # noqa: E402
from bot.slack import make_gateway  # noqa: E402
from bot.workspaces import ensure_workspace, program_of  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def least_possible_seconds(opens: int, scale: float) -> float:
    """The floor the fake's limits set: conversations.open's burst, then its steady rate."""
    limit = RATE_LIMITS["conversations.open"]
    return max(0, opens - limit.burst) / (limit.per_second * scale)


def _pacer(sessionmaker, scale: float) -> SharedPacer:  # type: ignore[no-untyped-def]
    return SharedPacer(
        sessionmaker,
        intervals={k: v / scale for k, v in DEFAULT_INTERVALS.items()},
        # The fake models Tier 3's burst as a minute's allowance; the pacer leaves its reserve.
        bursts={**DEFAULT_BURSTS, "conversations.open": pacer_burst(RATE_LIMITS["conversations.open"].burst)},
    )


def _deps(url: str, slack_url: str, engine, sessionmaker) -> Deps:  # type: ignore[no-untyped-def]
    settings = load_settings(require_slack=False, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=slack_url,
                             DATABASE_URL=url)
    gateway = make_gateway("xoxb-bench", slack_url)
    return Deps(settings=settings, engine=engine, sessionmaker=sessionmaker, slack=gateway,
                clock=lambda: dt.datetime.now(dt.timezone.utc))


async def drain_until_done(url: str, slack_url: str, scale: float, go: Any = None) -> float:
    """One sender: drain until nothing is pending or being sent (also run as `--worker`).
    The engine is connected before `go()` returns, as a serving process's pool is; returns
    the wall-clock time (time.time(), the same in every process) when the outbox was empty."""
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    deps = _deps(url, slack_url, engine, sessionmaker)
    pacer = _pacer(sessionmaker, scale)
    try:
        async with sessionmaker() as session:
            await session.scalar(select(func.count()).select_from(OutboxMessage))
        if go is not None:
            await go()
        while True:
            await outbox.drain(deps, deps.clock(), pacer=pacer)
            async with sessionmaker() as session:
                left = await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")))
                )
            if not left:
                return time.time()
            await asyncio.sleep(0.05)  # another sender holds the last rows
    finally:
        await deps.slack.close()
        await engine.dispose()


async def _worker_main(url: str, slack_url: str, scale: float) -> None:
    async def go() -> None:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    done = await drain_until_done(url, slack_url, scale, go)
    print(f"done {done!r}", flush=True)


async def run(members: int, scale: float, seed: int, senders: int = 1, database_url: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{os.path.join(tmp, 'delivery.db')}"
        engine = make_engine(url)
        await upgrade(engine)
        sessionmaker = make_sessionmaker(engine, new_data_key_text())  # a throwaway key: benchmarks keep no text
        await _load(sessionmaker, members, seed)
        async with FakeSlack(rate_limits=True, rate_scale=scale, team_id="TBENCH") as fake:
            async with sessionmaker() as session:
                for slack_id in await session.scalars(select(Member.slack_user_id)):
                    fake.add_user(slack_id, team_id="TBENCH")
            async with sessionmaker.begin() as session:
                ws = await ensure_workspace(session, "TBENCH", NOW)
                await run_round(session, await program_of(session, ws.id), NOW)
            async with sessionmaker() as session:
                queued = await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            if senders == 1:
                started = time.time()
                finished = exited = await drain_until_done(url, fake.url, scale)
            else:
                procs = [
                    await asyncio.create_subprocess_exec(
                        sys.executable, __file__, "--worker", "--database-url", url, "--slack-url", fake.url,
                        "--scale", str(scale), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
                    for _ in range(senders)
                ]
                for p in procs:  # timed from when every sender has started and connected (imports take seconds)
                    assert (await p.stdout.readline()).strip() == b"ready"  # type: ignore[union-attr]
                started = time.time()
                for p in procs:
                    p.stdin.write(b"go\n")  # type: ignore[union-attr]
                    await p.stdin.drain()  # type: ignore[union-attr]
                # Each sender says when it saw the outbox empty; interpreter teardown (0.5-1.5 s
                # for a process that imported SQLAlchemy, Bolt and SciPy) is reported apart.
                done = [float((await p.stdout.readline()).split()[1]) for p in procs]  # type: ignore[union-attr]
                codes = [await p.wait() for p in procs]
                exited = time.time()
                assert codes == [0] * senders, codes
                finished = max(done)
            elapsed = finished - started
            mono_started = time.monotonic() - (time.time() - started)
            async with sessionmaker() as session:
                states = Counter(await session.scalars(select(OutboxMessage.state)))
            per_channel = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.ok)
            opens = len({c.response["channel"]["id"] for c in fake.calls_to("conversations.open") if c.ok})
            calls = len(fake.calls)
            timeline = _timeline(fake, mono_started)
        await engine.dispose()
    floor = least_possible_seconds(opens, scale)
    return {
        "members": members, "messages": queued, "sent": states["sent"], "failed": states["failed"],
        "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
        "lost": queued - sum(1 for n in per_channel.values() if n >= 1),
        "429s": fake.ratelimited_count, "seconds": elapsed, "least_seconds": floor,
        "ratio": elapsed / floor if floor else float("nan"), "scale": scale, "calls": calls, "senders": senders,
        "timeline": timeline, "exit_seconds": exited - started,
    }


def _timeline(fake: FakeSlack, started: float) -> str:
    """Where the time went: when the first call, the end of conversations.open's burst, the
    last open and the last post happened (seconds from the start)."""
    opens = [c.at - started for c in fake.calls_to("conversations.open") if c.ok]
    posts = [c.at - started for c in fake.calls_to("chat.postMessage") if c.ok]
    if not opens or not posts:
        return ""
    burst = RATE_LIMITS["conversations.open"].burst
    return (f"first call {min(c.at for c in fake.calls) - started:.2f}s, open #{min(burst, len(opens))} "
            f"{sorted(opens)[min(burst, len(opens)) - 1]:.2f}s, last open {max(opens):.2f}s, "
            f"last post {max(posts):.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--senders", type=int, default=1, help="sender processes draining at once")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a temporary SQLite file)")
    report.add_runs_argument(parser)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_worker_main(args.database_url, args.slack_url, args.scale))
        return
    print(report.header(args.database_url, runs=args.runs))
    runs = [asyncio.run(run(args.members, args.scale, args.seed, args.senders, args.database_url))
            for _ in range(args.runs)]
    r = runs[0]
    seconds = report.spread([x["seconds"] for x in runs], ".1f")
    ratio = report.spread([x["ratio"] for x in runs], ".3f")
    print(
        f"members={r['members']} messages={r['messages']} sent={sum(x['sent'] for x in runs)} "
        f"failed={sum(x['failed'] for x in runs)} duplicates={sum(x['duplicates'] for x in runs)} "
        f"lost={sum(x['lost'] for x in runs)} (totals over the runs) "
        f"429s={report.spread([x['429s'] for x in runs], '.0f')} of {r['calls']} calls (all retried) "
        f"senders={r['senders']}\n"
        f"time={seconds} s least possible={r['least_seconds']:.1f}s ratio={ratio} "
        f"(scale {r['scale']:g}: at Slack's real pace "
        f"{statistics.median(x['seconds'] for x in runs) * r['scale'] / 60:.1f} min)\n"
        f"timeline (first run): {r['timeline']}; senders exited at {r['exit_seconds']:.2f}s"
    )
    print(report.footer())


if __name__ == "__main__":
    main()
