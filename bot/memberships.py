"""A person's opt-in per program (`program_members`), and the summary on their Member row.

One profile (skills, experience, team, working days, blocks) serves every program;
opt-in, pause, leave, waiting with priority and a skipped round are per program.
`Member.status`, `paused_until` and `priority` stay the person's summary (active in
any program → "active"; else paused in one → "paused"; else "left"), kept by
`sync_member` after every change, so whatever reads a person as a whole (App Home,
deliveries, experts, the partner left behind) reads one place, and a workspace with a
single program behaves exactly as before several existed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member, Membership, Program
from bot.sqlutil import insert_ignoring_conflicts

JOINED = ("active", "paused")
PERSON_GONE = ("deactivated", "forgotten")  # person-level states no membership undoes


async def membership(session: AsyncSession, program_id: int, member_id: int) -> Membership | None:
    return await session.get(Membership, (program_id, member_id))


async def memberships_of(session: AsyncSession, member_id: int) -> list[tuple[Membership, Program]]:
    """The person's memberships with their programs, oldest program first."""
    rows = await session.execute(
        select(Membership, Program).join(Program, Program.id == Membership.program_id)
        .where(Membership.member_id == member_id).order_by(Program.id)
    )
    return [(m, p) for m, p in rows]


async def joined_programs(session: AsyncSession, member_id: int, statuses: tuple[str, ...] = JOINED) -> list[Program]:
    return [p for m, p in await memberships_of(session, member_id) if m.status in statuses]


async def join(session: AsyncSession, program: Program, member: Member, now: dt.datetime) -> bool:
    """Opt the member in to the program (race-safe); True when they joined it just now (a
    paused membership stays paused). Joining clears an undeliverable mark."""
    await session.execute(
        insert_ignoring_conflicts(session, Membership, ["program_id", "member_id"]).values(
            program_id=program.id, member_id=member.id, status="active", priority=False, joined_at=now,
            updated_at=now,
        )
    )
    found = await membership(session, program.id, member.id)
    assert found is not None
    await session.refresh(found)
    joined_now = found.joined_at == now and found.status == "active" and found.left_at is None
    if found.status == "left":
        found.status, found.joined_at, found.left_at, found.paused_until = "active", now, None, None
        found.updated_at = now
        joined_now = True
    was_joined = member.status in JOINED
    member.undeliverable_at = None
    if member.joined_at is None or not was_joined:
        member.joined_at = now
    member.left_at = None
    await sync_member(session, member, now)
    return joined_now


async def set_status(
    session: AsyncSession, found: Membership, status: str, now: dt.datetime, *, paused_until: dt.datetime | None = None,
) -> None:
    found.status = status
    found.paused_until = paused_until if status == "paused" else None
    if status == "left":
        found.left_at = now
        found.priority = False
    found.updated_at = now
    await session.flush()


async def sync_member(session: AsyncSession, member: Member, now: dt.datetime) -> None:
    """Sum the memberships up on the Member row (see the module docstring)."""
    await session.flush()
    rows = list(await session.scalars(select(Membership).where(Membership.member_id == member.id)))
    if not rows or member.status in PERSON_GONE:
        return
    statuses = {m.status for m in rows}
    if "active" in statuses:
        status, until = "active", None
    elif "paused" in statuses:
        status = "paused"
        until = min(m.paused_until for m in rows if m.status == "paused" and m.paused_until) if any(
            m.paused_until for m in rows if m.status == "paused") else None
    else:
        status, until = "left", None
    if status != member.status or until != member.paused_until:
        member.updated_at = now
    if status == "left" and member.status != "left":
        member.left_at = now
    member.status = status
    member.paused_until = until
    member.priority = any(m.priority for m in rows if m.status in JOINED)


async def set_priority(session: AsyncSession, program_id: int, member_ids: list[int], value: bool) -> None:
    """Wait with priority in one program (or not), and resum each person's priority.

    The people's rows are updated before their memberships, the order a profile save takes
    too (member, then membership), so a round and a save never wait on each other in a
    circle (a deadlock on PostgreSQL)."""
    if not member_ids:
        return
    elsewhere = exists().where(Membership.member_id == Member.id, Membership.program_id != program_id,
                               Membership.priority.is_(True), Membership.status.in_(JOINED))
    # Only rows that change: a person's priority is any of their memberships' (so one without
    # it loses nothing when a membership loses it): a round's 10,000 pairs touch only the few
    # who waited.
    await session.execute(
        update(Member).where(Member.id.in_(member_ids), Member.priority.is_(not value))
        .values(priority=true() if value else elsewhere)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        update(Membership).where(Membership.program_id == program_id, Membership.member_id.in_(member_ids),
                                 Membership.priority.is_(not value))
        .values(priority=value).execution_options(synchronize_session=False)
    )


async def resume_expired(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Memberships of the program whose pause has run out are active again; their people too."""
    ids = list(await session.scalars(
        select(Membership.member_id).where(Membership.program_id == program.id, Membership.status == "paused",
                                           Membership.paused_until <= now)
    ))
    if not ids:
        return 0
    # Conditional on still being paused: of two processes at once, one resumes each member.
    resumed = await session.execute(
        update(Membership).where(Membership.program_id == program.id, Membership.member_id.in_(ids),
                                 Membership.status == "paused", Membership.paused_until <= now)
        .values(status="active", paused_until=None, updated_at=now).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Member).where(Member.id.in_(ids), Member.status == "paused")
        .values(status="active", paused_until=None, updated_at=now).execution_options(synchronize_session="fetch")
    )
    return int(resumed.rowcount or 0)
