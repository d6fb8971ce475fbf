"""`run-due`: two processes at once do each piece of work once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import outbox
from bot.deps import Deps
from bot.devtools.fake_slack import FakeSlack
from bot.models import Member, OutboxMessage
from bot.scheduler import run_due
from bot.workspaces import ensure_workspace
from tests.conftest import BOT_TOKEN, T0, TEAM_ID

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 30


@pytest.fixture(autouse=True)
def channels(fake_slack: FakeSlack) -> None:
    for i in range(15):
        fake_slack.add_channel(f"C{i}", f"channel-{i}", bot_is_member=True)


async def _seed(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, T0)
        session.add(Member(workspace_id=ws.id, slack_user_id="UPAUSED", status="paused",
                           paused_until=T0, created_at=T0, updated_at=T0))
        for i in range(MESSAGES):
            await outbox.enqueue(session, workspace_id=ws.id, key=f"m{i}", now=T0, channel=f"C{i % 15}",
                                 payload={"text": f"message {i}"})


async def _run_due_process(database_url: str, api_url: str, now: str) -> tuple[int, str]:
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": api_url, "DATABASE_URL": database_url,
           "LOG_LEVEL": "WARNING"}
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
