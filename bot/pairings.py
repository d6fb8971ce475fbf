"""Pairings: creating one (with its planned sessions) and finding a member's current one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import memberships, outbox
from bot.blocks.members import pairing_ended_message, trio_continues_message
from bot.models import Member, OutboxMessage, Pairing, PairingMember, Program, Round
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


async def _continue_without(session: AsyncSession, pairing: Pairing, departed_member_id: int, now: dt.datetime) -> None:
    """The departed seat becomes history (`left_at`); the others move to a new conversation.

    The old group conversation still holds the departed person, so nothing more is posted
    there: the pairing forgets its conversation id (the next message opens a group
    conversation of the remaining members, and the outbox records its id), and messages
    queued for the old conversation, or for the old set of people, are re-addressed."""
    seats = pairing.members
    departed = next(pm for pm in seats if pm.member_id == departed_member_id)
    old_users = ",".join(pm.member.slack_user_id for pm in seats)
    old_channel = pairing.conversation_id
    departed.left_at = now
    pairing.conversation_id = None
    await session.flush()
    await session.refresh(pairing, ["members"])
    order = [pm.member_id for pm in pairing.members]
    planned = [s for s in pairing.sessions if s.state == "planned" and s.mentee_member_id is not None]
    for i, planned_session in enumerate(sorted(planned, key=lambda s: s.sequence)):
        planned_session.mentee_member_id = order[i % len(order)]
    to_old = OutboxMessage.users == old_users
    if old_channel is not None:
        to_old = or_(to_old, OutboxMessage.channel == old_channel)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.pairing_id == pairing.id, OutboxMessage.state.in_(("pending", "failed")), to_old)
        .values(channel=None, users=",".join(pm.member.slack_user_id for pm in pairing.members))
    )


async def active_pairing_of(session: AsyncSession, member_id: int, program_id: int | None = None) -> Pairing | None:
    """The member's current (active or paused) pairing — in `program_id`, or the newest in
    any program — with members and sessions loaded."""
    in_program = (Pairing.program_id == program_id,) if program_id is not None else ()
    return await session.scalar(
        select(Pairing)
        .join(PairingMember)
        .where(PairingMember.member_id == member_id, PairingMember.left_at.is_(None),
               Pairing.state.in_(("active", "paused")), *in_program)
        .options(selectinload(Pairing.members), selectinload(Pairing.sessions))
        .order_by(Pairing.started_at.desc())
        .limit(1)
    )


def partners_of(pairing: Pairing, member_id: int) -> list[Member]:
    return [pm.member for pm in pairing.members if pm.member_id != member_id]


@dataclass(frozen=True)
class PairingEnd:
    """What `end_pairing` did: outbox keys to send now and whose App Home to refresh."""

    keys: list[str] = field(default_factory=list)
    notified_user_ids: list[str] = field(default_factory=list)
    continues: bool = False  # a trio lost a member and goes on as a pair


async def end_pairing(
    session: AsyncSession,
    pairing: Pairing,
    *,
    now: dt.datetime,
    reason: str,
    departed_member_id: int | None = None,
) -> PairingEnd:
    """End a pairing because a member left (or for `reason`), looking after the others.

    A pair ends: its planned sessions are cancelled and the remaining member is
    told kindly and waits with priority, so the next round pairs them first. A
    trio keeps the departed member's seat as history and continues as a pair in a
    new group conversation without them (the mentee turns of the planned sessions
    are re-dealt between the two; see `_continue_without`). Messages go through the
    outbox; the caller commits, then calls `outbox.send_now(deps, result.keys)`.
    The departed person is never named: they may have asked to be forgotten.
    """
    program = await session.get(Program, pairing.program_id)
    assert program is not None
    remaining = [pm for pm in pairing.members if pm.member_id != departed_member_id]
    reachable = [pm.member for pm in remaining if pm.member.status in ("active", "paused", "invited")]
    keys: list[str] = []
    if departed_member_id is not None and len(remaining) >= 2:
        await _continue_without(session, pairing, departed_member_id, now)
        key = f"trio-continues:{pairing.id}:{departed_member_id}"
        users = [pm.member.slack_user_id for pm in pairing.members]
        await outbox.enqueue(session, workspace_id=program.workspace_id, key=key, now=now,
                             users=users, pairing_id=pairing.id, payload=trio_continues_message(users))
        return PairingEnd([key], [m.slack_user_id for m in reachable], continues=True)

    pairing.state = "ended"
    pairing.ended_at = now
    pairing.end_reason = reason[:32]
    for planned_session in pairing.sessions:
        if planned_session.state == "planned":
            planned_session.state = "cancelled"
    await memberships.set_priority(session, program.id, [m.id for m in reachable], True)
    for member in reachable:
        member.priority = True
        member.updated_at = now
        key = f"pairing-ended:{pairing.id}:{member.id}"
        await outbox.enqueue(session, workspace_id=program.workspace_id, key=key, now=now,
                             users=[member.slack_user_id], member_id=member.id,
                             payload=pairing_ended_message(program.next_round_at))
        keys.append(key)
    await session.flush()
    return PairingEnd(keys, [m.slack_user_id for m in reachable])
