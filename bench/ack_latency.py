"""Benchmark: other people's acknowledgements while a large matching round runs.

The real app (Bolt over HTTP, a fake Slack on 127.0.0.1) serves a synthetic workspace of
`--sizes` members (bench/synthetic.py, as bench/round.py). A signed `/tandem help` from someone
else is sent every `--interval` seconds (open loop: on the clock, whether or not the last one
was answered), first with nothing else going on ("idle"), then from an admin's
`/tandem admin match` until its "Round started" answer ("during": the round loads, matches
and stores in a worker process, bot/workers.py). Reported per phase: acknowledgement latency
p50 / p99 / max and how many took over 1 s. Target: during, p99 under 100 ms and none over 1 s.

    .venv/bin/python bench/ack_latency.py --sizes 10000 20000
    .venv/bin/python bench/ack_latency.py --sizes 10000 --database postgresql://postgres@127.0.0.1:5432/DB

Run by hand (PostgreSQL: the database is emptied first); the figures go in README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.round import NOW, _load  # noqa: E402
from bot import round_tasks  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.crypto import new_data_key_text  # noqa: E402
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.migrate import downgrade, upgrade  # noqa: E402
from bot.slack import SlackGateway, make_client  # noqa: E402
from bot.workers import WorkerPool  # noqa: E402
from devtools.fake_slack import FakeSlack  # noqa: E402
from devtools.slack_requests import SlackRequests  # noqa: E402
from handlers.server import build_bolt_app, build_web_app  # noqa: E402

ADMIN = "UBENCHADMIN"
OTHER = "UBENCHOTHER"
SECRET = "bench-signing-secret"


async def _timed(requests: SlackRequests, latencies: list[float]) -> None:
    started = time.perf_counter()
    status, _, _ = await requests.slash_command(OTHER, "help")
    latencies.append(time.perf_counter() - started if status == 200 else float("inf"))


async def _probe(requests: SlackRequests, interval: float, until: asyncio.Future | float) -> list[float]:
    """A request every `interval` seconds until the future is done (or for that many seconds)."""
    latencies: list[float] = []
    sent: list[asyncio.Task[None]] = []
    end = time.perf_counter() + until if isinstance(until, float) else None
    next_at = time.perf_counter()
    while (end is None and not until.done()) or (end is not None and time.perf_counter() < end):  # type: ignore[union-attr]
        sent.append(asyncio.ensure_future(_timed(requests, latencies)))
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*sent)
    return latencies


def _figures(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    over = sum(1 for x in ms if x > 1000)
    return (f"n={len(ms):>4}  p50 {statistics.median(ms):7.1f} ms  p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms  "
            f"over 1 s: {over}")


async def bench_size(url: str, n: int, seed: int, interval: float, idle: float) -> None:
    engine = make_engine(url)
    await downgrade(engine, "base")
    await upgrade(engine)
    key = new_data_key_text()  # a throwaway key: benchmarks keep no text
    await _load(make_sessionmaker(engine, key), n, seed)
    pool = WorkerPool()
    async with FakeSlack(team_id="TBENCH") as fake:
        fake.add_user(ADMIN, real_name="Bench Admin", is_admin=True, team_id="TBENCH")
        fake.add_user(OTHER, real_name="Someone Else", team_id="TBENCH")
        for i in range(n + 1):  # the synthetic members (bench/round.py names them U0000001…)
            fake.add_user(f"U{i:07d}", team_id="TBENCH")
        settings = load_settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                                 DATABASE_URL=url, TANDEM_DATA_KEY=key, TANDEM_ADMINS="", LOG_LEVEL="WARNING")
        gateway = SlackGateway(make_client("xoxb-bench", fake.url), make_client("xoxb-bench", fake.url, for_delivery=True))
        deps = Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine, key), slack=gateway,
                    clock=lambda: NOW, workers=pool)
        runner = web.AppRunner(build_web_app(build_bolt_app(deps), deps), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        requests = SlackRequests(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id="TBENCH",
                                 response_url_for=fake.response_url)
        try:
            pool.warm_up(round_tasks.admin_round)  # as `serve` does at start
            await pool.compute(int, 0)
            quiet = await _probe(requests, interval, idle)
            started = time.perf_counter()
            status, _, _ = await requests.slash_command(ADMIN, "admin match")
            assert status == 200
            answered = asyncio.ensure_future(fake.wait_for(
                "response_url", predicate=lambda c: "Round started" in str(c.params), timeout=600))
            during = await _probe(requests, interval, answered)
            await answered
            took = time.perf_counter() - started
        finally:
            await runner.cleanup()
            await pool.close(timeout=1)
            await engine.dispose()
    print(f"{n:>7} members, round answered after {took:.2f} s")
    print(f"         idle:   {_figures(quiet)}")
    print(f"         during: {_figures(during)}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 20000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between requests (default 0.05)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle probing first (default 5)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    db = make_url(args.database).get_backend_name() if args.database else "sqlite (temporary file)"
    print(f"command: {' '.join(['.venv/bin/python', 'bench/ack_latency.py', *sys.argv[1:]])}")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, database {db}, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            await bench_size(args.database or f"sqlite:///{os.path.join(tmp, 'ack.db')}", n, args.seed,
                             args.interval, args.idle)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main())
