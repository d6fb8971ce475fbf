"""The outbox: the only sender of scheduled and round messages.

Messages are written with `enqueue` in the same transaction as whatever caused
them, under a per-workspace idempotency key (a second enqueue of the same key
is a no-op). `drain` claims due rows, sends them at Slack's pace and records the
outcome:

- claiming takes a lease (`state='sending'`, `lease_until` from the clock at claim
  time) with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two drainers never take one
  row; each claim increments `attempts`, which is the lease's fencing token: just
  before posting, a sender renews its lease with one conditional UPDATE (`state =
  'sending' AND attempts = <its claim>`) and posts only when that still matches,
  and every outcome it records is conditional the same way, so a sender that was
  overtaken (its lease expired and another drainer re-claimed the row) stands back;
- each post carries its key in Slack message metadata; a row whose earlier
  attempt may have reached Slack (a crash, a timeout, a 5xx) is first looked up
  in the conversation's history and only posted if it is not there;
- 429s wait `Retry-After`; other transient failures back off exponentially;
  transient ones are retried (capped backoff) for a day, marking nobody; errors
  about the person (`user_not_found`, `account_inactive`, …) fail the row, mark
  the member undeliverable (until they interact or rejoin) and tell the admins;
  a token Slack refuses for good (`invalid_auth`, `token_revoked`: revoked or uninstalled)
  stops the workspace as an uninstall does (bot.installations: queued rows cancelled,
  logged once); another token error (a missing scope, …) stops its delivery for a while
  and tells the admins; a message Slack rejects as malformed is dropped with an ERROR and an
  alert. Alerts go to TANDEM_ADMINS, else the workspace's admins and owners.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import intros, unmarked
from bot.db import reading, writing
from bot.deps import Deps
from bot.installations import NOT_DELIVERED, grant_for, stop_workspaces
from bot.models import Member, OutboxMessage, Pairing, Workspace
from bot.ratelimit import SharedPacer, SlackPacer
from bot.slack import (
    DESTINATION_ERRORS, MALFORMED_ERRORS, PERSON_ERRORS, REVOKED_ERRORS, TOKEN_ERRORS, Grant, slack_error,
)
from bot.sqlutil import bulk_insert, insert_ignoring_conflicts

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 15 * 60  # transient failures are retried at least this often, indefinitely…
MAX_AGE = dt.timedelta(hours=24)  # …until a message is a day old: then it is dropped (nobody marked)
TOKEN_PAUSE = dt.timedelta(minutes=15)  # a refused token stops a workspace's delivery this long
CONCURRENCY = 8
# A claim takes no more rows than the senders can send well inside one lease: at Tier 3's
# pace (about 1.2 s per conversations.open) 16 rows take about 20 s, and the lease is
# renewed before every post anyway.
CLAIM_BATCH = CONCURRENCY * 2
WORKSPACES_AT_ONCE = 8  # workspaces drained side by side, each with CONCURRENCY senders


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
    overtaken: int = 0  # rows another drainer re-claimed before this one posted
    unfinished: bool = False  # the budget ran out with messages perhaps still due
    errors: list[str] = field(default_factory=list)


async def drain(
    deps: Deps, now: dt.datetime, *, pacer: SlackPacer | None = None, keys: list[str] | None = None,
    max_rounds: int = 1000, budget: dt.timedelta | None = None, stop: Callable[[], bool] | None = None,
) -> DrainReport:
    """Send every due outbox message (or only those with `keys`). Safe in several processes at once.

    With a `budget` (wall-clock time), no batch is claimed once it is spent, nor once `stop()`
    says so: the rest waits, still pending, for the next drain (`report.unfinished`). Each
    claim takes time-driven messages (session prompts, reminders, check-ins, alerts) before
    a round's bulk (introductions and waiting notes), so a prompt that falls due during a
    long delivery goes out with the next batch rather than after the whole round.

    Each workspace is drained on its own, with its own installation's token, side by side
    (up to WORKSPACES_AT_ONCE): one workspace's rate limit, slow answers or dead token never
    holds up another's messages."""
    report = DrainReport()
    pacer = pacer or deps.pacer or SharedPacer(deps.sessionmaker)
    loop = asyncio.get_running_loop()
    deadline = None if budget is None else loop.time() + budget.total_seconds()

    def spent() -> bool:
        if (deadline is not None and loop.time() >= deadline) or (stop is not None and stop()):
            report.unfinished = True
            return True
        return False

    gate = asyncio.Semaphore(WORKSPACES_AT_ONCE)

    async def one(workspace: Workspace) -> None:
        async with gate:
            await _drain_workspace(deps, now, workspace, pacer, report, keys, max_rounds, spent)

    await asyncio.gather(*(one(w) for w in await _due_workspaces(deps, _current(deps, now), keys)))
    return report


async def _due_workspaces(deps: Deps, now: dt.datetime, keys: list[str] | None) -> list[Workspace]:
    async with reading(deps.sessionmaker) as session:
        due = select(OutboxMessage.workspace_id).where(_due(now))
        if keys is not None:
            due = due.where(OutboxMessage.idempotency_key.in_(keys))
        return list(await session.scalars(
            select(Workspace).where(Workspace.id.in_(due.distinct()), *_deliverable(now)).order_by(Workspace.id)
        ))


async def _drain_workspace(
    deps: Deps, now: dt.datetime, workspace: Workspace, pacer: SlackPacer, report: DrainReport,
    keys: list[str] | None, max_rounds: int, spent: Callable[[], bool],
) -> None:
    grant: Grant | None = None  # single-token mode: the gateway's own token
    bound = deps.slack.grant
    if deps.installations is not None and bound is not None and bound.team_id == workspace.team_id:
        grant = bound  # a request's own delivery (send_now): the token Bolt's authorize found
    elif deps.installations is not None:
        try:
            grant = await grant_for(deps.installations, workspace)
        except Exception:  # the store or Slack is unwell: this workspace waits for the next drain
            log.exception("workspace %s: could not find its installation's token", workspace.id)
            return
        if grant is None:  # not (yet) known: its messages wait; an uninstall is what stops them
            log.warning("workspace %s: no installation found for it; its messages wait", workspace.id)
            return
    with deps.slack.acting_for(grant):
        for _ in range(max_rounds):
            if spent():
                break
            batch = await _claim(deps, _current(deps, now), keys, workspace_id=workspace.id)
            if not batch:
                break
            queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
            for row in batch:
                queue.put_nowait(row)
            workers = [_worker(deps, now, queue, pacer, report) for _ in range(min(CONCURRENCY, len(batch)))]
            await asyncio.gather(*workers)
            if keys is not None and len(batch) < CLAIM_BATCH:
                break  # every due row with these keys was in this batch: no empty claim after it


async def _worker(deps: Deps, now: dt.datetime, queue: asyncio.Queue[OutboxMessage], pacer: SlackPacer, report: DrainReport) -> None:
    while not queue.empty():
        row = queue.get_nowait()
        await _deliver(deps, _current(deps, now), row, pacer, report)


def _current(deps: Deps, now: dt.datetime) -> dt.datetime:
    """The time a lease is taken or renewed at: the clock now, never before the caller's `now`
    (a drain that runs for twenty minutes must not keep leasing from its start)."""
    return max(now, deps.clock())


def _held(row: OutboxMessage) -> Any:
    """The rows this sender still holds: its claim (attempts) is the newest one."""
    return (OutboxMessage.id == row.id) & (OutboxMessage.state == "sending") & (OutboxMessage.attempts == row.attempts)


RENEW_BELOW = LEASE / 2
"""A lease with more than this left is not renewed before a post: nobody else can claim the row
until it lapses (a claim needs `lease_until < now`), so the check would only cost a write."""


async def _renew(deps: Deps, row: OutboxMessage, now: dt.datetime) -> bool:
    """Fencing: extend this sender's lease if it still holds the row; False when it was overtaken.
    A lease with more than RENEW_BELOW left stands as it is (another drainer would need a clock
    that many minutes ahead to take it): one write fewer for nearly every message."""
    if row.lease_until is not None and row.lease_until - now > RENEW_BELOW:
        return True
    async with writing(deps.sessionmaker) as session:
        result = await session.execute(update(OutboxMessage).where(_held(row)).values(lease_until=now + LEASE))
    if result.rowcount:
        row.lease_until = now + LEASE
        return True
    log.info("outbox message %s: lease lost to another drainer, standing back", row.id)
    return False


async def send_now(deps: Deps, keys: list[str]) -> DrainReport:
    """Deliver these just-committed messages at once (handlers call this after the ack);
    whatever fails stays queued for the scheduler."""
    return await drain(deps, deps.clock(), keys=keys)


BULK_PREFIXES = ("intro:", "waiting:")  # a round's messages: many at once, none tied to a minute
BULK_LAST = case(
    (or_(*(OutboxMessage.idempotency_key.startswith(p, autoescape=True) for p in BULK_PREFIXES)), 1), else_=0
)
"""Claim order: time-driven messages first, then a round's bulk."""


def _due(now: dt.datetime) -> Any:
    return or_(
        (OutboxMessage.state == "pending") & (OutboxMessage.not_before <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.lease_until < now),
    )


def _deliverable(now: dt.datetime) -> tuple[Any, ...]:
    """Workspaces whose messages may go out: installed, and not paused for a refused token."""
    return (Workspace.uninstalled_at.is_(None),
            or_(Workspace.delivery_paused_until.is_(None), Workspace.delivery_paused_until <= now))


async def _claim(
    deps: Deps, now: dt.datetime, keys: list[str] | None = None, *, workspace_id: int | None = None,
) -> list[OutboxMessage]:
    """Lease a batch of due rows (of one workspace, when given) to this process."""
    async with writing(deps.sessionmaker) as session:
        due = _due(now)
        if workspace_id is not None:
            due = due & (OutboxMessage.workspace_id == workspace_id)
        stopped = select(Workspace.id).where(~and_(*_deliverable(now)))
        due = due & OutboxMessage.workspace_id.not_in(stopped)
        if keys is not None:
            due = due & OutboxMessage.idempotency_key.in_(keys)
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(due)
                .order_by(BULK_LAST, OutboxMessage.not_before, OutboxMessage.id)
                .limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for row in rows:
            row.state = "sending"
            row.attempts += 1
            row.lease_until = now + LEASE
        # A round's introductions are rendered now, for this batch only (bot.intros).
        for orphan in await intros.render(session, rows):
            log.warning("outbox message %s (%s): its pairing is gone, dropped", orphan.id, orphan.idempotency_key)
            orphan.state, orphan.lease_until, orphan.error = "failed", None, "pairing gone"
            orphan.payload = NOT_DELIVERED
            rows.remove(orphan)
        return rows


async def _deliver(deps: Deps, now: dt.datetime, row: OutboxMessage, pacer: SlackPacer, report: DrainReport) -> None:
    channel = row.sent_channel or row.channel
    try:
        if channel is None:
            assert row.users is not None
            await pacer.before("conversations.open", workspace_id=row.workspace_id)
            channel = await deps.slack.open_conversation(row.users.split(","))
        ts = None
        # Every earlier claim (attempts counts them) is a holder that may have posted.
        if row.attempts > 1:
            oldest = (row.created_at - dt.timedelta(minutes=1)).timestamp()
            ts = await deps.slack.find_delivered(channel, row.idempotency_key, oldest=oldest)
        if ts is None:
            await pacer.before("chat.postMessage", channel)
            if not await _renew(deps, row, _current(deps, now)):
                report.overtaken += 1
                return
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


SENT_PAYLOAD: dict[str, Any] = {"text": "(sent)"}


async def _mark_sent(deps: Deps, row: OutboxMessage, channel: str, ts: str, now: dt.datetime) -> None:
    """Record the post, only while this sender holds the row (a newer holder finds the
    message in the conversation and records it itself)."""
    async with writing(deps.sessionmaker) as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(_held(row))
            # Slack holds the message now: the copy's text is dropped, so no backup keeps it.
            .values(state="sent", sent_channel=channel, sent_ts=ts, sent_at=now, lease_until=None, error=None,
                    payload=SENT_PAYLOAD)
        )
        if not result.rowcount:
            return
        if row.pairing_id is not None and row.users is not None:
            await session.execute(
                update(Pairing)
                .where(Pairing.id == row.pairing_id, Pairing.conversation_id.is_(None))
                .values(conversation_id=channel)
            )


async def _on_slack_error(
    deps: Deps, now: dt.datetime, row: OutboxMessage, channel: str | None, exc: SlackApiError, report: DrainReport
) -> None:
    """Whose fault: the person's (mark them), the destination's, the bot's token (stop the
    workspace), the bot's message (drop it), or nobody's yet (back off and retry)."""
    error = slack_error(exc)
    status = exc.response.status_code if exc.response is not None else 0
    if error == "account_inactive" and not await deps.slack.token_works():
        await _revoked(deps, now, row, "account_inactive (the bot's token)", report)
    elif error in REVOKED_ERRORS and error != "account_inactive":
        await _revoked(deps, now, row, error, report)
    elif error in TOKEN_ERRORS and error != "account_inactive":
        await _stop_workspace(deps, now, row, error, report)
    elif error in PERSON_ERRORS:
        await _give_up(deps, now, row, error, report, mark=True)
    elif error in DESTINATION_ERRORS:
        await _give_up(deps, now, row, error, report, mark=False)
    elif error in MALFORMED_ERRORS:
        log.error("outbox message %s (%s): Slack refused the message Tandem built: %s",
                  row.id, row.idempotency_key, error)
        await _give_up(deps, now, row, error, report, mark=False)
    else:
        retry_after = None
        if status == 429:
            retry_after = int(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
        await _retry_later(deps, now, row, channel, error, report, retry_after=retry_after)


async def _retry_later(
    deps: Deps, now: dt.datetime, row: OutboxMessage, channel: str | None, error: str,
    report: DrainReport, *, retry_after: int | None,
) -> None:
    """A transient failure: back off (capped) and try again; nobody is marked for it. Only a
    message still failing a day after it was queued is dropped, with an alert."""
    if now - row.created_at > MAX_AGE:
        await _give_up(deps, now, row, f"still failing after {MAX_AGE}: {error}", report, mark=False)
        return
    backoff = BACKOFF_BASE_SECONDS * 2 ** min(max(row.attempts - 1, 0), 16)
    delay = retry_after if retry_after is not None else min(BACKOFF_CAP_SECONDS, backoff)
    log.info("outbox message %s: %s, retrying in %ss", row.id, error, delay)
    report.retried += 1
    async with writing(deps.sessionmaker) as session:
        await session.execute(
            update(OutboxMessage)
            .where(_held(row))
            .values(state="pending", not_before=now + dt.timedelta(seconds=delay), lease_until=None,
                    error=error[:200], sent_channel=channel)
        )


async def _revoked(deps: Deps, now: dt.datetime, row: OutboxMessage, error: str, report: DrainReport) -> None:
    """Slack says the token is dead (revoked, uninstalled): stop the workspace as an
    uninstall does (bot.installations), this row and every queued one cancelled."""
    report.failed += 1
    report.errors.append(error)
    await stop_delivery(deps, now, row.workspace_id, error)


async def stop_delivery(deps: Deps, now: dt.datetime, workspace_id: int, reason: str) -> None:
    """Stop one workspace for good (until a reinstall, or in single-token mode a restart with a
    token Slack accepts); logged once, by whichever process stopped it."""
    async with deps.sessionmaker.begin() as session:
        team_id = await session.scalar(select(Workspace.team_id).where(Workspace.id == workspace_id))
        stopped = await stop_workspaces(session, now=now, team_ids=[team_id]) if team_id else []
    if stopped:
        log.error("workspace %s: Slack refused its token for good (%s); all delivery stopped, queued messages "
                  "cancelled, until the app is reinstalled", workspace_id, reason)


async def _stop_workspace(deps: Deps, now: dt.datetime, row: OutboxMessage, error: str, report: DrainReport) -> None:
    """Slack refuses the bot's token: nothing is sent for this workspace for a while (it is
    tried again after TOKEN_PAUSE), the row waits, nobody is marked, the admins are told."""
    log.error("workspace %s: Slack refused the bot's token (%s); delivery stopped until %s",
              row.workspace_id, error, now + TOKEN_PAUSE)
    report.retried += 1
    report.errors.append(error)
    admins = await alert_recipients(deps)
    async with writing(deps.sessionmaker) as session:
        await session.execute(
            update(OutboxMessage).where(_held(row))
            .values(state="pending", not_before=now + TOKEN_PAUSE, lease_until=None, error=error[:200])
        )
        await session.execute(
            update(Workspace).where(Workspace.id == row.workspace_id)
            .values(delivery_paused_until=now + TOKEN_PAUSE, delivery_error=error[:200])
        )
        text = (f"Tandem cannot send messages in this workspace: Slack refused its token (`{error}`). "
                "Messages wait until the app is reinstalled or its token fixed.")
        for admin in admins:
            await enqueue(session, workspace_id=row.workspace_id, now=now, users=[admin], payload={"text": text},
                          key=f"alert:token:{error[:40]}:{now.date().isoformat()}:{admin}")


async def alert_recipients(deps: Deps) -> list[str]:
    """Who hears about delivery trouble: TANDEM_ADMINS, else the workspace's admins and owners."""
    if deps.settings.admin_ids:
        return sorted(deps.settings.admin_ids)
    try:
        return await deps.slack.workspace_admins()
    except (SlackApiError, asyncio.TimeoutError, OSError, aiohttp.ClientError) as exc:
        log.warning("could not list the workspace's admins for an alert: %s", type(exc).__name__)
        return []


async def _give_up(
    deps: Deps, now: dt.datetime, row: OutboxMessage, error: str, report: DrainReport, *, mark: bool
) -> None:
    """Fail the row and tell the admins; `mark` (only for errors about the person) marks
    the people Slack cannot reach as undeliverable, until they interact or rejoin."""
    log.warning("outbox message %s failed permanently: %s", row.id, error)
    report.failed += 1
    report.errors.append(error)
    unreachable = await _unreachable_users(deps, row) if mark else []
    admins = [] if row.idempotency_key.startswith(("undeliverable:", "alert:")) else await alert_recipients(deps)
    async with writing(deps.sessionmaker) as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(_held(row))
            .values(state="failed", error=error[:200], lease_until=None, payload=NOT_DELIVERED)
        )
        if not result.rowcount:
            return  # another drainer holds it now
        if mark:
            marked = (Member.id == row.member_id) if row.member_id is not None else Member.slack_user_id.in_(unreachable)
            await session.execute(
                update(Member)
                .where(Member.workspace_id == row.workspace_id, marked, Member.undeliverable_at.is_(None))
                .values(undeliverable_at=now)
            )
        for admin in admins:  # never a notice about a failed notice
            await enqueue(
                session, workspace_id=row.workspace_id, key=f"undeliverable:{row.id}:{admin}", now=now,
                users=[admin], payload=_failure_notice(row, error, marked=mark),
            )
    if mark:  # after the commit: a read meanwhile could have remembered the old state
        unmarked.forget_all(deps.engine)


async def _unreachable_users(deps: Deps, row: OutboxMessage) -> list[str]:
    """Which of a group's users Slack cannot reach (Slack's error does not say): those it
    does not know or reports deleted; a failed lookup is no evidence against anyone."""
    if row.member_id is not None or not row.users:
        return []
    gone = []
    for user_id in row.users.split(","):
        try:
            info = await deps.slack.user_info(user_id)
        except SlackApiError as exc:
            if slack_error(exc) in PERSON_ERRORS:
                gone.append(user_id)
            continue
        except (asyncio.TimeoutError, OSError, aiohttp.ClientError):
            continue
        if info.get("deleted"):
            gone.append(user_id)
    return gone


def _failure_notice(row: OutboxMessage, error: str, *, marked: bool) -> dict[str, Any]:
    who = f"<@{row.users.replace(',', '>, <@')}>" if row.users else f"<#{row.channel}>"
    text = f"Tandem could not deliver a message to {who} (Slack said `{error}`)."
    if marked:
        text += " They have been marked as unreachable until they use Tandem again or rejoin."
    else:
        text += " Nobody has been marked unreachable for it; the message was dropped."
    return {"text": text}
