"""Test data: members with skills, written straight through the ORM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member, MemberBlock, MemberSkill, Skill, Workspace
from bot.workspaces import ensure_workspace
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
    for name in offers:
        session.add(MemberSkill(member_id=m.id, skill_id=(await skill(session, ws, name)).id, kind="offer"))
    for name in wants:
        session.add(MemberSkill(member_id=m.id, skill_id=(await skill(session, ws, name)).id, kind="want"))
    for other in blocks:
        session.add(MemberBlock(member_id=m.id, blocked_user_id=other))
    await session.flush()
    return m
