"""Issue 11 item 3: each crafted value the fuzz campaign found, replayed as a correctly signed
request. Every one gets a 2xx or a 4xx within Slack's 3 seconds, logs no traceback and
changes nothing in the database."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Base
from devtools.slack_requests import FORM, JSON
from tests.conftest import T0, TEAM_ID, RunningApp
from tests.e2e.helpers import dilemma_values, feedback_values, goals_values, pair, profile_values, time_values

HUGE = str(2**63)  # one past the largest database id
OUTSIDER = "UOUTSIDER"


async def snapshot(app: RunningApp) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, except Slack event ids recorded for de-duplication."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with app.deps.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "processed_events":
                continue
            rows[table.name] = sorted((tuple(r) for r in (await conn.execute(select(table))).all()), key=repr)
    return rows


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in (r.exc_text or "")]


@pytest.fixture
async def seeded(app: RunningApp, caplog: pytest.LogCaptureFixture) -> RunningApp:
    """A pairing of two members (so ids exist to point at) and an outsider who is not in it."""
    caplog.set_level(logging.INFO)
    await pair(app, "UANA", "UBEN")
    app.slack.add_user(OUTSIDER, real_name="Outsider")
    return app


async def assert_harmless(app: RunningApp, caplog: pytest.LogCaptureFixture, send,  # type: ignore[no-untyped-def]
                          *, may_join: bool = False) -> int:
    """`send()` is answered in time, logs no traceback and changes no row (`may_join`: a profile
    that is still complete without the field replaced is an ordinary join)."""
    before = await snapshot(app)
    status, _, _ = await send()
    assert status < 500
    assert app.requests.last_elapsed is not None and app.requests.last_elapsed < 3
    assert tracebacks(caplog) == []
    if not may_join:
        assert await snapshot(app) == before
    return status


def _interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _block_actions(user: Any = None, team: Any = None, **extra: Any) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": OUTSIDER, "team_id": TEAM_ID} if user is None else user,
            "team": {"id": TEAM_ID} if team is None else team, "trigger_id": "1.2.3", "api_app_id": "A0001",
            "actions": [{"action_id": ids.CANCEL, "block_id": "b", "type": "button", "value": "1"}],
            "container": {"type": "message"}, **extra}


@pytest.mark.parametrize("action_id", [ids.OPEN_GOALS, ids.CHECKIN_MET, ids.FIT_YES, ids.OPEN_RETRO,
                                       ids.PICK_SESSION_TIME])
async def test_an_id_over_2_63_in_a_button_value(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                  action_id: str) -> None:
    await assert_harmless(seeded, caplog, lambda: seeded.requests.block_action(
        OUTSIDER, action_id, f"{HUGE}:1772443200"))


async def test_a_goal_id_over_2_63_in_a_progress_select(seeded: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    await assert_harmless(seeded, caplog, lambda: seeded.requests.block_action(
        OUTSIDER, ids.GOAL_PROGRESS, None, extra_action_fields={
            "type": "static_select", "selected_option": {"value": f"{HUGE}:done"}}))


@pytest.mark.parametrize("callback_id,values", [
    (ids.GOALS_VIEW, goals_values([("Speak up", "Twice", None, "Growth")])),
    (ids.FEEDBACK_VIEW, feedback_values()),
    (ids.DILEMMA_VIEW, dilemma_values("A situation", "", "Advice")),
    (ids.RETRO_VIEW, {}),
])
async def test_an_id_over_2_63_in_private_metadata(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                   callback_id: str, values: dict[str, Any]) -> None:
    await assert_harmless(seeded, caplog, lambda: seeded.requests.view_submission(
        OUTSIDER, callback_id, values, private_metadata=HUGE))


async def test_a_non_ascii_id_in_private_metadata(seeded: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    await assert_harmless(seeded, caplog, lambda: seeded.requests.view_submission(
        OUTSIDER, ids.FEEDBACK_VIEW, feedback_values(), private_metadata="١٢"))


@pytest.mark.parametrize("stamp", [2**40, -2**40, 253_402_300_800, 10**30])
async def test_a_session_time_out_of_range(seeded: RunningApp, caplog: pytest.LogCaptureFixture, stamp: int) -> None:
    values = time_values(seeded.clock.now)
    values[ids.SESSION_TIME[0]][ids.SESSION_TIME[1]]["selected_date_time"] = stamp
    await assert_harmless(seeded, caplog, lambda: seeded.requests.view_submission(
        OUTSIDER, ids.RESCHEDULE_VIEW, values, private_metadata="1:1"))


WRONG_TYPES = [[], 7, None, [{"a": 1}]]


@pytest.mark.parametrize("wrong", WRONG_TYPES)
@pytest.mark.parametrize("callback_id,values", [
    (ids.GOALS_VIEW, goals_values([("Speak up", "Twice", "2026-05-01", "Growth")])),
    (ids.FEEDBACK_VIEW, feedback_values()),
    (ids.DILEMMA_VIEW, dilemma_values("A situation", "", "Advice")),
    (ids.PROFILE_VIEW, profile_values(new_offers="Python", new_wants="Go")),
    (ids.RESCHEDULE_VIEW, time_values(T0)),
    (ids.SETTINGS_VIEW, {}),
])
async def test_state_values_of_the_wrong_json_type(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                   callback_id: str, values: dict[str, Any], wrong: Any) -> None:
    """Each state element, each block, and the whole values object, replaced by a wrong type."""
    variants: list[Any] = [wrong]
    for block_id, block in values.items():
        variants.append({**values, block_id: wrong})
        for action_id in block:
            variants.append({**values, block_id: {action_id: wrong}})
            for field in block[action_id]:
                if field != "type":
                    variants.append({**values, block_id: {action_id: {**block[action_id], field: wrong}}})
    for variant in variants:
        await assert_harmless(seeded, caplog, lambda: seeded.requests.view_submission(
            OUTSIDER, callback_id, variant, private_metadata="1"), may_join=callback_id == ids.PROFILE_VIEW)


@pytest.mark.parametrize("metadata", [[], {"a": 1}, 12, None, True])
async def test_private_metadata_of_the_wrong_json_type(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                       metadata: Any) -> None:
    for callback_id in (ids.GOALS_VIEW, ids.FEEDBACK_VIEW, ids.DILEMMA_VIEW, ids.RESCHEDULE_VIEW, ids.RETRO_VIEW):
        payload = {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": OUTSIDER},
                   "view": {"id": "V1", "callback_id": callback_id, "private_metadata": metadata,
                            "state": {"values": {}}}}
        await assert_harmless(seeded, caplog, lambda: seeded.requests.post(_interaction(payload), FORM))


@pytest.mark.parametrize("user,team", [("UOUTSIDER", None), (7, None), ([OUTSIDER], None), (None, "T0001"),
                                       (None, ["T0001"]), ({"id": 5}, None), ({"id": "bad id ☃"}, None)])
async def test_user_or_team_that_are_not_objects(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                 user: Any, team: Any) -> None:
    for body in (_block_actions(user, team),
                 {**_block_actions(user, team), "type": "view_submission",
                  "view": {"id": "V1", "callback_id": ids.FEEDBACK_VIEW, "state": {"values": {}}}}):
        await assert_harmless(seeded, caplog, lambda: seeded.requests.post(_interaction(body), FORM))


@pytest.mark.parametrize("event_id", [["Ev1"], {"id": 1}, 12])
async def test_event_id_that_is_not_a_string(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                             event_id: Any) -> None:
    envelope = {"type": "event_callback", "team_id": TEAM_ID, "api_app_id": "A0001", "event_id": event_id,
                "event": {"type": "app_home_opened", "user": OUTSIDER, "tab": "home"}}
    await assert_harmless(seeded, caplog, lambda: seeded.requests.post(json.dumps(envelope).encode(), JSON))


@pytest.mark.parametrize("url", ["not a url", 7, ["https://x"], "javascript:alert(1)", "https://"])
async def test_a_response_url_that_is_not_a_url(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                url: Any) -> None:
    await assert_harmless(seeded, caplog, lambda: seeded.requests.post(
        _interaction(_block_actions(response_url=url)), FORM))
    form = {"team_id": TEAM_ID, "user_id": OUTSIDER, "command": "/tandem", "text": "status",
            "trigger_id": "1.2.3", "channel_id": "C1", "response_url": url}
    await assert_harmless(seeded, caplog, lambda: seeded.requests.post(urlencode(form).encode(), FORM))


@pytest.mark.parametrize("body,content_type", [
    (b"not json at all", JSON), (b'{"type": "event_callback", "event": {', JSON), (b"[1, 2, 3]", JSON),
    (b'"a string"', JSON), (b"null", JSON), (b"12", JSON),
    (urlencode({"payload": "not json"}).encode(), FORM), (urlencode({"payload": "[1]"}).encode(), FORM),
    (urlencode({"payload": '"s"'}).encode(), FORM), (urlencode({"payload": '{"type": "block_'}).encode(), FORM),
    (b"[" * 5000 + b"]" * 5000, JSON),
])
async def test_bodies_that_are_not_a_json_object(seeded: RunningApp, caplog: pytest.LogCaptureFixture,
                                                 body: bytes, content_type: str) -> None:
    status = await assert_harmless(seeded, caplog, lambda: seeded.requests.post(body, content_type))
    assert status == 400


async def test_an_unsigned_malformed_body_is_refused_as_unsigned(seeded: RunningApp) -> None:
    status, _, _ = await seeded.requests.post(b"[1]", JSON, signature="v0=00")
    assert status == 401


async def test_a_well_formed_request_still_works(seeded: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    """The validating layer lets Slack's real payloads through: a Cancel click is answered."""
    status, _, _ = await seeded.requests.block_action(OUTSIDER, ids.CANCEL, "x")
    assert status == 200
    await seeded.slack.wait_for("response_url")
