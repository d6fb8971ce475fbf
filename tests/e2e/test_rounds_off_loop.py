"""A round (load, match, store), a preview and a scheduled round run in a worker process: other
people's requests are acknowledged while a deliberately slow round runs."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import rounds
from bot.deps import Deps
from bot.models import Pairing, Program, Round
from bot.scheduler import run_due
from bot.workers import WorkerPool
from devtools.fake_slack import FakeSlack
from tests import factories
from tests.conftest import ADMIN_ID, T0, Clock, RunningApp, make_deps, make_settings
from tests.slow import slow_matching, spinning

SPIN = 3.0  # seconds of CPU the matching spends first, in whichever process runs it
ACK_LIMIT = 1.0  # a stalled loop would hold requests for about SPIN seconds
PAIRS = 4


@pytest.fixture
async def deps(engine: AsyncEngine, database_url: str, fake_slack: FakeSlack, clock: Clock,
               monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Deps]:
    # Here too: were the matching back on the event loop, it would spin there.
    monkeypatch.setattr(rounds, "match_cohort", spinning(rounds.match_cohort, SPIN))
    pool = WorkerPool(1, initializer=slow_matching, initargs=(SPIN,))
    yield dataclasses.replace(make_deps(engine, make_settings(database_url, fake_slack.url), clock), workers=pool)
    await pool.close(timeout=1)


async def _seed(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        for i in range(PAIRS):
            app.slack.add_user(f"UA{i}", real_name=f"Ana {i}")
            app.slack.add_user(f"UB{i}", real_name=f"Ben {i}")
            await factories.member(session, ws, f"UA{i}", offers=[f"Skill A{i}"], wants=[f"Skill B{i}"])
            await factories.member(session, ws, f"UB{i}", offers=[f"Skill B{i}"], wants=[f"Skill A{i}"])
        await session.execute(update(Program).values(next_round_at=T0))  # due now


async def _acks_until(app: RunningApp, done: asyncio.Future) -> list[float]:
    """Someone else's `/tandem help` every 50 ms until `done`: each acknowledgement's latency."""
    latencies = []
    while not done.done():
        started = time.perf_counter()
        status, text, _ = await app.requests.slash_command("UOTHER", "help")
        latencies.append(time.perf_counter() - started)
        assert status == 200 and text
        await asyncio.sleep(0.05)
    return latencies


async def _rounds(app: RunningApp) -> int:
    async with app.deps.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Round)) or 0)


@pytest.mark.parametrize("trigger", ["admin match", "admin match preview", "scheduled round"])
async def test_requests_are_acknowledged_while_a_slow_round_runs(app: RunningApp, trigger: str) -> None:
    await _seed(app)
    app.deps.workers.warm_up()
    await asyncio.sleep(0)
    if trigger == "scheduled round":
        finished: asyncio.Future = asyncio.ensure_future(run_due(app.deps, T0))
    else:
        status, _, _ = await app.requests.slash_command(ADMIN_ID, trigger)
        assert status == 200
        word = "preview" if "preview" in trigger else "Round started"
        finished = asyncio.ensure_future(app.slack.wait_for(
            "response_url", predicate=lambda c: word.lower() in str(c.params).lower(), timeout=60))
    started = time.perf_counter()
    latencies = await _acks_until(app, finished)
    took = time.perf_counter() - started
    await finished
    assert took >= SPIN, "the round was not slow: the test proves nothing"
    assert len(latencies) >= SPIN / 0.5, latencies  # requests kept being answered throughout
    assert max(latencies) < ACK_LIMIT, f"max ack {max(latencies):.2f}s: the round stalled the event loop"
    if trigger == "admin match preview":
        assert await _rounds(app) == 0
    else:
        assert await _rounds(app) == 1
        async with app.deps.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Pairing)) == PAIRS
