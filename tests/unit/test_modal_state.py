"""bot/modal_state.py: one reader of `view.state.values`; wrong JSON types read as missing."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import ids, modal_state
from bot.feedback import parse_feedback, parse_retro
from bot.goals import parse_goals
from bot.profiles import parse_submission
from bot.program_settings import read_settings_form
from bot.sessions import parse_dilemma, parse_new_time

HOSTILE = [None, 7, 1.5, True, "text", [], ["a"], {"x": 1}]


def test_reads_each_kind_of_element() -> None:
    values = {
        "b": {"t": {"value": "  hi  "}, "s": {"selected_option": {"value": "v"}},
              "m": {"selected_options": [{"value": "1"}, {"value": 2}, "junk", {"value": "3"}]},
              "u": {"selected_users": ["U1", 5, "U2"]}, "d": {"selected_date": "2026-03-04"},
              "dt": {"selected_date_time": 1772442000}, "c": {"selected_conversation": "C1"}},
    }
    assert modal_state.text(values, ("b", "t")) == "hi"
    assert modal_state.text(values, ("b", "t"), 1) == "h"
    assert modal_state.selected(values, ("b", "s")) == "v"
    assert modal_state.selected_values(values, ("b", "m")) == ["1", "3"]
    assert modal_state.selected_users(values, ("b", "u")) == ["U1", "U2"]
    assert modal_state.date(values, ("b", "d")) == "2026-03-04"
    assert modal_state.date_time(values, ("b", "dt")) == "1772442000"
    assert modal_state.conversation(values, ("b", "c")) == "C1"
    assert modal_state.date_time({"b": {"dt": {"selected_date_time": 10**30}}}, ("b", "dt")) is None  # no overflow
    assert modal_state.has_block(values, "b") and not modal_state.has_block(values, "x")


@pytest.mark.parametrize("junk", HOSTILE)
def test_wrong_types_at_every_level_read_as_missing(junk: object) -> None:
    for values in (junk, {"b": junk}, {"b": {"e": junk}},
                   {"b": {"e": {"value": junk, "selected_option": junk, "selected_options": junk,
                                "selected_users": junk, "selected_date": junk, "selected_date_time": junk}}}):
        field = ("b", "e")
        assert modal_state.text(values, field) in ("", "text")
        assert modal_state.selected(values, field) is None
        assert modal_state.selected_values(values, field) == []
        assert modal_state.selected_users(values, field) in ([], ["a"])
        assert modal_state.date(values, field) in (None, "text")
        assert modal_state.date_time(values, field) in (None, "7")  # 7 s after 1970 is a (past) time
        assert modal_state.blocks_with_prefix(values, "feedback_goal_") == []


@pytest.mark.parametrize("junk", HOSTILE)
def test_every_modal_parser_turns_junk_into_field_errors(junk: object) -> None:
    """No AttributeError from any parser, whatever type sits where a field's state should be."""
    blocks = [ids.OFFERS, ids.DEPARTMENT, ids.FEEDBACK_RATING, ids.RETRO_LEARNED, ids.SETTINGS_HOUR,
              ids.DILEMMA_SITUATION, ids.SESSION_TIME, ("goal1_what", ids.GOAL_INPUT), ("feedback_goal_1", "x")]
    for values in ({b: junk for b, _ in blocks}, {b: {a: junk} for b, a in blocks}):
        assert parse_submission(values, user_id="U1")[0] is None
        assert parse_feedback(values)[0] is None
        assert parse_retro(values)[0] is None
        assert read_settings_form(values)[0] is None
        assert parse_dilemma(values)[0] is None
        assert parse_new_time(values)[0] is None
        assert parse_goals(values, dt.date(2026, 3, 2))[0] is None
