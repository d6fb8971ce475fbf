"""People arriving in and leaving the workspace; Slack's event retries."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.models import Member, Pairing, ProcessedEvent
from tests.conftest import T0, RunningApp
from tests.e2e.test_member_commands import pair
from tests.e2e.test_profiles import join, member_row


def user_payload(user_id: str, *, deleted: bool = False, name: str = "dee") -> dict:
    return {"id": user_id, "team_id": "T0001", "name": name, "deleted": deleted, "real_name": name.title(),
            "tz": "Europe/London", "tz_offset": 0, "is_bot": False,
            "profile": {"display_name": name, "real_name": name.title()}}


async def test_deactivated_member_leaves_and_their_partner_is_told_and_repaired_first(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    pairing_id = await pair(app, "U1", "U2")
    app.slack.set_user("U1", deleted=True)
    status, _, _ = await app.requests.event({"type": "user_change", "user": user_payload("U1", deleted=True)})
    assert status == 200 and app.requests.last_elapsed < 3
    [dm] = await app.slack.wait_for("chat.postMessage")
    assert "first in line" in json.dumps(dm.params["blocks"])
    assert (await member_row(app, "U1")).status == "deactivated"
    partner = await member_row(app, "U2")
    assert partner.priority is True
    async with app.deps.sessionmaker() as session:
        pairing = await session.get(Pairing, pairing_id)
    assert pairing.state == "ended" and pairing.end_reason == "deactivated"
    await app.slack.wait_for("views.publish", predicate=lambda c: c.params["user_id"] == "U2")


async def test_user_change_keeps_a_members_name_and_zone_current(app: RunningApp) -> None:
    app.slack.add_user("U1")
    await join(app, "U1")
    changed = {**user_payload("U1", name="renamed"), "tz": "Asia/Tokyo", "tz_offset": 32400}
    await app.requests.event({"type": "user_change", "user": changed})
    for _ in range(50):
        member = await member_row(app, "U1")
        if member.display_name == "renamed":
            break
        await asyncio.sleep(0.05)
    assert (member.display_name, member.tz, member.tz_offset, member.status) == ("renamed", "Asia/Tokyo", 32400, "active")


async def test_user_change_for_a_stranger_stores_nothing(app: RunningApp) -> None:
    await app.requests.event({"type": "user_change", "user": user_payload("U8")})
    await app.requests.event({"type": "user_change", "user": user_payload("U9", deleted=True)})
    await asyncio.sleep(0.3)
    async with app.deps.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_team_join_records_the_newcomer_without_messaging_them(app: RunningApp) -> None:
    await app.requests.event({"type": "team_join", "user": user_payload("U5", name="newbie")})
    for _ in range(50):
        member = await member_row(app, "U5")
        if member:
            break
        await asyncio.sleep(0.05)
    assert member.status == "invited" and member.invited_at is None and member.display_name == "newbie"
    assert member.tz == "Europe/London" and member.created_at == T0
    assert app.slack.calls_to("chat.postMessage") == []


async def test_retried_event_takes_effect_once(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    await pair(app, "U1", "U2")
    event = {"type": "user_change", "user": user_payload("U1", deleted=True)}
    await app.requests.event(event, event_id="EvRETRY1")
    await app.slack.wait_for("chat.postMessage")
    # Slack retries the same delivery (X-Slack-Retry-Num): nothing is ended twice or re-sent.
    for n in (1, 2):
        status, _, _ = await app.requests.event(event, event_id="EvRETRY1", retry_num=n)
        assert status == 200
    await asyncio.sleep(0.3)
    assert len(app.slack.calls_to("chat.postMessage")) == 1
    async with app.deps.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


async def test_retried_channel_join_invites_once(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring", bot_is_member=True)
    async with app.deps.sessionmaker.begin() as session:
        from bot.workspaces import ensure_workspace, program_of
        ws = await ensure_workspace(session, "T0001", T0)
        (await program_of(session, ws.id)).channel_id = "C0PROG"
    app.slack.add_user("U1")
    joined = {"type": "member_joined_channel", "user": "U1", "channel": "C0PROG"}
    await app.requests.event(joined, event_id="EvJOIN")
    await app.slack.wait_for("chat.postMessage")
    await app.requests.event(joined, event_id="EvJOIN", retry_num=1)
    await asyncio.sleep(0.3)
    assert len(app.slack.calls_to("chat.postMessage")) == 1


async def test_retried_home_opened_publishes_once(app: RunningApp) -> None:
    """Publishing a home is not idempotent by itself, so this shows the event-id guard at work."""
    app.slack.add_user("U1")
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    await app.requests.event(event, event_id="EvHOME")
    await app.slack.wait_for("views.publish")
    status, _, _ = await app.requests.event(event, event_id="EvHOME", retry_num=1, retry_reason="http_error")
    assert status == 200
    await asyncio.sleep(0.3)
    assert len(app.slack.calls_to("views.publish")) == 1
