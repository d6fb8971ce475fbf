"""Circle wording in the Block Kit builders (issue 15 items 7, 8): valid Block Kit, facilitator
and circle words, and the suggestion buttons carry counts only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot import ids
from bot.blocks.admin import stats_message
from bot.blocks.members import trio_continues_message
from bot.blocks.programs import circle_invitation
from bot.blocks.rounds import intro_message
from bot.blocks.sessions import dilemma_modal, dilemma_posted, dilemma_prompt
from bot.circle_suggestions import CircleSuggestion
from devtools.blockkit import validate_blocks, validate_view
from tests.unit.test_stats_blocks import _stats

DUE = dt.datetime(2026, 3, 10, 10, tzinfo=dt.timezone.utc)


def test_circle_messages_speak_of_the_facilitator_and_the_circle() -> None:
    intro = intro_message(pairing_id=1, user_ids=["U1", "U2", "U3", "U4"], reasons=["r"], kickoff_at=DUE,
                          sessions=6, cadence="weekly", trio=False, circle=True)
    prompt = dilemma_prompt(session_id=5, sequence=2, due=DUE, partner_ids=["U2", "U3"], experiment=None,
                            circle=True)
    posted = dilemma_posted(mentee_id="U1", mentor_ids=["U2", "U3"], sequence=2, due=DUE, situation="S",
                            tried=None, want="W", circle=True)
    for payload, words in ((intro, ["Meet your Tandem circle", "facilitator"]),
                           (prompt, ["your turn to facilitate", "dilemma or topic"]),
                           (posted, ["<@U1> facilitates session 2", "The topic"])):
        assert validate_blocks(payload["blocks"], "message") == []
        text = json.dumps(payload)
        assert all(w in text for w in words), words
        assert "mentee" not in text.lower() and "partner" not in text.lower()
    view = dilemma_modal(session_id=5, sequence=2, circle=True)
    assert validate_view(view) == [] and "circle" in json.dumps(view) and "partner" not in json.dumps(view)
    pair = dilemma_prompt(session_id=5, sequence=2, due=DUE, partner_ids=["U2"], experiment=None)
    assert "your turn to be the mentee" in json.dumps(pair)  # pairs unchanged
    smaller = trio_continues_message(["U1", "U2", "U3"])
    assert "carry on as a circle" in json.dumps(smaller) and "as a pair" in json.dumps(trio_continues_message(["U1", "U2"]))


def test_suggested_circles_show_counts_and_one_button_each_never_names() -> None:
    stats = dataclasses.replace(_stats(), circle_suggestions=[
        CircleSuggestion(7, 11, "Public speaking", 9, 1), CircleSuggestion(7, 12, "A" * 120, 6, 2)])
    payload = stats_message(stats)
    assert validate_blocks(payload["blocks"], "message") == []
    found = [b["accessory"] for b in payload["blocks"] if b.get("block_id", "").startswith("circle_suggestion_")]
    assert [(e["action_id"], e["value"]) for e in found] == [(ids.START_CIRCLE, "7:11"), (ids.START_CIRCLE, "7:12")]
    assert found[0]["text"]["text"] == "Start a circle for Public speaking"
    assert "wanted by 9, offered by 1" in json.dumps(payload) and "<@" not in json.dumps(payload)
    assert "circle_suggestion_" not in json.dumps(stats_message(_stats()))
    invite = circle_invitation(program_id=9, skill="Public speaking", offers=False)
    assert validate_blocks(invite["blocks"], "message") == [] and "<@" not in json.dumps(invite)
    assert [e["value"] for b in invite["blocks"] if b["type"] == "actions" for e in b["elements"]] == ["9"]
