"""A workspace's programs: which one a command means, creating one for a channel, who
administers it.

`program_for(session, workspace, channel_id)` is the one resolution point: the program
whose channel the command was typed in, else the only program, else None (the caller
asks which). With a single program everything resolves to it, as before several existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import memberships
from bot.blocks.programs import ProgramRef, RollupLine
from bot.members import find_member
from bot.models import DEFAULT_PROGRAM_NAME, Member, Membership, Pairing, Program, Round, Session, Workspace, db_id
from bot.sqlutil import insert_ignoring_conflicts

MAX_NAME = 80


async def programs_of(session: AsyncSession, workspace_id: int) -> list[Program]:
    """The workspace's programs, the first (oldest) first."""
    return list(await session.scalars(select(Program).where(Program.workspace_id == workspace_id).order_by(Program.id)))


async def program_in(session: AsyncSession, workspace_id: int, program_id: int | str | None) -> Program | None:
    """The program with this id if it belongs to the workspace (a crafted id from another
    workspace finds nothing)."""
    number = program_id if isinstance(program_id, int) else db_id(program_id)
    if number is None:
        return None
    program = await session.get(Program, number)
    return program if program is not None and program.workspace_id == workspace_id else None


async def channel_program(session: AsyncSession, workspace_id: int, channel_id: str | None) -> Program | None:
    """The program whose channel this is, or None."""
    if not channel_id:
        return None
    return await session.scalar(
        select(Program).where(Program.workspace_id == workspace_id, Program.channel_id == channel_id)
    )


async def program_for(session: AsyncSession, workspace: Workspace, channel_id: str | None) -> Program | None:
    """The program a command typed in `channel_id` means: that channel's program, else the
    workspace's only program, else None (several, and the channel has none: ask)."""
    found = await channel_program(session, workspace.id, channel_id)
    if found is not None:
        return found
    programs = await programs_of(session, workspace.id)
    return programs[0] if len(programs) == 1 else None


def is_program_admin(program: Program, user_id: str) -> bool:
    """Named as an admin in the program's settings (workspace admins are checked elsewhere)."""
    return user_id in (program.admin_user_ids or [])


def channel_name(text: str | None) -> str:
    """A program name from a channel name: "#eng-peers" → "eng-peers", capped."""
    name = (text or "").strip().lstrip("#").strip()
    return name[:MAX_NAME] or DEFAULT_PROGRAM_NAME


async def program_for_channel(
    session: AsyncSession, workspace: Workspace, channel_id: str, name: str, now: dt.datetime,
) -> tuple[Program, bool]:
    """The channel's program, creating it when there is none; (program, created).

    A workspace whose first program has no channel yet gives it this channel (so a single
    program is announced exactly as before); otherwise a new program named after the
    channel is created, with default settings. Race-safe: the (workspace, channel)
    unique key settles two announcements at once."""
    found = await session.scalar(
        select(Program).where(Program.workspace_id == workspace.id, Program.channel_id == channel_id)
    )
    if found is not None:
        return found, False
    first = (await session.execute(
        select(Program.id, Program.channel_id).where(Program.workspace_id == workspace.id)
        .order_by(Program.id).limit(1)
    )).first()
    # Only the FIRST program is claimed: a later channel-less one (a suggested circle) stays as it is.
    unclaimed = first[0] if first is not None and first[1] is None else None
    if unclaimed is not None:
        claimed = await session.execute(
            update(Program).where(Program.id == unclaimed, Program.channel_id.is_(None))
            .values(channel_id=channel_id, updated_at=now).execution_options(synchronize_session="fetch")
        )
        if claimed.rowcount == 1:
            program = await session.get(Program, unclaimed)
            assert program is not None
            await session.refresh(program)
            return program, False
    await session.execute(
        insert_ignoring_conflicts(session, Program, ["workspace_id", "channel_id"]).values(
            workspace_id=workspace.id, channel_id=channel_id, name=channel_name(name), admin_user_ids=[],
            created_at=now, updated_at=now,
        )
    )
    program = await session.scalar(
        select(Program).where(Program.workspace_id == workspace.id, Program.channel_id == channel_id)
    )
    assert program is not None
    return program, True


# --- which program a person's command means ------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a command should act on: `program` (resolved), or `ask` (several to pick from,
    the caller shows buttons), or neither (nothing fits: not a member / not an admin)."""

    program: Program | None = None
    ask: list[Program] = field(default_factory=list)


async def member_choice(
    session: AsyncSession, workspace: Workspace, user_id: str, channel_id: str | None, statuses: tuple[str, ...],
) -> Choice:
    """The program a member's pause/resume/leave means: the channel's (or the workspace's only)
    program; else, with several programs, ask among those the person is in with one of
    `statuses` (even one: INTERFACE.md's "typed elsewhere … they ask which")."""
    resolved = await program_for(session, workspace, channel_id)
    if resolved is not None:
        return Choice(program=resolved)
    member = await find_member(session, workspace.id, user_id)
    theirs = await memberships.joined_programs(session, member.id, statuses) if member is not None else []
    return Choice(ask=theirs)


async def admin_choice(
    session: AsyncSession, workspace: Workspace, user_id: str, channel_id: str | None, *, workspace_admin: bool,
) -> Choice:
    """The program an `admin …` command means, among those this person may administer."""
    resolved = await program_for(session, workspace, channel_id)
    if resolved is not None:
        allowed = workspace_admin or is_program_admin(resolved, user_id)
        return Choice(program=resolved) if allowed else Choice()
    mine = [p for p in await programs_of(session, workspace.id) if workspace_admin or is_program_admin(p, user_id)]
    return Choice(ask=mine)  # several programs, typed elsewhere: ask, even among one


async def administers_any(session: AsyncSession, workspace_id: int, user_id: str) -> list[Program]:
    """The programs that name this person as an admin."""
    return [p for p in await programs_of(session, workspace_id) if is_program_admin(p, user_id)]


# --- the workspace roll-up ----------------------------------------------------------------------------


def ref(program: Program) -> ProgramRef:
    return ProgramRef(program.id, program.name, program.channel_id)


async def rollup(session: AsyncSession, workspace_id: int) -> list[RollupLine]:
    """Every program's headline counts (aggregates only), for workspace admins."""
    lines = []
    for program in await programs_of(session, workspace_id):
        members = await session.scalar(
            select(func.count()).select_from(Membership).join(Member, Member.id == Membership.member_id)
            .where(Membership.program_id == program.id, Membership.status.in_(memberships.JOINED),
                   Member.status.in_(memberships.JOINED))
        ) or 0
        pairings = await session.scalar(
            select(func.count()).select_from(Pairing).where(Pairing.program_id == program.id, Pairing.state == "active")
        ) or 0
        rounds = await session.scalar(select(func.count()).select_from(Round).where(Round.program_id == program.id)) or 0
        held = {state: n for state, n in await session.execute(
            select(Session.state, func.count()).join(Pairing, Pairing.id == Session.pairing_id)
            .where(Pairing.program_id == program.id, Session.state.in_(("met", "skipped", "silent")))
            .group_by(Session.state)
        )}
        lines.append(RollupLine(ref(program), int(members), int(pairings), int(rounds), int(held.get("met", 0)),
                                int(sum(held.values()))))
    return lines
