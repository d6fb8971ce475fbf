"""Block Kit validator: realistic payloads pass, each Slack limit is rejected."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from devtools.blockkit import validate_blocks, validate_view


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict:
    return {"text": plain(text), "value": value}


def button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict:
    return {"type": "button", "text": plain(text), "action_id": action_id, **extra}


def section(text: str = "hello") -> dict:
    return {"type": "section", "text": mrkdwn(text)}


def text_input(block_id: str = "goal", **element: Any) -> dict:
    return {"type": "input", "block_id": block_id, "label": plain("Your goal"),
            "element": {"type": "plain_text_input", "action_id": "value", **element}}


MESSAGE = [
    {"type": "header", "text": plain("Meet your new mentoring partner :wave:")},
    {"type": "section", "block_id": "intro", "text": mrkdwn("*Ada* <@U123> and you are paired this month."),
     "accessory": button("Reschedule", "reschedule", value="pair-1", style="primary")},
    {"type": "section", "fields": [mrkdwn("*Timezone*\nPST"), mrkdwn("*Cadence*\nBiweekly")]},
    {"type": "divider"},
    {"type": "context", "elements": [mrkdwn("Round 3"), {"type": "image", "image_url": "https://x/y.png",
                                                          "alt_text": "avatar"}]},
    {"type": "actions", "block_id": "pair_actions", "elements": [
        button("We met", "met", value="met"),
        button("Skip", "skip", style="danger",
               confirm={"title": plain("Skip?"), "text": mrkdwn("Really skip?"), "confirm": plain("Yes"),
                        "deny": plain("No")}),
        {"type": "overflow", "action_id": "more", "options": [option("Pause", "pause"), option("Leave", "leave")]},
        {"type": "static_select", "action_id": "cadence", "placeholder": plain("Cadence"),
         "options": [option("Weekly", "w"), option("Biweekly", "b")]},
        {"type": "datepicker", "action_id": "date", "initial_date": "2026-03-02"},
        {"type": "timepicker", "action_id": "time", "initial_time": "09:30"},
        {"type": "users_select", "action_id": "who"},
    ]},
    {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "chart", "title": plain("Chart")},
    {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}]},
]

MODAL = {
    "type": "modal",
    "callback_id": "signup",
    "private_metadata": '{"program": 1}',
    "title": plain("Join Tandem"),
    "submit": plain("Join"),
    "close": plain("Cancel"),
    "blocks": [
        section("Tell us a bit about yourself."),
        text_input("goal", multiline=True, max_length=500, placeholder=plain("e.g. learn Rust")),
        {"type": "input", "block_id": "role", "label": plain("Role"), "element": {
            "type": "radio_buttons", "action_id": "value",
            "options": [{"text": mrkdwn("*Mentor*"), "value": "mentor"}, option("Mentee", "mentee")]}},
        {"type": "input", "block_id": "topics", "label": plain("Topics"), "optional": True, "element": {
            "type": "multi_static_select", "action_id": "value", "max_selected_items": 3,
            "option_groups": [{"label": plain("Eng"), "options": [option("Python", "py"), option("Go", "go")]}]}},
        {"type": "input", "block_id": "team", "label": plain("Team"), "element": {
            "type": "external_select", "action_id": "value", "min_query_length": 0}},
        {"type": "input", "block_id": "hours", "label": plain("Hours per month"), "hint": plain("Roughly"),
         "element": {"type": "number_input", "action_id": "value", "is_decimal_allowed": False,
                     "min_value": "1", "max_value": "20"}},
        {"type": "input", "block_id": "days", "label": plain("Days"), "element": {
            "type": "checkboxes", "action_id": "value", "options": [option("Mon", "mon"), option("Tue", "tue")]}},
        {"type": "input", "block_id": "channel", "label": plain("Channel"), "element": {
            "type": "conversations_select", "action_id": "value"}},
        {"type": "input", "block_id": "start", "label": plain("Start"), "element": {
            "type": "datetimepicker", "action_id": "value", "initial_date_time": 1772442000}},
    ],
}

HOME = {
    "type": "home",
    "blocks": [
        {"type": "header", "text": plain("Tandem")},
        section("You are in *2* programs."),
        {"type": "actions", "elements": [button("Join a program", "join"), button("Settings", "settings")]},
    ],
}


def test_realistic_payloads_are_valid() -> None:
    assert validate_blocks(MESSAGE, "message") == []
    assert validate_view(MODAL) == []
    assert validate_view(HOME) == []
    assert validate_blocks(MODAL["blocks"], "modal") == []


def test_block_count_limits_depend_on_surface() -> None:
    dividers = [{"type": "divider"}] * 50
    assert validate_blocks(dividers, "message") == []
    errors = validate_blocks(dividers + [{"type": "divider"}], "message")
    assert errors == ["must have at most 50 blocks in a message (got 51) [json-pointer:/blocks]"]
    assert validate_blocks([{"type": "divider"}] * 100, "modal") == []
    assert validate_blocks([{"type": "divider"}] * 100, "home") == []
    assert validate_blocks([{"type": "divider"}] * 101, "home") != []


def test_unknown_surface_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_blocks([], "dialog")


def _first_error(blocks: list, surface: str = "message") -> str:
    errors = validate_blocks(blocks, surface)
    assert errors, "expected the blocks to be rejected"
    return errors[0]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        pytest.param([section("x" * 3001)], "/blocks/0/text/text", id="section-text-3001"),
        pytest.param([{"type": "section", "text": mrkdwn("")}], "more than 0 characters", id="empty-text"),
        pytest.param([{"type": "section", "text": {"type": "markdown", "text": "x"}}], "/blocks/0/text/type",
                     id="bad-text-type"),
        pytest.param([{"type": "section", "text": {"type": "mrkdwn"}}], "/blocks/0/text/text", id="missing-text"),
        pytest.param([{"type": "section"}], "section must have text or fields", id="section-empty"),
        pytest.param([{"type": "section", "fields": [mrkdwn("f")] * 11}], "at most 10 items", id="11-fields"),
        pytest.param([{"type": "section", "fields": [mrkdwn("f" * 2001)]}], "/blocks/0/fields/0/text",
                     id="field-2001"),
        pytest.param([{"type": "header", "text": plain("h" * 151)}], "at most 150", id="header-151"),
        pytest.param([{"type": "header", "text": mrkdwn("*h*")}], "/blocks/0/text/type", id="header-mrkdwn"),
        pytest.param([{"type": "context", "elements": []}], "at least 1", id="context-empty"),
        pytest.param([{"type": "context", "elements": [mrkdwn("c")] * 11}], "at most 10", id="context-11"),
        pytest.param([{"type": "actions", "elements": []}], "at least 1", id="actions-empty"),
        pytest.param([{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}],
                     "at most 25", id="actions-26"),
        pytest.param([{"type": "actions", "elements": [button(action_id="a"), button(action_id="a")]}],
                     "duplicate action_id", id="dup-action-id"),
        pytest.param([section("a") | {"block_id": "x"}, section("b") | {"block_id": "x"}], "duplicate block_id",
                     id="dup-block-id"),
        pytest.param([section() | {"block_id": "b" * 256}], "/blocks/0/block_id", id="block-id-256"),
        pytest.param([{"type": "actions", "elements": [button("b" * 76)]}], "at most 75", id="button-text-76"),
        pytest.param([{"type": "actions", "elements": [button(text="b", action_id="a" * 256)]}],
                     "/action_id", id="action-id-256"),
        pytest.param([{"type": "actions", "elements": [button(value="v" * 2001)]}], "/value", id="value-2001"),
        pytest.param([{"type": "actions", "elements": [button(url="https://" + "u" * 3000)]}], "/url",
                     id="url-3001"),
        pytest.param([{"type": "actions", "elements": [button(style="secondary")]}], "/style", id="bad-style"),
        pytest.param([{"type": "actions", "elements": [{"type": "button", "text": mrkdwn("*b*"),
                                                        "action_id": "b"}]}], "/text/type", id="button-mrkdwn"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                        "options": [option("o" * 76, "v")]}]}],
                     "/options/0/text/text", id="option-text-76"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                        "options": [option("o", "v" * 151)]}]}],
                     "/options/0/value", id="option-value-151"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                        "options": [option("o", str(i)) for i in range(101)]}]}],
                     "at most 100", id="options-101"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                        "options": []}]}], "at least 1", id="options-0"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s"}]}],
                     "exactly one of options or option_groups", id="select-no-options"),
        pytest.param([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s",
                                                        "placeholder": plain("p" * 151),
                                                        "options": [option("o", "v")]}]}],
                     "/placeholder/text", id="placeholder-151"),
        pytest.param([{"type": "actions", "elements": [{"type": "external_select", "action_id": "s",
                                                        "min_query_length": -1}]}],
                     "min_query_length", id="min-query-negative"),
        pytest.param([{"type": "actions", "elements": [{"type": "datepicker", "action_id": "d",
                                                        "initial_date": "03/02/2026"}]}],
                     "YYYY-MM-DD", id="bad-date"),
        pytest.param([{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}],
                     "not allowed here", id="text-input-in-actions"),
        pytest.param([{"type": "section", "text": mrkdwn("x"),
                       "accessory": {"type": "overflow", "action_id": "o",
                                     "options": [option("o", str(i)) for i in range(6)]}}],
                     "at most 5", id="overflow-6"),
        pytest.param([{"type": "image", "image_url": "https://x/y.png"}], "/alt_text", id="image-no-alt"),
        pytest.param([{"type": "video"}], "unsupported block type 'video'", id="unknown-block"),
        pytest.param(["section"], "must be a block object", id="not-a-dict"),
        pytest.param([text_input()], "input blocks are only allowed", id="input-in-message"),
    ],
)
def test_message_limits_are_rejected(blocks: list, expected: str) -> None:
    assert expected in _first_error(blocks)


def _modal(**changes: Any) -> dict:
    view = copy.deepcopy(MODAL)
    view.update(changes)
    return view


def _with_block(block: dict) -> Callable[[], dict]:
    return lambda: _modal(blocks=[block])


@pytest.mark.parametrize(
    ("make_view", "expected"),
    [
        pytest.param(lambda: _modal(title=plain("t" * 25)), "/view/title/text", id="title-25"),
        pytest.param(lambda: {k: v for k, v in MODAL.items() if k != "title"}, "/view/title", id="no-title"),
        pytest.param(lambda: _modal(title=mrkdwn("Join")), "/view/title/type", id="title-mrkdwn"),
        pytest.param(lambda: _modal(submit=plain("s" * 25)), "/view/submit/text", id="submit-25"),
        pytest.param(lambda: _modal(close=plain("c" * 25)), "/view/close/text", id="close-25"),
        pytest.param(lambda: {k: v for k, v in MODAL.items() if k != "submit"}, "must have a submit",
                     id="inputs-without-submit"),
        pytest.param(lambda: _modal(private_metadata="m" * 3001), "/view/private_metadata", id="metadata-3001"),
        pytest.param(lambda: _modal(callback_id="c" * 256), "/view/callback_id", id="callback-256"),
        pytest.param(lambda: _modal(external_id="e" * 256), "/view/external_id", id="external-256"),
        pytest.param(lambda: _modal(type="dialog"), "/view/type", id="bad-type"),
        pytest.param(lambda: _modal(blocks=[{"type": "divider"}] * 101), "at most 100 blocks", id="101-blocks"),
        pytest.param(_with_block(text_input(max_length=3001)), "max_length", id="max-length-3001"),
        pytest.param(_with_block(text_input(initial_value="v" * 3001)), "initial_value", id="initial-3001"),
        pytest.param(_with_block({"type": "input", "label": plain("L")}), "/view/blocks/0/element",
                     id="input-no-element"),
        pytest.param(_with_block({"type": "input", "label": plain("l" * 2001),
                                  "element": {"type": "plain_text_input"}}), "/view/blocks/0/label/text",
                     id="label-2001"),
        pytest.param(_with_block(text_input() | {"hint": plain("h" * 2001)}), "/view/blocks/0/hint/text",
                     id="hint-2001"),
        pytest.param(_with_block({"type": "input", "label": plain("L"), "element": button()}), "not allowed here",
                     id="button-in-input"),
        pytest.param(_with_block({"type": "input", "label": plain("L"),
                                  "element": {"type": "number_input", "action_id": "n"}}), "is_decimal_allowed",
                     id="number-input-missing-flag"),
        pytest.param(_with_block({"type": "input", "label": plain("L"), "element": {
            "type": "radio_buttons", "action_id": "r", "options": [option("o", str(i)) for i in range(11)]}}),
                     "at most 10", id="radio-11"),
    ],
)
def test_view_limits_are_rejected(make_view: Callable[[], dict], expected: str) -> None:
    errors = validate_view(make_view())
    assert any(expected in e for e in errors), errors


def test_home_view_may_contain_inputs_without_submit() -> None:
    assert validate_view({"type": "home", "blocks": [text_input()]}) == []


def test_errors_are_collected_not_short_circuited() -> None:
    errors = validate_blocks([section(""), {"type": "header", "text": plain("h" * 151)}], "message")
    assert len(errors) == 2
    assert errors[0].endswith("[json-pointer:/blocks/0/text/text]")
    assert errors[1].endswith("[json-pointer:/blocks/1/text/text]")
