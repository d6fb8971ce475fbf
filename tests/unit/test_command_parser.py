"""The `/tandem` grammar, including arbitrary text thrown at it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.help import help_message
from bot.commands import PAUSE_DEFAULT_WEEKS, PAUSE_MAX_WEEKS, Command, parse
from devtools.blockkit import validate_blocks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("  help ", Command("help")),
        ("JOIN", Command("join")),
        ("profile", Command("profile")),
        ("status", Command("status")),
        ("goals", Command("goals")),
        ("resume", Command("resume")),
        ("leave", Command("leave")),
        ("forget-me", Command("forget-me")),
        ("pause", Command("pause", weeks=PAUSE_DEFAULT_WEEKS)),
        ("pause 3", Command("pause", weeks=3)),
        ("ask how do I say no to my boss?", Command("ask", arg="how do I say no to my boss?")),
        ("experts public speaking", Command("experts", arg="public speaking")),
        ("admin", Command("admin")),
        ("admin announce <#C0123|mentoring>", Command("admin announce", channel_id="C0123")),
        ("admin announce C0123", Command("admin announce", channel_id="C0123")),
        ("admin match", Command("admin match")),
        ("admin match preview", Command("admin match preview")),
        ("admin stats", Command("admin stats")),
        ("admin export", Command("admin export")),
    ],
)
def test_grammar(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["dance", "pause 0", "pause ²", f"pause {PAUSE_MAX_WEEKS + 1}", "pause soon", "ask", "experts", "join now",
     "admin announce", "admin announce #general", "admin nuke", "admin match everything"],
)
def test_unknown_or_malformed_text_gets_help_with_a_reason(text: str) -> None:
    command = parse(text)
    assert command.name == "help"
    assert command.problem


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_crashes_and_help_stays_valid_block_kit(text: str) -> None:
    command = parse(text)
    assert command.name in {
        "help", "join", "profile", "status", "goals", "ask", "experts", "pause", "resume", "leave",
        "forget-me", "admin", "admin announce", "admin match", "admin match preview", "admin stats",
        "admin export",
    }
    message = help_message(command.problem)
    assert validate_blocks(message["blocks"], "message") == []
    assert "<!" not in str(message["blocks"])  # user text cannot ping anyone
