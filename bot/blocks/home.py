"""The App Home tab: a pure builder over `bot.home.HomeData`.

The view is a stack of SEPARATE sections, each a function `(HomeData) -> list[Block]`
that returns [] when it has nothing to show. To add a section (goals, history,
admin figures…), write a function here and list it in `SECTIONS` — one line —
or fill an existing hook:

- `profile_section`  — what the person offers / wants, experience, team, format.
- `status_section`   — opted in, paused until …, or not joined (with Join).
- `partner_section`  — current partner, next session and whose turn it is.
  HOOK for the sessions helper: enrich it from `HomeData.pairing`.
- `admin_section`    — admins only: program figures, settings and admin buttons
  (`HomeData.admin`, rendered by `bot.blocks.admin.admin_home_blocks`).

`status_blocks` (the `/tandem status` answer) reuses status + partner sections,
so enriching them enriches both surfaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot import ids
from bot.blocks.common import (
    Block, actions, button, context, divider, header, home, message, section, user_text,
)
from bot.blocks.admin import admin_home_blocks
from bot.blocks.journey import goals_section, goals_text, history_section, next_steps_section
from bot.profiles import EXPERIENCE_LEVELS, FORMAT_LABELS

if TYPE_CHECKING:
    from bot.home import HomeData

PEER_MENTORING_PITCH = (
    "Peer mentoring pairs you with a colleague at a similar stage from another part of the "
    "organisation. Each of you teaches the other something: you take turns bringing a real "
    "dilemma to a short session while the other mentors. Say what you can offer and what you "
    "want to learn, and Tandem finds your partner."
)


def when(moment: dt.datetime | None) -> str:
    """A date Slack renders in the reader's own time zone."""
    if moment is None:
        return "not scheduled yet"
    ts = int(moment.timestamp())
    fallback = moment.strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>"


def skill_list(names: list[str]) -> str:
    return ", ".join(user_text(n, 80) for n in names) if names else "_none yet_"


# --- sections ------------------------------------------------------------------------------------

def intro_section(data: HomeData) -> list[Block]:
    """Header; for someone who has not joined, what peer mentoring is and a Join button."""
    blocks: list[Block] = [header("Tandem: peer mentoring")]
    if not data.joined:
        blocks += [
            section(PEER_MENTORING_PITCH),
            actions(button("Join", ids.JOIN, "home", style="primary"), block_id="home_join"),
        ]
    return blocks


def status_section(data: HomeData) -> list[Block]:
    """Opted in, paused until …, or not joined."""
    if data.status == "active":
        text = ":white_check_mark: You are *opted in*. Next round: " + when(data.next_round_at)
    elif data.status == "paused":
        text = f":double_vertical_bar: You are *paused* until {when(data.paused_until)}."
    else:
        text = ":wave: You have *not joined* the program yet."
    if data.priority and data.status == "active":
        text += "\nYou'll be paired first in the next round."
    return [section(text, block_id="home_status")]


def partner_section(data: HomeData) -> list[Block]:
    """Current partner(s), next session and whose turn it is to be mentee.

    HOOK: the sessions helper enriches this (dilemma status, check-ins…).
    """
    if not data.joined:
        return []
    pairing = data.pairing
    if pairing is None:
        return [section("*Partner*\nNo partner right now: you'll be matched in the next round.",
                        block_id="home_partner")]
    partners = ", ".join(f"<@{u}>" for u in pairing.partner_user_ids) or "_a former member_"
    lines = [f"*Partner*\n{partners}"]
    if pairing.next_session_due is not None:
        lines.append(f"*Next session* ({pairing.next_session_sequence} of {pairing.sessions_planned}): "
                     f"{when(pairing.next_session_due)}")
        lines.append(f"*Mentee this time:* {_turn_text(data)}")
    else:
        lines.append("*Next session:* none planned")
    return [section("\n".join(lines), block_id="home_partner")]


def _turn_text(data: HomeData) -> str:
    pairing = data.pairing
    assert pairing is not None
    if pairing.format == "brainstorm":
        return "nobody — you brainstorm together"
    if pairing.next_session_sequence == 1:
        return "nobody — the kick-off is for goals and how you'll work together"
    if pairing.next_mentee_user_id == data.user_id:
        return "*you* — bring a dilemma"
    if pairing.next_mentee_user_id:
        return f"<@{pairing.next_mentee_user_id}> — you mentor"
    return "to be decided"


def profile_section(data: HomeData) -> list[Block]:
    """What the person offers and wants, experience, team and preferred format."""
    profile = data.profile
    if profile is None or not data.joined:
        return []
    experience = EXPERIENCE_LEVELS[profile.experience] if profile.experience is not None else "not given"
    lines = [
        f"*You offer:* {skill_list(profile.offers)}",
        f"*You want to learn:* {skill_list(profile.wants)}",
        f"*Experience:* {experience}",
        f"*Department or team:* {user_text(profile.department, 100) or '_not given_'}",
        f"*Preferred format:* {FORMAT_LABELS.get(profile.session_format, profile.session_format)}",
    ]
    if profile.career_goals:
        lines.append(f"*Career goals:* {user_text(profile.career_goals, 500)}")
    return [divider(), section("\n".join(lines), block_id="home_profile")]


LEAVE_CONFIRM_DIALOG: Block = {
    "title": {"type": "plain_text", "text": "Leave Tandem?"},
    "text": {"type": "mrkdwn", "text": "You won't be paired again until you rejoin. A current partner "
             "is told kindly and paired first next round."},
    "confirm": {"type": "plain_text", "text": "Leave"},
    "deny": {"type": "plain_text", "text": "Stay"},
    "style": "danger",
}


def buttons_section(data: HomeData) -> list[Block]:
    """Edit profile, Pause / Resume, Leave — or Join for someone not in the program."""
    if not data.joined:
        return []
    elements = [button("Edit profile", ids.EDIT_PROFILE, "home")]
    if data.status == "paused":
        elements.append(button("Resume", ids.RESUME, "home", style="primary"))
    else:
        elements.append(button("Pause 4 weeks", ids.PAUSE, "4"))
    elements.append(button("Leave", ids.LEAVE_CONFIRM, "home", style="danger", confirm=LEAVE_CONFIRM_DIALOG))
    return [actions(*elements, block_id="home_buttons")]


def admin_section(data: HomeData) -> list[Block]:
    """Program figures, settings and admin buttons: admins only (see bot.blocks.admin)."""
    if not data.is_admin or data.admin is None:
        return []
    return admin_home_blocks(data.admin, data.now)


# The home tab, top to bottom. Add a section by adding its function here.
SECTIONS: list[Callable[[HomeData], list[Block]]] = [
    intro_section,
    status_section,
    partner_section,
    next_steps_section,
    goals_section,
    profile_section,
    history_section,
    buttons_section,
    admin_section,
]


def home_view(data: HomeData) -> dict[str, Any]:
    blocks: list[Block] = []
    for build in SECTIONS:
        blocks += build(data)
    blocks.append(context("Type `/tandem help` for every command."))
    return home(blocks)


def status_blocks(data: HomeData) -> dict[str, Any]:
    """The ephemeral `/tandem status` answer: the home's status and partner sections."""
    blocks = status_section(data) + partner_section(data) + goals_text(data)
    if not data.joined:
        blocks.append(actions(button("Join", ids.JOIN, "status", style="primary")))
    fallback = "Your Tandem status"
    return message(fallback, blocks)
