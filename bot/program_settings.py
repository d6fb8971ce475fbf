"""Program settings: what the admin's settings modal holds, checked, then applied.

`read_settings_form` is pure (modal state in, settings or field errors out), so
every rule is tested without Slack; `apply_settings` writes them and moves the
next round when the schedule changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import ids, modal_state
from bot.models import CADENCES, EMPHASES, GROUPINGS, ODD_POLICIES, SESSION_FORMATS, Program
from bot.round_schedule import next_round_at
from bot.sessions import CADENCE_DAYS

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CADENCE_LABELS = {
    "weekly": "Every week",
    "biweekly": "Every two weeks",
    "monthly": "Every month (first such weekday)",
}
FORMAT_LABELS = {
    "turns": "Take turns: one mentee, one mentor",
    "brainstorm": "Joint brainstorm on a shared problem",
}
ODD_LABELS = {
    "trio": "Joins a pair as a trio",
    "wait": "Waits for the next round, first in line",
}
# The same setting for a circles program: leftovers join a circle (one more seat, at most 6) or wait.
CIRCLE_ODD_LABELS = {
    "trio": "Joins a circle (one more seat, at most 6)",
    "wait": "Waits for the next round, first in line",
}
GROUPING_LABELS = {
    "pairs": ("Pairs", "Two people take turns as mentee and mentor (a trio for an odd one out)"),
    "circles": ("Circles", "Groups of 3 to 6 with a rotating facilitator who brings the topic"),
}
# Matching emphasis in words an admin understands; the matcher maps them to weights.
EMPHASIS_LABELS = {
    "balanced": ("Balanced", "Skills, background, experience and time zones together"),
    "skills": ("Skill exchange", "Two-way skill exchanges count most"),
    "cross_department": ("Across departments", "Prefer partners from another department"),
    "timezones": ("Shared working hours", "Prefer partners in nearby time zones"),
}

# (minimum, maximum) of each number in the modal; the database checks them too.
NUMBER_RANGES = {
    "sessions_per_pairing": (2, 24),
    "repeat_window_rounds": (0, 52),
    "repeat_window_days": (0, 730),
    "min_group_size": (3, 100),  # k >= 3: one rater can never be read off a mean of two
    "session_lead_hours": (4, 336),
    "pairing_cap": (1, 10),
    "headsup_hours": (0, 168),
    "group_size": (3, 6),
}
MAX_PROGRAM_ADMINS = 20
NAME_MAX = 80
MIN_LEAD_HOURS = 4  # less, and the prompt and "no dilemma was written" would go out together
SCHEDULE_FIELDS = ("cadence", "round_weekday", "round_hour", "timezone")
TIMEZONE_MAX = 64
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class ProgramSettings:
    """Everything the settings modal edits, as plain values."""

    channel_id: str | None
    cadence: str
    round_weekday: int
    round_hour: int
    timezone: str
    sessions_per_pairing: int
    default_format: str
    odd_policy: str
    repeat_window_rounds: int
    emphasis: str
    min_group_size: int
    session_lead_hours: int
    repeat_window_days: int = 180
    allow_multi_channel_guests: bool = False
    # Several programs (issue 15). A modal from before these fields leaves them as they are.
    name: str = "Peer mentoring"
    admin_user_ids: tuple[str, ...] = ()
    pairing_cap: int | None = None  # active pairings per person across programs; None: no cap
    headsup_hours: int = 24  # heads-up DM before a round; 0: none
    grouping: str = "pairs"  # "circles": circles of `group_size` (issue 15 item 6)
    group_size: int = 4
    absent: frozenset[str] = dataclasses.field(default=frozenset(), compare=False)  # not in the form: kept


PROGRAM_FIELDS = ("name", "admin_user_ids", "pairing_cap", "headsup_hours", "grouping", "group_size")  # absent from older modals


def _stored() -> list[str]:
    return [f.name for f in dataclasses.fields(ProgramSettings) if f.name != "absent"]


def settings_of(program: Program) -> ProgramSettings:
    values = {name: getattr(program, name) for name in _stored()}
    values["admin_user_ids"] = tuple(values["admin_user_ids"] or ())
    return ProgramSettings(**values)


# --- reading the modal -------------------------------------------------------------------


@functools.cache
def _zone_names() -> dict[str, str]:
    """IANA names by lower case, so "europe/berlin" is understood as "Europe/Berlin"."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def valid_timezone(text: str) -> str | None:
    """The canonical IANA name for `text`, or None when zoneinfo does not know it."""
    name = _zone_names().get(text.strip().lower())
    if name is None or len(name) > TIMEZONE_MAX:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def read_settings_form(values: dict[str, Any]) -> tuple[ProgramSettings | None, dict[str, str]]:
    """Settings from the modal's `state.values`, or field errors by block_id.

    Every value is checked here even where the modal's own widgets restrict
    it, because a crafted submission can carry anything.
    """
    errors: dict[str, str] = {}

    def choice(field: tuple[str, str], allowed: tuple[str, ...], what: str) -> str:
        value = modal_state.selected(values, field)
        if value not in allowed:
            errors[field[0]] = f"Choose {what}."
            return allowed[0]
        return value

    def number(field: tuple[str, str], name: str) -> int:
        low, high = NUMBER_RANGES[name]
        text = modal_state.text(values, field)
        if not re.fullmatch(r"-?\d{1,6}", text) or not low <= int(text) <= high:
            errors[field[0]] = f"Enter a whole number from {low} to {high}."
            return low
        return int(text)

    channel = modal_state.conversation(values, ids.SETTINGS_CHANNEL)
    if channel is not None and not (isinstance(channel, str) and _CHANNEL_ID.match(channel)):
        errors[ids.SETTINGS_CHANNEL[0]] = "Choose a channel."
        channel = None

    weekday = choice(ids.SETTINGS_WEEKDAY, tuple(str(d) for d in range(7)), "a weekday")
    hour = choice(ids.SETTINGS_HOUR, tuple(str(h) for h in range(24)), "an hour")
    tz_text = modal_state.text(values, ids.SETTINGS_TIMEZONE)
    timezone = valid_timezone(tz_text) if tz_text else None
    if timezone is None:
        errors[ids.SETTINGS_TIMEZONE[0]] = (
            "Enter a time zone name from the IANA database, such as Europe/Berlin or America/New_York."
        )

    settings = ProgramSettings(
        channel_id=channel,
        cadence=choice(ids.SETTINGS_CADENCE, CADENCES, "how often rounds run"),
        round_weekday=int(weekday),
        round_hour=int(hour),
        timezone=timezone or "UTC",
        sessions_per_pairing=number(ids.SETTINGS_SESSIONS, "sessions_per_pairing"),
        default_format=choice(ids.SETTINGS_FORMAT, SESSION_FORMATS, "a session format"),
        odd_policy=choice(ids.SETTINGS_ODD, ODD_POLICIES, "what happens to an odd one out"),
        repeat_window_rounds=number(ids.SETTINGS_REPEAT, "repeat_window_rounds"),
        emphasis=choice(ids.SETTINGS_EMPHASIS, EMPHASES, "what matching should favour"),
        min_group_size=number(ids.SETTINGS_MIN_GROUP, "min_group_size"),
        session_lead_hours=number(ids.SETTINGS_LEAD_HOURS, "session_lead_hours"),
        repeat_window_days=number(ids.SETTINGS_REPEAT_DAYS, "repeat_window_days"),
    )
    guests = modal_state.selected(values, ids.SETTINGS_GUESTS)
    if guests not in (None, "yes", "no"):
        errors[ids.SETTINGS_GUESTS[0]] = "Choose whether multi-channel guests may join."
    # An older modal without the field keeps guests out (the default).
    settings = dataclasses.replace(settings, allow_multi_channel_guests=guests == "yes")
    program_fields = _program_fields(values, errors)
    lead_problem = lead_time_problem(settings.session_lead_hours, settings.cadence)
    if lead_problem and ids.SETTINGS_LEAD_HOURS[0] not in errors:
        errors[ids.SETTINGS_LEAD_HOURS[0]] = lead_problem
    if errors:
        return None, errors
    absent = frozenset(name for name in PROGRAM_FIELDS if name not in program_fields)
    return dataclasses.replace(settings, **program_fields, absent=absent), {}


def _program_fields(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Name, program admins, pairing cap and heads-up hours: only the ones the modal has (a
    modal opened before they existed changes none of them; see `apply_settings`)."""
    found: dict[str, Any] = {}
    if modal_state.has_block(values, ids.SETTINGS_NAME[0]):
        name = " ".join(modal_state.text(values, ids.SETTINGS_NAME).split())
        if not name or len(name) > NAME_MAX:
            errors[ids.SETTINGS_NAME[0]] = f"Give the program a name of 1 to {NAME_MAX} characters."
        found["name"] = name[:NAME_MAX]
    if modal_state.has_block(values, ids.SETTINGS_ADMINS[0]):
        admins = tuple(dict.fromkeys(modal_state.selected_users(values, ids.SETTINGS_ADMINS)))
        if len(admins) > MAX_PROGRAM_ADMINS:
            errors[ids.SETTINGS_ADMINS[0]] = f"Choose at most {MAX_PROGRAM_ADMINS} program admins."
        found["admin_user_ids"] = admins[:MAX_PROGRAM_ADMINS]
    if modal_state.has_block(values, ids.SETTINGS_CAP[0]):
        text = modal_state.text(values, ids.SETTINGS_CAP)
        low, high = NUMBER_RANGES["pairing_cap"]
        if text and (not re.fullmatch(r"\d{1,3}", text) or not low <= int(text) <= high):
            errors[ids.SETTINGS_CAP[0]] = f"Leave empty for no cap, or enter a whole number from {low} to {high}."
        found["pairing_cap"] = int(text) if text.isdecimal() and low <= int(text) <= high else None
    if modal_state.has_block(values, ids.SETTINGS_HEADSUP[0]):
        text = modal_state.text(values, ids.SETTINGS_HEADSUP)
        low, high = NUMBER_RANGES["headsup_hours"]
        if not re.fullmatch(r"\d{1,3}", text) or not low <= int(text) <= high:
            errors[ids.SETTINGS_HEADSUP[0]] = f"Enter a whole number of hours from {low} to {high} (0: no heads-up)."
        else:
            found["headsup_hours"] = int(text)
    if modal_state.has_block(values, ids.SETTINGS_GROUPING[0]):
        grouping = modal_state.selected(values, ids.SETTINGS_GROUPING)
        if grouping not in GROUPINGS:
            errors[ids.SETTINGS_GROUPING[0]] = "Choose pairs or circles."
        else:
            found["grouping"] = grouping
    if modal_state.has_block(values, ids.SETTINGS_GROUP_SIZE[0]):
        text = modal_state.text(values, ids.SETTINGS_GROUP_SIZE)
        low, high = NUMBER_RANGES["group_size"]
        if not re.fullmatch(r"\d{1,2}", text) or not low <= int(text) <= high:
            errors[ids.SETTINGS_GROUP_SIZE[0]] = f"Enter a circle size from {low} to {high} people."
        else:
            found["group_size"] = int(text)
    return found


def lead_time_problem(lead_hours: int, cadence: str) -> str | None:
    """Why a dilemma lead time does not fit the cadence: at least 4 hours (so the mentee
    has time to write before the brainstorm fallback) and less than the gap between
    sessions (so a prompt never comes before the previous session)."""
    gap = CADENCE_DAYS.get(cadence, 7) * 24
    if lead_hours < MIN_LEAD_HOURS:
        return f"Ask at least {MIN_LEAD_HOURS} hours before a session, so there's time to write a dilemma."
    if lead_hours >= gap:
        return (f"Ask less than {gap} hours ahead: sessions are {gap // 24} days apart, and the prompt "
                f"must come after the session before.")
    return None


# --- applying them ---------------------------------------------------------------------------


async def apply_settings(
    session: AsyncSession, program: Program, settings: ProgramSettings, now: dt.datetime
) -> list[str]:
    """Store the settings; returns the names of the fields that changed.

    A change to the cadence, weekday, hour or time zone moves the next round
    to the first matching time after `now`. Running pairings keep the cadence
    they started with; the new one applies from the next round.
    """
    before = settings_of(program)
    changed = [name for name in _stored()
               if getattr(before, name) != getattr(settings, name) and name not in settings.absent]
    for name in changed:
        value = getattr(settings, name)
        setattr(program, name, list(value) if name == "admin_user_ids" else value)
    if changed:
        program.updated_at = now
    if any(name in SCHEDULE_FIELDS for name in changed):
        program.next_round_at = next_round_at(program, now)
    await session.flush()
    return changed
