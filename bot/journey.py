"""What App Home and `/tandem status` show of a person's pairings: their goals and
progress, what they can do next, and past pairings with dates.

Gathered as plain values for `bot.blocks.journey`. Only the person's own goals
and the pair's shared intent are read; never ratings or notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.goals import GoalView
from bot.goals import goals_of, view_of
from bot.models import Member, Pairing, PairingMember, Session

PAST_SHOWN = 5


@dataclass(frozen=True)
class PastPairing:
    partner_user_ids: list[str]
    started_at: dt.datetime
    ended_at: dt.datetime | None
    sessions_met: int


@dataclass(frozen=True)
class Journey:
    pairing_id: int | None = None
    pairing_paused: bool = False
    goals: list[GoalView] = field(default_factory=list)
    shared_intent: str | None = None
    dilemma_session_id: int | None = None  # your turn next, no dilemma written yet
    past: list[PastPairing] = field(default_factory=list)


async def gather_journey(session: AsyncSession, member: Member, pairing: Pairing | None) -> Journey:
    """`pairing` is the member's current one, loaded with members and sessions (or None)."""
    past = await _past_pairings(session, member.id, exclude=pairing.id if pairing else None)
    if pairing is None:
        return Journey(past=past)
    upcoming = sorted((s for s in pairing.sessions if s.state == "planned" and s.checkin_sent_at is None),
                      key=lambda s: s.sequence)
    nxt = upcoming[0] if upcoming else None
    dilemma = (nxt.id if nxt is not None and nxt.mentee_member_id == member.id and nxt.format == "turns"
               and nxt.dilemma_at is None else None)
    return Journey(
        pairing_id=pairing.id,
        pairing_paused=pairing.state == "paused",
        goals=[view_of(g) for g in await goals_of(session, pairing.id, member.id)],
        shared_intent=pairing.shared_intent,
        dilemma_session_id=dilemma,
        past=past,
    )


async def _past_pairings(session: AsyncSession, member_id: int, *, exclude: int | None) -> list[PastPairing]:
    mine = select(PairingMember.pairing_id).where(PairingMember.member_id == member_id)
    pairings = list(await session.scalars(
        select(Pairing).where(Pairing.id.in_(mine), Pairing.state == "ended", Pairing.id != (exclude or -1))
        .order_by(Pairing.started_at.desc()).limit(PAST_SHOWN)
    ))
    if not pairings:
        return []
    ids = [p.id for p in pairings]
    partners: dict[int, list[str]] = {i: [] for i in ids}
    rows = await session.execute(
        select(PairingMember.pairing_id, Member.slack_user_id, Member.status)
        .join(Member, Member.id == PairingMember.member_id)
        .where(PairingMember.pairing_id.in_(ids), PairingMember.member_id != member_id)
    )
    for pairing_id, user_id, status in rows.all():
        if status != "forgotten":
            partners[pairing_id].append(user_id)
    met = dict((await session.execute(
        select(Session.pairing_id, func.count()).where(Session.pairing_id.in_(ids), Session.state == "met")
        .group_by(Session.pairing_id)
    )).all())
    return [PastPairing(partners[p.id], p.started_at, p.ended_at, int(met.get(p.id, 0))) for p in pairings]
