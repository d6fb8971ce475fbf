"""SMART goals: set from the goals modal, revisited at check-ins, celebrated when done.

Goals belong to one member in one pairing and are visible to that pair only
(posted in the pair's conversation, shown in their own App Home): never in
admin output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import ids, outbox
from bot.blocks.goals import GoalView, block_id, goal_done, goals_posted
from bot.models import Goal, Pairing
from bot.sessions import pair_destination, workspace_id_of

MAX_SHARED_INTENT = 1000
FAR_FUTURE_YEARS = 5


@dataclass(frozen=True)
class GoalsSubmission:
    goals: list[GoalView]
    shared_intent: str | None


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(action) or {}


def parse_goals(values: dict[str, Any], today: dt.date) -> tuple[GoalsSubmission | None, dict[str, str]]:
    """The goals modal's state as plain values, or field errors (block_id → message)."""
    errors: dict[str, str] = {}
    goals: list[GoalView] = []
    for n in range(1, ids.GOAL_COUNT + 1):
        texts = {f: (_value(values, block_id(n, f), ids.GOAL_INPUT).get("value") or "").strip()
                 for f in ("what", "measure", "why")}
        raw_date = _value(values, block_id(n, "by"), ids.GOAL_INPUT).get("selected_date")
        by_date = None
        if raw_date:
            try:
                by_date = dt.date.fromisoformat(raw_date)
            except ValueError:
                errors[block_id(n, "by")] = "Pick a date from the calendar."
                continue
            if by_date < today:
                errors[block_id(n, "by")] = "Pick a date from today on."
            elif by_date.year > today.year + FAR_FUTURE_YEARS:
                errors[block_id(n, "by")] = "Pick a date within the next few years."
        if not texts["what"]:
            if texts["measure"] or texts["why"] or by_date:
                errors[block_id(n, "what")] = "Say what the goal is, or clear this goal's other fields."
            elif n == 1:
                errors[block_id(n, "what")] = "Write at least one goal."
            continue
        goals.append(GoalView(None, texts["what"][:300], texts["measure"][:300] or None, by_date,
                              texts["why"][:300] or None))
    intent = (_value(values, ids.SHARED_INTENT[0], ids.SHARED_INTENT[1]).get("value") or "").strip()
    if errors:
        return None, errors
    return GoalsSubmission(goals, intent[:MAX_SHARED_INTENT] or None), {}


async def goals_of(session: AsyncSession, pairing_id: int, member_id: int) -> list[Goal]:
    return list(await session.scalars(
        select(Goal).where(Goal.pairing_id == pairing_id, Goal.member_id == member_id).order_by(Goal.id)
    ))


def view_of(goal: Goal) -> GoalView:
    return GoalView(goal.id, goal.what, goal.measure, goal.by_date, goal.why, goal.progress)


async def save_goals(
    session: AsyncSession, pairing: Pairing, member_id: int, user_id: str, submission: GoalsSubmission,
    now: dt.datetime,
) -> list[str]:
    """Store the member's goals (kept in order: progress survives an edit of the same slot),
    the pair's shared intent, and post them to the pair. Returns outbox keys to send now."""
    existing = await goals_of(session, pairing.id, member_id)
    stored: list[Goal] = []
    for i, new in enumerate(submission.goals):
        goal = existing[i] if i < len(existing) else Goal(pairing_id=pairing.id, member_id=member_id,
                                                          created_at=now)
        if goal.what != new.what:
            goal.progress, goal.done_at = "not_started", None
        goal.what, goal.measure, goal.by_date, goal.why = new.what, new.measure, new.by_date, new.why
        session.add(goal)
        stored.append(goal)
    for extra in existing[len(submission.goals):]:
        await session.delete(extra)
    if submission.shared_intent is not None:
        pairing.shared_intent = submission.shared_intent
    await session.flush()
    views = [view_of(g) for g in stored]
    digest = hashlib.sha1(repr((views, pairing.shared_intent)).encode()).hexdigest()[:12]
    key = f"goals:{pairing.id}:{member_id}:{digest}"
    await outbox.enqueue(session, workspace_id=await workspace_id_of(session, pairing), key=key, now=now,
                         payload=goals_posted(user_id=user_id, goals=views, shared_intent=pairing.shared_intent),
                         pairing_id=pairing.id, **pair_destination(pairing))
    return [key]


async def set_progress(
    session: AsyncSession, pairing: Pairing, goal: Goal, user_id: str, progress: str, now: dt.datetime
) -> list[str]:
    """Mark a goal's progress; reaching "done" is celebrated in the pair's conversation (once)."""
    if progress == goal.progress:
        return []
    goal.progress = progress
    goal.done_at = now if progress == "done" else None
    if progress != "done":
        return []
    key = f"goal-done:{goal.id}"
    await outbox.enqueue(session, workspace_id=await workspace_id_of(session, pairing), key=key, now=now,
                         payload=goal_done(user_id=user_id, what=goal.what), pairing_id=pairing.id,
                         **pair_destination(pairing))
    return [key]
