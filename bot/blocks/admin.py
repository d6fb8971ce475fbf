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
    CADENCE_LABELS, CIRCLE_ODD_LABELS, EMPHASIS_LABELS, FORMAT_LABELS, GROUPING_LABELS, MAX_PROGRAM_ADMINS, NAME_MAX, NUMBER_RANGES, ODD_LABELS,
    WEEKDAY_NAMES,
    ProgramSettings,
)
from bot.blocks.programs import ProgramRef
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


GUEST_LABELS = {"no": "Can't join (full members only)", "yes": "May join and be paired"}


def _number(current: int, name: str) -> Block:
    low, high = NUMBER_RANGES[name]
    return {"type": "number_input", "is_decimal_allowed": False, "initial_value": str(current),
            "min_value": str(low), "max_value": str(high)}


def settings_modal(s: ProgramSettings, *, program_id: int | None = None) -> Block:
    """The program-settings modal, filled with the program's current settings (its id in
    the private metadata: the submission changes that program only)."""
    channel: Block = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                   "exclude_external_shared_channels": True},
        "placeholder": plain("Pick the program's channel", 150),
    }
    if s.channel_id:
        channel["initial_conversation"] = s.channel_id
    admins: Block = {"type": "multi_users_select", "placeholder": plain("Choose people", 150),
                     "max_selected_items": MAX_PROGRAM_ADMINS}
    if s.admin_user_ids:
        admins["initial_users"] = list(s.admin_user_ids)[:MAX_PROGRAM_ADMINS]
    cap: Block = {"type": "number_input", "is_decimal_allowed": False, "min_value": "1", "max_value": "10"}
    if s.pairing_cap:
        cap["initial_value"] = str(s.pairing_cap)
    blocks = [
        _input(ids.SETTINGS_NAME, "Program name",
               {"type": "plain_text_input", "initial_value": s.name, "max_length": NAME_MAX}),
        _input(ids.SETTINGS_ADMINS, "Program admins", admins, optional=True,
               hint="They can change this program's settings, run its rounds and see its figures; "
                    "workspace admins can always."),
        _input(ids.SETTINGS_GROUPING, "Format",
               _radio([(v, t, d) for v, (t, d) in GROUPING_LABELS.items()], s.grouping)),
        _input(ids.SETTINGS_GROUP_SIZE, "Circle size", _number(s.group_size, "group_size"),
               hint="For a circles program: people per circle, 3 to 6. Each session one of them facilitates."),
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
        _input(ids.SETTINGS_ODD, "When someone is left over",
               _radio([(v, t, None) for v, t in ODD_LABELS.items()], s.odd_policy)),
        _input(ids.SETTINGS_REPEAT, "Recent partners a member is not paired with again",
               _number(s.repeat_window_rounds, "repeat_window_rounds"),
               hint="Each member's last partners, counted by their own pairings. They meet again only if "
                    "nobody else can be paired with them."),
        _input(ids.SETTINGS_REPEAT_DAYS, "Days before a pair may meet again",
               _number(s.repeat_window_days, "repeat_window_days"),
               hint="Nobody is paired with someone they were paired with in this many days, while anyone else "
                    "is free. 0 turns this off. A fit check answered “not quite” keeps a pair apart for good."),
        _input(ids.SETTINGS_EMPHASIS, "What matching should favour",
               _radio([(v, t, d) for v, (t, d) in EMPHASIS_LABELS.items()], s.emphasis)),
        _input(ids.SETTINGS_MIN_GROUP, "Smallest group a figure is shown for",
               _number(s.min_group_size, "min_group_size"),
               hint="Figures over fewer people than this are withheld, so nobody can be singled out."),
        _input(ids.SETTINGS_LEAD_HOURS, "Hours before a session to ask the mentee for a dilemma",
               _number(s.session_lead_hours, "session_lead_hours")),
        _input(ids.SETTINGS_GUESTS, "Multi-channel guests",
               _radio([(v, t, None) for v, t in GUEST_LABELS.items()],
                      "yes" if s.allow_multi_channel_guests else "no"),
               hint="Single-channel guests, people from other organisations and bots never take part."),
        _input(ids.SETTINGS_HEADSUP, "Hours before a round to give members a heads-up",
               _number(s.headsup_hours, "headsup_hours"),
               hint="A direct message with “Skip this round” and “Pause”, in the member's working hours. 0: none."),
        _input(ids.SETTINGS_CAP, "Most active pairings one person may have across programs", cap, optional=True,
               hint="Applies when this program runs a round. Empty: no cap."),
    ]
    return modal("Program settings", blocks, callback_id=ids.SETTINGS_VIEW, submit="Save",
                 private_metadata=str(program_id) if program_id is not None else "")


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
        f"*Format*\n" + (f"Circles of {s.group_size}" if s.grouping == "circles" else "Pairs"),
        f"*Odd one out*\n{(CIRCLE_ODD_LABELS if s.grouping == 'circles' else ODD_LABELS)[s.odd_policy]}",
        f"*New partners*\nNot the last {s.repeat_window_rounds} partners, nor anyone from the last "
        f"{s.repeat_window_days} days",
        f"*Matching favours*\n{EMPHASIS_LABELS[s.emphasis][0]}",
        f"*Figures shown from*\n{s.min_group_size} people",
        f"*Dilemma prompt*\n{s.session_lead_hours} h before a session",
        f"*Multi-channel guests*\n{GUEST_LABELS['yes' if s.allow_multi_channel_guests else 'no']}",
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


def circle_suggestion_blocks(stats: ProgramStats) -> list[Block]:
    """Skills wanted by many and offered by few, each with "Start a circle for <skill>"
    (counts only, each at least the minimum group size of wanters; never names)."""
    if not stats.circle_suggestions:
        return []
    # One block per skill: an action id may appear once in a block, and every button here is
    # the one START_CIRCLE action (its value says which program and skill).
    return [section("*Wanted by many, offered by few:* a circle around someone who offers it could help.")] + [
        section(f"• {user_text(s.name, SKILL_NAME_MAX)}: wanted by {s.wanted}, offered by {s.offered}",
                accessory=button(f"Start a circle for {s.name}"[:75], ids.START_CIRCLE, f"{s.program_id}:{s.skill_id}"),
                block_id=f"circle_suggestion_{s.skill_id}")
        for s in stats.circle_suggestions
    ]


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
        *circle_suggestion_blocks(stats),
        context(_footnote(stats) + (f" {chart_note}" if chart_note else "")),
    ]
    fallback = headline_text(stats).replace("*", "")
    return message(fallback, blocks)


def admin_home_blocks(overview: AdminOverview, now: dt.datetime, *, program: ProgramRef | None = None) -> list[Block]:
    """The admin section of App Home: figures, settings and the admin buttons (one such
    section per program when there are several; the buttons carry the program)."""
    stats = overview.stats
    value = str(program.id) if program is not None else None
    title = f"{program.name[:60]} (admins only)" if program is not None else "Program (admins only)"
    suffix = f"_{program.id}" if program is not None else ""
    return [
        divider(),
        header(title),
        section(headline_text(stats)),
        fields_section(figure_fields(stats)),
        section(skill_table_text(stats)),
        context(_footnote(stats)),
        fields_section(settings_summary(overview.settings, overview.next_round_at, now)),
        actions(
            button("Program settings", ids.OPEN_SETTINGS, value),
            button("Send me the chart", ids.ADMIN_SEND_CHART, value),
            button("Export sessions (CSV)", ids.ADMIN_SEND_EXPORT, value),
            block_id=f"admin_actions{suffix}",
        ),
    ]
