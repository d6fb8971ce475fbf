"""Workspaces and their programs: found or created on first contact."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Program, Workspace
from bot.sqlutil import insert_ignoring_conflicts


async def ensure_workspace(session: AsyncSession, team_id: str, now: dt.datetime) -> Workspace:
    """The workspace row for a Slack team, with its program; race-safe."""
    found = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if found is not None:
        return found
    await session.execute(
        insert_ignoring_conflicts(session, Workspace, ["team_id"]).values(team_id=team_id, created_at=now)
    )
    workspace = await session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    assert workspace is not None
    await session.execute(
        insert_ignoring_conflicts(session, Program, ["workspace_id"]).values(
            workspace_id=workspace.id, created_at=now, updated_at=now
        )
    )
    return workspace


async def program_of(session: AsyncSession, workspace_id: int) -> Program:
    program = await session.scalar(select(Program).where(Program.workspace_id == workspace_id))
    assert program is not None, "ensure_workspace creates the program"
    return program


async def program_for_update(session: AsyncSession, team_id: str, now: dt.datetime) -> Program:
    """The team's program, row-locked for the rest of the transaction (one round at a time)."""
    workspace = await ensure_workspace(session, team_id, now)
    program = await session.scalar(
        select(Program).where(Program.workspace_id == workspace.id).with_for_update()
    )
    assert program is not None
    return program
