"""Member lifecycle: joining, pausing (and pauses running out), leaving, deactivation, forget-me.

Functions take the caller's session and `now`; the edge commits, then sends
the returned outbox keys with `outbox.send_now`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.blocks.announce import invitation_message
from bot.deps import Deps
from bot.models import Feedback, Goal, Member, MemberBlock, MemberSkill, OutboxMessage, PairingMember, Session
from bot.pairings import PairingEnd, active_pairing_of, end_pairing
from bot.round_schedule import next_round_at
from bot.sqlutil import insert_ignoring_conflicts
from bot.workspaces import program_of


async def resume_paused(deps: Deps, now: dt.datetime) -> int:
    """Members whose pause has run out are active again (one atomic UPDATE)."""
    async with deps.sessionmaker.begin() as session:
        result = await session.execute(
            update(Member)
            .where(Member.status == "paused", Member.paused_until <= now)
            .values(status="active", paused_until=None, updated_at=now)
        )
        return int(result.rowcount or 0)


# --- joining, pausing, leaving, forgetting ----------------------------------------------------

JOINED = ("active", "paused")


@dataclass(frozen=True)
class UserFacts:
    """What users.info told us about a person (only what Tandem keeps)."""

    display_name: str | None = None
    tz: str | None = None
    tz_offset: int = 0
    deleted: bool = False

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> UserFacts:
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        offset = user.get("tz_offset")
        return cls(
            display_name=str(name)[:200] if name else None,
            tz=str(user["tz"])[:64] if user.get("tz") else None,
            tz_offset=int(offset) if isinstance(offset, int) else 0,
            deleted=bool(user.get("deleted")),
        )


async def find_member(session: AsyncSession, workspace_id: int, user_id: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id)
    )


async def ensure_member(
    session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime, facts: UserFacts | None = None
) -> Member:
    """The person's Member row (status "invited" when new), race-safe; facts refresh name and zone."""
    await session.execute(
        insert_ignoring_conflicts(session, Member, ["workspace_id", "slack_user_id"]).values(
            workspace_id=workspace_id, slack_user_id=user_id, status="invited", session_format="turns",
            tz_offset=0, priority=False, created_at=now, updated_at=now,
        )
    )
    member = await find_member(session, workspace_id, user_id)
    assert member is not None
    if facts is not None:
        member.display_name = facts.display_name or member.display_name
        member.tz = facts.tz or member.tz
        member.tz_offset = facts.tz_offset
    return member


async def ensure_next_round(session: AsyncSession, workspace_id: int, now: dt.datetime) -> dt.datetime:
    """Program.next_round_at, computed from the cadence and stored when not set yet."""
    program = await program_of(session, workspace_id)
    if program.next_round_at is None:
        program.next_round_at = next_round_at(program, now)
        program.updated_at = now
    return program.next_round_at


def opt_in(member: Member, now: dt.datetime) -> bool:
    """Make the member active; True when they joined just now (a paused member stays paused)."""
    if member.status in JOINED:
        return False
    member.status = "active"
    member.joined_at = now
    member.left_at = None
    member.paused_until = None
    member.updated_at = now
    return True


async def pause(session: AsyncSession, member: Member, weeks: int, now: dt.datetime) -> PairingEnd:
    """Skip rounds for `weeks`. A current pairing ends (a trio goes on as a pair): the
    partner is told kindly and re-paired with priority rather than left waiting."""
    member.status = "paused"
    member.paused_until = now + dt.timedelta(weeks=weeks)
    member.updated_at = now
    return await _end_current_pairing(session, member, now, reason="paused")


def resume(member: Member, now: dt.datetime) -> bool:
    if member.status != "paused":
        return False
    member.status = "active"
    member.paused_until = None
    member.updated_at = now
    return True


async def _end_current_pairing(session: AsyncSession, member: Member, now: dt.datetime, reason: str) -> PairingEnd:
    pairing = await active_pairing_of(session, member.id)
    if pairing is None:
        return PairingEnd()
    return await end_pairing(session, pairing, now=now, reason=reason, departed_member_id=member.id)


async def leave(session: AsyncSession, member: Member, now: dt.datetime, *, status: str = "left") -> PairingEnd:
    """Opt out (or, with status="deactivated", be removed): an active partner is told and re-paired."""
    member.status = status
    member.left_at = now
    member.paused_until = None
    member.priority = False
    member.updated_at = now
    return await _end_current_pairing(session, member, now, reason=status)


async def deactivate(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime) -> PairingEnd | None:
    """A person deactivated in Slack: status "deactivated", partner looked after. None if unknown."""
    member = await find_member(session, workspace_id, user_id)
    if member is None or member.status in ("deactivated", "forgotten"):
        return None
    return await leave(session, member, now, status="deactivated")


async def forget(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime) -> PairingEnd | None:
    """Delete or anonymise everything personal about a person; None when Tandem knew nothing.

    Kept for the program's figures: the Member row (anonymous), pairings, sessions,
    feedback ratings. Deleted: skills, don't-pair lists (theirs and others' about
    them), goals, feedback texts, retro notes, dilemmas they wrote, name, zone,
    and the texts of messages queued to or about them.
    """
    member = await find_member(session, workspace_id, user_id)
    if member is None:
        return None
    ended = PairingEnd()
    if member.status not in ("left", "deactivated", "forgotten"):
        ended = await leave(session, member, now)
    mid = member.id
    await session.execute(delete(MemberSkill).where(MemberSkill.member_id == mid))
    await session.execute(delete(MemberBlock).where(MemberBlock.member_id == mid))
    blocked_by_others = select(Member.id).where(Member.workspace_id == workspace_id)
    await session.execute(
        delete(MemberBlock).where(MemberBlock.blocked_user_id == user_id, MemberBlock.member_id.in_(blocked_by_others))
    )
    await session.execute(delete(Goal).where(Goal.member_id == mid))
    await session.execute(
        update(Feedback).where(Feedback.member_id == mid).values(takeaway=None, experiment=None, private_note=None)
    )
    await session.execute(
        update(PairingMember).where(PairingMember.member_id == mid).values(retro_learned=None)
    )
    await session.execute(
        update(Session).where(Session.mentee_member_id == mid).values(
            dilemma_situation=None, dilemma_tried=None, dilemma_want=None
        )
    )
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.member_id == mid, OutboxMessage.state == "pending",
                                    OutboxMessage.idempotency_key.not_in(ended.keys))
    )
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.member_id == mid, OutboxMessage.state != "pending")
        .values(payload={"text": "(removed)"})
    )
    member.slack_user_id = f"forgotten-{mid}"
    member.display_name = None
    member.tz = None
    member.tz_offset = 0
    member.experience = None
    member.department = None
    member.career_goals = None
    member.status = "forgotten"
    member.priority = False
    member.invited_at = None
    member.updated_at = now
    await session.flush()
    return ended


async def invite_on_channel_join(
    session: AsyncSession, workspace_id: int, user_id: str, channel_id: str, now: dt.datetime, facts: UserFacts | None
) -> str | None:
    """Someone joined the program's channel: queue one invitation DM, ever. Returns its outbox key."""
    program = await program_of(session, workspace_id)
    if program.channel_id != channel_id or (facts is not None and facts.deleted):
        return None
    member = await ensure_member(session, workspace_id, user_id, now, facts)
    if member.invited_at is not None or member.status != "invited":
        return None
    member.invited_at = now
    key = f"invite:{member.id}"
    await outbox.enqueue(session, workspace_id=workspace_id, key=key, now=now, users=[user_id],
                         member_id=member.id, payload=invitation_message(channel_id))
    return key
