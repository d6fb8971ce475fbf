"""manifest.yml is a valid Slack app manifest and agrees with the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot import ids
from handlers import bound

ROOT = Path(__file__).resolve().parents[2]
# A copy inside the repository (tests/data/slack/SOURCE.md says where from): tests read nothing outside it.
SCHEMA = ROOT / "tests" / "data" / "slack" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(manifest(), schema)


def test_the_schema_rejects_a_broken_manifest() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = manifest()
    broken["display_information"].pop("name")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_bot_events_are_exactly_the_events_the_app_handles() -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert set(events) == set(bound("event"))


def test_the_one_slash_command_is_tandem() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert {c["command"] for c in commands} == {ids.COMMAND}


def test_interactivity_and_options_load_urls_are_set() -> None:
    settings = manifest()["settings"]
    interactivity = settings["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_scopes_cover_what_profiles_and_announcements_need() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert {"users:read", "channels:read", "groups:read", "channels:join", "im:write", "chat:write",
            "commands"} <= scopes


def test_the_fake_slacks_token_has_exactly_the_manifests_scopes() -> None:
    from devtools.fake_slack import BOT_SCOPES

    assert sorted(BOT_SCOPES) == sorted(manifest()["oauth_config"]["scopes"]["bot"])


def test_slash_command_escaping_is_what_the_parser_decodes() -> None:
    """Slack escapes /tandem text (`should_escape: true`); bot.slacktext decodes exactly that, once."""
    from bot.slacktext import SHOULD_ESCAPE

    commands = manifest()["features"]["slash_commands"]
    assert [c["should_escape"] for c in commands] == [SHOULD_ESCAPE] == [True]


def test_shortcuts_are_exactly_the_ones_the_app_binds() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert {s["callback_id"] for s in shortcuts} == set(bound("shortcut"))
    kinds = {s["callback_id"]: s["type"] for s in shortcuts}
    assert kinds == {ids.ASK_PEER_SHORTCUT: "global", ids.BRING_SHORTCUT: "message"}
