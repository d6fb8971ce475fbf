"""Messages about a person's membership: pause, resume, leave, forget-me, partners leaving."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import ids
from bot.blocks.common import actions, button, message, section
from bot.blocks.common import when


def pairing_ended_message(next_round_at: dt.datetime | None) -> dict[str, Any]:
    """To the partner left behind: kind, and without naming why the other person went."""
    nxt = f" The next round is {when(next_round_at)}." if next_round_at else ""
    text = (
        ":seedling: Your partner can no longer take part in Tandem, so your pairing ends here. "
        "Thank you for the time you gave each other. You'll be *first in line* for a new "
        f"partner in the next round.{nxt}"
    )
    return message("Your Tandem pairing has ended; you'll be paired first next round.", [section(text)])


def trio_continues_message(user_ids: list[str]) -> dict[str, Any]:
    """Posted in the pair's new conversation (the trio's old one is no longer used)."""
    pair = " and ".join(f"<@{u}>" for u in user_ids) or "you"
    if len(user_ids) >= 3:  # a circle that lost a member goes on as a smaller circle
        text = (f":seedling: One member of your circle can no longer take part, so {pair} carry on as a circle, "
                "here in this new conversation: Tandem posts nothing more in the old one. "
                "The facilitator turns of your coming sessions have been shared out between you.")
        return message("Your Tandem circle continues.", [section(text)])
    text = (
        f":seedling: One member of your trio can no longer take part, so {pair} carry on as a pair, "
        "here in this new conversation: Tandem posts nothing more in the old one. "
        "The mentee turns of your coming sessions have been shared out between you."
    )
    return message("Your Tandem trio continues as a pair.", [section(text)])


def leave_confirm_message(program_id: int | None = None) -> dict[str, Any]:
    text = (
        "Leave Tandem? You won't be paired again until you join again. "
        "If you have a partner now, they'll be told kindly and paired first next round."
    )
    return message(text, [
        section(text),
        actions(button("Leave Tandem", ids.LEAVE_CONFIRM, str(program_id) if program_id else "leave", style="danger"),
                button("Cancel", ids.CANCEL, "leave")),
    ])


def forget_confirm_message() -> dict[str, Any]:
    text = (
        "Delete your personal data from Tandem? Your profile, skills, goals, notes, feedback texts, "
        "dilemmas you wrote and your name are deleted, and you leave the program. The program keeps "
        "only anonymous counts (how many pairings and sessions took place, ratings as numbers). "
        "This cannot be undone."
    )
    return message(text, [
        section(text),
        actions(button("Delete my data", ids.FORGET_CONFIRM, "forget", style="danger"),
                button("Cancel", ids.CANCEL, "forget")),
    ])


def answer(text: str) -> dict[str, Any]:
    """A short ephemeral answer (mrkdwn, already escaped by the caller)."""
    return message(text, [section(text)])


def paused_text(until: dt.datetime | None, *, ended_pairing: bool = False) -> str:
    ended = " Your current pairing ends here; your partner will be paired again first." if ended_pairing else ""
    return (f":double_vertical_bar: Paused until {when(until)}. You won't be included in rounds until then; "
            f"`/tandem resume` brings you back sooner.{ended}")


RESUMED_TEXT = ":arrow_forward: Welcome back! You'll be included in the next round."
NOT_PAUSED_TEXT = "You aren't paused, so there is nothing to resume. :slightly_smiling_face:"
NOT_MEMBER_TEXT = "You haven't joined Tandem yet. `/tandem join` tells us what you can teach and want to learn."
LEFT_TEXT = (":wave: You've left Tandem. Thank you for taking part! `/tandem join` brings you back any time.")
NOT_LEFT_TEXT = "You're not in the program, so there is nothing to leave."
FORGOTTEN_TEXT = (":wastebasket: Done: your personal data has been deleted from Tandem. "
                  "Only anonymous counts remain in the program's figures.")
NOTHING_TO_FORGET_TEXT = "Tandem holds no personal data about you. Nothing to delete."
CANCELLED_TEXT = "OK, nothing changed."


def change_text(what: str, outcome: str, *, paused_until: dt.datetime | None = None,
                ended_pairing: bool = False) -> str:
    """The answer to a person's own pause, resume, leave or forget-me (`bot.members.Change`)."""
    if what == "pause":
        return paused_text(paused_until, ended_pairing=ended_pairing) if outcome == "done" else NOT_MEMBER_TEXT
    if what == "resume":
        return {"done": RESUMED_TEXT, "not-paused": NOT_PAUSED_TEXT}.get(outcome, NOT_MEMBER_TEXT)
    if what == "leave":
        return LEFT_TEXT if outcome == "done" else NOT_LEFT_TEXT
    return FORGOTTEN_TEXT if outcome == "done" else NOTHING_TO_FORGET_TEXT
