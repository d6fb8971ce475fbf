"""Pure rules of sessions: local hours, the plan and its rotation, parsing the modals,
and the shapes of every message and modal (valid Block Kit, no private data)."""

from __future__ import annotations

import datetime as dt
import json

from bot import ids
from bot.blocks import goals as goal_blocks
from bot.blocks import sessions as blocks
from devtools.blockkit import validate_blocks, validate_view
from bot.feedback import parse_feedback, parse_retro
from bot.goals import parse_goals
from bot.localtime import (
    UTC, discomfort, in_working_hours, meeting_slot, no_later_working_time, pair_friendly_time, slack_date, zone_of,
)
from bot.models import Session
from bot.sessions import fallback_at, prompt_at, session_plan
from tests.conftest import T0
from tests.e2e.helpers import feedback_values, goals_values

WEST, EAST = zone_of("Etc/GMT+8"), zone_of("Asia/Tokyo")


def test_zone_prefers_slack_name_then_offset() -> None:
    assert zone_of("Asia/Tokyo", 0).utcoffset(T0) == dt.timedelta(hours=9)
    assert zone_of(None, -28800).utcoffset(T0) == dt.timedelta(hours=-8)
    assert zone_of("Not/AZone", 3600).utcoffset(T0) == dt.timedelta(hours=1)


def test_a_night_time_dm_moves_to_the_evening_before() -> None:
    three_am_west = dt.datetime(2026, 3, 5, 11, 0, tzinfo=UTC)  # 03:00 in UTC−8
    moved = no_later_working_time(three_am_west, WEST)
    assert moved.astimezone(WEST).hour == 17 and moved < three_am_west
    late_evening = dt.datetime(2026, 3, 5, 13, 0, tzinfo=UTC)  # 22:00 in Tokyo
    assert no_later_working_time(late_evening, EAST).astimezone(EAST).hour == 17
    noon = dt.datetime(2026, 3, 5, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    assert no_later_working_time(noon, EAST) == noon


def test_meetings_fall_in_both_working_days_on_weekdays() -> None:
    for day in range(2, 10):
        slot = meeting_slot(dt.date(2026, 3, day), [WEST, EAST])
        assert all(in_working_hours(slot, z) and slot.astimezone(z).weekday() < 5 for z in (WEST, EAST)), slot
    assert meeting_slot(dt.date(2026, 3, 5), [UTC]) == dt.datetime(2026, 3, 5, 11, tzinfo=UTC)
    saturday = meeting_slot(dt.date(2026, 3, 7), [UTC])
    assert saturday.weekday() == 0


def test_pair_messages_go_at_the_least_uncomfortable_hour() -> None:
    friendly = pair_friendly_time(dt.datetime(2026, 3, 5, 5, tzinfo=UTC), [WEST, EAST])
    assert discomfort(friendly, [WEST, EAST]) == 0 and friendly.hour in (0, 1)


def test_plan_rotates_the_mentee_and_keeps_the_weekday() -> None:
    plan = session_plan(cadence="biweekly", count=6, member_ids=[1, 2, 3], fmt="turns", start=T0,
                        zones=[WEST, EAST])
    assert [p["mentee_member_id"] for p in plan] == [None, 1, 2, 3, 1, 2]
    dues = [p["due_at"] for p in plan]
    assert all(b - a == dt.timedelta(days=14) for a, b in zip(dues, dues[1:]))
    assert dues[0] - T0 >= dt.timedelta(days=2)
    pair = session_plan(cadence="weekly", count=4, member_ids=[7, 8], fmt="turns", start=T0)
    assert [p["mentee_member_id"] for p in pair] == [None, 7, 8, 7]


def test_prompt_and_fallback_times() -> None:
    due = dt.datetime(2026, 3, 19, 0, tzinfo=UTC)  # 16:00 West, 09:00 East
    sess = Session(due_at=due, sequence=2)
    assert in_working_hours(prompt_at(sess, 48, EAST), EAST)
    assert prompt_at(sess, 48, EAST) <= due - dt.timedelta(hours=48)
    fallback = fallback_at(sess, [WEST, EAST])
    assert due - dt.timedelta(hours=4) <= fallback <= due
    assert all(in_working_hours(fallback, z) for z in (WEST, EAST))


def test_goals_parse_one_to_three_and_explain_problems() -> None:
    today = dt.date(2026, 3, 2)
    parsed, errors = parse_goals(goals_values([("Ship it", "Live", "2026-04-01", "Growth"),
                                               ("Learn SQL", "", "", "")]), today)
    assert not errors and parsed is not None and [g.what for g in parsed.goals] == ["Ship it", "Learn SQL"]
    assert parsed.goals[0].by_date == dt.date(2026, 4, 1)
    _, errors = parse_goals(goals_values([]), today)
    assert "goal1_what" in errors
    _, errors = parse_goals(goals_values([("Ship it", "", "2026-03-01", "")]), today)
    assert "goal1_by" in errors


def test_feedback_and_retro_need_their_answers() -> None:
    parsed, errors = parse_feedback(feedback_values("5", note="mine", goals={3: "done"}))
    assert parsed is not None and parsed.rating == 5 and parsed.private_note == "mine" and parsed.goal_progress == {3: "done"}
    _, errors = parse_feedback(feedback_values("9", takeaway=""))
    assert set(errors) == {ids.FEEDBACK_RATING[0], ids.FEEDBACK_TAKEAWAY[0]}
    _, errors = parse_retro({})
    assert set(errors) == {ids.RETRO_LEARNED[0], ids.RETRO_AGAIN[0]}


def test_every_message_and_modal_is_valid_block_kit() -> None:
    due = dt.datetime(2026, 3, 19, 11, tzinfo=UTC)
    messages = [
        blocks.kickoff_prompt(pairing_id=1, due=due, user_ids=["U1", "U2"]),
        blocks.dilemma_prompt(session_id=3, sequence=2, due=due, partner_ids=["U2"], experiment="x" * 5000),
        blocks.dilemma_prompt(session_id=3, sequence=2, due=due, partner_ids=["U2"], experiment=None, reminder=True),
        blocks.experiment_reminder(sequence=3, due=due, experiment="try <!here>"),
        blocks.dilemma_posted(mentee_id="U1", mentor_ids=["U2"], sequence=2, due=due, situation="s" * 9000,
                              tried=None, want="w"),
        blocks.brainstorm_prompt(sequence=2, due=due, fallback=True),
        blocks.checkin_message(session_id=3, sequence=2, due=due, reminder=False),
        blocks.checkin_answered(sequence=2, user_id="U1", answer="met"),
        blocks.feedback_ask(session_id=3, sequence=2, user_id="U1"),
        blocks.schedule_changed(user_id="U1", sequence=2, due=due, cadence="weekly", later=3),
        blocks.fit_check(pairing_id=1, partner_ids=["U2"]),
        blocks.stalled_prompt(pairing_id=1, partner_ids=["U2"]),
        blocks.pairing_closed(reason="fit", priority=True),
        blocks.resumed_message(user_id="U1", due=due),
        blocks.retro_prompt(pairing_id=1, partner_ids=["U2"], sessions=6),
        blocks.ask_posted(user_id="U1", partner_ids=["U2"], text="line\n<@U3> <!channel>"),
        blocks.experts_message("Go", [("U5", "6–9 years", "Sales & <Ops>")]),
        goal_blocks.goals_posted(user_id="U1", goals=[goal_blocks.GoalView(1, "w", "m", dt.date(2026, 5, 1), "y")],
                                 shared_intent="together"),
        goal_blocks.goal_done(user_id="U1", what="w"),
    ]
    for payload in messages:
        assert validate_blocks(payload["blocks"], "message") == [], payload["text"]
    views = [
        blocks.dilemma_modal(session_id=3, sequence=2, situation="s"),
        blocks.feedback_modal(session_id=3, sequence=2, goals=[(1, "A goal", "in_progress")]),
        blocks.reschedule_modal(pairing_id=1, session_id=3, sequence=2, initial=due, cadence="monthly"),
        blocks.retro_modal(pairing_id=1),
        blocks.info_modal("Hello"),
        goal_blocks.goals_modal(pairing_id=1, goals=[goal_blocks.GoalView(1, "w", None, dt.date(2026, 5, 1), None)],
                                shared_intent=None),
    ]
    for view in views:
        assert validate_view(view) == [], view["callback_id"]
    assert "<!channel>" not in json.dumps(messages[15]) and "<@U3>" in json.dumps(messages[15]) and "<!here>" not in json.dumps(messages[3])


def test_slack_dates_render_in_each_readers_zone_with_a_utc_fallback() -> None:
    token = slack_date(dt.datetime(2026, 3, 19, 0, tzinfo=UTC))
    assert token.startswith("<!date^1773878400^{date_short_pretty} at {time}|") and "UTC" in token
