"""Issue 11 item 3: a seeded fuzz campaign through the running app.

Every action id, view callback id and options input named in bot/ids.py, and every
event type in manifest.yml, gets Slack-shaped requests whose values are mutated
(huge and negative numbers, non-ASCII digits and text, wrong JSON types, nulls,
nested lists, overlong strings, out-of-range dates and times), correctly signed,
from someone who is in no pairing. Each must be answered (status < 500) within
Slack's 3 seconds, no ERROR or traceback may be logged, and no row may change
(bar Slack event ids kept for de-duplication, and the surfaces where anybody's
valid request rightly stores something: a profile submission, team_join and
member_joined_channel, and Slack's own app_uninstalled and tokens_revoked, which stop the
workspace — those are fuzzed for answers and logs only).
"""

from __future__ import annotations

import asyncio
import collections
import copy
import json
import logging
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from sqlalchemy import select

from bot import ids
from bot.blocks.profile import profile_modal
from bot.models import Base, Session
from bot.skills import ensure_catalog
from bot.workspaces import ensure_workspace
from devtools.slack_requests import FORM, JSON
from handlers import bound
from tests.conftest import T0, TEAM_ID, RunningApp
from tests.e2e.helpers import dilemma_values, feedback_values, goals_values, pair, profile_values, time_values

SEED = 20261202
REQUESTS = 400
OUTSIDER = "UOUTSIDER"
ROOT = Path(__file__).resolve().parents[2]

VIEW_IDS = sorted(v for k, v in vars(ids).items() if k.endswith("_VIEW") and isinstance(v, str))
ACTION_IDS = sorted(v for k, v in vars(ids).items()
                    if isinstance(v, str) and v.startswith("tandem_") and v not in VIEW_IDS)
STORES_FOR_ANYONE = {ids.PROFILE_VIEW, "team_join", "member_joined_channel", "app_uninstalled", "tokens_revoked"}


def options_inputs() -> list[str]:
    """Action ids of the external selects (options loads) in the profile modal."""
    found = []
    for block in profile_modal(None, joining=True)["blocks"]:
        element = block.get("element") or {}
        if element.get("type", "").endswith("external_select"):
            found.append(element["action_id"])
    return found


def event_types() -> list[str]:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return list(manifest["settings"]["event_subscriptions"]["bot_events"])


def mutants(rng: random.Random) -> Any:
    """One crafted value of the kinds the issue lists."""
    return rng.choice([
        2**63, 2**64 + 7, 10**30, -1, -(2**63) - 1, 0, 1.5, float("1e308"), True, False, None,
        str(2**63), f"{2**63}:{2**63}", "1:" + "9" * 40, "١٢٣", "٣:٤", "１２", "Ⅻ", "ünïcödé ☃ 𝔘", "\u0000\n\t",
        "", " ", "x" * 5000, "9" * 5000, [], {}, [[[[[]]]]], [{"value": [1]}], {"value": {"value": None}},
        [None], ["U1", 2], "10000-01-01", "2026-13-40", "0000-00-00", "2026-02-30", 2**40, -(2**40),
        253_402_300_800, "UNOT A ID", "<script>", "https://", "javascript:alert(1)", "not a url",
    ])


def nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (objects and lists included, not only leaves)."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nodes(item, (*path, index))
    return found


def mutate(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy with one to three values replaced by crafted ones (some keys dropped instead)."""
    out = copy.deepcopy(payload)
    for _ in range(rng.randint(1, 3)):
        paths = nodes(out)
        inner = [p for p in paths if p[0] in ("actions", "view", "event", "value")]
        if not paths:
            break
        # mostly the values listeners read, sometimes the envelope around them
        path = rng.choice(inner if inner and rng.random() < 0.8 else paths)
        parent: Any = out
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.1:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = mutants(rng)
    return out


def view(callback_id: str, values: dict[str, Any], metadata: str) -> dict[str, Any]:
    return {"id": "V0FUZZ", "type": "modal", "callback_id": callback_id, "private_metadata": metadata,
            "state": {"values": values}, "hash": "1.ab", "blocks": [], "app_id": "A0001", "team_id": TEAM_ID}


def base_views(pairing_id: int, session_id: int, stamp: int) -> dict[str, tuple[dict[str, Any], str]]:
    """A well-formed submission of each modal: (state values, private metadata)."""
    return {
        ids.GOALS_VIEW: (goals_values([("Speak up", "Twice", "2026-05-01", "Growth")], "Both grow"), str(pairing_id)),
        ids.FEEDBACK_VIEW: (feedback_values(goals={1: "done"}), str(session_id)),
        ids.DILEMMA_VIEW: (dilemma_values("A situation", "Tried", "Advice"), str(session_id)),
        ids.RESCHEDULE_VIEW: (time_values(T0.replace(day=20)), f"{pairing_id}:{session_id}:{stamp}"),
        ids.RETRO_VIEW: ({ids.RETRO_LEARNED[0]: {ids.RETRO_LEARNED[1]: {"type": "plain_text_input", "value": "x"}},
                          ids.RETRO_AGAIN[0]: {ids.RETRO_AGAIN[1]: {
                              "type": "radio_buttons", "selected_option": {"value": "yes"}}}}, str(pairing_id)),
        ids.PROFILE_VIEW: (profile_values(offers=["skill:1"], wants=["new:Go"], department="Ops"), ""),
        ids.PROFILE_LOADING_VIEW: ({}, ""),
        ids.SETTINGS_VIEW: ({ids.SETTINGS_CHANNEL[0]: {ids.SETTINGS_CHANNEL[1]: {
            "type": "conversations_select", "selected_conversation": "C0001"}}}, ""),
        ids.INFO_VIEW: ({}, ""),
        ids.LOADING_VIEW: ({}, ""),
        ids.ASK_PEER_VIEW: ({ids.ASK_PEER_TEXT[0]: {ids.ASK_PEER_TEXT[1]: {"type": "plain_text_input", "value": "Hi?"}},
                             ids.ASK_PEER_PAIRING[0]: {ids.ASK_PEER_PAIRING[1]: {
                                 "type": "static_select", "selected_option": {"value": str(pairing_id)}}}}, ""),
    }


def action_value(action_id: str, pairing_id: int, session_id: int, stamp: int) -> str:
    if action_id == ids.GOAL_PROGRESS:
        return "1:done"
    if action_id == ids.PAUSE:
        return "2"
    if action_id in (ids.CHECKIN_MET, ids.CHECKIN_SKIPPED, ids.CHECKIN_RESCHEDULED, ids.OPEN_DILEMMA,
                     ids.OPEN_FEEDBACK):
        return f"{session_id}:{stamp}"
    return str(pairing_id)


def envelope(payload: dict[str, Any]) -> dict[str, Any]:
    return {"team": {"id": TEAM_ID, "domain": "tandem"}, "user": {"id": OUTSIDER, "team_id": TEAM_ID,
            "name": "outsider"}, "api_app_id": "A0001", "token": "verification_token",
            "trigger_id": "1.1764700000000.abcdef", **payload}


def events(event_type: str, n: int) -> dict[str, Any]:
    user = {"id": OUTSIDER, "team_id": TEAM_ID, "name": "outsider", "real_name": "Out Sider",
            "tz": "Europe/Paris", "tz_offset": 3600, "deleted": False, "is_bot": False, "profile": {}}
    event: dict[str, Any] = {"type": event_type, "event_ts": "1764700000.000100"}
    if event_type in ("user_change", "team_join"):
        event["user"] = user
    else:
        event.update(user=OUTSIDER, channel="C0001", tab="home", channel_type="C")
    return {"token": "verification_token", "team_id": TEAM_ID, "api_app_id": "A0001", "event": event,
            "type": "event_callback", "event_id": f"Ev{n:08d}", "event_time": 1764700000,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}]}


def requests_for(rng: random.Random, app: RunningApp, pairing_id: int, session_id: int,
                 stamp: int) -> list[tuple[str, bytes, str]]:
    """(surface, body, content type) for REQUESTS crafted requests, every surface in turn."""
    views = base_views(pairing_id, session_id, stamp)
    assert set(views) == set(VIEW_IDS), "a modal without a fuzzed base submission"
    surfaces: list[tuple[str, Any]] = []
    for action_id in ACTION_IDS:
        surfaces.append((action_id, lambda a=action_id: envelope({
            "type": "block_actions", "container": {"type": "message", "channel_id": "C0001"},
            "channel": {"id": "C0001"}, "response_url": app.slack.response_url("fuzz"),
            "actions": [{"action_id": a, "block_id": "b", "type": "button", "action_ts": "1764700000.1",
                         "value": action_value(a, pairing_id, session_id, stamp),
                         "selected_option": {"value": action_value(a, pairing_id, session_id, stamp)}}]})))
    for callback_id, (values, metadata) in views.items():
        surfaces.append((callback_id, lambda c=callback_id, v=values, m=metadata: envelope({
            "type": "view_submission", "view": view(c, v, m), "response_urls": []})))
    for action_id in options_inputs():
        surfaces.append((action_id, lambda a=action_id: envelope({
            "type": "block_suggestion", "action_id": a, "block_id": a.removesuffix("_select"), "value": "Pyth",
            "view": view(ids.PROFILE_VIEW, {}, "")})))
    for callback_id in bound("shortcut"):  # global and message shortcuts (the outsider has no pairing)
        surfaces.append((callback_id, lambda c=callback_id: envelope({
            "type": "message_action" if c == ids.BRING_SHORTCUT else "shortcut", "callback_id": c,
            "action_ts": "1764700000.1", "channel": {"id": "C0001"}, "response_url": app.slack.response_url("fuzz"),
            "message": {"type": "message", "ts": "1764700000.000100", "text": "x"}})))
    for n, event_type in enumerate(event_types()):
        surfaces.append((event_type, lambda t=event_type, k=n: events(t, k)))
    out = []
    for n in range(REQUESTS):
        surface, build = surfaces[n % len(surfaces)]
        payload = mutate(build(), rng)
        if payload.get("type") == "event_callback" and isinstance(payload.get("event_id"), str):
            payload["event_id"] += f"-{n}"  # distinct deliveries, not retries of one
        if surface in event_types():
            out.append((surface, json.dumps(payload).encode(), JSON))
        else:
            out.append((surface, urlencode({"payload": json.dumps(payload)}).encode(), FORM))
    return out


async def snapshot(app: RunningApp) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    async with app.deps.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name != "processed_events":
                rows[table.name] = sorted(repr(tuple(r)) for r in (await conn.execute(select(table))).all())
    return rows


@pytest.fixture
async def seeded(app: RunningApp) -> tuple[int, int, int]:
    """A pairing of two members with its sessions, a skill catalog, and the outsider in Slack."""
    pairing_id = await pair(app, "UANA", "UBEN")
    async with app.deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, TEAM_ID, T0)
        await ensure_catalog(session, workspace.id, T0)
    async with app.deps.sessionmaker() as session:
        first = await session.scalar(select(Session).where(Session.pairing_id == pairing_id).order_by(Session.sequence))
    app.slack.add_user(OUTSIDER, real_name="Out Sider")
    assert first is not None
    return pairing_id, first.id, int(first.due_at.timestamp())


async def test_fuzzed_requests_are_answered_harmlessly(app: RunningApp, seeded: tuple[int, int, int],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED)
    crafted = requests_for(rng, app, *seeded)
    covered = {surface for surface, _, _ in crafted}
    assert covered == {*ACTION_IDS, *VIEW_IDS, *options_inputs(), *event_types()}

    async def send(batch: list[tuple[str, bytes, str]]) -> list[tuple[str, int, float]]:
        answers = []
        for surface, body, content_type in batch:
            status, _, _ = await app.requests.post(body, content_type)
            answers.append((surface, status, app.requests.last_elapsed or 0.0))
        return answers

    before = await snapshot(app)
    answers = await send([r for r in crafted if r[0] not in STORES_FOR_ANYONE])
    await asyncio.sleep(0.5)  # work Bolt runs after the ack
    assert await snapshot(app) == before, "a crafted request from an outsider changed the database"
    answers += await send([r for r in crafted if r[0] in STORES_FOR_ANYONE])
    await asyncio.sleep(0.5)

    print("fuzz statuses:", sorted(collections.Counter(a[1] for a in answers).items()))
    assert [a for a in answers if a[1] >= 500] == []
    assert [a for a in answers if a[2] >= 3] == []
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in (r.exc_text or "")]
    assert problems == []
