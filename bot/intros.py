"""A round's introductions, rendered when the outbox claims them rather than inside the round.

A round queues each introduction as an outbox row that only identifies it: its key
(`intro:<pairing id>`), the pairing, the users whose group conversation it opens, and a
placeholder payload `{"render": "intro", "exchange": …}`. Building 5,000 messages' blocks
inside the round's transaction was 42 % of storing a 10,000-member round; claiming a batch
of 16 renders those 16 (one query for their pairings and kick-offs) and stores the rendered
payload on the row, in the claim's own transaction, so a retry sends the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.rounds import intro_message
from bot.models import OutboxMessage, Pairing, Session

log = logging.getLogger(__name__)

RENDER = "render"
INTRO = "intro"


def placeholder(exchange: str, **options: Any) -> dict[str, Any]:
    """What a round stores for an introduction: `exchange` and any other plain keyword
    `options` are passed to `bot.blocks.rounds.intro_message` when it is rendered."""
    return {RENDER: INTRO, "exchange": exchange, **options}


def needs_rendering(row: OutboxMessage) -> bool:
    return isinstance(row.payload, dict) and row.payload.get(RENDER) == INTRO


async def render(session: AsyncSession, rows: Iterable[OutboxMessage]) -> list[OutboxMessage]:
    """Replace each placeholder's payload with the introduction it stands for (in the caller's
    transaction). Returns the rows that cannot be rendered: their pairing is gone."""
    pending = [row for row in rows if needs_rendering(row)]
    ids = [row.pairing_id for row in pending if row.pairing_id is not None]
    facts = {
        pairing_id: (reasons, sessions, cadence, kickoff)
        for pairing_id, reasons, sessions, cadence, kickoff in (await session.execute(
            select(Pairing.id, Pairing.reasons, Pairing.sessions_planned, Pairing.cadence, Session.due_at)
            .join(Session, (Session.pairing_id == Pairing.id) & (Session.sequence == 1))
            .where(Pairing.id.in_(ids))
        ))
    } if ids else {}
    orphans = []
    for row in pending:
        found = facts.get(row.pairing_id) if row.pairing_id is not None else None
        if found is None or not row.users:
            orphans.append(row)
            continue
        reasons, sessions, cadence, kickoff = found
        users = row.users.split(",")
        options = {key: value for key, value in row.payload.items() if key != RENDER}
        row.payload = intro_message(
            pairing_id=row.pairing_id, user_ids=users, reasons=list(reasons or []), kickoff_at=kickoff,
            sessions=sessions, cadence=cadence, trio=len(users) == 3, **options,
        )
    return orphans
