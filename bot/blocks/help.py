"""The `/tandem help` answer."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import context, divider, escape, header, message, section
from bot.commands import PAUSE_DEFAULT_WEEKS, PAUSE_MAX_WEEKS

MEMBER_HELP = (
    ("`/tandem join`", "join the program and tell us what you can teach and want to learn"),
    ("`/tandem profile`", "edit your skills, experience, team and preferences"),
    ("`/tandem status`", "your partner, next session and whose turn it is to be mentee"),
    ("`/tandem goals`", "set or update your goals for this pairing"),
    ("`/tandem ask <text>`", "send a quick question to your current partner"),
    ("`/tandem experts <skill>`", "more experienced colleagues who offer a skill"),
    (
        "`/tandem pause [weeks]`",
        f"skip rounds for a while (default {PAUSE_DEFAULT_WEEKS} weeks, at most {PAUSE_MAX_WEEKS})",
    ),
    ("`/tandem resume`", "come back after a pause"),
    ("`/tandem leave`", "leave the program (your partner is told kindly and re-paired)"),
    ("`/tandem forget-me`", "delete your personal data from Tandem"),
)
ADMIN_HELP = (
    ("`/tandem admin`", "program settings"),
    ("`/tandem admin announce #channel`", "post the opt-in announcement in a channel"),
    ("`/tandem admin match`", "start a matching round now"),
    ("`/tandem admin match preview`", "see the pairs the next round would make (nothing is sent)"),
    ("`/tandem admin stats`", "program figures and a chart"),
    ("`/tandem admin export`", "a CSV of pairings and sessions"),
)


def help_message(problem: str | None = None, *, show_admin: bool = True) -> dict[str, Any]:
    """The help listing; `problem` (what went wrong with the text) comes first."""
    blocks = []
    if problem:
        blocks.append(section(f":thinking_face: {escape(problem)}"))
    blocks += [
        header("Tandem: peer mentoring"),
        section(
            "Tandem pairs you with a peer at a similar stage from another part of the "
            "organisation, so each of you can teach the other something."
        ),
        section("\n".join(f"{cmd} — {what}" for cmd, what in MEMBER_HELP)),
    ]
    if show_admin:
        blocks += [divider(), context("*For program admins*"),
                   section("\n".join(f"{cmd} — {what}" for cmd, what in ADMIN_HELP))]
    fallback = (problem + " " if problem else "") + "Tandem commands: /tandem join, profile, status, goals, ask, experts, pause, resume, leave, forget-me."
    return message(fallback, blocks)
