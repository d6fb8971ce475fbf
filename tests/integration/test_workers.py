"""Worker processes for rounds (bot/workers.py): the claim stays in the database, a worker
ended mid-round rolls its round back, shutdown never waits on a busy worker."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.deps import Deps
from bot.models import Pairing, Program, Round
from bot.scheduler import run_due
from bot.workers import WorkerDied, WorkerPool, shares_processes
from tests import factories
from tests.conftest import T0
from tests.slow import slow_matching

PAIRS = 3


async def _seed_due_round(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        for i in range(PAIRS):
            await factories.member(session, ws, f"UA{i}", offers=[f"A{i}"], wants=[f"B{i}"])
            await factories.member(session, ws, f"UB{i}", offers=[f"B{i}"], wants=[f"A{i}"])
        await session.execute(update(Program).values(next_round_at=T0))


async def _counts(deps: Deps) -> tuple[int, int, object]:
    async with deps.sessionmaker() as session:
        rounds = await session.scalar(select(func.count()).select_from(Round))
        pairings = await session.scalar(select(func.count()).select_from(Pairing))
        next_round = await session.scalar(select(Program.next_round_at))
    return int(rounds or 0), int(pairings or 0), next_round


async def test_close_ends_a_busy_worker_without_waiting_for_it() -> None:
    pool = WorkerPool(1)
    busy = asyncio.ensure_future(pool.compute(time.sleep, 60))
    await asyncio.sleep(3)  # the worker has started and is sleeping
    started = time.perf_counter()
    await pool.close(timeout=0.5)
    assert time.perf_counter() - started < 10
    with pytest.raises(WorkerDied):
        await busy
    with pytest.raises(WorkerDied):
        await pool.compute(time.sleep, 0)


async def test_a_round_ended_in_its_worker_rolls_back_with_its_claim_then_runs_once(deps: Deps) -> None:
    await _seed_due_round(deps)
    slow = WorkerPool(1, initializer=slow_matching, initargs=(60.0,))
    tick = asyncio.ensure_future(run_due(dataclasses.replace(deps, workers=slow), T0))
    await asyncio.sleep(4)  # the worker has claimed the round and is matching
    await slow.close(timeout=0)  # the process is stopped mid-round (a shutdown, a crash)
    done = await tick
    assert done["jobs-failed"] == 1
    rounds_, pairings, next_round = await _counts(deps)
    assert (rounds_, pairings) == (0, 0)
    assert next_round is not None and next_round.replace(tzinfo=None) == T0.replace(tzinfo=None)  # claim undone

    first = await run_due(deps, T0)
    again = await run_due(deps, T0)
    assert first["start-due-rounds"] == 1 and again["start-due-rounds"] == 0
    assert (await _counts(deps))[:2] == (1, PAIRS)


async def test_two_processes_with_their_own_workers_run_a_due_round_once(deps: Deps) -> None:
    await _seed_due_round(deps)
    pools = [WorkerPool(1), WorkerPool(1)]
    try:
        results = await asyncio.gather(*(run_due(dataclasses.replace(deps, workers=p), T0) for p in pools))
    finally:
        for pool in pools:
            await pool.close(timeout=1)
    assert sorted(r["start-due-rounds"] for r in results) == [0, 1]
    assert (await _counts(deps))[:2] == (1, PAIRS)


def test_only_an_in_memory_sqlite_keeps_its_work_in_the_process() -> None:
    assert not shares_processes("sqlite://")
    assert not shares_processes("sqlite:///:memory:")
    assert shares_processes("sqlite:///tandem.db")
    assert shares_processes("postgresql://u@h/db")


PARENT = """
import asyncio, os, sys
from bot.workers import WorkerPool

async def main():
    pool = WorkerPool(1)
    print(await pool.compute(os.getpid), flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_a_worker_ends_itself_when_its_server_is_killed_outright() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", PARENT, cwd=root,
                                                stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    worker = int(await asyncio.wait_for(proc.stdout.readline(), timeout=60))
    proc.kill()
    await proc.wait()
    for _ in range(100):
        if not _alive(worker):
            break
        await asyncio.sleep(0.1)
    assert not _alive(worker), "the worker outlived its server"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
