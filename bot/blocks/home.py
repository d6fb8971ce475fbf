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

from collections.abc import Callable
from typing import Any

from bot import ids
from bot.blocks.common import (
    Block, actions, button, context, divider, header, home, message, section, skill_list, user_text, when,
)
from bot.blocks.admin import admin_home_blocks
from bot.blocks.journey import goals_section, goals_text, history_section, next_steps_section
from bot.blocks.programs import program_label
from bot.home_data import HomeData, PairingInfo
from bot.profiles import EXPERIENCE_LEVELS, FORMAT_LABELS

PEER_MENTORING_PITCH = (
    "Peer mentoring pairs you with a colleague at a similar stage from another part of the "
    "organisation. Each of you teaches the other something: you take turns bringing a real "
    "dilemma to a short session while the other mentors. Say what you can offer and what you "
    "want to learn, and Tandem finds your partner."
)


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
    """Opted in, paused until …, or not joined (with several programs: `programs_section`)."""
    if len(data.programs) > 1:
        return []
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
    if not data.joined or len(data.programs) > 1:
        return []
    pairing = data.pairing
    if pairing is None:
        return [section("*Partner*\nNo partner right now: you'll be matched in the next round.",
                        block_id="home_partner")]
    partners = ", ".join(f"<@{u}>" for u in pairing.partner_user_ids) or "_a former member_"
    lines = [f"*{'Your circle' if pairing.circle else 'Partner'}*\n{partners}"]
    if pairing.next_session_due is not None:
        lines.append(f"*Next session* ({pairing.next_session_sequence} of {pairing.sessions_planned}): "
                     f"{when(pairing.next_session_due)}")
        lines.append(f"*{_role(pairing)} this time:* {_turn_text(data)}")
    else:
        lines.append("*Next session:* none planned")
    return [section("\n".join(lines), block_id="home_partner")]


def programs_section(data: HomeData) -> list[Block]:
    """In several programs: each one's status, partner, next session and role, with its
    own Pause / Resume / Leave buttons (their values carry the program)."""
    if len(data.programs) < 2:
        return []
    blocks: list[Block] = [divider(), header("Your programs")]
    for line in data.programs:
        pid = line.program.id
        if line.status == "paused":
            lines = [f"{program_label(line.program)}: *paused* until {when(line.paused_until)}"]
        else:
            lines = [f"{program_label(line.program)}: *opted in*. Next round: {when(line.next_round_at)}"]
        pairing = line.pairing
        if pairing is None:
            lines.append("No partner right now.")
        else:
            partners = ", ".join(f"<@{u}>" for u in pairing.partner_user_ids) or "_a former member_"
            lines.append(f"*{'Your circle' if pairing.circle else 'Partner'}:* {partners}")
            if pairing.next_session_due is not None:
                lines.append(f"*Next session* ({pairing.next_session_sequence} of {pairing.sessions_planned}): "
                             f"{when(pairing.next_session_due)}")
                lines.append(f"*{_role(pairing)} this time:* {_turn_text(data, pairing)}")
        elements = [button("Resume", ids.RESUME, str(pid), style="primary") if line.status == "paused"
                    else button("Pause 4 weeks", ids.PAUSE, f"4:{pid}"),
                    button("Leave", ids.LEAVE_CONFIRM, str(pid), style="danger", confirm=LEAVE_CONFIRM_DIALOG)]
        blocks += [section("\n".join(lines), block_id=f"home_program_{pid}"),
                   actions(*elements, block_id=f"home_program_buttons_{pid}")]
    return blocks


def _role(pairing: PairingInfo) -> str:
    return "Facilitator" if pairing.circle else "Mentee"


def _turn_text(data: HomeData, pairing: PairingInfo | None = None) -> str:
    pairing = pairing or data.pairing
    assert pairing is not None
    if pairing.format == "brainstorm":
        return "nobody — you brainstorm together"
    if pairing.next_session_sequence == 1:
        return "nobody — the kick-off is for goals and how you'll work together"
    if pairing.next_mentee_user_id == data.user_id:
        return "*you* — bring the dilemma or topic" if pairing.circle else "*you* — bring a dilemma"
    if pairing.next_mentee_user_id:
        if pairing.circle:
            return f"<@{pairing.next_mentee_user_id}> — they bring the topic"
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
    if len(data.programs) > 1:  # pause and leave are per program, in `programs_section`
        elements.append(button("Join another program", ids.JOIN, "home"))
        return [actions(*elements, block_id="home_buttons")]
    if data.status == "paused":
        elements.append(button("Resume", ids.RESUME, "home", style="primary"))
    else:
        elements.append(button("Pause 4 weeks", ids.PAUSE, "4"))
    elements.append(button("Leave", ids.LEAVE_CONFIRM, "home", style="danger", confirm=LEAVE_CONFIRM_DIALOG))
    return [actions(*elements, block_id="home_buttons")]


def feedback_section(data: HomeData) -> list[Block]:
    """A "Give feedback" button for each session held in the last week that the person has
    not given feedback on (their DM has the same button)."""
    if not data.feedback_due:
        return []
    sid, seq = data.feedback_due[0]  # oldest first; one button, since an action id is unique in a view
    more = len(data.feedback_due) - 1
    text = f":speech_balloon: *How was session {seq}?* A rating and one takeaway, in a minute."
    if more:
        text += f" (Then {more} more — each DM has its own button.)"
    return [section(text), actions(button(f"Give feedback on session {seq}", ids.OPEN_FEEDBACK, str(sid),
                                          style="primary"), block_id="home_feedback")]


def admin_section(data: HomeData) -> list[Block]:
    """Program figures, settings and admin buttons: admins only (see bot.blocks.admin)."""
    if data.admin_programs:
        return [b for program, overview in data.admin_programs
                for b in admin_home_blocks(overview, data.now, program=program)]
    if not data.is_admin or data.admin is None:
        return []
    return admin_home_blocks(data.admin, data.now)


# The home tab, top to bottom. Add a section by adding its function here.
SECTIONS: list[Callable[[HomeData], list[Block]]] = [
    intro_section,
    status_section,
    partner_section,
    programs_section,
    feedback_section,
    next_steps_section,
    goals_section,
    profile_section,
    history_section,
    buttons_section,
    admin_section,
]


def _programs_text(data: HomeData) -> list[Block]:
    """`/tandem status` with several programs: the per-program lines, without buttons."""
    return [b for b in programs_section(data) if b.get("type") == "section"]


def home_view(data: HomeData) -> dict[str, Any]:
    blocks: list[Block] = []
    for build in SECTIONS:
        blocks += build(data)
    blocks.append(context("Type `/tandem help` for every command."))
    return home(blocks)


def status_blocks(data: HomeData) -> dict[str, Any]:
    """The ephemeral `/tandem status` answer: the home's status and partner sections."""
    blocks = status_section(data) + partner_section(data) + _programs_text(data) + goals_text(data)
    if not data.joined:
        blocks.append(actions(button("Join", ids.JOIN, "status", style="primary")))
    fallback = "Your Tandem status"
    return message(fallback, blocks)
