"""The outbox: each message exactly once, through faults, crashes and rivals."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from bot import outbox
from bot.deps import Deps
from bot.devtools.fake_slack import FakeSlack
from bot.models import Member, OutboxMessage
from bot.workspaces import ensure_workspace
from tests.conftest import T0, TEAM_ID, make_deps


@pytest.fixture(autouse=True)
def channels(fake_slack: FakeSlack) -> None:
    for i in range(20):
        fake_slack.add_channel(f"C{i}", f"channel-{i}", bot_is_member=True)


async def _workspace_id(deps: Deps) -> int:
    async with deps.sessionmaker.begin() as session:
        return (await ensure_workspace(session, TEAM_ID, T0)).id


async def _queue(deps: Deps, key: str, **target) -> None:
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        await outbox.enqueue(session, workspace_id=ws, key=key, now=T0, payload={"text": f"hello {key}"}, **target)


async def _rows(deps: Deps) -> list[OutboxMessage]:
    async with deps.sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_enqueue_is_idempotent_per_key(deps: Deps) -> None:
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        first = await outbox.enqueue(session, workspace_id=ws, key="k", now=T0, channel="C1", payload={"text": "a"})
        second = await outbox.enqueue(session, workspace_id=ws, key="k", now=T0, channel="C1", payload={"text": "b"})
    assert (first, second) == (True, False)
    assert len(await _rows(deps)) == 1


async def test_drain_opens_group_conversation_and_posts_once(deps: Deps, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1")
    fake_slack.add_user("U2")
    await _queue(deps, "intro", users=["U1", "U2"])
    report = await outbox.drain(deps, T0)
    again = await outbox.drain(deps, T0 + dt.timedelta(hours=1))
    assert (report.sent, again.sent) == (1, 0)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0].params["text"] == "hello intro"
    opened = fake_slack.calls_to("conversations.open")[0].response["channel"]["id"]
    assert posts[0].params["channel"] == opened
    [row] = await _rows(deps)
    assert row.state == "sent" and row.sent_channel == opened


async def test_rate_limited_send_waits_retry_after_and_sends_once(deps: Deps, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    await _queue(deps, "m", channel="C1")
    report = await outbox.drain(deps, T0)
    assert report.sent == 1
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == 1


async def test_server_errors_are_retried_later_without_duplicates(deps: Deps, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, count=2)
    await _queue(deps, "m", channel="C1")
    first = await outbox.drain(deps, T0)
    assert first.sent == 0 and first.retried == 1
    [row] = await _rows(deps)
    assert row.state == "pending" and row.not_before > T0
    later = T0 + dt.timedelta(minutes=10)
    await outbox.drain(deps, later)
    await outbox.drain(deps, later + dt.timedelta(minutes=10))
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == 1
    assert (await _rows(deps))[0].state == "sent"


async def test_timeout_after_slack_posted_is_not_posted_twice(deps: Deps, fake_slack: FakeSlack) -> None:
    """Slack got the message but the answer was lost: the retry finds it in history."""
    await _queue(deps, "m", channel="C1")
    fake_slack.delay("chat.postMessage", 3.0)
    short = replace(deps, slack=replace_timeout(deps, 1))
    await outbox.drain(short, T0)
    await asyncio.sleep(2.5)  # the fake finishes posting after the client gave up
    await outbox.drain(deps, T0 + dt.timedelta(minutes=10))
    assert len(fake_slack.messages("C1")) == 1
    assert (await _rows(deps))[0].state == "sent"


def replace_timeout(deps: Deps, seconds: int):  # type: ignore[no-untyped-def]
    from bot.slack import SlackGateway, make_client

    token = deps.settings.secret("SLACK_BOT_TOKEN")
    delivery = make_client(token, deps.settings.SLACK_API_URL, for_delivery=True)
    delivery.timeout = seconds
    return SlackGateway(deps.slack.client, delivery)


async def test_crash_between_post_and_commit_resumes_without_duplicate(deps: Deps, fake_slack: FakeSlack) -> None:
    await _queue(deps, "m", channel="C1")
    # Simulate a process that claimed the row, posted, then died before recording it.
    [row] = await _rows(deps)
    await deps.slack.post_message("C1", "hello m", delivery_key=row.idempotency_key)
    async with deps.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage).values(state="sending", attempts=1, lease_until=T0 + outbox.LEASE)
        )
    assert (await outbox.drain(deps, T0)).sent == 0  # lease still held by the dead process
    report = await outbox.drain(deps, T0 + outbox.LEASE + dt.timedelta(seconds=1))
    assert (report.sent, report.already_sent) == (0, 1)
    assert len(fake_slack.messages("C1")) == 1


async def test_permanent_error_fails_marks_member_and_tells_admins(deps: Deps, fake_slack: FakeSlack) -> None:
    deps = replace(deps, settings=deps.settings.model_copy(update={"TANDEM_ADMINS": "UADMIN"}))
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        member = Member(workspace_id=ws, slack_user_id="UGONE", status="active", created_at=T0, updated_at=T0)
        session.add(member)
        await session.flush()
        await outbox.enqueue(session, workspace_id=ws, key="dm", now=T0, users=["UGONE"], member_id=member.id,
                             payload={"text": "hi"})
    report = await outbox.drain(deps, T0)
    assert report.failed == 1
    rows = await _rows(deps)
    assert rows[0].state == "failed" and rows[0].error == "user_not_found"
    async with deps.sessionmaker() as session:
        assert (await session.scalar(select(Member))).undeliverable_at == T0  # type: ignore[union-attr]
    notices = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert len(notices) == 1 and "UGONE" in notices[0].params["text"]


async def test_two_drainers_never_send_the_same_message(
    deps: Deps, fake_slack: FakeSlack, engine, on_postgres: bool
) -> None:
    if not on_postgres:
        pytest.skip("concurrent drainers are a PostgreSQL deployment; SQLite has one writer")
    for i in range(40):
        await _queue(deps, f"m{i}", channel=f"C{i % 20}")
    from bot.db import make_engine

    other_engine = make_engine(deps.settings.DATABASE_URL)
    other = make_deps(other_engine, deps.settings, deps.clock)  # type: ignore[arg-type]
    try:
        await asyncio.gather(outbox.drain(deps, T0), outbox.drain(other, T0))
    finally:
        await other_engine.dispose()
    texts = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert sorted(texts) == sorted(f"hello m{i}" for i in range(40))
