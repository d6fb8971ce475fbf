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

from bot import ids
from bot.models import CADENCES, EMPHASES, ODD_POLICIES, SESSION_FORMATS, Program
from bot.round_schedule import next_round_at

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
    "min_group_size": (1, 100),
    "session_lead_hours": (1, 336),
}
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


def settings_of(program: Program) -> ProgramSettings:
    return ProgramSettings(**{f.name: getattr(program, f.name) for f in dataclasses.fields(ProgramSettings)})


# --- reading the modal -------------------------------------------------------------------


def _state(values: dict[str, Any], field: tuple[str, str]) -> dict[str, Any]:
    block = values.get(field[0])
    state = block.get(field[1]) if isinstance(block, dict) else None
    return state if isinstance(state, dict) else {}


def _selected(values: dict[str, Any], field: tuple[str, str]) -> str | None:
    option = _state(values, field).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else None


def _text(values: dict[str, Any], field: tuple[str, str]) -> str:
    value = _state(values, field).get("value")
    return value.strip() if isinstance(value, str) else ""


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
        value = _selected(values, field)
        if value not in allowed:
            errors[field[0]] = f"Choose {what}."
            return allowed[0]
        return value

    def number(field: tuple[str, str], name: str) -> int:
        low, high = NUMBER_RANGES[name]
        text = _text(values, field)
        if not re.fullmatch(r"-?\d{1,6}", text) or not low <= int(text) <= high:
            errors[field[0]] = f"Enter a whole number from {low} to {high}."
            return low
        return int(text)

    channel = _state(values, ids.SETTINGS_CHANNEL).get("selected_conversation")
    if channel is not None and not (isinstance(channel, str) and _CHANNEL_ID.match(channel)):
        errors[ids.SETTINGS_CHANNEL[0]] = "Choose a channel."
        channel = None

    weekday = choice(ids.SETTINGS_WEEKDAY, tuple(str(d) for d in range(7)), "a weekday")
    hour = choice(ids.SETTINGS_HOUR, tuple(str(h) for h in range(24)), "an hour")
    tz_text = _text(values, ids.SETTINGS_TIMEZONE)
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
    )
    return (None, errors) if errors else (settings, {})


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
    changed = [f.name for f in dataclasses.fields(ProgramSettings)
               if getattr(before, f.name) != getattr(settings, f.name)]
    for name in changed:
        setattr(program, name, getattr(settings, name))
    if changed:
        program.updated_at = now
    if any(name in SCHEDULE_FIELDS for name in changed):
        program.next_round_at = next_round_at(program, now)
    await session.flush()
    return changed
