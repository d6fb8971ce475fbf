"""Benchmark: delivering a whole round through a fake Slack that enforces Slack's rate limits.

A seeded synthetic workspace (bench/synthetic.py) is matched into a round; the
outbox then opens every group DM (conversations.open, Tier 3: about 50 a
minute after a burst) and posts every introduction (chat.postMessage, about
one a second per conversation). Reported: the wall time against the least the
limits allow, duplicates, losses and 429s (each one must be absorbed by a
retry, none may fail a message).

    .venv/bin/python bench/delivery.py --members 2000              # real Slack pace: about 19 minutes
    .venv/bin/python bench/delivery.py --members 2000 --scale 10   # limits and pacing 10x faster

`--scale` multiplies the fake's allowance and divides the pacer's spacing by
the same factor, so the ratio "actual / least possible" is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.round import _load  # noqa: E402
from bot import outbox  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.devtools.fake_slack import RATE_LIMITS, FakeSlack  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import Member, OutboxMessage  # noqa: E402
from bot.ratelimit import DEFAULT_BURSTS, DEFAULT_INTERVALS, SlackPacer  # noqa: E402
from bot.rounds import run_round  # noqa: E402
from bot.slack import SlackGateway, make_client  # noqa: E402
from bot.workspaces import ensure_workspace, program_of  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def least_possible_seconds(opens: int, scale: float) -> float:
    """The floor the fake's limits set: conversations.open's burst, then its steady rate."""
    limit = RATE_LIMITS["conversations.open"]
    return max(0, opens - limit.burst) / (limit.per_second * scale)


async def run(members: int, scale: float, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'delivery.db')}"
        engine = make_engine(url)
        await upgrade(engine)
        sessionmaker = make_sessionmaker(engine)
        await _load(sessionmaker, members, seed)
        async with FakeSlack(rate_limits=True, rate_scale=scale, team_id="TBENCH") as fake:
            async with sessionmaker() as session:
                for slack_id in await session.scalars(select(Member.slack_user_id)):
                    fake.add_user(slack_id, team_id="TBENCH")
            settings = load_settings(require_slack=False, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=fake.url,
                                     DATABASE_URL=url)
            gateway = SlackGateway(make_client("xoxb-bench", fake.url), make_client("xoxb-bench", fake.url, for_delivery=True))
            deps = Deps(settings=settings, engine=engine, sessionmaker=sessionmaker, slack=gateway,
                        clock=lambda: dt.datetime.now(dt.timezone.utc))
            async with sessionmaker.begin() as session:
                ws = await ensure_workspace(session, "TBENCH", NOW)
                await run_round(session, await program_of(session, ws.id), NOW)
            async with sessionmaker() as session:
                queued = await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
            pacer = SlackPacer(
                intervals={k: v / scale for k, v in DEFAULT_INTERVALS.items()},
                bursts={**DEFAULT_BURSTS, "conversations.open": RATE_LIMITS["conversations.open"].burst},
            )
            started = time.perf_counter()
            while True:
                await outbox.drain(deps, deps.clock(), pacer=pacer)
                async with sessionmaker() as session:
                    left = await session.scalar(
                        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_(("pending", "sending")))
                    )
                if not left:
                    break
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - started
            async with sessionmaker() as session:
                states = Counter(await session.scalars(select(OutboxMessage.state)))
            per_channel = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.ok)
            opens = len({c.response["channel"]["id"] for c in fake.calls_to("conversations.open") if c.ok})
        await engine.dispose()
    floor = least_possible_seconds(opens, scale)
    return {
        "members": members, "messages": queued, "sent": states["sent"], "failed": states["failed"],
        "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
        "lost": queued - sum(1 for n in per_channel.values() if n >= 1),
        "429s": fake.ratelimited_count, "seconds": elapsed, "least_seconds": floor,
        "ratio": elapsed / floor if floor else float("nan"), "scale": scale,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    r = asyncio.run(run(args.members, args.scale, args.seed))
    print(
        f"members={r['members']} messages={r['messages']} sent={r['sent']} failed={r['failed']} "
        f"duplicates={r['duplicates']} lost={r['lost']} 429s={r['429s']} (all retried)\n"
        f"time={r['seconds']:.1f}s least possible={r['least_seconds']:.1f}s ratio={r['ratio']:.3f} "
        f"(scale {r['scale']:g}: at Slack's real pace {r['seconds'] * r['scale'] / 60:.1f} min)"
    )


if __name__ == "__main__":
    main()
