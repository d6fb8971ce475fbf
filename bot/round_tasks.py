"""Rounds as worker-process tasks (`bot/workers.py`): loading the cohort, matching and storing
run outside the serving event loop.

Each task is an edge: it opens its own transactions with the sessionmaker the worker gives it
and returns plain, picklable values. A round is optimistic: it reads the cohort in a read-only
transaction (on SQLite: no write lock), matches with no transaction open, then claims and stores
in one short write transaction that first checks that nothing the plan relied on moved
(`rounds.still_current`: no other round of the program stored meanwhile, everyone planned still
free). A scheduled round's claim is `rounds.claim_due`'s conditional UPDATE of `next_round_at`
in that same transaction, so two replicas or a `run-due` never run a round twice (the second
finds the time moved and stores nothing), and a round that fails or whose worker is ended
before it commits has claimed nothing. A plan that is no longer current is discarded and the
round read and matched again; after `OPTIMISTIC_ATTEMPTS` such tries the round runs the old
way, whole, in one write transaction (which on SQLite holds the write lock while it matches),
so it always finishes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import rounds
from bot.db import reading
from bot.models import Program, Round
from bot.rounds import RoundPlan
from bot.programs import program_in
from bot.workspaces import ensure_workspace, program_for_update, program_of, workspace_of

Sessions = async_sessionmaker[AsyncSession]


OPTIMISTIC_ATTEMPTS = 3


async def due_round(sessionmaker: Sessions, program_id: int, now: dt.datetime) -> int:
    """The program's scheduled round, if it is still due and unclaimed (1 when one started)."""
    for _ in range(OPTIMISTIC_ATTEMPTS):
        async with reading(sessionmaker) as session:
            program = await session.get(Program, program_id)
            if program is None:  # deleted since the tick began
                return 0
            if program.next_round_at is None:
                break  # a new program: scheduling its first round is a write, done below
            if program.next_round_at > now:
                return 0  # not due, or another process ran it
            read = await rounds.read_round(session, program, now, round_at=program.next_round_at)
        plan = rounds.plan_round(read.cohort, program)
        async with sessionmaker.begin() as session:
            program = await session.get(Program, program_id, with_for_update=True, populate_existing=True)
            if program is None:
                return 0
            assert read.round_at is not None
            if not await rounds.still_current(session, program, read, plan):
                continue  # nothing written: read and match again
            if not await rounds.claim_due(session, program, read.round_at, now):
                return 0  # another process claimed it (or an admin moved it) meanwhile
            if not plan.groups and not plan.waiting:
                return 0
            await rounds.store_round(session, read.workspace, program, read.cohort, plan, now)
            return 1
    async with sessionmaker.begin() as session:
        program = await session.get(Program, program_id)
        return 0 if program is None else await rounds.start_due_round(session, program, now)


@dataclass(frozen=True)
class Started:
    """What `/tandem admin match` reports and delivers: the round's figures (None when nobody
    could be paired) and the outbox keys of its messages."""

    figures: dict[str, Any] | None
    keys: list[str]


async def admin_round(sessionmaker: Sessions, team_id: str, now: dt.datetime, program_id: int | None = None) -> Started:
    """A round now, for `/tandem admin match`: the program `program_id` (the workspace's first
    when None). Optimistic like `due_round`; stored under the program's row lock."""
    for _ in range(OPTIMISTIC_ATTEMPTS):
        async with reading(sessionmaker) as session:
            workspace = await workspace_of(session, team_id)
            found = None
            if workspace is not None:
                found = (await program_in(session, workspace.id, program_id) if program_id is not None
                         else await program_of(session, workspace.id))
            if found is None:
                break  # a new workspace (created below) or an unknown program (refused below)
            read = await rounds.read_round(session, found, now)
        plan = rounds.plan_round(read.cohort, found)
        async with sessionmaker.begin() as session:
            program = await program_for_update(session, team_id, now, found.id)
            if not await rounds.still_current(session, program, read, plan):
                continue
            return await _stored(session, program, read, plan, now)
    async with sessionmaker.begin() as session:
        program = await program_for_update(session, team_id, now, program_id)
        round_ = await rounds.run_round(session, program, now)
        return await _started(session, round_)


async def _stored(session: AsyncSession, program: Program, read: rounds.RoundRead, plan: RoundPlan,
                  now: dt.datetime) -> Started:
    if not plan.groups and not plan.waiting:
        return Started(figures=None, keys=[])
    round_ = await rounds.store_round(session, read.workspace, program, read.cohort, plan, now)
    return await _started(session, round_)


async def _started(session: AsyncSession, round_: Round | None) -> Started:
    if round_ is None:
        return Started(figures=None, keys=[])
    return Started(figures=dict(round_.figures or {}), keys=await rounds.round_message_keys(session, round_))


async def preview(
    sessionmaker: Sessions, team_id: str, now: dt.datetime, program_id: int | None = None,
) -> tuple[RoundPlan, dict[int, str]]:
    """What the next round of `program_id` (the workspace's first when None) would do now, and
    the members' Slack ids; nothing is stored (not even a new workspace row). The cohort is
    read in a short transaction, matched after it."""
    async with sessionmaker() as session:
        workspace = await ensure_workspace(session, team_id, now)
        program = await program_in(session, workspace.id, program_id) or await program_of(session, workspace.id)
        cohort = await rounds.load_cohort(session, program, now)
        session.expunge(program)  # keeps its settings readable once the transaction is gone
        await session.rollback()
    return rounds.plan_round(cohort, program), cohort.slack_ids
