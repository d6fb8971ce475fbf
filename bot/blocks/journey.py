"""App Home and `/tandem status` sections about the current pairing's journey:
what to do next, the person's goals with progress, and past pairings."""

from __future__ import annotations

from bot import ids
from bot.blocks.common import Block, actions, button, divider, option, section, user_text
from bot.blocks.goals import goal_line
from bot.blocks.sessions import PROGRESS_LABELS, mentions
from bot.home_data import HomeData


def next_steps_section(data: HomeData) -> list[Block]:
    """Buttons for the current pairing: write the dilemma (your turn), goals, session time."""
    journey = data.journey
    if journey is None or journey.pairing_id is None:
        return []
    blocks: list[Block] = []
    if journey.pairing_paused:
        blocks.append(section(":hourglass: Your pairing is *paused* after three missed sessions. "
                              "Check your DMs from Tandem to continue, re-pair or stop."))
    elements = []
    if journey.dilemma_session_id is not None:
        elements.append(button("Write my dilemma", ids.OPEN_DILEMMA, str(journey.dilemma_session_id), style="primary"))
    elements += [button("Set goals", ids.OPEN_GOALS, str(journey.pairing_id)),
                 button("Pick a session time", ids.PICK_SESSION_TIME, str(journey.pairing_id))]
    blocks.append(actions(*elements, block_id="home_next_steps"))
    return blocks


def goals_section(data: HomeData) -> list[Block]:
    """The person's goals (with a progress picker in App Home) and the pair's shared intent."""
    journey = data.journey
    if journey is None or journey.pairing_id is None:
        return []
    blocks: list[Block] = [divider()]
    if not journey.goals:
        blocks.append(section("*Your goals*\nNone yet: set one to three goals with your partner at the kick-off."))
    else:
        blocks.append(section("*Your goals*"))
        for goal in journey.goals[:3]:
            picker = {
                "type": "static_select", "action_id": ids.GOAL_PROGRESS,
                "initial_option": option(PROGRESS_LABELS[goal.progress], f"{goal.id}:{goal.progress}"),
                "options": [option(label, f"{goal.id}:{key}") for key, label in PROGRESS_LABELS.items()],
            }
            blocks.append(section(goal_line(goal), accessory=picker))
    if journey.shared_intent:
        blocks.append(section(f"*What you want from this pairing together:* {user_text(journey.shared_intent, 1000)}"))
    return blocks


def goals_text(data: HomeData) -> list[Block]:
    """Goals as plain lines (the ephemeral `/tandem status`)."""
    journey = data.journey
    if journey is None or journey.pairing_id is None or not journey.goals:
        return []
    return [section("*Your goals*\n" + "\n".join(goal_line(g) for g in journey.goals))]


def history_section(data: HomeData) -> list[Block]:
    """Past pairings with dates."""
    journey = data.journey
    if journey is None or not journey.past:
        return []
    lines = []
    for past in journey.past:
        until = past.ended_at.strftime("%d %b %Y") if past.ended_at else "now"
        lines.append(f"• {mentions(past.partner_user_ids) if past.partner_user_ids else '_a former member_'} — "
                     f"{past.started_at.strftime('%d %b %Y')} to {until}, "
                     f"{past.sessions_met} session{'s' if past.sessions_met != 1 else ''} met")
    return [divider(), section("*Past pairings*\n" + "\n".join(lines), block_id="home_history")]

