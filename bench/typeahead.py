"""Benchmark: skill type-ahead (options loads) with many people filling the profile modal at once.

The real app (Bolt over HTTP, SQLite by default) answers signed `block_suggestion`
requests from `--typists` concurrent people, each typing skill names a keystroke at a
time (`--keystrokes` each, a short think time between them), while a writer keeps the
database busy with other transactions, as a serving process does. Reported: latency
percentiles and how many answers came back without options (Slack's budget is 3 s), as
the typists saw them and inside the server. The typists run in a process of their own (Slack
is not in the bot's process): in one process their 20 HTTP clients took the event loop's CPU
from the server they were measuring.

    .venv/bin/python bench/typeahead.py --typists 20
    .venv/bin/python bench/typeahead.py --typists 20 --database-url postgresql://postgres@127.0.0.1:5432/DB
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bench import report  # noqa: E402
from bot import ids  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.deps import Deps  # noqa: E402
from devtools.fake_slack import FakeSlack  # noqa: E402
from devtools.slack_requests import SlackRequests  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.models import Workspace  # noqa: E402
from bot.skills import index_of  # noqa: E402
from bot.slack import make_gateway  # noqa: E402
from bot.workspaces import ensure_workspace  # noqa: E402
from handlers.server import build_bolt_app, build_web_app  # noqa: E402

WORDS = ["python", "kubernetes", "public speaking", "product strategy", "data visualisation",
         "mentoring", "rust", "negotiation", "design systems", "sql tuning"]


def _percentiles(latencies: list[float]) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000, "max": max(latencies) * 1000}


async def typists_main(url: str, typists: int, keystrokes: int) -> None:
    """The people typing (run in a process of their own, as Slack is not in the bot's)."""
    requests = SlackRequests(url, "bench-secret", timeout=10)
    latencies: list[float] = []
    empty = 0

    async def typist(n: int) -> None:
        nonlocal empty
        rng = random.Random(n)
        typed = 0
        while typed < keystrokes:
            word = rng.choice(WORDS)
            for i in range(1, len(word) + 1):
                if typed >= keystrokes:
                    return
                started = time.perf_counter()
                status, _, body = await requests.block_suggestion(f"U{n}", ids.OFFERS[1], word[:i], block_id=ids.OFFERS[0])
                latencies.append(time.perf_counter() - started)
                if status != 200 or not (body or {}).get("options"):
                    empty += 1
                typed += 1
                await asyncio.sleep(rng.uniform(0.05, 0.15))

    # The first options load of a team loads (on first use seeds) its catalog; then memory.
    await requests.block_suggestion("U0", ids.OFFERS[1], "p", block_id=ids.OFFERS[0])
    started = time.perf_counter()
    await asyncio.gather(*(typist(n) for n in range(typists)))
    print(json.dumps({"latencies": latencies, "empty": empty, "seconds": time.perf_counter() - started}), flush=True)


async def run(typists: int, keystrokes: int, database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{os.path.join(tmp, 'typeahead.db')}"
        engine = make_engine(url)
        await upgrade(engine)
        async with FakeSlack() as fake:
            settings = load_settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET="bench-secret",
                                     SLACK_API_URL=fake.url, DATABASE_URL=url)
            deps = Deps(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine),
                        slack=make_gateway("xoxb-bench", fake.url))
            async with deps.sessionmaker.begin() as session:
                await ensure_workspace(session, "T0001", dt.datetime.now(dt.timezone.utc))
            served: list[float] = []

            @web.middleware
            async def timed(request: web.Request, handler):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return await handler(request)
                finally:
                    served.append(time.perf_counter() - started)

            web_app = build_web_app(build_bolt_app(deps), deps)
            web_app.middlewares.append(timed)
            runner = web.AppRunner(web_app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            done = asyncio.Event()

            async def writer() -> None:  # other work holding the write lock now and then
                while not done.is_set():
                    async with deps.sessionmaker.begin() as session:
                        await session.execute(update(Workspace).values(name="busy"))
                        await asyncio.sleep(0.05)
                    await asyncio.sleep(0.05)

            background = asyncio.create_task(writer())
            client = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--client", f"http://127.0.0.1:{port}/slack/events",
                "--typists", str(typists), "--keystrokes", str(keystrokes), stdout=asyncio.subprocess.PIPE)
            out, _ = await client.communicate()
            done.set()
            await background
            await runner.cleanup()
            await deps.slack.close()
            loads = index_of(deps).loads
        await engine.dispose()
    result = json.loads(out)
    return {"typists": typists, "requests": len(result["latencies"]), "empty": result["empty"],
            "seconds": result["seconds"], **_percentiles(result["latencies"]),
            **{f"server_{k}": v for k, v in _percentiles(served[1:]).items()}, "loads": loads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--typists", type=int, default=20)
    parser.add_argument("--keystrokes", type=int, default=60)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--client", default=None, help=argparse.SUPPRESS)
    report.add_runs_argument(parser)
    args = parser.parse_args()
    if args.client:
        asyncio.run(typists_main(args.client, args.typists, args.keystrokes))
        return
    print(report.header(args.database_url, runs=args.runs))
    runs = [asyncio.run(run(args.typists, args.keystrokes, args.database_url)) for _ in range(args.runs)]
    r = runs[0]

    def s(key: str, fmt: str = ".1f") -> str:
        return report.spread([run[key] for run in runs], fmt)

    print(f"typists={r['typists']} requests={r['requests']} empty={s('empty', '.0f')} in {s('seconds')} s "
          f"(catalog loads from the database: {s('loads', '.0f')}), as the typists saw them: "
          f"p50={s('p50')} ms p95={s('p95')} ms p99={s('p99')} ms max={s('max')} ms; "
          f"inside the server: p50={s('server_p50')} ms p99={s('server_p99')} ms max={s('server_max')} ms")
    print(report.footer())


if __name__ == "__main__":
    main()
