"""Session feedback and the end-of-pairing retrospective.

Privacy: a rating and a private note are stored for their author alone. No
function here returns them, no message is built from them, and only
aggregates of ratings ever leave the database (admin stats).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import crypto, ids, modal_state
from bot.goals import set_progress
from bot.models import GOAL_PROGRESS, Feedback, Goal, PairingMember, Session, db_id
from bot.sessions import Seat, StaleAction


@dataclass(frozen=True)
class FeedbackSubmission:
    rating: int
    takeaway: str
    experiment: str | None
    private_note: str | None
    goal_progress: dict[int, str]


def parse_feedback(values: dict[str, Any]) -> tuple[FeedbackSubmission | None, dict[str, str]]:
    """The feedback modal's state as plain values, or field errors."""
    errors: dict[str, str] = {}
    raw = modal_state.selected(values, ids.FEEDBACK_RATING)
    rating = int(raw) if raw in {"1", "2", "3", "4", "5"} else None
    if rating is None:
        errors[ids.FEEDBACK_RATING[0]] = "Pick a rating from 1 to 5."
    takeaway = modal_state.text(values, ids.FEEDBACK_TAKEAWAY, 1000)
    if not takeaway:
        errors[ids.FEEDBACK_TAKEAWAY[0]] = "Write one thing you'll take away."
    progress: dict[int, str] = {}
    for block in modal_state.blocks_with_prefix(values, ids.FEEDBACK_GOAL_PREFIX):
        suffix = block.removeprefix(ids.FEEDBACK_GOAL_PREFIX)
        if db_id(suffix) is not None:
            chosen = modal_state.selected(values, (block, ids.FEEDBACK_GOAL_SELECT))
            if chosen in GOAL_PROGRESS:
                progress[int(suffix)] = chosen
    if errors or rating is None:
        return None, errors
    return FeedbackSubmission(
        rating=rating, takeaway=takeaway, experiment=modal_state.text(values, ids.FEEDBACK_EXPERIMENT, 1000) or None,
        private_note=modal_state.text(values, ids.FEEDBACK_PRIVATE_NOTE, 5000) or None, goal_progress=progress,
    ), {}


FEEDBACK_OPEN_FOR = dt.timedelta(days=7)  # after "We met", each member's button and App Home item


def check_feedback_session(sess: Session, now: dt.datetime | None = None) -> None:
    if sess.state != "met":
        raise StaleAction(f"Session {sess.sequence} is marked as {sess.state}, so there's no feedback to give.")
    if now is not None and sess.answered_at is not None and now - sess.answered_at > FEEDBACK_OPEN_FOR:
        raise StaleAction(f"Session {sess.sequence} was more than a week ago, so its feedback form has closed. "
                          f"You'll get a new one after your next session.")


async def feedback_due(session: AsyncSession, member_id: int, now: dt.datetime) -> list[tuple[int, int]]:
    """(session id, sequence) of the member's sessions marked as held in the last week that
    they have not given feedback on yet: App Home offers each."""
    answered = select(Feedback.session_id).where(Feedback.member_id == member_id)
    rows = await session.execute(
        select(Session.id, Session.sequence)
        .join(PairingMember, PairingMember.pairing_id == Session.pairing_id)
        .where(PairingMember.member_id == member_id, Session.state == "met",
               Session.answered_at >= now - FEEDBACK_OPEN_FOR, Session.id.not_in(answered))
        .order_by(Session.answered_at)
    )
    return [(sid, seq) for sid, seq in rows.all()]


async def save_feedback(
    session: AsyncSession, seat: Seat, sess: Session, submission: FeedbackSubmission, now: dt.datetime,
) -> list[str]:
    """Store (or update) the member's feedback and goal progress; returns outbox keys
    (goal celebrations) to send now. An empty private note keeps an earlier one."""
    check_feedback_session(sess, now)
    feedback = await session.scalar(
        select(Feedback).where(Feedback.session_id == sess.id, Feedback.member_id == seat.member.id)
    )
    if feedback is None:
        feedback = Feedback(session_id=sess.id, member_id=seat.member.id, created_at=now)
        session.add(feedback)
    feedback.rating = submission.rating
    author = seat.member.id
    feedback.takeaway, feedback.experiment, note = await crypto.seal_all(
        session, author, [submission.takeaway, submission.experiment, submission.private_note or None])
    if submission.private_note:
        feedback.private_note = note
    keys: list[str] = []
    if submission.goal_progress:
        goals = await session.scalars(select(Goal).where(
            Goal.id.in_(submission.goal_progress), Goal.member_id == seat.member.id,
            Goal.pairing_id == seat.pairing.id,
        ))
        for goal in goals:
            keys += await set_progress(session, seat.pairing, goal, seat.member.slack_user_id,
                                       submission.goal_progress[goal.id], now)
    await session.flush()
    return keys


@dataclass(frozen=True)
class RetroSubmission:
    learned: str
    again: bool


def parse_retro(values: dict[str, Any]) -> tuple[RetroSubmission | None, dict[str, str]]:
    errors: dict[str, str] = {}
    learned = modal_state.text(values, ids.RETRO_LEARNED, 1000)
    if not learned:
        errors[ids.RETRO_LEARNED[0]] = "Write one thing you learned."
    again = modal_state.selected(values, ids.RETRO_AGAIN)
    if again not in ("yes", "no"):
        errors[ids.RETRO_AGAIN[0]] = "Choose yes or no."
    if errors:
        return None, errors
    return RetroSubmission(learned, again == "yes"), {}


async def save_retro(session: AsyncSession, seat: Seat, submission: RetroSubmission) -> None:
    """Private to its author (sealed under their key): what they learned, and whether they'd pair again."""
    pm = next(pm for pm in seat.pairing.members if pm.member_id == seat.member.id)
    pm.retro_learned = await crypto.seal(session, seat.member.id, submission.learned)
    pm.retro_again = submission.again
