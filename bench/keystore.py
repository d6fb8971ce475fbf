"""Benchmark: the cost of the separate key store (bot/keystore.py) per data-key look-up.

Creates N members in a fresh database, seals one text for each (each creates the
member's key in the key store: a put and a conditional UPDATE), then opens each text
with a fresh keyring (as a new process would: the member row, then the key store,
unpooled), then again (the key cached in the process: the member row only). Prints
milliseconds per operation, each in its own transaction.

    .venv/bin/python bench/keystore.py --members 200
    .venv/bin/python bench/keystore.py --members 200 --database postgresql://postgres@127.0.0.1/bench

Run by hand; the figures go in README.md. (PostgreSQL: the database is emptied first;
its key store is `<name>_keys`.)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import crypto  # noqa: E402
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.migrate import downgrade, upgrade  # noqa: E402
from bot.models import Member, Workspace  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


async def run(url: str, n: int) -> None:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            await downgrade(engine, "base")
        await upgrade(engine)
        data_key = crypto.new_data_key_text()  # a throwaway key
        maker = make_sessionmaker(engine, data_key)
        async with maker.begin() as session:
            ws = Workspace(team_id="TBENCH", created_at=NOW)
            session.add(ws)
            await session.flush()
            members = [Member(workspace_id=ws.id, slack_user_id=f"U{i:06d}", status="active",
                              created_at=NOW, updated_at=NOW) for i in range(n)]
            session.add_all(members)
            await session.flush()
            ids = [m.id for m in members]
        sealed = {}
        t0 = time.perf_counter()
        for mid in ids:
            async with maker.begin() as session:
                sealed[mid] = await crypto.seal(session, mid, "a dilemma worth keeping private")
        t1 = time.perf_counter()
        cold = make_sessionmaker(engine, data_key)  # a new process's keyring: nothing cached yet
        for mid in ids:
            async with cold() as session:
                assert await crypto.unseal(session, mid, sealed[mid])
        t2 = time.perf_counter()
        for mid in ids:
            async with cold() as session:
                assert await crypto.unseal(session, mid, sealed[mid])
        t3 = time.perf_counter()
        print(f"{engine.dialect.name}, {n} members: first seal (creates the key: key store put + UPDATE) "
              f"{1000 * (t1 - t0) / n:.1f} ms; open, key not yet cached (member row + key store) "
              f"{1000 * (t2 - t1) / n:.1f} ms; open, key cached (member row only) {1000 * (t3 - t2) / n:.1f} ms")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--database", help="a PostgreSQL URL (emptied first); default: a new SQLite file")
    args = parser.parse_args()
    if args.database:
        asyncio.run(run(args.database, args.members))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(f"sqlite:///{tmp}/bench.db", args.members))


if __name__ == "__main__":
    main()
