"""The heads-up job reads only the people still to tell: the first tick of the window
finds the coming round's cohort, later ticks one read that returns only newcomers (not the
cohort again), and who it tells is exactly who `load_cohort` would put in that round."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select, update

from bot import headsup, rounds
from bot.models import Member, Membership, OutboxMessage, Program
from bot.workspaces import program_of
from tests import factories
from tests.conftest import T0

DUE = T0 + dt.timedelta(hours=8)  # Monday 17:00 UTC: the members (UTC) are at work until 18:00


async def _program(session) -> Program:  # type: ignore[no-untyped-def]
    ws = await factories.workspace(session)
    program = await program_of(session, ws.id)
    program.headsup_hours, program.next_round_at = 24, DUE
    await session.flush()
    return program


async def _told(session) -> set[str]:  # type: ignore[no-untyped-def]
    keys = await session.scalars(select(OutboxMessage.idempotency_key).where(
        OutboxMessage.idempotency_key.like("headsup:%")))
    return {k.rsplit(":", 1)[1] for k in keys}


async def test_those_told_are_the_rounds_cohort(engine, deps) -> None:
    async with deps.sessionmaker.begin() as session:
        program = await _program(session)
        ws = await factories.workspace(session)
        # Two who are paired by a round now: busy in the coming one.
        for user in ("UBUSY1", "UBUSY2"):
            await factories.member(session, ws, user, offers=["SQL"], wants=["Go"])
        await rounds.run_round(session, program, T0)
        program.next_round_at = DUE
        ok = [await factories.member(session, ws, f"UOK{i}", offers=["SQL"], wants=["Go"]) for i in range(3)]
        await factories.member(session, ws, "UNOWANT", offers=["SQL"], wants=[])
        await factories.member(session, ws, "UPAUSED", offers=["SQL"], wants=["Go"], status="paused")
        skipping = await factories.member(session, ws, "USKIP", offers=["SQL"], wants=["Go"])
        gone = await factories.member(session, ws, "UGONE", offers=["SQL"], wants=["Go"])
        guest = await factories.member(session, ws, "UGUEST", offers=["SQL"], wants=["Go"])
        await session.execute(update(Membership).where(Membership.member_id == skipping.id).values(skip_round_at=DUE))
        await session.execute(update(Member).where(Member.id == gone.id).values(undeliverable_at=T0))
        await session.execute(update(Member).where(Member.id == guest.id).values(account_type="multi_channel_guest"))
    async with deps.sessionmaker.begin() as session:
        program = await session.get(Program, program.id)
        cohort = await rounds.load_cohort(session, program, T0, round_at=DUE)
        queued = await headsup.send_headsups(session, program, T0)
        told = await _told(session)
    expected = {str(p.member_id) for p in cohort.profiles}
    assert expected == {str(m.id) for m in ok}
    assert told == expected and queued == 3


async def test_later_ticks_read_only_the_people_still_to_tell(engine, deps) -> None:
    async with deps.sessionmaker.begin() as session:
        program = await _program(session)
        ws = await factories.workspace(session)
        for i in range(40):
            await factories.member(session, ws, f"U{i:03}", offers=["SQL"], wants=["Go"])
    statements: list[str] = []
    rows_read: list[int] = []

    def counted(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    async def tick(at: dt.datetime) -> int:
        statements.clear()
        async with deps.sessionmaker.begin() as session:
            program_ = await session.get(Program, program.id)
            event.listen(engine.sync_engine, "before_cursor_execute", counted)
            try:
                queued = await headsup.send_headsups(session, program_, at)
                rows_read.append(len(await headsup._still_to_tell(
                    session, program_, DUE, f"headsup:{program_.id}:{headsup.round_stamp(DUE)}:")))
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", counted)
            return queued

    assert await tick(T0) == 40 and rows_read[-1] == 0
    assert await tick(T0 + dt.timedelta(minutes=1)) == 0
    # One read (the people still to tell, none) and the check above: not the whole cohort
    # (members, every skill, blocks, pair history, skill names) and every key sent so far.
    assert len(statements) == 2, statements
    async with deps.sessionmaker.begin() as session:
        late = await factories.member(session, ws, "ULATE", offers=["SQL"], wants=["Go"])
    assert await tick(T0 + dt.timedelta(minutes=2)) == 1
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    async with deps.sessionmaker.begin() as session:
        assert str(late.id) in await _told(session) and len(await _told(session)) == 41
