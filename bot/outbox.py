"""The outbox: the only sender of scheduled and round messages.

Messages are written with `enqueue` in the same transaction as whatever caused
them, under a per-workspace idempotency key (a second enqueue of the same key
is a no-op). `drain` claims due rows, sends them at Slack's pace and records the
outcome:

- claiming takes a lease (`state='sending'`, `lease_until`) with
  `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two drainers never take one row;
- each post carries its key in Slack message metadata; a row whose earlier
  attempt may have reached Slack (a crash, a timeout, a 5xx) is first looked up
  in the conversation's history and only posted if it is not there;
- 429s wait `Retry-After`; other transient failures back off exponentially;
  permanent errors (`user_not_found`, `account_inactive`, …) fail the row, mark
  the member undeliverable and tell the admins.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.models import Member, OutboxMessage, Pairing
from bot.ratelimit import SlackPacer
from bot.slack import PERMANENT_ERRORS, slack_error
from bot.sqlutil import bulk_insert, insert_ignoring_conflicts

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 5
CLAIM_BATCH = 50  # small enough to send well inside the lease at Slack's pace
CONCURRENCY = 8


async def enqueue(
    session: AsyncSession,
    *,
    workspace_id: int,
    key: str,
    payload: dict[str, Any],
    now: dt.datetime,
    channel: str | None = None,
    users: list[str] | None = None,
    pairing_id: int | None = None,
    member_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Queue a message once per key. Returns False when the key was already queued.

    Give `channel` to post in a known conversation, or `users` to have the
    sender open the DM / group DM with them first.
    """
    if (channel is None) == (users is None):
        raise ValueError("give exactly one of channel or users")
    stmt = insert_ignoring_conflicts(session, OutboxMessage, ["workspace_id", "idempotency_key"]).values(
        workspace_id=workspace_id,
        idempotency_key=key,
        channel=channel,
        users=",".join(users) if users else None,
        pairing_id=pairing_id,
        member_id=member_id,
        payload=payload,
        state="pending",
        attempts=0,
        not_before=not_before or now,
        created_at=now,
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def enqueue_new(session: AsyncSession, messages: list[dict[str, Any]], *, now: dt.datetime) -> None:
    """Queue many messages whose keys cannot exist yet (they name rows created in the same
    transaction, like a new round's pairings), in one bulk insert (COPY on PostgreSQL).

    Each dict has workspace_id, key, payload and channel or users (a list),
    optionally pairing_id and member_id. Should a key exist after all, the unique
    constraint fails the whole transaction rather than queue a message twice.
    """
    if not messages:
        return
    rows = [
        {
            "workspace_id": m["workspace_id"], "idempotency_key": m["key"], "payload": m["payload"],
            "channel": m.get("channel"), "users": ",".join(m["users"]) if m.get("users") else None,
            "pairing_id": m.get("pairing_id"), "member_id": m.get("member_id"), "state": "pending",
            "attempts": 0, "not_before": now, "created_at": now,
        }
        for m in messages
    ]
    await bulk_insert(session, OutboxMessage.__table__, rows)


@dataclass
class DrainReport:
    sent: int = 0
    already_sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def drain(
    deps: Deps, now: dt.datetime, *, pacer: SlackPacer | None = None, keys: list[str] | None = None,
    max_rounds: int = 1000,
) -> DrainReport:
    """Send every due outbox message (or only those with `keys`). Safe in several processes at once."""
    report = DrainReport()
    pacer = pacer or SlackPacer()
    for _ in range(max_rounds):
        batch = await _claim(deps, now, keys)
        if not batch:
            break
        queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
        for row in batch:
            queue.put_nowait(row)
        workers = [_worker(deps, now, queue, pacer, report) for _ in range(min(CONCURRENCY, len(batch)))]
        await asyncio.gather(*workers)
    return report


async def _worker(deps: Deps, now: dt.datetime, queue: asyncio.Queue[OutboxMessage], pacer: SlackPacer, report: DrainReport) -> None:
    while not queue.empty():
        row = queue.get_nowait()
        await _deliver(deps, now, row, pacer, report)


async def send_now(deps: Deps, keys: list[str]) -> DrainReport:
    """Deliver these just-committed messages at once (handlers call this after the ack);
    whatever fails stays queued for the scheduler."""
    return await drain(deps, deps.clock(), keys=keys)


async def _claim(deps: Deps, now: dt.datetime, keys: list[str] | None = None) -> list[OutboxMessage]:
    """Lease a batch of due rows to this process."""
    async with deps.sessionmaker.begin() as session:
        due = or_(
            (OutboxMessage.state == "pending") & (OutboxMessage.not_before <= now),
            (OutboxMessage.state == "sending") & (OutboxMessage.lease_until < now),
        )
        if keys is not None:
            due = due & OutboxMessage.idempotency_key.in_(keys)
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            row.state = "sending"
            row.attempts += 1
            row.lease_until = now + LEASE
        return rows


async def _deliver(deps: Deps, now: dt.datetime, row: OutboxMessage, pacer: SlackPacer, report: DrainReport) -> None:
    channel = row.sent_channel or row.channel
    try:
        if channel is None:
            assert row.users is not None
            await pacer.before("conversations.open")
            channel = await deps.slack.open_conversation(row.users.split(","))
        ts = None
        if row.attempts > 1:  # an earlier attempt may have reached Slack
            oldest = (row.created_at - dt.timedelta(minutes=1)).timestamp()
            ts = await deps.slack.find_delivered(channel, row.idempotency_key, oldest=oldest)
        if ts is None:
            await pacer.before("chat.postMessage", channel)
            result = await deps.slack.post_message(
                channel, row.payload.get("text", ""), row.payload.get("blocks"), delivery_key=row.idempotency_key
            )
            ts = result["ts"]
            report.sent += 1
        else:
            report.already_sent += 1
        await _mark_sent(deps, row, channel, ts, now)
    except SlackApiError as exc:
        await _on_slack_error(deps, now, row, channel, exc, report)
    except (asyncio.TimeoutError, OSError, aiohttp.ClientError) as exc:
        await _retry_later(deps, now, row, channel, type(exc).__name__, report, retry_after=None)
    except Exception as exc:  # a bug or an unexpected answer must not strand the rest of the batch
        log.exception("outbox message %s: unexpected failure", row.id)
        await _retry_later(deps, now, row, channel, type(exc).__name__, report, retry_after=None)


async def _mark_sent(deps: Deps, row: OutboxMessage, channel: str, ts: str, now: dt.datetime) -> None:
    async with deps.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(state="sent", sent_channel=channel, sent_ts=ts, sent_at=now, lease_until=None, error=None)
        )
        if row.pairing_id is not None and row.users is not None:
            await session.execute(
                update(Pairing)
                .where(Pairing.id == row.pairing_id, Pairing.conversation_id.is_(None))
                .values(conversation_id=channel)
            )


async def _on_slack_error(
    deps: Deps, now: dt.datetime, row: OutboxMessage, channel: str | None, exc: SlackApiError, report: DrainReport
) -> None:
    error = slack_error(exc)
    status = exc.response.status_code if exc.response is not None else 0
    if error in PERMANENT_ERRORS:
        await _give_up(deps, now, row, error, report)
        return
    retry_after = None
    if status == 429:
        retry_after = int(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
    await _retry_later(deps, now, row, channel, error, report, retry_after=retry_after)


async def _retry_later(
    deps: Deps, now: dt.datetime, row: OutboxMessage, channel: str | None, error: str,
    report: DrainReport, *, retry_after: int | None,
) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        await _give_up(deps, now, row, f"gave up after {row.attempts} attempts: {error}", report)
        return
    delay = retry_after if retry_after is not None else BACKOFF_BASE_SECONDS * 2 ** (row.attempts - 1)
    log.info("outbox message %s: %s, retrying in %ss", row.id, error, delay)
    report.retried += 1
    async with deps.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(state="pending", not_before=now + dt.timedelta(seconds=delay), lease_until=None,
                    error=error[:200], sent_channel=channel)
        )


async def _give_up(deps: Deps, now: dt.datetime, row: OutboxMessage, error: str, report: DrainReport) -> None:
    log.warning("outbox message %s failed permanently: %s", row.id, error)
    report.failed += 1
    report.errors.append(error)
    unreachable = await _unreachable_users(deps, row)
    async with deps.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(state="failed", error=error[:200], lease_until=None)
        )
        marked = (Member.id == row.member_id) if row.member_id is not None else Member.slack_user_id.in_(unreachable)
        await session.execute(
            update(Member)
            .where(Member.workspace_id == row.workspace_id, marked, Member.undeliverable_at.is_(None))
            .values(undeliverable_at=now)
        )
        if row.idempotency_key.startswith("undeliverable:"):
            return  # never a notice about a failed notice
        for admin in sorted(deps.settings.admin_ids):
            await enqueue(
                session, workspace_id=row.workspace_id, key=f"undeliverable:{row.id}:{admin}", now=now,
                users=[admin], payload=_failure_notice(row, error),
            )


async def _unreachable_users(deps: Deps, row: OutboxMessage) -> list[str]:
    """Which of a group's users Slack cannot reach (Slack's error does not say)."""
    if row.member_id is not None or not row.users:
        return []
    gone = []
    for user_id in row.users.split(","):
        try:
            info = await deps.slack.user_info(user_id)
        except SlackApiError:
            gone.append(user_id)
            continue
        if info.get("deleted"):
            gone.append(user_id)
    return gone


def _failure_notice(row: OutboxMessage, error: str) -> dict[str, Any]:
    who = f"<@{row.users.replace(',', '>, <@')}>" if row.users else f"<#{row.channel}>"
    text = f"Tandem could not deliver a message to {who} (Slack said `{error}`). They have been marked as unreachable."
    return {"text": text}
