""""Bring this to my next session" (a message shortcut): a message's permalink on the agenda
of the person's next session, posted to the pair with that session's prompt
(`bot.sessions.queue_agenda`).

Only the link is kept, never the message's text: the pair open it in Slack, where Slack's
own permissions decide who may read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.members import find_member
from bot.models import AgendaItem, Workspace
from bot.pairings import active_pairing_of

MAX_ITEMS = 10  # per session and member
MAX_LINK = 500


@dataclass(frozen=True)
class Brought:
    """What the shortcut did: "added", "no-pairing", "no-session" (none coming), "full"."""

    outcome: str
    due_at: dt.datetime | None = None
    sequence: int | None = None


async def bring_to_next_session(
    session: AsyncSession, workspace: Workspace, user_id: str, permalink: str, now: dt.datetime,
) -> Brought:
    """Put the link on the agenda of the person's next session whose prompt is still to come."""
    member = await find_member(session, workspace.id, user_id)
    pairing = await active_pairing_of(session, member.id) if member is not None else None
    if member is None or pairing is None:
        return Brought("no-pairing")
    coming = [s for s in pairing.sessions if s.state == "planned" and s.prompt_sent_at is None and s.due_at > now]
    if not coming:
        return Brought("no-session")
    nxt = min(coming, key=lambda s: s.sequence)
    already = list(await session.scalars(
        select(AgendaItem.permalink).where(AgendaItem.session_id == nxt.id, AgendaItem.member_id == member.id)
    ))
    if permalink in already:
        return Brought("added", nxt.due_at, nxt.sequence)
    if len(already) >= MAX_ITEMS:
        return Brought("full", nxt.due_at, nxt.sequence)
    session.add(AgendaItem(session_id=nxt.id, member_id=member.id, permalink=permalink[:MAX_LINK], created_at=now))
    await session.flush()
    return Brought("added", nxt.due_at, nxt.sequence)
