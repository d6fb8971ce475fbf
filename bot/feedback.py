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

from bot import ids
from bot.goals import set_progress
from bot.models import GOAL_PROGRESS, Feedback, Goal, Session
from bot.sessions import Seat, StaleAction


@dataclass(frozen=True)
class FeedbackSubmission:
    rating: int
    takeaway: str
    experiment: str | None
    private_note: str | None
    goal_progress: dict[int, str]


def _state(values: dict[str, Any], pair: tuple[str, str]) -> dict[str, Any]:
    return (values.get(pair[0]) or {}).get(pair[1]) or {}


def _text(values: dict[str, Any], pair: tuple[str, str], limit: int) -> str:
    return (_state(values, pair).get("value") or "").strip()[:limit]


def parse_feedback(values: dict[str, Any]) -> tuple[FeedbackSubmission | None, dict[str, str]]:
    """The feedback modal's state as plain values, or field errors."""
    errors: dict[str, str] = {}
    raw = (_state(values, ids.FEEDBACK_RATING).get("selected_option") or {}).get("value")
    rating = int(raw) if raw in {"1", "2", "3", "4", "5"} else None
    if rating is None:
        errors[ids.FEEDBACK_RATING[0]] = "Pick a rating from 1 to 5."
    takeaway = _text(values, ids.FEEDBACK_TAKEAWAY, 1000)
    if not takeaway:
        errors[ids.FEEDBACK_TAKEAWAY[0]] = "Write one thing you'll take away."
    progress: dict[int, str] = {}
    for block, actions in values.items():
        suffix = block.removeprefix(ids.FEEDBACK_GOAL_PREFIX)
        if block.startswith(ids.FEEDBACK_GOAL_PREFIX) and suffix.isdecimal():
            chosen = ((actions.get(ids.FEEDBACK_GOAL_SELECT) or {}).get("selected_option") or {}).get("value")
            if chosen in GOAL_PROGRESS:
                progress[int(suffix)] = chosen
    if errors or rating is None:
        return None, errors
    return FeedbackSubmission(
        rating=rating, takeaway=takeaway, experiment=_text(values, ids.FEEDBACK_EXPERIMENT, 1000) or None,
        private_note=_text(values, ids.FEEDBACK_PRIVATE_NOTE, 5000) or None, goal_progress=progress,
    ), {}


def check_feedback_session(sess: Session) -> None:
    if sess.state != "met":
        raise StaleAction(f"Session {sess.sequence} is marked as {sess.state}, so there's no feedback to give.")


async def save_feedback(
    session: AsyncSession, seat: Seat, sess: Session, submission: FeedbackSubmission, now: dt.datetime,
) -> list[str]:
    """Store (or update) the member's feedback and goal progress; returns outbox keys
    (goal celebrations) to send now. An empty private note keeps an earlier one."""
    check_feedback_session(sess)
    feedback = await session.scalar(
        select(Feedback).where(Feedback.session_id == sess.id, Feedback.member_id == seat.member.id)
    )
    if feedback is None:
        feedback = Feedback(session_id=sess.id, member_id=seat.member.id, created_at=now)
        session.add(feedback)
    feedback.rating = submission.rating
    feedback.takeaway = submission.takeaway
    feedback.experiment = submission.experiment
    if submission.private_note:
        feedback.private_note = submission.private_note
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
    learned = _text(values, ids.RETRO_LEARNED, 1000)
    if not learned:
        errors[ids.RETRO_LEARNED[0]] = "Write one thing you learned."
    again = (_state(values, ids.RETRO_AGAIN).get("selected_option") or {}).get("value")
    if again not in ("yes", "no"):
        errors[ids.RETRO_AGAIN[0]] = "Choose yes or no."
    if errors:
        return None, errors
    return RetroSubmission(learned, again == "yes"), {}


def save_retro(seat: Seat, submission: RetroSubmission) -> None:
    """Private to its author: what they learned, and whether they'd pair again."""
    pm = next(pm for pm in seat.pairing.members if pm.member_id == seat.member.id)
    pm.retro_learned = submission.learned
    pm.retro_again = submission.again
