"""`run-due`: two processes at once do each piece of work once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.deps import Deps
from devtools.fake_slack import FakeSlack
from bot.models import Member, OutboxMessage, Program
from bot.scheduler import JOBS, run_due
from bot.workspaces import ensure_workspace
from tests import factories
from tests.conftest import BOT_TOKEN, DATA_KEY, T0, TEAM_ID

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 30


@pytest.fixture(autouse=True)
def channels(fake_slack: FakeSlack) -> None:
    for i in range(15):
        fake_slack.add_channel(f"C{i}", f"channel-{i}", bot_is_member=True)


async def _seed(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, T0)
        paused = Member(workspace_id=ws.id, slack_user_id="UPAUSED", status="paused", paused_until=T0,
                        created_at=T0, updated_at=T0)
        session.add(paused)
        await session.flush()
        await factories.membership(session, paused)
        for i in range(MESSAGES):
            await outbox.enqueue(session, workspace_id=ws.id, key=f"m{i}", now=T0, channel=f"C{i % 15}",
                                 payload={"text": f"message {i}"})


async def _run_due_process(database_url: str, api_url: str, now: str) -> tuple[int, str]:
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": api_url, "DATABASE_URL": database_url,
           "TANDEM_DATA_KEY": DATA_KEY, "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", "run-due", "--now", now, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return proc.returncode, out.decode()


async def test_two_run_due_processes_do_each_piece_of_work_once(deps: Deps, fake_slack: FakeSlack, database_url: str) -> None:
    await _seed(deps)
    results = await asyncio.gather(
        _run_due_process(database_url, fake_slack.url, "2026-03-02T09:00:00+00:00"),
        _run_due_process(database_url, fake_slack.url, "2026-03-02T09:00:00+00:00"),
    )
    texts = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert sorted(texts) == sorted(f"message {i}" for i in range(MESSAGES))
    resumed = sum(int(part.split("=")[1]) for _, out in results for part in out.split() if part.startswith("resume"))
    assert resumed == 1
    async with deps.sessionmaker() as session:
        states = set(await session.scalars(select(OutboxMessage.state)))
        member = await session.scalar(select(Member))
    assert states == {"sent"} and member is not None and member.status == "active"


async def test_run_due_in_process_is_idempotent(deps: Deps, fake_slack: FakeSlack) -> None:
    await _seed(deps)
    first = await run_due(deps, T0)
    second = await run_due(deps, T0)
    assert first["messages-sent"] == MESSAGES and second["messages-sent"] == 0
    assert first["resume-paused-members"] == 1 and second["resume-paused-members"] == 0


async def test_a_failing_job_is_logged_rolled_back_and_the_others_still_run(
    deps: Deps, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed(deps)
    async with deps.sessionmaker.begin() as session:
        other = await ensure_workspace(session, "T0002", T0)
        paused = Member(workspace_id=other.id, slack_user_id="UPAUSED2", status="paused", paused_until=T0,
                        created_at=T0, updated_at=T0)
        session.add(paused)
        await session.flush()
        await factories.membership(session, paused)

    async def boom(session: AsyncSession, program: Program, now: dt.datetime) -> int:
        # writes, then fails: its transaction must roll back, and nothing else may notice
        await session.execute(update(Member).values(display_name="half-done"))
        raise RuntimeError("this job is broken")

    jobs = [("broken", boom), *JOBS, ("broken-again", boom)]
    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        done = await run_due(deps, T0, jobs=jobs)

    assert done["jobs-failed"] == 4  # two broken jobs, two programs
    assert done["broken"] == 0 and done["resume-paused-members"] == 2
    assert done["messages-sent"] == MESSAGES  # one failure is retried at the next tick, no alarm yet
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    # the traceback is logged (bot/logguard.py keeps its frames and drops the exception's message)
    assert len(failures) == 4 and all(
        (r.exc_info and r.exc_info[0] is RuntimeError) or "RuntimeError" in (r.exc_text or "") for r in failures
    )
    assert "broken" in failures[0].getMessage()
    async with deps.sessionmaker() as session:
        people = list(await session.scalars(select(Member)))
    assert {m.status for m in people} == {"active"} and {m.display_name for m in people} == {None}


async def test_a_failing_job_backs_off_and_the_admins_hear_once_per_streak(deps: Deps, fake_slack: FakeSlack) -> None:
    """Issue 10 item 4: one failure is retried at the next tick; a job that fails again backs off
    (1, 2, 4 … minutes, at most an hour) instead of failing every minute, and the admins hear of
    it once a streak (the exception's type, never its message)."""
    from dataclasses import replace

    from bot.models import JobFailure

    fake_slack.add_user("UADMIN")
    deps = replace(deps, settings=deps.settings.model_copy(update={"TANDEM_ADMINS": "UADMIN"}))
    async with deps.sessionmaker.begin() as session:
        await ensure_workspace(session, TEAM_ID, T0)
    calls: list[dt.datetime] = []
    broken = {"now": True}

    async def flaky(session: AsyncSession, program: Program, now: dt.datetime) -> int:
        calls.append(now)
        if broken["now"]:
            raise RuntimeError("secret text a person wrote")
        return 1

    def alerts() -> list[str]:
        return [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok and "`flaky`" in c.params["text"]]

    async def failure() -> JobFailure | None:
        async with deps.sessionmaker() as session:
            return await session.scalar(select(JobFailure))

    jobs = [("flaky", flaky)]
    minute, tick = dt.timedelta(minutes=1), dt.timedelta(seconds=30)
    done = await run_due(deps, T0, jobs=jobs)
    row = await failure()
    assert done["jobs-failed"] == 1 and row is not None and (row.failures, row.retry_at) == (1, T0)
    assert alerts() == []  # once is no alarm: retried at the next tick
    await run_due(deps, T0 + tick, jobs=jobs)  # fails again: backs off, the admins hear once
    row = await failure()
    assert len(calls) == 2 and row is not None and (row.failures, row.retry_at, row.error) == (
        2, T0 + tick + minute, "RuntimeError")
    [alert] = alerts()
    assert "RuntimeError" in alert and "secret" not in alert

    done = await run_due(deps, T0 + 2 * tick, jobs=jobs)  # still waiting
    assert done["jobs-backing-off"] == 1 and len(calls) == 2
    await run_due(deps, T0 + tick + minute, jobs=jobs)  # retried, fails: waits twice as long
    row = await failure()
    assert len(calls) == 3 and row is not None and row.retry_at == T0 + tick + 3 * minute
    assert len(alerts()) == 1  # told once per streak
    for _ in range(12):  # the wait stops growing at an hour
        await run_due(deps, (await failure()).retry_at, jobs=jobs)  # type: ignore[union-attr]
    row = await failure()
    assert row is not None and row.retry_at - calls[-1] == dt.timedelta(hours=1)

    broken["now"] = False
    done = await run_due(deps, row.retry_at, jobs=jobs)
    assert done["flaky"] == 1 and await failure() is None
    broken["now"] = True
    await run_due(deps, row.retry_at + minute, jobs=jobs)
    await run_due(deps, row.retry_at + 2 * minute, jobs=jobs)  # a new streak: reported again
    assert len(alerts()) == 2
