"""Rounds per program: each program's cohort is its own members; the cap on active
pairings per person across programs; a skipped round holds for that round only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.models import Membership, Program, Round
from bot.pairings import create_pairing
from bot.rounds import load_cohort
from bot.workspaces import program_of
from tests import factories
from tests.conftest import T0


async def _second_program(session: AsyncSession, workspace_id: int, **settings: object) -> Program:
    program = Program(workspace_id=workspace_id, channel_id="C0MGR", name="Managers", admin_user_ids=[],
                      created_at=T0, updated_at=T0, **settings)
    session.add(program)
    await session.flush()
    return program


async def test_a_cohort_is_the_programs_members_and_the_cap_counts_every_program(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        await _cohorts_and_cap(session)


async def _cohorts_and_cap(session: AsyncSession) -> None:
    ws = await factories.workspace(session)
    first = await program_of(session, ws.id)
    second = await _second_program(session, ws.id)
    ana = await factories.member(session, ws, "UANA", offers=["Go"], wants=["Python"], department="A")
    ben = await factories.member(session, ws, "UBEN", offers=["Python"], wants=["Go"], department="B")
    cat = await factories.member(session, ws, "UCAT", offers=["Python"], wants=["Go"], department="C")
    await factories.membership(session, ana, program_id=second.id)
    await factories.membership(session, cat, program_id=second.id)
    assert {p.member_id for p in (await load_cohort(session, first, T0)).profiles} == {ana.id, ben.id, cat.id}
    assert {p.member_id for p in (await load_cohort(session, second, T0)).profiles} == {ana.id, cat.id}

    round_ = Round(program_id=first.id, number=1, started_at=T0, method="test", figures={})
    session.add(round_)
    await session.flush()
    await create_pairing(session, program=first, round_=round_, members=[ana, ben], score=1.0, reasons=[],
                         two_way=True, cross_department=True, now=T0)
    # No cap (the default): Ana, paired in the first program, can have a partner in the second too.
    assert {p.member_id for p in (await load_cohort(session, second, T0)).profiles} == {ana.id, cat.id}
    assert {p.member_id for p in (await load_cohort(session, first, T0)).profiles} == {cat.id}
    second.pairing_cap = 1
    await session.flush()
    assert {p.member_id for p in (await load_cohort(session, second, T0)).profiles} == {cat.id}
    second.pairing_cap = 2
    await session.flush()
    assert {p.member_id for p in (await load_cohort(session, second, T0)).profiles} == {ana.id, cat.id}


async def test_a_skip_holds_for_its_round_only(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as session:
        await _skip(session)


async def _skip(session: AsyncSession) -> None:
    ws = await factories.workspace(session)
    program = await program_of(session, ws.id)
    ana = await factories.member(session, ws, "UANA", offers=["Go"], wants=["Python"])
    due = T0 + dt.timedelta(days=7)
    found = await session.get(Membership, (program.id, ana.id))
    assert found is not None
    found.skip_round_at = due
    await session.flush()
    assert [p.member_id for p in (await load_cohort(session, program, T0, round_at=due)).profiles] == []
    later = due + dt.timedelta(days=14)
    assert [p.member_id for p in (await load_cohort(session, program, T0, round_at=later)).profiles] == [ana.id]
    assert [p.member_id for p in (await load_cohort(session, program, T0)).profiles] == [ana.id]  # an admin's match
