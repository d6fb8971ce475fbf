"""Idempotency of Slack's Events API deliveries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ProcessedEvent
from bot.sqlutil import insert_ignoring_conflicts


async def record_event_once(session: AsyncSession, event_id: str, team_id: str, now: dt.datetime) -> bool:
    """True the first time an event id is seen, False for every repeat (retries included)."""
    result = await session.execute(
        insert_ignoring_conflicts(session, ProcessedEvent, ["event_id"]).values(
            event_id=event_id, team_id=team_id, received_at=now
        )
    )
    return bool(result.rowcount)
