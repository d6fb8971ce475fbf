"""manifest.yml is a valid Slack app manifest and agrees with the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot import ids
from handlers.events import EVENT_HANDLERS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "slack-specs" / "manifest-schema" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest(), schema)


def test_bot_events_are_exactly_the_events_the_app_handles() -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert set(events) == set(EVENT_HANDLERS)


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
