"""Benchmark: a whole matching round through the database.

Loads a seeded synthetic workspace (bench/synthetic.py) into a fresh database,
with its history of past rounds, then times what a real round does, the
way a round's worker does (bot/round_tasks.py): load the cohort (a read-only transaction),
build the candidate graph and solve (no transaction open), then check that the plan is still
current and store the round, its pairings, planned sessions and queued introductions (one
write transaction; "store" includes the check, "commit" is its COMMIT).

    .venv/bin/python bench/round.py --sizes 1000 10000 20000
    .venv/bin/python bench/round.py --sizes 10000 --database postgresql://postgres@127.0.0.1/bench

Run by hand; the figures go in README.md. (PostgreSQL: the database is emptied first.)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from bench import report  # noqa: E402
from bench.synthetic import generate_workspace  # noqa: E402
from bot.crypto import keyring_of, new_data_key_text  # noqa: E402
from bot.db import make_engine, make_sessionmaker, reading  # noqa: E402
from bot.migrate import downgrade, upgrade  # noqa: E402
from bot.models import (  # noqa: E402
    Member,
    MemberBlock,
    MemberSkill,
    Membership,
    OutboxMessage,
    Pairing,
    PairingMember,
    Round,
    Skill,
)
from bot.rounds import plan_round, read_round, still_current, store_round  # noqa: E402
from bot.workspaces import ensure_workspace, program_of, workspace_of  # noqa: E402

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _load(sessionmaker, n: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    ws_data = generate_workspace(n, seed)
    async with sessionmaker.begin() as session:
        ws = await ensure_workspace(session, "TBENCH", NOW)
        program = await program_of(session, ws.id)
        skill_rows = [{"workspace_id": ws.id, "key": name.casefold(), "name": name, "created_at": NOW}
                      for _, name in sorted(ws_data.skill_names.items())]
        result = await session.execute(insert(Skill).returning(Skill.id, sort_by_parameter_order=True), skill_rows)
        skill_id = dict(zip(sorted(ws_data.skill_names), [r[0] for r in result], strict=True))
        member_rows = [
            {"workspace_id": ws.id, "slack_user_id": f"U{p.member_id:07d}", "display_name": ws_data.names[p.member_id],
             "experience": p.experience, "department": p.department, "career_goals": " ".join(sorted(p.goal_words)),
             "tz_offset": p.tz_offset, "status": "active", "session_format": "turns", "priority": p.priority,
             "joined_at": NOW, "created_at": NOW, "updated_at": NOW}
            for p in ws_data.profiles
        ]
        result = await session.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), member_rows)
        member_id = dict(zip((p.member_id for p in ws_data.profiles), [r[0] for r in result], strict=True))
        await session.execute(insert(Membership), [  # everyone in the workspace's (one) program
            {"program_id": program.id, "member_id": member_id[p.member_id], "status": "active",
             "priority": p.priority, "joined_at": NOW, "updated_at": NOW} for p in ws_data.profiles])
        skills = [{"member_id": member_id[p.member_id], "skill_id": skill_id[s], "kind": kind}
                  for p in ws_data.profiles for kind, ids in (("offer", p.offers), ("want", p.wants)) for s in ids]
        await session.execute(insert(MemberSkill), skills)
        ring = keyring_of(session)
        blocks = [{"member_id": member_id[p.member_id], "blocked_user_id": f"U{b:07d}",
                   "blocked_hash": ring.block_hash(f"U{b:07d}")}
                  for p in ws_data.profiles for b in p.blocked]
        if blocks:
            await session.execute(insert(MemberBlock), blocks)
        await _load_history(session, program, ws_data.recent_pairs, member_id)


async def _load_history(session, program, recent_pairs, member_id) -> None:  # type: ignore[no-untyped-def]
    """The synthetic history as three past rounds of ended pairings."""
    pairs = sorted(tuple(sorted(p)) for p in recent_pairs)
    for number in range(1, 4):
        round_ = Round(program_id=program.id, number=number, started_at=NOW - dt.timedelta(weeks=2 * (4 - number)),
                       method="exact", figures={})
        session.add(round_)
        await session.flush()
        chunk = pairs[number - 1::3]
        if not chunk:
            continue
        result = await session.execute(
            insert(Pairing).returning(Pairing.id, sort_by_parameter_order=True),
            [{"program_id": program.id, "round_id": round_.id, "score": 0.0, "reasons": [], "two_way": False,
              "cross_department": False, "state": "ended", "format": "turns", "cadence": "biweekly",
              "sessions_planned": 6, "silent_streak": 0, "started_at": round_.started_at} for _ in chunk],
        )
        ids = [r[0] for r in result]
        await session.execute(insert(PairingMember), [
            {"pairing_id": pid, "member_id": member_id[m], "position": i}
            for pid, pair in zip(ids, chunk, strict=True) for i, m in enumerate(pair)
        ])


async def bench_size(url: str, n: int, seed: int) -> dict[str, float]:
    engine = make_engine(url)
    await downgrade(engine, "base")
    await upgrade(engine)
    sessionmaker = make_sessionmaker(engine, new_data_key_text())  # a throwaway key: benchmarks keep no text
    await _load(sessionmaker, n, seed)
    rss_before = _rss_mb()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # As the worker runs a round (bot/round_tasks.py): read the cohort in a read-only
    # transaction, match with none open, then check and store in one write transaction.
    async with reading(sessionmaker) as session:
        ws = await workspace_of(session, "TBENCH")
        assert ws is not None
        program = await program_of(session, ws.id)
        read = await read_round(session, program, NOW)
    t1 = time.perf_counter()
    plan = plan_round(read.cohort, program)
    t2 = time.perf_counter()
    async with sessionmaker.begin() as session:
        program = await program_of(session, ws.id)
        assert await still_current(session, program, read, plan)
        await store_round(session, read.workspace, program, read.cohort, plan, NOW)
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    async with sessionmaker() as session:
        intros = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    timings.update(load=t1 - t0, match=t2 - t1, store=t3 - t2, commit=t4 - t3, total=t4 - t0,
                   groups=len(plan.groups), intros=intros or 0, two_way=plan.figures["share_two_way"],
                   matched=plan.figures["share_matched"], method=plan.method,
                   peak_rss_mb=_rss_mb(), rss_growth_mb=_rss_mb() - rss_before)
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 20000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    report.add_runs_argument(parser)
    args = parser.parse_args()
    print(report.header(db=await report.describe_database(args.database), runs=args.runs))
    print("| members | load s | match s | store s | commit s | total s | groups | two-way | matched | method "
          "| peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                url = args.database or f"sqlite:///{os.path.join(tmp, 'bench.db')}"
                runs.append(await bench_size(url, n, args.seed))
        r = report.medians(runs)

        def s(key: str) -> str:
            return report.spread([run[key] for run in runs])  # noqa: B023 - used at once

        print(f"| {n} | {s('load')} | {s('match')} | {s('store')} | {s('commit')} | {s('total')} | {r['groups']} "
              f"| {r['two_way']:.1%} | {r['matched']:.1%} | {r['method']} | {r['peak_rss_mb']:.0f} |", flush=True)
    print(report.footer())


if __name__ == "__main__":
    asyncio.run(main())
