"""Pairings: creating one (with its planned sessions) and finding a member's current one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.models import Member, Pairing, PairingMember, Program, Round
from bot.sessions import plan_sessions


async def create_pairing(
    session: AsyncSession,
    *,
    program: Program,
    round_: Round,
    members: list[Member],
    score: float,
    reasons: list[str],
    two_way: bool,
    cross_department: bool,
    now: dt.datetime,
) -> Pairing:
    """A new active pairing of two or three members, with its sessions planned."""
    if not 2 <= len(members) <= 3:
        raise ValueError("a pairing has two or three members")
    formats = {m.session_format for m in members}
    pairing = Pairing(
        program_id=program.id,
        round_id=round_.id,
        score=score,
        reasons=reasons,
        two_way=two_way,
        cross_department=cross_department,
        state="active",
        # Turn-taking unless every member asked for brainstorming.
        format="brainstorm" if formats == {"brainstorm"} else program.default_format,
        cadence=program.cadence,
        sessions_planned=program.sessions_per_pairing,
        started_at=now,
        members=[PairingMember(member_id=m.id, position=i) for i, m in enumerate(members)],
    )
    session.add(pairing)
    await session.flush()
    await plan_sessions(session, pairing, members, now)
    return pairing


async def active_pairing_of(session: AsyncSession, member_id: int) -> Pairing | None:
    """The member's current (active or paused) pairing, with members and sessions loaded."""
    return await session.scalar(
        select(Pairing)
        .join(PairingMember)
        .where(PairingMember.member_id == member_id, Pairing.state.in_(("active", "paused")))
        .options(selectinload(Pairing.members), selectinload(Pairing.sessions))
        .order_by(Pairing.started_at.desc())
        .limit(1)
    )


def partners_of(pairing: Pairing, member_id: int) -> list[Member]:
    return [pm.member for pm in pairing.members if pm.member_id != member_id]
