"""Session prompts are claimed safely: two `run-due` processes at once send each once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from sqlalchemy import select

from bot.deps import Deps
from devtools.fake_slack import FakeSlack
from bot.models import Member, Round, Session
from bot.pairings import create_pairing
from bot.workspaces import ensure_workspace, program_of
from tests.conftest import T0, TEAM_ID
from tests.integration.test_run_due import _run_due_process

PAIRS = 6


async def _seed(deps: Deps, fake: FakeSlack) -> list[Session]:
    async with deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, T0)
        program = await program_of(session, ws.id)
        program.cadence, program.sessions_per_pairing = "weekly", 3
        round_ = Round(program_id=program.id, number=1, started_at=T0, method="test")
        session.add(round_)
        await session.flush()
        for i in range(PAIRS):
            people = []
            for side in "AB":
                fake.add_user(f"U{side}{i}", tz="UTC")
                member = Member(workspace_id=ws.id, slack_user_id=f"U{side}{i}", status="active", tz="UTC",
                                created_at=T0, updated_at=T0)
                session.add(member)
                people.append(member)
            await session.flush()
            await create_pairing(session, program=program, round_=round_, members=people, score=1.0, reasons=[],
                                 two_way=True, cross_department=False, now=T0)
    async with deps.sessionmaker() as session:
        return list(await session.scalars(select(Session).order_by(Session.pairing_id, Session.sequence)))


async def test_two_run_due_processes_prompt_and_check_in_once(deps: Deps, fake_slack: FakeSlack, database_url: str) -> None:
    planned = await _seed(deps, fake_slack)
    kickoff, second = planned[0].due_at, planned[1].due_at
    for moment in (kickoff - dt.timedelta(hours=30), kickoff + dt.timedelta(hours=6),
                   second - dt.timedelta(hours=40)):
        await asyncio.gather(*(_run_due_process(database_url, fake_slack.url, moment.isoformat()) for _ in range(2)))
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    keys = [c.params["metadata"]["event_payload"]["key"] for c in posts]
    assert len(keys) == len(set(keys))
    kinds = [k.split(":")[0] for k in keys]
    assert kinds.count("kickoff-prompt") == PAIRS
    assert kinds.count("checkin") == PAIRS and kinds.count("fit") == 2 * PAIRS
    assert kinds.count("dilemma-prompt") == PAIRS
    assert all("tandem_open_dilemma" in json.dumps(c.params) for c in posts if "dilemma-prompt" in json.dumps(c.params["metadata"]))
