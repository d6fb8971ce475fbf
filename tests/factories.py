"""Test data: members with skills, written straight through the ORM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import crypto
from bot.models import Member, MemberBlock, MemberSkill, Membership, Skill, Workspace
from bot.workspaces import ensure_workspace, program_of
from tests.conftest import T0, TEAM_ID


async def workspace(session: AsyncSession, team_id: str = TEAM_ID) -> Workspace:
    return await ensure_workspace(session, team_id, T0)


async def skill(session: AsyncSession, ws: Workspace, name: str) -> Skill:
    key = name.casefold()
    found = await session.scalar(select(Skill).where(Skill.workspace_id == ws.id, Skill.key == key))
    if found:
        return found
    created = Skill(workspace_id=ws.id, key=key, name=name, created_at=T0)
    session.add(created)
    await session.flush()
    return created


async def member(
    session: AsyncSession,
    ws: Workspace,
    slack_user_id: str,
    *,
    offers: list[str],
    wants: list[str],
    department: str | None = None,
    experience: int = 2,
    tz_offset: int = 0,
    career_goals: str | None = None,
    status: str = "active",
    blocks: list[str] = (),  # type: ignore[assignment]
    session_format: str = "turns",
    now: dt.datetime = T0,
) -> Member:
    m = Member(
        workspace_id=ws.id, slack_user_id=slack_user_id, display_name=slack_user_id, department=department,
        experience=experience, tz_offset=tz_offset, career_goals=career_goals, status=status,
        session_format=session_format, joined_at=now, created_at=now, updated_at=now,
    )
    session.add(m)
    await session.flush()
    await membership(session, m, now=now)
    for name in offers:
        session.add(MemberSkill(member_id=m.id, skill_id=(await skill(session, ws, name)).id, kind="offer"))
    for name in wants:
        session.add(MemberSkill(member_id=m.id, skill_id=(await skill(session, ws, name)).id, kind="want"))
    for other in blocks:
        session.add(MemberBlock(member_id=m.id, blocked_user_id=other,
                                blocked_hash=crypto.keyring_of(session).block_hash(other)))
    await session.flush()
    return m


async def membership(session: AsyncSession, m: Member, *, program_id: int | None = None, now: dt.datetime = T0) -> None:
    """The member's membership of a program (the first by default), with their status, as
    the data migration gives every member who joined before several programs existed."""
    if m.status == "invited":
        return
    if program_id is None:
        program_id = (await program_of(session, m.workspace_id)).id
    status = m.status if m.status in ("active", "paused") else "left"
    session.add(Membership(program_id=program_id, member_id=m.id, status=status,
                           paused_until=m.paused_until if status == "paused" else None, priority=bool(m.priority),
                           joined_at=m.joined_at or now, updated_at=now))
    await session.flush()
