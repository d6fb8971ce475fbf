"""Issue 11 item 3: the validating layer accepts what Slack really sends and refuses the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.payloads import envelope_problem, problem

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "slack" / "samples"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.json")))
def test_real_slack_payloads_pass(name: str) -> None:
    assert problem(json.loads((SAMPLES / name).read_text())) is None


def _sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


@pytest.mark.parametrize("change", [
    lambda b: b.update(user="U1"), lambda b: b.update(team=["T1"]), lambda b: b.update(response_url="nope"),
    lambda b: b["actions"][0].update(value=str(2**63)), lambda b: b["actions"][0].update(value="١٢"),
    lambda b: b.update(actions=[]), lambda b: b["actions"].append(7), lambda b: b.update(trigger_id=[1]),
    lambda b: b["user"].update(id="u lower"), lambda b: b.update(team={"id": "X1"}),
])
def test_crafted_block_actions_are_refused(change: Any) -> None:
    body = _sample("block_actions.json")
    change(body)
    assert problem(body) is not None


@pytest.mark.parametrize("change", [
    lambda v: v.update(private_metadata=[]), lambda v: v.update(private_metadata=f"1:{2**64}"),
    lambda v: v.update(state={"values": None}), lambda v: v.update(state=[]),
    lambda v: v["state"]["values"].update(b={"a": {"selected_date": "10000-01-01"}}),
    lambda v: v["state"]["values"].update(b={"a": {"selected_date": "2026-02-30"}}),
    lambda v: v["state"]["values"].update(b={"a": {"selected_date_time": 10**13}}),
    lambda v: v["state"]["values"].update(b={"a": {"selected_date_time": "1772443200"}}),
    lambda v: v["state"]["values"].update(b={"a": {"selected_option": "x"}}),
    lambda v: v["state"]["values"].update(b={"a": {"selected_users": ["U1", 2]}}),
    lambda v: v["state"]["values"].update(b={"a": {"value": {"value": 1}}}),
    lambda v: v["state"]["values"].update(b=[]), lambda v: v.update(callback_id=None),
])
def test_crafted_view_submissions_are_refused(change: Any) -> None:
    body = _sample("view_submission.json")
    change(body["view"])
    assert problem(body) is not None


@pytest.mark.parametrize("body", [None, [], "s", 12, [{"type": "block_actions"}],
                                  {"type": "event_callback", "team_id": "T1", "event_id": ["Ev1"], "event": {}},
                                  {"type": "block_actions", "user": 5}, {"event": "x"}])
def test_unreadable_envelopes(body: Any) -> None:
    assert envelope_problem(body) is not None


def test_a_new_skill_name_may_hold_any_digits() -> None:
    body = _sample("view_submission.json")
    body["view"]["state"]["values"]["b"] = {"a": {"selected_options": [{"value": "new:Python ٣ " + "9" * 30}]}}
    assert problem(body) is None
