"""SMART goals: set from the goals modal, revisited at check-ins, celebrated when done.

Goals belong to one member in one pairing and are visible to that pair only
(posted in the pair's conversation, shown in their own App Home): never in
admin output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot import crypto, ids, modal_state, outbox
from bot.blocks.goals import GoalView, block_id, goal_done, goals_posted
from bot.members import find_member
from bot.models import Goal, Pairing
from bot.pairings import active_pairing_of
from bot.sessions import Seat, StaleAction, pair_destination, seat_of, workspace_id_of
from bot.workspaces import workspace_of

MAX_SHARED_INTENT = 1000
FAR_FUTURE_YEARS = 5


@dataclass(frozen=True)
class GoalsSubmission:
    goals: list[GoalView]
    shared_intent: str | None


def parse_goals(values: dict[str, Any], today: dt.date) -> tuple[GoalsSubmission | None, dict[str, str]]:
    """The goals modal's state as plain values, or field errors (block_id → message)."""
    errors: dict[str, str] = {}
    goals: list[GoalView] = []
    for n in range(1, ids.GOAL_COUNT + 1):
        texts = {f: modal_state.text(values, (block_id(n, f), ids.GOAL_INPUT)) for f in ("what", "measure", "why")}
        raw_date = modal_state.date(values, (block_id(n, "by"), ids.GOAL_INPUT))
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
    intent = modal_state.text(values, ids.SHARED_INTENT)
    if errors:
        return None, errors
    return GoalsSubmission(goals, intent[:MAX_SHARED_INTENT] or None), {}


async def goals_of(session: AsyncSession, pairing_id: int, member_id: int) -> list[Goal]:
    """The member's goals, their texts decrypted in memory (the rows stay sealed)."""
    rows = list(await session.scalars(
        select(Goal).where(Goal.pairing_id == pairing_id, Goal.member_id == member_id).order_by(Goal.id)
    ))
    fields = ("what", "measure", "why")
    texts = await crypto.unseal_all(session, member_id, [getattr(g, name) for g in rows for name in fields])
    for i, goal in enumerate(rows):
        for j, name in enumerate(fields):
            set_committed_value(goal, name, texts[i * len(fields) + j])
    return rows


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
        what, goal.measure, goal.why = await crypto.seal_all(session, member_id, [new.what, new.measure, new.why])
        goal.what = what or ""
        goal.by_date = new.by_date
        session.add(goal)
        stored.append(goal)
    for extra in existing[len(submission.goals):]:
        await session.delete(extra)
    if submission.shared_intent is not None:
        pairing.shared_intent = submission.shared_intent
    await session.flush()
    views = [replace(new, id=g.id, progress=g.progress) for g, new in zip(stored, submission.goals, strict=True)]
    digest = hashlib.sha1(repr((views, pairing.shared_intent)).encode()).hexdigest()[:12]
    key = f"goals:{pairing.id}:{member_id}:{digest}"
    await outbox.enqueue(session, workspace_id=await workspace_id_of(session, pairing), key=key, now=now,
                         payload=goals_posted(user_id=user_id, goals=views, shared_intent=pairing.shared_intent),
                         pairing_id=pairing.id, **pair_destination(pairing))
    return [key]


async def current_seat(session: AsyncSession, *, team_id: str, user_id: str) -> Seat | None:
    """The person's seat in their current pairing (for `/tandem goals`), or None. Reads only."""
    workspace = await workspace_of(session, team_id)
    member = await find_member(session, workspace.id, user_id) if workspace else None
    pairing = await active_pairing_of(session, member.id) if member is not None else None
    if pairing is None:
        return None
    return await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing.id)


PROGRESS_STATES = ("not_started", "in_progress", "done")


async def answer_progress(
    session: AsyncSession, *, team_id: str, user_id: str, choice: str, now: dt.datetime
) -> list[str]:
    """The App Home goal-progress select (value "goal id:progress"): only the goal's owner,
    in a pairing they still sit in, moves it; StaleAction otherwise."""
    goal_id, _, progress = choice.partition(":")
    if not goal_id.isdecimal() or progress not in PROGRESS_STATES:
        raise StaleAction("That choice is out of date.")
    goal = await session.get(Goal, int(goal_id))
    if goal is None or goal.pairing_id is None:
        raise StaleAction("That goal no longer exists.")
    seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=goal.pairing_id, lock=True)
    if goal.member_id != seat.member.id:
        raise StaleAction("You can only update your own goals.")
    return await set_progress(session, seat.pairing, goal, user_id, progress, now)


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
                         payload=goal_done(user_id=user_id, what=await crypto.unseal(session, goal.member_id, goal.what) or ""),
                         pairing_id=pairing.id,
                         **pair_destination(pairing))
    return [key]
