"""Issue 11 item 3: the modal parsers read a value of the wrong JSON type as a missing one
(a field error), never an exception; id references are bounded to database ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import ids
from bot.feedback import parse_feedback, parse_retro
from bot.goals import parse_goals
from bot.models import MAX_DB_ID, db_id
from bot.profiles import parse_submission
from bot.program_settings import read_settings_form
from bot.sessions import StaleAction, parse_form_ref, parse_ref

WRONG = [None, 7, True, 1.5, "text", [], [None], {"value": {}}, [[["x"]]]]
BLOCKS = [ids.SHARED_INTENT, ids.FEEDBACK_RATING, ids.FEEDBACK_TAKEAWAY, ids.RETRO_AGAIN, ids.RETRO_LEARNED,
          ids.OFFERS, ids.NEW_OFFERS, ids.EXPERIENCE, ids.SESSION_FORMAT, ids.DONT_PAIR, ids.WORK_DAYS,
          ids.SETTINGS_CHANNEL, ids.SETTINGS_CADENCE, ids.SETTINGS_SESSIONS, ("goal1_what", ids.GOAL_INPUT),
          ("goal1_by", ids.GOAL_INPUT), (f"{ids.FEEDBACK_GOAL_PREFIX}{2**64}", ids.FEEDBACK_GOAL_SELECT)]
FIELDS = ["value", "selected_option", "selected_options", "selected_users", "selected_date",
          "selected_conversation"]

PARSERS = {
    "goals": lambda v: parse_goals(v, dt.date(2026, 3, 2)),
    "feedback": parse_feedback,
    "retro": parse_retro,
    "profile": lambda v: parse_submission(v, user_id="U1"),
    "settings": read_settings_form,
}


def shapes(wrong: Any) -> list[Any]:
    out: list[Any] = [wrong]
    for block, action in BLOCKS:
        out.append({block: wrong})
        out.append({block: {action: wrong}})
        for field in FIELDS:
            out.append({block: {action: {field: wrong}}})
            out.append({block: {action: {field: [wrong]}}})
            out.append({block: {action: {"selected_option": {"value": wrong}}}})
    return out


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("wrong", WRONG, ids=repr)
def test_parsers_answer_wrong_types_with_field_errors(name: str, wrong: Any) -> None:
    for values in shapes(wrong):
        parsed, errors = PARSERS[name](values)
        assert parsed is not None or errors, values


@pytest.mark.parametrize("value", [str(2**63), f"{2**63}:1", "1:" + "9" * 30, "١٢", "٣:٤", "0", "-1", None, 12, [],
                                   {"a": 1}])
def test_references_out_of_range_or_of_the_wrong_type_are_stale(value: Any) -> None:
    with pytest.raises(StaleAction):
        parse_ref(value)
    with pytest.raises(StaleAction):
        parse_form_ref(value if not isinstance(value, str) else f"{value}:{value}")


def test_db_id_bounds() -> None:
    assert db_id(str(MAX_DB_ID)) == MAX_DB_ID
    assert db_id("1") == 1
    assert [db_id(v) for v in (str(MAX_DB_ID + 1), "0", "١", "1.0", " 1", "", None, 5)] == [None] * 8
    assert parse_ref("12:1772443200") == (12, 1772443200)
    assert parse_form_ref("3:4:5") == (3, 4, 5)
