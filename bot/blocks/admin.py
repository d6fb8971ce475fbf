"""Admin surfaces: the settings modal, the figures message and the App Home section."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.blocks.common import (
    Block, actions, button, context, divider, fields_section, header, message, modal, option, plain,
    section, user_text,
)
from bot.program_settings import (
    CADENCE_LABELS, EMPHASIS_LABELS, FORMAT_LABELS, NUMBER_RANGES, ODD_LABELS, WEEKDAY_NAMES,
    ProgramSettings,
)
from bot.stats import AdminOverview, Figure, ProgramStats, Ratio

WITHHELD = "_too few to show_"
SKILL_NAME_MAX = 60
REFUSAL = "Sorry, only program admins can do that. Ask a workspace admin if you need a change."


def refusal_message() -> dict[str, Any]:
    return message(REFUSAL, [section(f":lock: {REFUSAL}")])


# --- settings modal -------------------------------------------------------------------------


def _input(field: tuple[str, str], label: str, element: Block, *, hint: str | None = None,
           optional: bool = False) -> Block:
    block: Block = {
        "type": "input", "block_id": field[0], "label": plain(label, 2000),
        "element": {**element, "action_id": field[1]}, "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _static(choices: list[tuple[str, str]], current: str) -> Block:
    options = [option(text, value) for value, text in choices]
    initial = next((o for o in options if o["value"] == current), options[0])
    return {"type": "static_select", "options": options, "initial_option": initial}


def _radio(choices: list[tuple[str, str, str | None]], current: str) -> Block:
    options = []
    for value, text, description in choices:
        opt: Block = {"text": plain(text, 75), "value": value}
        if description:
            opt["description"] = plain(description, 75)
        options.append(opt)
    initial = next((o for o in options if o["value"] == current), options[0])
    return {"type": "radio_buttons", "options": options, "initial_option": initial}


def _number(current: int, name: str) -> Block:
    low, high = NUMBER_RANGES[name]
    return {"type": "number_input", "is_decimal_allowed": False, "initial_value": str(current),
            "min_value": str(low), "max_value": str(high)}


def settings_modal(s: ProgramSettings) -> Block:
    """The program-settings modal, filled with the program's current settings."""
    channel: Block = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                   "exclude_external_shared_channels": True},
        "placeholder": plain("Pick the program's channel", 150),
    }
    if s.channel_id:
        channel["initial_conversation"] = s.channel_id
    blocks = [
        _input(ids.SETTINGS_CHANNEL, "Program channel", channel, optional=True,
               hint="People who join this channel are invited to the program. Tandem joins it if it can; "
                    "for a private channel, /invite @Tandem there."),
        _input(ids.SETTINGS_CADENCE, "How often rounds and sessions run",
               _static(list(CADENCE_LABELS.items()), s.cadence)),
        _input(ids.SETTINGS_WEEKDAY, "Round day",
               _static([(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)], str(s.round_weekday))),
        _input(ids.SETTINGS_HOUR, "Round hour",
               _static([(str(h), f"{h:02d}:00") for h in range(24)], str(s.round_hour))),
        _input(ids.SETTINGS_TIMEZONE, "Program time zone",
               {"type": "plain_text_input", "initial_value": s.timezone, "max_length": 64,
                "placeholder": plain("e.g. Europe/Berlin", 150)},
               hint="An IANA time zone name; rounds start at the hour above in this zone."),
        _input(ids.SETTINGS_SESSIONS, "Sessions per pairing", _number(s.sessions_per_pairing, "sessions_per_pairing"),
               hint="The first session is the kick-off; then the mentee role alternates."),
        _input(ids.SETTINGS_FORMAT, "Default session format",
               _static(list(FORMAT_LABELS.items()), s.default_format)),
        _input(ids.SETTINGS_ODD, "When one person is left over",
               _radio([(v, t, None) for v, t in ODD_LABELS.items()], s.odd_policy)),
        _input(ids.SETTINGS_REPEAT, "Rounds before a pair may meet again",
               _number(s.repeat_window_rounds, "repeat_window_rounds"),
               hint="0 lets a pair repeat straight away if nobody better is free."),
        _input(ids.SETTINGS_EMPHASIS, "What matching should favour",
               _radio([(v, t, d) for v, (t, d) in EMPHASIS_LABELS.items()], s.emphasis)),
        _input(ids.SETTINGS_MIN_GROUP, "Smallest group a figure is shown for",
               _number(s.min_group_size, "min_group_size"),
               hint="Figures over fewer people than this are withheld, so nobody can be singled out."),
        _input(ids.SETTINGS_LEAD_HOURS, "Hours before a session to ask the mentee for a dilemma",
               _number(s.session_lead_hours, "session_lead_hours")),
    ]
    return modal("Program settings", blocks, callback_id=ids.SETTINGS_VIEW, submit="Save")


def schedule_text(s: ProgramSettings, next_round: dt.datetime | None, now: dt.datetime) -> str:
    """E.g. "Every two weeks on Monday at 10:00 (Europe/Berlin); next round Mon 16 Mar 2026 10:00"."""
    text = (f"{CADENCE_LABELS[s.cadence]} on {WEEKDAY_NAMES[s.round_weekday]} at {s.round_hour:02d}:00 "
            f"({s.timezone})")
    if next_round is not None and next_round > now:
        local = next_round.astimezone(ZoneInfo(s.timezone))
        text += f"; next round {local:%a %d %b %Y %H:%M}"
    return text


def settings_summary(s: ProgramSettings, next_round: dt.datetime | None, now: dt.datetime) -> list[str]:
    return [
        f"*Channel*\n{f'<#{s.channel_id}>' if s.channel_id else '_not set_'}",
        f"*Rounds*\n{schedule_text(s, next_round, now)}",
        f"*Sessions per pairing*\n{s.sessions_per_pairing}, {FORMAT_LABELS[s.default_format].lower()}",
        f"*Odd one out*\n{ODD_LABELS[s.odd_policy]}",
        f"*Repeat pairs after*\n{s.repeat_window_rounds} rounds",
        f"*Matching favours*\n{EMPHASIS_LABELS[s.emphasis][0]}",
        f"*Figures shown from*\n{s.min_group_size} people",
        f"*Dilemma prompt*\n{s.session_lead_hours} h before a session",
    ]


# --- figures --------------------------------------------------------------------------------------


def _pct(ratio: Ratio) -> str:
    share = ratio.share
    return "–" if share is None else f"{share * 100:.0f}%"


def _count(fig: Figure) -> str:
    return WITHHELD if fig.withheld else f"{int(fig.value or 0)}"


def _ratio(ratio: Ratio, of_what: str) -> str:
    if ratio.withheld:
        return WITHHELD
    return f"{_pct(ratio)} ({ratio.part} of {ratio.whole} {of_what})"


def headline_text(stats: ProgramStats) -> str:
    r = stats.with_active_peer
    if r.withheld:
        return f"*Members with an active peer:* {WITHHELD}"
    return f"*{_pct(r)}* of opted-in members have an active peer ({r.part} of {r.whole})."


def figure_fields(stats: ProgramStats) -> list[str]:
    rating = WITHHELD if stats.average_rating.withheld else (
        f"{stats.average_rating.value:.1f} / 5 ({stats.ratings} ratings)"
    )
    goals = WITHHELD if stats.goals.withheld else f"{stats.goals.part} done of {stats.goals.whole} set"
    return [
        f"*Opted in*\n{_count(stats.opted_in)}",
        f"*Paused*\n{_count(stats.paused)}",
        f"*Left*\n{_count(stats.left)}",
        f"*Pairings made*\n{_count(stats.pairings)}",
        f"*Sessions held of those due*\n{_ratio(stats.meetings, 'due')}",
        f"*Average rating*\n{rating}",
        f"*Two-way skill exchanges*\n{_ratio(stats.two_way, 'pairings')}",
        f"*Across departments*\n{_ratio(stats.cross_department, 'pairings')}",
        f"*Goals*\n{goals}",
        f"*Turn balance (mentee brought a dilemma)*\n{_ratio(stats.turn_balance, 'held sessions')}",
    ]


def skill_table_text(stats: ProgramStats) -> str:
    if stats.skill_gaps is None:
        return f"*Skills wanted and offered:* {WITHHELD}"
    if not stats.skill_gaps:
        return "*Skills wanted and offered:* nobody has asked to learn a skill yet."
    lines = ["*Most wanted skills* (wanted by / offered by)"]
    for gap in stats.skill_gaps:
        flag = " :warning: nobody offers it" if gap.offered == 0 else ""
        lines.append(f"• {user_text(gap.name, SKILL_NAME_MAX)}: {gap.wanted} / {gap.offered}{flag}")
    return "\n".join(lines)


def _footnote(stats: ProgramStats) -> str:
    return (f"Aggregates only; a figure over fewer than {stats.min_group_size} people is withheld. "
            "Meeting rate: sessions marked as held, of those whose date has passed.")


def stats_message(stats: ProgramStats, *, chart_note: str | None = None) -> dict[str, Any]:
    """The ephemeral answer to `/tandem admin stats`."""
    fields = figure_fields(stats)
    blocks = [
        header("Tandem program figures"),
        section(headline_text(stats)),
        fields_section(fields[:6]),
        fields_section(fields[6:]),
        section(skill_table_text(stats)),
        context(_footnote(stats) + (f" {chart_note}" if chart_note else "")),
    ]
    fallback = headline_text(stats).replace("*", "")
    return message(fallback, blocks)


def admin_home_blocks(overview: AdminOverview, now: dt.datetime) -> list[Block]:
    """The admin section of App Home: figures, settings and the admin buttons."""
    stats = overview.stats
    return [
        divider(),
        header("Program (admins only)"),
        section(headline_text(stats)),
        fields_section(figure_fields(stats)),
        section(skill_table_text(stats)),
        context(_footnote(stats)),
        fields_section(settings_summary(overview.settings, overview.next_round_at, now)),
        actions(
            button("Program settings", ids.OPEN_SETTINGS),
            button("Send me the chart", ids.ADMIN_SEND_CHART),
            button("Export sessions (CSV)", ids.ADMIN_SEND_EXPORT),
            block_id="admin_actions",
        ),
    ]
