"""Rounds through Slack: `/tandem admin match` and `preview`, introductions under faults."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from bot import outbox
from bot.models import OutboxMessage, Pairing, Round
from bot.scheduler import run_due
from tests import factories
from tests.conftest import ADMIN_ID, RunningApp, eventually

PAIRS = 4


async def _seed(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        for i in range(PAIRS):
            app.slack.add_user(f"UA{i}", real_name=f"Ana {i}")
            app.slack.add_user(f"UB{i}", real_name=f"Ben {i}")
            await factories.member(session, ws, f"UA{i}", offers=[f"Skill A{i}"], wants=[f"Skill B{i}"], department="Sales")
            await factories.member(session, ws, f"UB{i}", offers=[f"Skill B{i}"], wants=[f"Skill A{i}"], department="Data")


def _intros(app: RunningApp) -> dict[str, list[dict]]:
    """Every conversation the bot opened for a group, with the messages in it."""
    opened = {c.response["channel"]["id"] for c in app.slack.calls_to("conversations.open") if c.ok}
    return {channel: app.slack.messages(channel) for channel in opened}


async def _count(app: RunningApp, model: type) -> int:
    async with app.deps.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_admin_match_introduces_every_pair_in_a_group_dm(app: RunningApp) -> None:
    await _seed(app)
    status, text, _ = await app.requests.slash_command(ADMIN_ID, "admin match")
    assert status == 200 and "Starting a matching round" in text
    await app.slack.wait_for("chat.postMessage", count=PAIRS, timeout=15)
    opens = [c for c in app.slack.calls_to("conversations.open") if c.ok]
    assert sorted(tuple(sorted(c.params["users"].split(","))) for c in opens) == [
        (f"UA{i}", f"UB{i}") for i in range(PAIRS)
    ]
    for channel, messages in _intros(app).items():
        assert len(messages) == 1
        text = str(messages[0]["blocks"])
        pair = next(c.params["users"].split(",") for c in opens if c.response["channel"]["id"] == channel)
        assert all(f"<@{u}>" in text for u in pair)
        assert "can teach" in text and "different departments" in text
    summary = await app.slack.wait_for("response_url", predicate=lambda c: "Round started" in str(c.params))
    assert f"{PAIRS} groups" in str(summary[0].params)

    async def every_pairing_knows_its_conversation() -> bool:
        async with app.deps.sessionmaker() as session:
            return all(p.conversation_id for p in await session.scalars(select(Pairing)))

    await eventually(every_pairing_knows_its_conversation)


async def test_preview_shows_pairs_and_figures_and_stores_and_sends_nothing(app: RunningApp) -> None:
    await _seed(app)
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin match preview")
    assert status == 200
    [answer] = await app.slack.wait_for("response_url", predicate=lambda c: "preview" in str(c.params).lower())
    text = str(answer.params["blocks"])
    assert "Two-way exchanges" in text and "100%" in text and "score" in text
    assert all(f"<@UA{i}> + <@UB{i}>" in text or f"<@UB{i}> + <@UA{i}>" in text for i in range(PAIRS))
    assert await _count(app, Round) == 0 and await _count(app, OutboxMessage) == 0
    assert app.slack.calls_to("chat.postMessage") == [] and app.slack.calls_to("conversations.open") == []


async def test_faults_during_delivery_leave_exactly_one_intro_per_pair(app: RunningApp) -> None:
    await _seed(app)
    app.slack.fail_next("conversations.open", status=429, retry_after=1)
    app.slack.fail_next("chat.postMessage", status=500, count=3)
    app.slack.error_next("chat.postMessage", error="internal_error", count=1)
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("response_url", timeout=10)

    async def first_delivery_attempt_over() -> bool:
        async with app.deps.sessionmaker() as session:
            rows = list(await session.scalars(select(OutboxMessage)))
            return bool(rows) and all(r.attempts >= 1 and r.state != "sending" for r in rows)

    await eventually(first_delivery_attempt_over, timeout=10)
    now = app.clock.now
    for step in range(1, 12):  # the scheduler's ticks, ten minutes apart
        await asyncio.sleep(0.2)
        await run_due(app.deps, now + dt.timedelta(minutes=10 * step))
    intros = _intros(app)
    assert len(intros) == PAIRS
    assert all(len(messages) == 1 for messages in intros.values())
    async with app.deps.sessionmaker() as session:
        assert set(await session.scalars(select(OutboxMessage.state))) == {"sent"}


async def test_killed_sender_resumes_without_duplicates(app: RunningApp) -> None:
    await _seed(app)
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        from bot.rounds import run_round
        from bot.workspaces import program_of

        await run_round(session, await program_of(session, ws.id), app.clock.now)
    app.slack.delay("chat.postMessage", 0.3, count=PAIRS)
    sender = asyncio.create_task(outbox.drain(app.deps, app.clock.now))
    await app.slack.wait_for("chat.postMessage", count=1, timeout=10)
    sender.cancel()  # the process dies mid-round
    await asyncio.gather(sender, return_exceptions=True)
    await asyncio.sleep(0.5)
    restarted = app.clock.now + outbox.LEASE + dt.timedelta(seconds=1)
    await outbox.drain(app.deps, restarted)
    intros = _intros(app)
    assert len(intros) == PAIRS
    assert all(len(messages) == 1 for messages in intros.values())


async def test_new_partner_shows_in_app_home(app: RunningApp) -> None:
    await _seed(app)
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("chat.postMessage", count=PAIRS, timeout=15)
    await app.requests.event({"type": "app_home_opened", "user": "UA0", "tab": "home"})

    async def published() -> dict | None:
        return app.slack.home_of("UA0")

    home = await eventually(published)
    partner = next(b for b in home["blocks"] if b.get("block_id") == "home_partner")
    assert "<@UB0>" in partner["text"]["text"]
