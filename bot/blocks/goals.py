"""The goals modal (one to three SMART goals and the pair's shared intent) and
the messages that show goals to the pair."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.common import Block, context, divider, header, message, modal, plain, section, user_text

GOAL_LABELS = {
    "what": ("What exactly do you want to achieve?", "Specific: e.g. Run one design review on my own"),
    "measure": ("How will you know you got there?", "Measurable: e.g. My lead signs off the review notes"),
    "by": ("By when?", None),
    "why": ("Why does it matter to you?", "Relevant: how it helps you or your team"),
}
MAX_LENGTHS = {"what": 300, "measure": 300, "why": 300}
PROGRESS_EMOJI = {"not_started": ":white_circle:", "in_progress": ":large_blue_circle:", "done": ":white_check_mark:"}


@dataclass(frozen=True)
class GoalView:
    """A goal as plain values (what the pair may see)."""

    id: int | None
    what: str
    measure: str | None
    by_date: dt.date | None
    why: str | None
    progress: str = "not_started"


def block_id(n: int, field: str) -> str:
    return f"goal{n}_{field}"


def _goal_inputs(n: int, goal: GoalView | None) -> list[Block]:
    blocks: list[Block] = [header(f"Goal {n}" + ("" if n == 1 else " (optional)"))]
    for field in ids.GOAL_FIELDS:
        label, placeholder = GOAL_LABELS[field]
        optional = not (n == 1 and field == "what")
        if field == "by":
            element: Block = {"type": "datepicker", "action_id": ids.GOAL_INPUT,
                              "placeholder": plain("Pick a date")}
            if goal is not None and goal.by_date is not None:
                element["initial_date"] = goal.by_date.isoformat()
        else:
            element = {"type": "plain_text_input", "action_id": ids.GOAL_INPUT, "max_length": MAX_LENGTHS[field],
                       "multiline": False}
            if placeholder:
                element["placeholder"] = plain(placeholder, 150)
            initial = getattr(goal, field if field != "measure" else "measure", None) if goal else None
            if initial:
                element["initial_value"] = initial[: MAX_LENGTHS[field]]
        blocks.append({"type": "input", "block_id": block_id(n, field), "label": plain(label),
                       "element": element, "optional": optional})
    return blocks


def goals_modal(*, pairing_id: int, goals: list[GoalView], shared_intent: str | None) -> dict[str, Any]:
    """Up to three goals (what / how you'll know / by when / why) and the pair's shared intent."""
    blocks: list[Block] = [
        context("Goals are visible to your partner, not to program admins. Set one to three."),
    ]
    for n in range(1, ids.GOAL_COUNT + 1):
        blocks += _goal_inputs(n, goals[n - 1] if len(goals) >= n else None)
    intent: Block = {"type": "plain_text_input", "action_id": ids.SHARED_INTENT[1], "multiline": True,
                     "max_length": 1000,
                     "placeholder": plain("e.g. An honest outside view and one concrete experiment a month")}
    if shared_intent:
        intent["initial_value"] = shared_intent[:1000]
    blocks += [divider(), {"type": "input", "block_id": ids.SHARED_INTENT[0], "optional": True,
                           "label": plain("What do you want from this pairing together?"), "element": intent}]
    return modal("Your goals", blocks, callback_id=ids.GOALS_VIEW, submit="Save",
                 private_metadata=str(pairing_id))


def goal_line(goal: GoalView) -> str:
    line = f"{PROGRESS_EMOJI.get(goal.progress, '')} *{user_text(goal.what, 300)}*"
    details = []
    if goal.measure:
        details.append(f"you'll know when: {user_text(goal.measure, 300)}")
    if goal.by_date:
        details.append(f"by {goal.by_date.strftime('%d %b %Y')}")
    if goal.why:
        details.append(f"why: {user_text(goal.why, 300)}")
    return line + (f"\n      {' · '.join(details)}" if details else "")


def goals_posted(*, user_id: str, goals: list[GoalView], shared_intent: str | None) -> dict[str, Any]:
    """In the pair's conversation: someone set or changed their goals."""
    blocks = [section(f":dart: <@{user_id}> set their goals for this pairing:"),
              section("\n".join(goal_line(g) for g in goals) or "_no goals_")]
    if shared_intent:
        blocks.append(section(f"*What we want from this pairing:* {user_text(shared_intent, 1000)}"))
    return message(f"<@{user_id}> set their goals", blocks)


def goal_done(*, user_id: str, what: str) -> dict[str, Any]:
    text = f":tada: <@{user_id}> reached a goal: *{user_text(what, 300)}*. Well done!"
    return message(text, [section(text)])


def goals_lines(goals: list[GoalView]) -> str:
    """For App Home and `/tandem status`."""
    return "\n".join(goal_line(g) for g in goals)
