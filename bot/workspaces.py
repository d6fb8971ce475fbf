"""Workspaces and their first program: found or created on first contact (more programs,
one per channel, come from bot.programs)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Program, Workspace
from bot.sqlutil import insert_ignoring_conflicts


async def ensure_workspace(session: AsyncSession, team_id: str, now: dt.datetime) -> Workspace:
    """The workspace row for a Slack team, with its first program; race-safe: only the
    transaction whose INSERT created the workspace creates the program, in the same commit."""
    found = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if found is not None:
        return found
    created = await session.execute(
        insert_ignoring_conflicts(session, Workspace, ["team_id"]).values(team_id=team_id, created_at=now)
    )
    workspace = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    assert workspace is not None
    if created.rowcount == 1:
        session.add(Program(workspace_id=workspace.id, admin_user_ids=[], created_at=now, updated_at=now))
        await session.flush()
    return workspace


async def workspace_of(session: AsyncSession, team_id: str) -> Workspace | None:
    """The team's workspace row, or None (a read: nothing is created)."""
    return await session.scalar(select(Workspace).where(Workspace.team_id == team_id))


async def program_of(session: AsyncSession, workspace_id: int) -> Program:
    """The workspace's first program (the only one, unless more were announced)."""
    program = await session.scalar(
        select(Program).where(Program.workspace_id == workspace_id).order_by(Program.id).limit(1)
    )
    assert program is not None, "ensure_workspace creates the program"
    return program


async def program_for_update(
    session: AsyncSession, team_id: str, now: dt.datetime, program_id: int | None = None,
) -> Program:
    """The team's program (the first, or `program_id`), row-locked for the rest of the
    transaction (one round at a time)."""
    workspace = await ensure_workspace(session, team_id, now)
    query = select(Program).where(Program.workspace_id == workspace.id)
    query = query.where(Program.id == program_id) if program_id is not None else query.order_by(Program.id).limit(1)
    program = await session.scalar(query.with_for_update())
    assert program is not None
    return program


