"""The opt-in announcement posted in a channel, and the invitation sent on joining it."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.common import actions, button, context, header, message, section

ANNOUNCEMENT = (
    "*Peer mentoring is here.* Tandem pairs you with a colleague at a similar stage from another "
    "part of the organisation, so each of you teaches the other something. You take turns: one "
    "brings a real dilemma to a short session while the other mentors, then you swap."
)


def announcement_message(program_id: int | None = None) -> dict[str, Any]:
    """The Join button carries its program ("announcement": the channel's program)."""
    value = str(program_id) if program_id is not None else "announcement"
    return message("Peer mentoring with Tandem: join to be paired with a peer.", [
        header("Tandem: peer mentoring"),
        section(ANNOUNCEMENT),
        actions(button("Join", ids.JOIN, value, style="primary"), block_id="announce_join"),
        context("Tell us what you can offer and what you want to learn; you can pause or leave any time."),
    ])


def invitation_message(channel_id: str, program_id: int | None = None) -> dict[str, Any]:
    text = (
        f":wave: Welcome to <#{channel_id}>! Tandem runs peer mentoring here: you're paired with a "
        "colleague from another team and you teach each other. Interested?"
    )
    return message("You're invited to join Tandem peer mentoring.", [
        section(text),
        actions(button("Join", ids.JOIN, str(program_id) if program_id is not None else "invitation",
                       style="primary"), block_id="invite_join"),
    ])


def announce_result_text(channel_id: str, error: str | None, *, created: bool = False) -> str:
    """What the admin is told after `/tandem admin announce`."""
    if error is None:
        new = (f" <#{channel_id}> now has its own program, named after the channel; rename it and set its "
               "rhythm with `/tandem admin` typed there.") if created else ""
        return (f":mega: Posted the announcement in <#{channel_id}>. Newcomers to the channel get an "
                f"invitation.{new}")
    if error in ("channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"):
        return (f"I can't post in <#{channel_id}>: it's private (or I can't see it). "
                "Invite me first with `/invite @Tandem` in that channel, then try again.")
    if error == "is_archived":
        return f"<#{channel_id}> is archived, so I can't post there."
    return f"Slack would not let me post in <#{channel_id}> (`{error}`). Please try again."
