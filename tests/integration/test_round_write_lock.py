"""A round reads and matches outside the write transaction, then claims and stores in one short
one (bot/round_tasks.py): another writer does not wait for the matching, two concurrent round
starts still make one round, and a plan overtaken meanwhile is matched again, never stored."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot import round_tasks, rounds
from bot.db import make_engine
from bot.deps import Deps
from bot.models import Member, Pairing, PairingMember, Program, Round
from bot.workers import WorkerPool
from tests import factories
from tests.conftest import T0
from tests.slow import slow_matching

PAIRS = 3
SLOW = 6.0  # seconds the matching spins in the worker
WRITE_LIMIT = SLOW / 2  # a write that waited for the matching would take about SLOW


async def _seed(deps: Deps, *, team: str = "T1") -> int:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session, team)
        for i in range(PAIRS):
            await factories.member(session, ws, f"UA{i}", offers=[f"A{i}"], wants=[f"B{i}"])
            await factories.member(session, ws, f"UB{i}", offers=[f"B{i}"], wants=[f"A{i}"])
        await session.execute(update(Program).values(next_round_at=T0))
        return int(await session.scalar(select(Program.id)) or 0)


async def _counts(deps: Deps) -> tuple[int, int, int]:
    """Rounds, pairings, and the most pairings any one member sits in."""
    async with deps.sessionmaker() as session:
        rounds_ = await session.scalar(select(func.count()).select_from(Round))
        pairings = await session.scalar(select(func.count()).select_from(Pairing))
        per_member = select(func.count().label("n")).select_from(PairingMember).group_by(PairingMember.member_id)
        most = await session.scalar(select(func.max(per_member.subquery().c.n)))
    return int(rounds_ or 0), int(pairings or 0), int(most or 0)


async def _ready(pool: WorkerPool) -> None:
    await pool.compute(time.sleep, 0)  # the worker has started and imported what it runs


async def _wait_for(marker: Path, task: asyncio.Future, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while not marker.exists():
        assert not task.done(), task.result()
        assert time.perf_counter() < deadline, "the matching never began"
        await asyncio.sleep(0.02)


async def test_another_writer_does_not_wait_for_a_rounds_matching(deps: Deps, tmp_path: Path) -> None:
    program_id = await _seed(deps)
    marker = tmp_path / "matching"
    pool = WorkerPool(1, initializer=slow_matching, initargs=(SLOW, str(marker)))
    try:
        await _ready(pool)
        round_ = asyncio.ensure_future(pool.run_db(deps.settings, deps.sessionmaker, round_tasks.due_round,
                                                   program_id, T0))
        await _wait_for(marker, round_)
        started = time.perf_counter()
        # An admin's settings change: the program's row (PostgreSQL's lock) on SQLite's one writer.
        async with deps.sessionmaker.begin() as session:
            await session.execute(update(Program).where(Program.id == program_id).values(name="Peers"))
            await session.execute(update(Member).where(Member.slack_user_id == "UA0").values(display_name="Ana"))
        waited = time.perf_counter() - started
        still_matching = not round_.done()
        assert await round_ == 1
    finally:
        await pool.close(timeout=1)
    assert waited < WRITE_LIMIT, f"a write waited {waited:.2f} s for the round's matching"
    assert still_matching, "the round ended before the write: the test proves nothing"
    assert await _counts(deps) == (1, PAIRS, 1)


async def test_two_concurrent_round_starts_make_one_round(deps: Deps, tmp_path: Path) -> None:
    program_id = await _seed(deps)
    pools = [WorkerPool(1, initializer=slow_matching, initargs=(2.0,)) for _ in range(2)]
    try:
        await asyncio.gather(*(_ready(p) for p in pools))
        results = await asyncio.gather(*(
            p.run_db(deps.settings, deps.sessionmaker, round_tasks.due_round, program_id, T0) for p in pools
        ))
    finally:
        for pool in pools:
            await pool.close(timeout=1)
    assert sorted(results) == [0, 1]
    assert await _counts(deps) == (1, PAIRS, 1)


async def test_an_admin_match_during_a_scheduled_rounds_matching_pairs_nobody_twice(deps: Deps) -> None:
    program_id = await _seed(deps)
    pools = [WorkerPool(1, initializer=slow_matching, initargs=(2.0,)) for _ in range(2)]
    try:
        await asyncio.gather(*(_ready(p) for p in pools))
        scheduled, admin = await asyncio.gather(
            pools[0].run_db(deps.settings, deps.sessionmaker, round_tasks.due_round, program_id, T0),
            pools[1].run_db(deps.settings, deps.sessionmaker, round_tasks.admin_round, "T1", T0),
        )
    finally:
        for pool in pools:
            await pool.close(timeout=1)
    # Whichever stored first paired everyone; the other found its plan overtaken, matched
    # again, and found nobody free.
    assert (scheduled == 1) != (admin.figures is not None)
    assert await _counts(deps) == (1, PAIRS, 1)


async def test_a_plan_that_is_never_current_falls_back_to_the_round_under_the_lock(
    deps: Deps, monkeypatch: pytest.MonkeyPatch,
) -> None:
    program_id = await _seed(deps)
    checks = []

    async def overtaken(*args: object) -> bool:
        checks.append(args)
        return False

    monkeypatch.setattr(rounds, "still_current", overtaken)
    assert await round_tasks.due_round(deps.sessionmaker, program_id, T0) == 1
    assert len(checks) == round_tasks.OPTIMISTIC_ATTEMPTS
    assert await _counts(deps) == (1, PAIRS, 1)
    assert await round_tasks.due_round(deps.sessionmaker, program_id, T0) == 0  # claimed: not run again


async def _pause(database_url: str, user_id: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(Member).where(Member.slack_user_id == user_id).values(status="paused"))
    finally:
        await engine.dispose()


async def test_a_member_who_paused_while_the_round_matched_is_not_paired(
    deps: Deps, monkeypatch: pytest.MonkeyPatch,
) -> None:
    program_id = await _seed(deps)
    real = rounds.plan_round
    paused = []
    plans = 0

    def plan_then_pause(cohort: rounds.Cohort, program: Program) -> rounds.RoundPlan:
        nonlocal plans
        plans += 1
        plan = real(cohort, program)
        if not paused:  # someone pauses while the first plan is being made, from elsewhere
            paused.append(True)
            thread = threading.Thread(target=asyncio.run, args=(_pause(deps.settings.DATABASE_URL, "UA0"),))
            thread.start()
            thread.join()
        return plan

    monkeypatch.setattr(rounds, "plan_round", plan_then_pause)
    assert await round_tasks.due_round(deps.sessionmaker, program_id, T0) == 1
    async with deps.sessionmaker() as session:
        paired = set(await session.scalars(select(Member.slack_user_id).join(PairingMember)))
    assert len(paused) == 1 and plans == 2, "the overtaken plan was not matched again"
    assert "UA0" not in paired and "UB0" in paired  # UA0's partner is paired with someone else
