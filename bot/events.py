"""Idempotency of Slack's Events API deliveries.

The event id is recorded after the ack, before the handler runs (so a retry arriving meanwhile is
dropped) and forgotten if the handler fails, so Slack's next retry takes effect.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.models import ProcessedEvent, Program
from bot.sqlutil import insert_ignoring_conflicts


async def record_event_once(session: AsyncSession, event_id: str, team_id: str, now: dt.datetime) -> bool:
    """True the first time an event id is seen, False for every repeat (retries included)."""
    result = await session.execute(
        insert_ignoring_conflicts(session, ProcessedEvent, ["event_id"]).values(
            event_id=event_id, team_id=team_id, received_at=now
        )
    )
    return bool(result.rowcount)


async def forget_event(session: AsyncSession, event_id: str) -> None:
    """The handler failed: forget the event, so Slack's retry of it takes effect."""
    await session.execute(delete(ProcessedEvent).where(ProcessedEvent.event_id == event_id))


KEEP_PROCESSED = dt.timedelta(days=1)  # Slack retries within minutes; user_change fires on every profile edit


async def prune_processed_events(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Scheduled: drop event ids older than a day (no retry comes that late). The ids are
    the workspace's, not the program's: the first program's run prunes them, the others find none."""
    result = await session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - KEEP_PROCESSED))
    return int(result.rowcount or 0)
