"""Sessions and rounds in real calendars: daylight-saving changes, days off, lead times
and a 53-week ISO year (issue 12, items 1, 2, 3 and 7)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from bot import ids
from bot.blocks.admin import settings_modal
from bot.localtime import (
    MON_FRI, UTC, in_working_hours, meeting_slot, no_later_working_time, parse_work_days, zone_of,
)
from bot.models import Session
from bot.program_settings import read_settings_form
from bot.round_schedule import next_round_at
from bot.sessions import fallback_at, pair_prompt_at, prompt_at, reminder_due, session_plan
from tests.unit.test_stats_blocks import DEFAULTS, modal_state

LA, LONDON, BERLIN = zone_of("America/Los_Angeles"), zone_of("Europe/London"), zone_of("Europe/Berlin")
SUN_THU = frozenset({6, 0, 1, 2, 3})


def _local(moment: dt.datetime, zone: dt.tzinfo) -> tuple[int, int]:
    loc = moment.astimezone(zone)
    return loc.weekday(), loc.hour


# --- 1. the same local time across daylight-saving changes ---------------------------------------------------

@pytest.mark.parametrize("start", [
    dt.datetime(2026, 2, 20, 12, tzinfo=UTC),   # across the US (8 March) and UK (29 March) changes
    dt.datetime(2026, 10, 9, 12, tzinfo=UTC),   # across the UK (25 October) and US (1 November) changes
])
def test_a_los_angeles_london_pair_meets_at_the_same_local_time_across_the_changes(start: dt.datetime) -> None:
    plan = session_plan(cadence="weekly", count=8, member_ids=[1, 2], fmt="turns", start=start, zones=[LA, LONDON])
    dues = [p["due_at"] for p in plan]
    anchor = {_local(d, LA) for d in dues}
    assert len(anchor) == 1, [d.astimezone(LA) for d in dues]
    for due in dues:
        for zone in (LA, LONDON):
            assert 9 <= due.astimezone(zone).hour <= 17, (due, zone)


@pytest.mark.parametrize("start", [dt.datetime(2026, 3, 13, 8, tzinfo=UTC), dt.datetime(2026, 10, 16, 8, tzinfo=UTC)])
def test_a_berlin_pair_keeps_eleven_oclock_across_the_changes(start: dt.datetime) -> None:
    plan = session_plan(cadence="biweekly", count=4, member_ids=[1, 2], fmt="turns", start=start,
                        zones=[BERLIN, BERLIN])
    hours = [(p["due_at"].astimezone(BERLIN).hour, p["due_at"].astimezone(BERLIN).minute) for p in plan]
    assert hours == [(11, 0)] * 4
    days = [p["due_at"].astimezone(BERLIN).date() for p in plan]
    assert all((b - a).days == 14 for a, b in zip(days, days[1:]))


# --- 2. no prompts, reminders or check-ins on a person's days off ------------------------------------------

def test_work_days_parse_from_the_profile_and_default_to_monday_to_friday() -> None:
    assert parse_work_days(None) == MON_FRI
    assert parse_work_days("6,0,1,2,3") == SUN_THU
    assert parse_work_days("") == MON_FRI and parse_work_days("x,9") == MON_FRI


def test_a_prompt_due_on_a_day_off_moves_to_the_previous_working_day() -> None:
    monday = dt.datetime(2026, 3, 9, 11, tzinfo=UTC)
    sess = Session(due_at=monday, sequence=2)
    at = prompt_at(sess, 48, UTC)  # 48 h before: Saturday 11:00
    assert at.weekday() == 4 and 9 <= at.hour <= 17, at
    # A Sunday–Thursday person: Friday is off, Thursday is the previous working day.
    sunday = dt.datetime(2026, 3, 8, 10, tzinfo=UTC)
    at = prompt_at(Session(due_at=sunday + dt.timedelta(days=2), sequence=2), 48, UTC, SUN_THU)
    assert at.weekday() == 6 and at.hour == 10  # Sunday is a working day for them
    at = prompt_at(Session(due_at=sunday, sequence=2), 48, UTC, SUN_THU)  # Friday 10:00: off
    assert at.weekday() == 3 and 9 <= at.hour <= 17
    assert no_later_working_time(dt.datetime(2026, 3, 7, 12, tzinfo=UTC), UTC).weekday() == 4


def test_no_reminder_on_a_weekend() -> None:
    monday = dt.datetime(2026, 3, 9, 11, tzinfo=UTC)
    sess = Session(due_at=monday, sequence=2, prompt_sent_at=dt.datetime(2026, 3, 6, 16, tzinfo=UTC))
    sunday_noon = dt.datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert not in_working_hours(sunday_noon, UTC)
    assert not reminder_due(sess, UTC, sunday_noon)
    # A Sunday–Thursday person is reminded on Sunday.
    assert reminder_due(sess, UTC, sunday_noon, SUN_THU)


def test_pair_prompts_avoid_anyones_day_off() -> None:
    monday = dt.datetime(2026, 3, 9, 11, tzinfo=UTC)
    at = pair_prompt_at(Session(due_at=monday, sequence=1), 48, [UTC, BERLIN])
    assert all(at.astimezone(z).weekday() < 5 for z in (UTC, BERLIN)), at


def test_meetings_fall_on_everyones_working_days() -> None:
    slot = meeting_slot(dt.date(2026, 3, 6), [UTC, UTC], [MON_FRI, SUN_THU])  # Friday: off for one
    assert slot.weekday() == 0, slot


# --- 3. a lead time that makes sense ---------------------------------------------------------------------

@pytest.mark.parametrize(("cadence", "lead"), [("weekly", "3"), ("weekly", "168"), ("biweekly", "336"),
                                               ("weekly", "200")])
def test_the_lead_time_is_checked_against_the_cadence(cadence: str, lead: str) -> None:
    settings, errors = read_settings_form(modal_state(settings_modal(DEFAULTS), **{
        ids.SETTINGS_CADENCE[0]: cadence, ids.SETTINGS_LEAD_HOURS[0]: lead}))
    assert settings is None and list(errors) == [ids.SETTINGS_LEAD_HOURS[0]], errors


def test_a_sensible_lead_time_is_accepted() -> None:
    settings, errors = read_settings_form(modal_state(settings_modal(DEFAULTS), **{
        ids.SETTINGS_CADENCE[0]: "weekly", ids.SETTINGS_LEAD_HOURS[0]: "4"}))
    assert errors == {} and settings is not None and settings.session_lead_hours == 4


def test_the_brainstorm_fallback_comes_hours_after_the_prompt() -> None:
    due = dt.datetime(2026, 3, 10, 14, tzinfo=UTC)
    prompted = due - dt.timedelta(hours=4)
    sess = Session(due_at=due, sequence=2, prompt_sent_at=prompted)
    assert fallback_at(sess, [UTC]) - prompted >= dt.timedelta(hours=3)
    assert fallback_at(sess, [UTC]) <= due


# --- 7. every two weeks means every 14 days -----------------------------------------------------------------

@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
def test_biweekly_rounds_are_fourteen_days_apart_across_a_53_week_year(zone: str) -> None:
    assert dt.date(2026, 12, 28).isocalendar().week == 53
    program = SimpleNamespace(cadence="biweekly", round_weekday=0, round_hour=10, timezone=zone)
    at, seen = dt.datetime(2026, 1, 1, tzinfo=UTC), []
    while at < dt.datetime(2027, 6, 1, tzinfo=UTC):
        at = next_round_at(program, at)  # type: ignore[arg-type]
        seen.append(at.astimezone(zone_of(zone)))
    assert all((b.date() - a.date()).days == 14 for a, b in zip(seen, seen[1:])), seen
    assert {(s.weekday(), s.hour) for s in seen} == {(0, 10)}


# --- 4. the App Home feedback item, 14. messages that read like a person wrote them --------------------------

def test_app_home_offers_feedback_and_stays_valid_block_kit() -> None:
    from bot.blocks.home import home_view
    from devtools.blockkit import validate_view
    from bot.home import HomeData

    data = HomeData(user_id="U1", now=dt.datetime(2026, 3, 9, tzinfo=UTC), is_admin=False, status="active",
                    feedback_due=[(11, 2), (12, 3)])
    view = home_view(data)
    assert validate_view(view) == []
    values = [e.get("value") for b in view["blocks"] for e in b.get("elements", []) if e.get("action_id") == ids.OPEN_FEEDBACK]
    assert values == ["11"]


def test_an_experiment_reminder_does_not_stutter() -> None:
    from bot.blocks.sessions import experiment_reminder

    text = experiment_reminder(sequence=3, due=dt.datetime(2026, 3, 9, tzinfo=UTC),
                               experiment="Try the 'disagree and commit' framing")["blocks"][0]["text"]["text"]
    assert "try Try" not in text and "Try the 'disagree and commit' framing" in text
