"""Retention: a pairing's private text is purged `Program.private_text_retention_days`
(default 365) after the pairing ends.

Purged: dilemmas, feedback takeaways, experiments and private notes, goal texts
(the goal row stays, with its progress, for the figures), retro answers and the
pair's shared intent. Ratings, states and dates stay. A scheduled job
(`bot.scheduler.JOBS`); idempotent, as it only touches rows still holding text.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Feedback, Goal, Pairing, PairingMember, Program, Session


async def purge_private_text(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Purge the private text of this program's pairings ended longer ago than it keeps it; rows changed."""
    return await _purge_program(session, program.id, program.private_text_retention_days, now)


async def purge_expired(session: AsyncSession, now: dt.datetime, program_ids: list[int] | None = None) -> int:
    changed = 0
    query = select(Program.id, Program.private_text_retention_days)
    if program_ids is not None:
        query = query.where(Program.id.in_(program_ids))
    for program_id, days in (await session.execute(query)).all():
        changed += await _purge_program(session, program_id, days, now)
    return changed


async def _purge_program(session: AsyncSession, program_id: int, days: int, now: dt.datetime) -> int:
    """One program's expired pairings' text. A program with no pairing ended that long ago
    (every young one: the job runs every tick) costs one read, not five updates."""
    changed = 0
    expired = select(Pairing.id).where(
        Pairing.program_id == program_id, Pairing.state == "ended", Pairing.ended_at.is_not(None),
        Pairing.ended_at <= now - dt.timedelta(days=days),
    )
    if not await session.scalar(select(expired.exists())):
        return 0
    statements = [
        update(Session).where(Session.pairing_id.in_(expired), or_(
            Session.dilemma_situation.is_not(None), Session.dilemma_tried.is_not(None),
            Session.dilemma_want.is_not(None)))
        .values(dilemma_situation=None, dilemma_tried=None, dilemma_want=None),
        update(Feedback).where(
            Feedback.session_id.in_(select(Session.id).where(Session.pairing_id.in_(expired))),
            or_(Feedback.takeaway.is_not(None), Feedback.experiment.is_not(None),
                Feedback.private_note.is_not(None)))
        .values(takeaway=None, experiment=None, private_note=None),
        update(Goal).where(Goal.pairing_id.in_(expired), or_(
            func.length(Goal.what) > 0, Goal.measure.is_not(None), Goal.why.is_not(None)))
        .values(what="", measure=None, why=None),
        update(PairingMember).where(PairingMember.pairing_id.in_(expired),
                                    PairingMember.retro_learned.is_not(None))
        .values(retro_learned=None),
        update(Pairing).where(Pairing.id.in_(expired), Pairing.shared_intent.is_not(None))
        .values(shared_intent=None),
    ]
    for statement in statements:
        changed += int((await session.execute(statement.execution_options(synchronize_session=False))).rowcount or 0)
    return changed
