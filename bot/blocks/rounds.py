"""Messages of a matching round: the introduction, the wait note, the admin preview."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import ids
from bot.blocks.common import actions, button, cap, context, divider, fields_section, header, message, section

CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "every month"}
MAX_REASONS = 8
PREVIEW_GROUPS = 20


def slack_date(when: dt.datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A date Slack renders in each reader's own time zone (fallback in UTC)."""
    fallback = when.astimezone(dt.timezone.utc).strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


OPENING = {
    "two_way": ", so each of you can teach the other something.",
    "one_way": ": one of you can teach the other something they want to learn, and the other brings a fresh view.",
    "none": ". There's no direct skill swap between you this round: below is what each of you offers and wants, "
            "so you can find common ground.",
}


def intro_message(
    *, pairing_id: int, user_ids: list[str], reasons: list[str], kickoff_at: dt.datetime, sessions: int,
    cadence: str, trio: bool, exchange: str = "two_way", circle: bool = False,
) -> dict[str, Any]:
    """The introduction posted in the pair's (or trio's) group conversation.

    `exchange` ("two_way", "one_way" or "none", see `bot.matching.exchange_kind`)
    decides the opening line: it never claims a swap that is not there."""
    mentions = [f"<@{u}>" for u in user_ids]
    who = " and ".join([", ".join(mentions[:-1]), mentions[-1]]) if len(mentions) > 1 else mentions[0]
    why = "\n".join(f"• {cap(r, 300)}" for r in reasons[:MAX_REASONS]) or "• you're both here to learn"
    turns = (
        "Each session one of you is the *mentee* and brings a dilemma; the other mentors. Next time you swap."
        if not trio else
        "Each session one of you is the *mentee* and brings a dilemma; the others mentor. The role rotates."
    )
    opening = f":wave: {who}: you've been paired for peer mentoring{OPENING.get(exchange, OPENING['none'])}"
    if circle:
        turns = ("Each session one of you is the *facilitator*: Tandem asks them beforehand for the dilemma or "
                 "topic and posts it here; the others bring questions and experience. The role rotates.")
        opening = (f":wave: {who}: you're a Tandem *circle* of {len(user_ids)} for peer mentoring, chosen so that, as far "
                   f"as the cohort allows, someone here offers what each of you wants to learn.")
    blocks = [
        header("Meet your Tandem circle" if circle else "Meet your Tandem trio" if trio else "Meet your Tandem partner"),
        section(opening),
        section(f"*Why you were matched*\n{why}"),
        section(
            f"*First session, the kick-off:* proposed for {slack_date(kickoff_at)}. Use it to set your goals "
            "(what, how you'll know, by when, why it matters) and agree how you'll work together.\n"
            f"{turns} {sessions} sessions, {CADENCE_WORDS.get(cadence, cadence)}."
        ),
        actions(
            button("Set goals", ids.OPEN_GOALS, str(pairing_id), style="primary"),
            button("Pick a session time", ids.PICK_SESSION_TIME, str(pairing_id)),
            block_id=f"intro_actions_{pairing_id}",
        ),
        context("This conversation belongs to you. Private notes and ratings you give Tandem are never shown to anyone else."),
    ]
    return message(f"Meet your Tandem {'circle' if circle else 'partner'}: {who}", blocks)


def waiting_message(*, next_round: dt.datetime | None) -> dict[str, Any]:
    """To the odd one out who waits: kind, and with a promise of priority."""
    when = f"the next round ({slack_date(next_round)})" if next_round else "the next round"
    text = (
        ":hourglass_flowing_sand: This round had an odd number of people, so you weren't paired this time — "
        f"sorry! You'll be first in line in {when}."
    )
    return message(text, [section(text)])


def preview_message(plan: Any, *, slack_ids: dict[int, str]) -> dict[str, Any]:
    """The admin's preview of the next round: figures, then the groups with scores and reasons."""
    f = plan.figures
    blocks = [
        header("Next round preview (nothing sent)"),
        fields_section([
            f"*People to pair*\n{f['cohort']}",
            *([f"*Circles*\n{f['circles']}", f"*Skill covered in their circle*\n{f['share_covered']:.0%}"]
              if "circles" in f else
              [f"*Pairs*\n{f['groups'] - f['trios']}" + (f" + {f['trios']} trio" if f["trios"] else ""),
               f"*Two-way exchanges*\n{f['share_two_way']:.0%}"]),
            f"*Cross-department*\n{f['share_cross_department']:.0%}",
            f"*Unmatched*\n{f['waiting']}",
            f"*Method*\n{f['method']}",
        ]),
        divider(),
    ]
    for group in plan.groups[:PREVIEW_GROUPS]:
        who = " + ".join(f"<@{slack_ids[m]}>" for m in group.member_ids)
        blocks.append(section(f"{who} · score {group.score:g}\n{cap('; '.join(group.reasons), 2500)}"))
    if len(plan.groups) > PREVIEW_GROUPS:
        blocks.append(context(f"…and {len(plan.groups) - PREVIEW_GROUPS} more groups."))
    if plan.waiting:
        blocks.append(context("Would wait: " + ", ".join(f"<@{slack_ids[m]}>" for m in plan.waiting[:30])))
    if not plan.groups:
        blocks.append(section("Nobody can be paired right now: people need to join and be free of a current pairing."))
    text = f"Next round preview: {len(plan.groups)} groups from {f['cohort']} people"
    return message(text, blocks)


def round_started_message(figures: dict[str, Any] | None) -> dict[str, Any]:
    if not figures:
        text = "Nobody could be paired right now: people need to join and be free of a current pairing."
    else:
        text = (
            f"Round started: {figures['groups']} groups from {figures['cohort']} people "
            f"({figures['share_two_way']:.0%} two-way, {figures['waiting']} waiting). Introductions are on their way."
        )
    return message(text, [section(text)])
