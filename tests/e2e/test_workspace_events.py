"""People arriving in and leaving the workspace; Slack's event retries."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.models import Member, Pairing, ProcessedEvent
from tests.conftest import T0, RunningApp, eventually
from tests.e2e.helpers import join, member_row, pair


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


async def test_an_undeliverable_mark_clears_when_the_person_opens_tandem(app: RunningApp) -> None:
    app.slack.add_user("U1")
    async with app.deps.sessionmaker.begin() as session:
        from bot.workspaces import ensure_workspace
        ws = await ensure_workspace(session, "T0001", T0)
        session.add(Member(workspace_id=ws.id, slack_user_id="U1", status="active", created_at=T0, updated_at=T0,
                           undeliverable_at=T0))
    await app.requests.event({"type": "app_home_opened", "user": "U1", "tab": "home"})
    await app.slack.wait_for("views.publish")

    async def cleared() -> bool:  # beside the request, in a task of its own
        return (await member_row(app, "U1")).undeliverable_at is None

    await eventually(cleared)


async def test_a_failed_handler_lets_slacks_retry_take_effect(app: RunningApp, monkeypatch) -> None:
    from bot import members

    for u in ("U1", "U2"):
        app.slack.add_user(u)
    await pair(app, "U1", "U2")
    real = members.deactivate
    calls = []

    async def failing_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("database connection lost")
        return await real(*args, **kwargs)

    monkeypatch.setattr(members, "deactivate", failing_once)
    event = {"type": "user_change", "user": user_payload("U1", deleted=True)}
    await app.requests.event(event, event_id="EvFAIL1")
    for _ in range(50):
        if calls:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    await app.requests.event(event, event_id="EvFAIL1", retry_num=1)
    await app.slack.wait_for("chat.postMessage")
    assert (await member_row(app, "U1")).status == "deactivated"


async def test_processed_events_older_than_a_day_are_pruned(deps) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from bot.events import prune_processed_events, record_event_once

    async with deps.sessionmaker.begin() as session:
        await record_event_once(session, "EvOLD", "T0001", T0 - dt.timedelta(hours=25))
        await record_event_once(session, "EvNEW", "T0001", T0 - dt.timedelta(hours=1))
    async with deps.sessionmaker.begin() as session:
        assert await prune_processed_events(session, None, T0) == 1  # type: ignore[arg-type]
    async with deps.sessionmaker() as session:
        assert list(await session.scalars(select(ProcessedEvent.event_id))) == ["EvNEW"]


async def test_an_event_is_acknowledged_while_another_writer_holds_the_database(app: RunningApp, on_postgres: bool) -> None:
    """Nothing before an event's ack waits for a write lock: while another transaction holds
    SQLite's write lock (on PostgreSQL: processed_events locked against inserts) for 2 s, the
    event and Slack's retry of it are both acknowledged at once; once the lock goes the event
    takes effect, once."""
    from sqlalchemy import text

    from bot.db import make_engine

    app.slack.add_user("U1")
    other = make_engine(app.deps.settings.DATABASE_URL)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with other.begin() as conn:  # SQLite: BEGIN IMMEDIATE takes the write lock
            if on_postgres:
                await conn.execute(text("LOCK TABLE processed_events IN EXCLUSIVE MODE"))
            else:
                await conn.execute(text("UPDATE workspaces SET name = name"))
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    try:
        status, _, _ = await app.requests.event(event, event_id="EvLOCKED")
        first_ack = app.requests.last_elapsed
        retry_status, _, _ = await app.requests.event(event, event_id="EvLOCKED", retry_num=1)
        retry_ack = app.requests.last_elapsed
        await asyncio.sleep(2.0)
        assert app.slack.calls_to("views.publish") == []  # nothing happened yet: it waits for the lock
    finally:
        release.set()
        await holder
        await other.dispose()
    assert (status, retry_status) == (200, 200)
    assert first_ack < 1.0 and retry_ack < 1.0, (first_ack, retry_ack)
    await app.slack.wait_for("views.publish")
    await asyncio.sleep(0.5)
    assert len(app.slack.calls_to("views.publish")) == 1
