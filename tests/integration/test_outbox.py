"""The outbox: each message exactly once, through faults, crashes and rivals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import delete, event, select, update

from bot import installations, outbox, rounds
from bot.deps import Deps
from bot.scheduler import run_due
from devtools.fake_slack import FakeSlack
from bot.models import Member, OutboxMessage, Pairing
from bot.ratelimit import SlackPacer
from bot.workspaces import ensure_workspace, program_of
from tests import factories
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


@contextlib.contextmanager
def _statements(engine, prefix: str) -> Iterator[list[str]]:  # noqa: ANN001
    """The SQL statements starting with `prefix` that run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith(prefix):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _queue_for_gone_member(deps: Deps, key: str, payload: dict) -> None:
    """A member, UGONE, whom the fake Slack does not know (user_not_found), with a DM queued."""
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        member = Member(workspace_id=ws, slack_user_id="UGONE", status="active", created_at=T0, updated_at=T0)
        session.add(member)
        await session.flush()
        await outbox.enqueue(session, workspace_id=ws, key=key, now=T0, users=["UGONE"], member_id=member.id,
                             payload=payload)


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
    await _queue_for_gone_member(deps, "dm", {"text": "hi"})
    report = await outbox.drain(deps, T0)
    assert report.failed == 1
    rows = await _rows(deps)
    assert rows[0].state == "failed" and rows[0].error == "user_not_found"
    async with deps.sessionmaker() as session:
        assert (await session.scalar(select(Member))).undeliverable_at == T0  # type: ignore[union-attr]
    notices = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert len(notices) == 1 and "UGONE" in notices[0].params["text"]


async def test_a_message_that_fails_for_good_keeps_no_text(deps: Deps, fake_slack: FakeSlack) -> None:
    """Issue 11 item 8: a failed row is never sent again, so no dilemma or ask stays in it."""
    await _queue_for_gone_member(deps, "dilemma", {"text": "MARKER my manager takes credit", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "MARKER"}}]})
    report = await outbox.drain(deps, T0)
    assert report.failed == 1
    [row] = [r for r in await _rows(deps) if r.idempotency_key == "dilemma"]
    assert row.state == "failed" and row.error == "user_not_found" and "MARKER" not in repr(row.payload)


async def test_the_unmarked_are_not_read_again_until_someone_is_marked(deps: Deps, fake_slack: FakeSlack, engine) -> None:
    """Each request checks its sender for a mark (the middleware); a person seen unmarked is not
    read again, and a mark set by a failed delivery is seen at once all the same."""
    from bot.db import reading
    from bot.members import is_undeliverable

    await _queue_for_gone_member(deps, "dm", {"text": "hi"})

    async def marked() -> bool:
        async with reading(deps.sessionmaker) as session:
            return await is_undeliverable(session, TEAM_ID, "UGONE")

    with _statements(engine, "SELECT members.id") as reads:
        assert not await marked() and len(reads) == 1
        assert not await marked() and len(reads) == 1  # remembered: no second read
        assert (await outbox.drain(deps, T0)).failed == 1  # user_not_found: marked
        assert await marked() and len(reads) == 2


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
        await other.slack.close()
        await other_engine.dispose()
    texts = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert sorted(texts) == sorted(f"hello m{i}" for i in range(40))


async def test_second_drainer_after_six_minutes_sends_nothing_twice(
    deps: Deps, fake_slack: FakeSlack, clock
) -> None:
    """A long drain outlives the first lease: leases come from the clock at claim time and
    are renewed while sending, and a sender posts only rows it still holds."""
    for i in range(70):
        await _queue(deps, f"m{i}", channel=f"C{i % 20}")
    fake_slack.delay("chat.postMessage", 0.03, count=70)
    first = asyncio.create_task(outbox.drain(deps, T0))
    await fake_slack.wait_for("chat.postMessage", count=10, timeout=20)
    clock.advance(minutes=6)
    # Posts already past their fence land (a real post times out within seconds, far
    # inside the lease it renewed); everything else the first drainer claimed is fair game.
    await asyncio.sleep(0.2)
    second = await outbox.drain(deps, clock.now)
    await first
    await outbox.drain(deps, clock.now)
    texts = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert sorted(texts) == sorted(f"hello m{i}" for i in range(70))
    assert second.sent + (await first).sent <= 70
    assert all(r.state == "sent" for r in await _rows(deps))


async def test_a_sender_that_lost_its_lease_does_not_post(deps: Deps, fake_slack: FakeSlack, clock) -> None:
    """Fencing: a row re-claimed by another drainer while this one waited is not posted by it,
    and the new holder looks in the conversation before posting (a previous holder may have)."""
    await _queue(deps, "m", channel="C1")
    [held] = await outbox._claim(deps, T0)
    clock.advance(minutes=6)
    [stolen] = await outbox._claim(deps, clock.now)
    report = outbox.DrainReport()
    from bot.ratelimit import SlackPacer
    await outbox._deliver(deps, T0, held, SlackPacer(intervals={}), report)
    assert report.sent == 0 and fake_slack.calls_to("chat.postMessage") == []
    await outbox._deliver(deps, clock.now, stolen, SlackPacer(intervals={}), report)
    assert report.sent == 1 and len(fake_slack.messages("C1")) == 1
    assert fake_slack.calls_to("conversations.history")  # the new holder looked first


async def test_a_fresh_lease_is_posted_on_without_a_renewal_write(deps: Deps, fake_slack: FakeSlack, engine) -> None:
    """Fencing costs a write only where it can matter: a lease with more than half of it
    left cannot have been taken by anyone (a claim needs it lapsed)."""
    for i in range(6):
        await _queue(deps, f"m{i}", channel=f"C{i}")
    with _statements(engine, "UPDATE outbox SET lease_until") as renewals:
        report = await outbox.drain(deps, T0)
    assert report.sent == 6 and renewals == []


async def test_send_now_claims_once_when_its_keys_fit_one_batch(deps: Deps, fake_slack: FakeSlack, engine) -> None:
    """A click's own messages are all in the first claim: no second, empty claim after it."""
    for i in range(3):
        await _queue(deps, f"m{i}", channel=f"C{i}")
    with _statements(engine, "SELECT outbox.id") as claims:
        report = await outbox.send_now(deps, ["m0", "m2"])
    assert report.sent == 2 and len(claims) == 1
    assert [r.state for r in await _rows(deps)] == ["sent", "pending", "sent"]


async def test_a_lease_past_half_is_renewed_before_the_post(deps: Deps, fake_slack: FakeSlack, clock) -> None:
    await _queue(deps, "m", channel="C1")
    [held] = await outbox._claim(deps, T0)
    clock.advance(minutes=3)  # 2 of the lease's 5 minutes left: renewed from the clock, then posted
    report = outbox.DrainReport()
    await outbox._deliver(deps, T0, held, SlackPacer(intervals={}), report)
    assert report.sent == 1 and held.lease_until == clock.now + outbox.LEASE


async def test_claims_no_more_than_the_senders_can_send_within_the_lease(deps: Deps) -> None:
    for i in range(60):
        await _queue(deps, f"m{i}", channel=f"C{i % 20}")
    batch = await outbox._claim(deps, T0)
    assert len(batch) <= outbox.CONCURRENCY * 2
    assert all(r.lease_until == T0 + outbox.LEASE for r in batch)


async def _members(deps: Deps, *user_ids: str) -> dict[str, int]:
    ws = await _workspace_id(deps)
    ids = {}
    async with deps.sessionmaker.begin() as session:
        for user_id in user_ids:
            member = Member(workspace_id=ws, slack_user_id=user_id, status="active", created_at=T0, updated_at=T0)
            session.add(member)
            await session.flush()
            ids[user_id] = member.id
    return ids


async def _marked(deps: Deps) -> list[str]:
    async with deps.sessionmaker() as session:
        return list(await session.scalars(select(Member.slack_user_id).where(Member.undeliverable_at.is_not(None))))


async def test_a_thirty_minute_outage_marks_nobody_and_everything_arrives(
    deps: Deps, fake_slack: FakeSlack, clock
) -> None:
    people = ["U1", "U2", "U3", "U4"]
    for u in people:
        fake_slack.add_user(u)
    ids = await _members(deps, *people)
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        for u in people:
            await outbox.enqueue(session, workspace_id=ws, key=f"dm:{u}", now=T0, users=[u], member_id=ids[u],
                                 payload={"text": f"hi {u}"})
        await outbox.enqueue(session, workspace_id=ws, key="intro", now=T0, users=people, payload={"text": "intro"})
    for method in ("chat.postMessage", "conversations.open", "users.info", "conversations.history"):
        fake_slack.fail_next(method, status=503, count=10_000)
    from bot.ratelimit import SlackPacer

    unpaced = SlackPacer(intervals={})  # this fake Slack has no rate limits
    for _ in range(30):
        await outbox.drain(deps, clock.now, pacer=unpaced)
        clock.advance(minutes=1)
    fake_slack.clear_faults()
    clock.advance(minutes=outbox.BACKOFF_CAP_SECONDS / 60 + 1)
    await outbox.drain(deps, clock.now, pacer=unpaced)
    assert await _marked(deps) == []
    assert {r.state for r in await _rows(deps)} == {"sent"}
    texts = sorted(c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok)
    assert texts == ["hi U1", "hi U2", "hi U3", "hi U4", "intro"]


async def test_bot_side_invalid_blocks_marks_nobody_and_alerts_admins(deps: Deps, fake_slack: FakeSlack, caplog) -> None:
    """TANDEM_ADMINS is empty here: the alert reaches the workspace's admins (UADMIN is one)."""
    fake_slack.add_user("U1")
    ids = await _members(deps, "U1")
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        await outbox.enqueue(session, workspace_id=ws, key="dm", now=T0, users=["U1"], member_id=ids["U1"],
                             payload={"text": "hi"})
    fake_slack.error_next("chat.postMessage", "invalid_blocks")
    with caplog.at_level("ERROR"):
        report = await outbox.drain(deps, T0)
    assert report.failed == 1 and await _marked(deps) == []
    assert any(r.levelname == "ERROR" and "invalid_blocks" in r.getMessage() for r in caplog.records)
    alerts = [c for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert len(alerts) == 1 and "invalid_blocks" in alerts[0].params["text"]
    opened = {c.params["users"] for c in fake_slack.calls_to("conversations.open") if c.ok}
    assert "UADMIN" in opened


async def test_a_token_missing_a_scope_pauses_the_workspace_without_marking_anyone(
    deps: Deps, fake_slack: FakeSlack, clock
) -> None:
    fake_slack.add_user("U1")
    fake_slack.add_user("U2")
    ids = await _members(deps, "U1", "U2")
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        for u in ("U1", "U2"):
            await outbox.enqueue(session, workspace_id=ws, key=f"dm:{u}", now=T0, users=[u], member_id=ids[u],
                                 payload={"text": f"hi {u}"})
    fake_slack.error_next("conversations.open", "missing_scope", count=100)
    await outbox.drain(deps, T0)
    assert await _marked(deps) == []
    assert {r.state for r in await _rows(deps) if r.idempotency_key.startswith("dm:")} == {"pending"}
    calls = len(fake_slack.calls)
    await outbox.drain(deps, T0 + dt.timedelta(minutes=1))  # the workspace's delivery is stopped
    assert len(fake_slack.calls) == calls
    fake_slack.clear_faults()
    clock.advance(hours=1)  # the scope is granted again: delivery resumes, the admins hear what happened
    await outbox.drain(deps, clock.now)
    texts = [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok]
    assert "hi U1" in texts and "hi U2" in texts and any("missing_scope" in t for t in texts)


async def test_a_revoked_token_stops_the_workspace_for_good_and_is_logged_once(
    deps: Deps, fake_slack: FakeSlack, clock, caplog
) -> None:
    """Single-token mode (issue 16): `token_revoked` does what an uninstall does: every queued
    message of the workspace is cancelled, nothing more is sent, one ERROR line says so; a
    restart with a token Slack accepts (`installations.restore`) resumes it."""
    fake_slack.add_user("U1")
    fake_slack.add_user("U2")
    ids = await _members(deps, "U1", "U2")
    ws = await _workspace_id(deps)
    async with deps.sessionmaker.begin() as session:
        for u in ("U1", "U2"):
            await outbox.enqueue(session, workspace_id=ws, key=f"dm:{u}", now=T0, users=[u], member_id=ids[u],
                                 payload={"text": f"hi {u}"})
    fake_slack.error_next("conversations.open", "token_revoked", count=100)
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        await outbox.drain(deps, T0)
    assert await _marked(deps) == []
    rows = [r for r in await _rows(deps) if r.idempotency_key.startswith("dm:")]
    assert {r.state for r in rows} == {"failed"} and all(r.error == installations.CANCELLED for r in rows)
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "token_revoked" in caplog.records[0].message and len(caplog.records) == 1
    async with deps.sessionmaker.begin() as session:  # scheduled work queues more: none of it goes out
        await outbox.enqueue(session, workspace_id=ws, key="dm:later", now=T0, users=["U1"], payload={"text": "later"})
    calls = len(fake_slack.calls)
    assert (await run_due(deps, T0 + dt.timedelta(hours=1))).get("messages-sent") == 0
    assert len(fake_slack.calls) == calls
    fake_slack.clear_faults()
    async with deps.sessionmaker.begin() as session:
        assert await installations.restore(session, TEAM_ID)
    clock.advance(hours=2)
    await outbox.drain(deps, clock.now)
    assert [c.params["text"] for c in fake_slack.calls_to("chat.postMessage") if c.ok] == ["later"]


async def test_a_group_intro_marks_only_the_person_slack_does_not_know(deps: Deps, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1")
    fake_slack.add_user("U2")
    await _members(deps, "U1", "U2", "UGONE")
    await _queue(deps, "intro", users=["U1", "U2", "UGONE"])
    fake_slack.fail_next("users.info", status=500, count=3)  # U1's lookup fails: no evidence against U1
    await outbox.drain(deps, T0)
    assert await _marked(deps) == ["UGONE"]


async def test_the_mark_clears_when_the_person_rejoins(deps: Deps) -> None:
    from bot import memberships
    from bot.workspaces import program_of

    await _members(deps, "U1")
    async with deps.sessionmaker.begin() as session:
        member = await session.scalar(select(Member))
        member.undeliverable_at = T0  # type: ignore[union-attr]
        member.status = "left"  # type: ignore[union-attr]
        program = await program_of(session, member.workspace_id)  # type: ignore[union-attr]
        await memberships.join(session, program, member, T0)  # type: ignore[arg-type]
    assert await _marked(deps) == []



async def test_processes_share_one_delivery_budget(deps: Deps) -> None:
    """Two processes' pacers (each its own engine) take turns in one workspace-wide bucket:
    together they space conversations.open calls as one would, not twice as fast."""
    from bot.db import make_engine, make_sessionmaker
    from bot.ratelimit import SharedPacer

    ws = await _workspace_id(deps)
    other_engine = make_engine(deps.settings.DATABASE_URL)
    try:
        fixed = lambda: 1000.0  # noqa: E731 - no time passes between the claims
        a = SharedPacer(deps.sessionmaker, intervals={"conversations.open": 0.1}, bursts={"conversations.open": 1}, clock=fixed)
        b = SharedPacer(make_sessionmaker(other_engine), intervals={"conversations.open": 0.1},
                        bursts={"conversations.open": 1}, clock=fixed)
        waits = [await (a if i % 2 else b)._claim("conversations.open", ws, 0.1) for i in range(10)]
    finally:
        await other_engine.dispose()
    assert [round(w, 6) for w in waits] == [round(0.1 * i, 6) for i in range(10)]


async def test_send_now_delivers_with_the_pacer_deps_names(deps: Deps, fake_slack: FakeSlack) -> None:
    """A handler's `send_now` paces with `Deps.pacer` when one is set (the demo's fake Slack
    has no limits and its clock is not the wall's; it used to wait Slack's real Tier 3
    spacing, about 1.3 s per conversation after five, on every click)."""
    class Recording(SlackPacer):
        def __init__(self) -> None:
            super().__init__(intervals={})
            self.calls: list[str] = []

        async def before(self, method: str, key: str = "", *, workspace_id: int | None = None) -> None:
            self.calls.append(method)

    pacer = Recording()
    fake_slack.add_user("U1")
    fake_slack.add_user("U2")
    await _queue(deps, "intro", users=["U1", "U2"])
    report = await outbox.send_now(replace(deps, pacer=pacer), ["intro"])
    assert report.sent == 1
    assert pacer.calls == ["conversations.open", "chat.postMessage"]


# --- a round's introductions, rendered when claimed (bot.intros) ----------------------------


async def _round_with_one_pair(deps: Deps, fake_slack: FakeSlack) -> OutboxMessage:
    for user in ("UA", "UB"):
        fake_slack.add_user(user)
    async with deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "UA", offers=["SQL"], wants=["Go"], department="Sales")
        await factories.member(session, ws, "UB", offers=["Go"], wants=["SQL"], department="Data")
        assert await rounds.run_round(session, await program_of(session, ws.id), T0) is not None
    (intro,) = [r for r in await _rows(deps) if r.idempotency_key.startswith("intro:")]
    return intro


def _posted(fake_slack: FakeSlack) -> list[dict]:
    return [c.params for c in fake_slack.calls_to("chat.postMessage") if c.ok]


async def test_a_rounds_introduction_is_stored_as_a_reference_and_rendered_when_sent(
    deps: Deps, fake_slack: FakeSlack,
) -> None:
    intro = await _round_with_one_pair(deps, fake_slack)
    # The round stored what identifies the introduction, not its text.
    assert intro.payload == {"render": "intro", "exchange": "two_way", "circle": False}
    assert intro.pairing_id is not None and intro.users == "UA,UB"
    fake_slack.fail_next("chat.postMessage", status=500)
    first = await outbox.drain(deps, T0)
    assert (first.sent, first.retried) == (0, 1)
    [retrying] = [r for r in await _rows(deps) if r.id == intro.id]
    assert "blocks" in retrying.payload and "<@UA> and <@UB>" in retrying.payload["text"]  # rendered once, kept
    again = await outbox.drain(deps, T0 + dt.timedelta(hours=1))
    assert again.sent == 1
    [post] = _posted(fake_slack)
    text = str(post)
    assert post["metadata"]["event_payload"]["key"] == f"intro:{intro.pairing_id}"
    for words in ("Meet your Tandem partner", "SQL", "Go", "Set goals", str(intro.pairing_id)):
        assert words in text
    assert (await outbox.drain(deps, T0 + dt.timedelta(hours=2))).sent == 0  # exactly once
    [sent] = [r for r in await _rows(deps) if r.id == intro.id]
    assert sent.state == "sent" and sent.payload == outbox.SENT_PAYLOAD


async def test_an_introduction_whose_pairing_is_gone_is_dropped_not_sent(deps: Deps, fake_slack: FakeSlack) -> None:
    intro = await _round_with_one_pair(deps, fake_slack)
    async with deps.sessionmaker.begin() as session:
        await session.execute(delete(Pairing).where(Pairing.id == intro.pairing_id))
    await outbox.drain(deps, T0)
    assert _posted(fake_slack) == []
    [row] = [r for r in await _rows(deps) if r.id == intro.id]
    assert (row.state, row.error) == ("failed", "pairing gone")
