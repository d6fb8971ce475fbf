"""Member lifecycle: joining, pausing (and pauses running out), leaving, deactivation, forget-me.

Joining, pausing and leaving are per program (bot.memberships); deactivation and
forget-me are the person's and end every membership. Functions take the caller's
session and `now`; the edge commits, then sends the returned outbox keys with
`outbox.send_now`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import crypto, memberships, outbox, unmarked
from bot.blocks.announce import invitation_message
from bot.models import (
    Feedback, Goal, Member, MemberBlock, MemberSkill, OutboxMessage, Pairing, PairingMember, Program, Session, Skill,
    Workspace,
)
from bot.models import AgendaItem, Membership
from bot.pairings import PairingEnd, active_pairing_of, end_pairing
from bot.round_schedule import next_round_at
from bot.skills import starter_keys
from bot.sqlutil import insert_ignoring_conflicts
from bot.workspaces import ensure_workspace, program_of


async def resume_paused(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Members of the program whose pause has run out are active again."""
    return await memberships.resume_expired(session, program, now)


# --- joining, pausing, leaving, forgetting ----------------------------------------------------

JOINED = ("active", "paused")


@dataclass(frozen=True)
class UserFacts:
    """What users.info told us about a person (only what Tandem keeps)."""

    display_name: str | None = None
    tz: str | None = None
    tz_offset: int = 0
    deleted: bool = False
    # What kind of account (see account_type_in): Slack's flags, kept as they came.
    is_bot: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_stranger: bool = False
    team_id: str | None = None

    def account_type_in(self, home_team_id: str) -> str:
        """One of models.ACCOUNT_TYPES, as seen from the workspace `home_team_id`: a person
        from another organisation (Slack Connect) is "external" whatever else they are."""
        if self.is_bot:
            return "bot"
        if self.is_stranger or (self.team_id and self.team_id != home_team_id):
            return "external"
        if self.is_ultra_restricted:
            return "single_channel_guest"
        if self.is_restricted:
            return "multi_channel_guest"
        return "full"

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
            is_bot=bool(user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT"),
            is_restricted=bool(user.get("is_restricted")),
            is_ultra_restricted=bool(user.get("is_ultra_restricted")),
            is_stranger=bool(user.get("is_stranger")),
            team_id=str(user["team_id"])[:32] if isinstance(user.get("team_id"), str) and user["team_id"] else None,
        )


def may_take_part(account_type: str, program: Program) -> bool:
    """Full members take part; multi-channel guests only where the program allows it;
    single-channel guests, people from other organisations and bots never."""
    return account_type == "full" or (account_type == "multi_channel_guest" and program.allow_multi_channel_guests)


def eligible_accounts(program: Program) -> tuple[str, ...]:
    """The account types `may_take_part` lets in (for a WHERE clause)."""
    return ("full", "multi_channel_guest") if program.allow_multi_channel_guests else ("full",)


async def join_refusal(
    session: AsyncSession, workspace: Workspace, facts: UserFacts | None, program: Program | None = None,
) -> str | None:
    """Why this person cannot join the program (the first one unless given; a polite
    sentence), or None when they can. Unknown facts (users.info failed) refuse nobody:
    the rounds check the stored type."""
    if facts is None:
        return None
    program = program or await program_of(session, workspace.id)
    kind = facts.account_type_in(workspace.team_id)
    if may_take_part(kind, program):
        return None
    return JOIN_REFUSALS[kind]


JOIN_REFUSALS = {
    "bot": "Tandem pairs people, so bots and apps can't join. :robot_face:",
    "external": ("Thanks for your interest! Tandem is for members of this workspace, so people from other "
                 "organisations in a shared channel can't join."),
    "single_channel_guest": ("Thanks for your interest! Tandem is for members of this workspace, so guests "
                             "can't join. An admin can tell you more."),
    "multi_channel_guest": ("Thanks for your interest! This workspace's Tandem program is for full members, "
                            "so guests can't join. An admin can change that in the program settings."),
}


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
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        member.account_type = facts.account_type_in(workspace.team_id)
        member.display_name = facts.display_name or member.display_name
        member.tz = facts.tz or member.tz
        member.tz_offset = facts.tz_offset
    return member


async def ensure_next_round(
    session: AsyncSession, workspace_id: int, now: dt.datetime, program: Program | None = None,
) -> dt.datetime:
    """Program.next_round_at (the first program unless given), computed from the cadence
    and stored when not set yet."""
    program = program or await program_of(session, workspace_id)
    if program.next_round_at is None:
        program.next_round_at = next_round_at(program, now)
        program.updated_at = now
    return program.next_round_at


async def pause(session: AsyncSession, found: Membership, member: Member, weeks: int, now: dt.datetime) -> PairingEnd:
    """Skip the program's rounds for `weeks`. Its current pairing ends (a trio goes on as a
    pair): the partner is told kindly and re-paired with priority rather than left waiting."""
    await memberships.set_status(session, found, "paused", now, paused_until=now + dt.timedelta(weeks=weeks))
    await memberships.sync_member(session, member, now)
    return await _end_current_pairing(session, member, now, reason="paused", program_id=found.program_id)


async def resume(session: AsyncSession, found: Membership, member: Member, now: dt.datetime) -> bool:
    if found.status != "paused":
        return False
    await memberships.set_status(session, found, "active", now)
    await memberships.sync_member(session, member, now)
    return True


async def _end_current_pairing(
    session: AsyncSession, member: Member, now: dt.datetime, reason: str, program_id: int | None = None,
) -> PairingEnd:
    """End the member's pairing in one program, or (program_id None) in every program."""
    ended = PairingEnd()
    while (pairing := await active_pairing_of(session, member.id, program_id)) is not None:
        this = await end_pairing(session, pairing, now=now, reason=reason, departed_member_id=member.id)
        ended = PairingEnd(ended.keys + this.keys, ended.notified_user_ids + this.notified_user_ids,
                           continues=ended.continues or this.continues)
        if program_id is not None:
            break
    return ended


async def leave(
    session: AsyncSession, member: Member, now: dt.datetime, *, status: str = "left", program_id: int | None = None,
) -> PairingEnd:
    """Opt out of one program (`program_id`), or of all of them (or, with status="deactivated",
    be removed): an active partner is told and re-paired."""
    for found, _program in await memberships.memberships_of(session, member.id):
        if program_id is None or found.program_id == program_id:
            if found.status != "left":
                await memberships.set_status(session, found, "left", now)
    if program_id is None:
        member.status = status
        member.left_at = now
        member.paused_until = None
        member.priority = False
        member.updated_at = now
    else:
        await memberships.sync_member(session, member, now)
    return await _end_current_pairing(session, member, now, reason=status, program_id=program_id)


async def deactivate(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime) -> PairingEnd | None:
    """A person deactivated in Slack: status "deactivated", partner looked after. None if unknown."""
    member = await find_member(session, workspace_id, user_id)
    if member is None or member.status in ("deactivated", "forgotten"):
        return None
    return await leave(session, member, now, status="deactivated")


async def forget(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime) -> PairingEnd | None:
    """Delete or anonymise everything personal about a person; None when Tandem knew nothing.

    Kept for the program's figures: the Member row (anonymous), pairings, sessions,
    feedback ratings. Kept so a block still holds if they return: other people's
    "don't pair me with" entries, as a keyed hash (the visible user id is cleared).
    Deleted: their data key (so their sealed text is unreadable here and in every
    backup, bot/crypto.py), skills (and catalog skills nobody else uses), their own
    don't-pair list, goals, the messages they brought to sessions, feedback texts, retro notes, dilemmas, name, zone; in
    every pairing they sat in, the reasons (mentions, department, skills, goal
    words) and the shared intent; and every queued or sent message copy to, about
    or in a conversation with them (the messages announcing their leaving stay).
    """
    member = await find_member(session, workspace_id, user_id)
    if member is None:
        return None
    ended = PairingEnd()
    if member.status not in ("left", "deactivated", "forgotten"):
        ended = await leave(session, member, now)
    mid = member.id
    await crypto.shred(session, mid)
    await session.execute(delete(MemberSkill).where(MemberSkill.member_id == mid))
    unused = select(MemberSkill.skill_id).where(MemberSkill.skill_id == Skill.id).exists()
    await session.execute(delete(Skill).where(Skill.workspace_id == workspace_id, ~unused,
                                              Skill.key.not_in(starter_keys())))
    await session.execute(delete(MemberBlock).where(MemberBlock.member_id == mid))
    blocked_by_others = select(Member.id).where(Member.workspace_id == workspace_id)
    await session.execute(
        update(MemberBlock)
        .where(MemberBlock.member_id.in_(blocked_by_others),
               or_(MemberBlock.blocked_user_id == user_id, MemberBlock.blocked_hash == f"legacy:{user_id}"))
        .values(blocked_user_id=None, blocked_hash=crypto.keyring_of(session).block_hash(user_id))
    )
    await session.execute(delete(Goal).where(Goal.member_id == mid))
    await session.execute(delete(AgendaItem).where(AgendaItem.member_id == mid))
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
    their_pairings = select(PairingMember.pairing_id).where(PairingMember.member_id == mid)
    await session.execute(
        update(Pairing).where(Pairing.id.in_(their_pairings)).values(reasons=[], shared_intent=None)
    )
    await _scrub_outbox(session, workspace_id, mid, user_id, their_pairings, keep=ended.keys)
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


async def _scrub_outbox(
    session: AsyncSession, workspace_id: int, mid: int, user_id: str, their_pairings: Any, keep: list[str]
) -> None:
    """Queued copies are deleted, sent ones keep only "(removed)" and their conversation id.

    A message is theirs when it is addressed to them, names them (what they wrote is
    posted under their id), or belongs to a conversation they were in. A trio they
    left goes on as a pair in a new conversation (`bot.pairings._continue_without`
    re-addressed what was queued): there only what was sent before they left is
    theirs; what is queued for the two who carry on is still delivered.
    """
    seat_left = (
        select(PairingMember.left_at)
        .where(PairingMember.pairing_id == OutboxMessage.pairing_id, PairingMember.member_id == mid)
        .scalar_subquery()
    )
    in_their_conversation = and_(
        OutboxMessage.pairing_id.in_(their_pairings),
        or_(
            seat_left.is_(None),
            and_(OutboxMessage.state.not_in(("pending", "failed")),
                 or_(OutboxMessage.sent_at.is_(None), OutboxMessage.sent_at <= seat_left)),
        ),
    )
    about_them = or_(
        OutboxMessage.member_id == mid,
        in_their_conversation,
        (literal(",") + OutboxMessage.users + ",").contains(f",{user_id},"),  # a whole id, not a prefix
        cast(OutboxMessage.payload, String).contains(user_id),
    )
    mine = (OutboxMessage.workspace_id == workspace_id, about_them, OutboxMessage.idempotency_key.not_in(keep))
    await session.execute(delete(OutboxMessage).where(*mine, OutboxMessage.state.in_(("pending", "failed"))))
    await session.execute(
        update(OutboxMessage).where(*mine, OutboxMessage.state.not_in(("pending", "failed")))
        .values(payload={"text": "(removed)"}, users=None, error=None,
                channel=func.coalesce(OutboxMessage.sent_channel, OutboxMessage.channel, "removed"))
    )


async def invite_on_channel_join(
    session: AsyncSession, workspace_id: int, user_id: str, channel_id: str, now: dt.datetime, facts: UserFacts | None
) -> str | None:
    """Someone joined a program's channel: queue one invitation DM, ever. Returns its outbox key."""
    program = await session.scalar(
        select(Program).where(Program.workspace_id == workspace_id, Program.channel_id == channel_id)
    )
    if program is None or (facts is not None and facts.deleted):
        return None
    member = await ensure_member(session, workspace_id, user_id, now, facts)
    if member.invited_at is not None or member.status != "invited" or not may_take_part(member.account_type, program):
        return None  # guests (unless allowed), people from other organisations and bots are not invited
    member.invited_at = now
    key = f"invite:{member.id}"
    await outbox.enqueue(session, workspace_id=workspace_id, key=key, now=now, users=[user_id],
                         member_id=member.id, payload=invitation_message(channel_id, program.id))
    return key


# --- a person's own choices, by Slack user id (the edge opens the transaction) -------------------

@dataclass(frozen=True)
class Change:
    """What a person's pause, resume, leave or forget-me did.

    `outcome`: "done"; "not-member" (no joined member with that id, or not in that
    program; forget-me: nothing stored); "not-paused" (resume of someone who was not
    paused)."""

    outcome: str
    ended: PairingEnd = field(default_factory=PairingEnd)
    paused_until: dt.datetime | None = None

    @property
    def done(self) -> bool:
        return self.outcome == "done"


async def _joined(
    session: AsyncSession, workspace_id: int, user_id: str, program_id: int,
) -> tuple[Member, Membership] | None:
    """The person and their membership of the program, when they are in it (active or paused)."""
    member = await find_member(session, workspace_id, user_id)
    if member is None or member.status not in JOINED:
        return None
    found = await memberships.membership(session, program_id, member.id)
    return (member, found) if found is not None and found.status in JOINED else None


async def pause_user(
    session: AsyncSession, workspace_id: int, user_id: str, weeks: int, now: dt.datetime, program_id: int,
) -> Change:
    joined = await _joined(session, workspace_id, user_id, program_id)
    if joined is None:
        return Change("not-member")
    member, found = joined
    ended = await pause(session, found, member, weeks, now)
    return Change("done", ended, found.paused_until)


async def resume_user(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime, program_id: int) -> Change:
    joined = await _joined(session, workspace_id, user_id, program_id)
    if joined is None:
        return Change("not-member")
    return Change("done") if await resume(session, joined[1], joined[0], now) else Change("not-paused")


async def leave_user(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime, program_id: int) -> Change:
    joined = await _joined(session, workspace_id, user_id, program_id)
    if joined is None:
        return Change("not-member")
    return Change("done", await leave(session, joined[0], now, program_id=program_id))


async def forget_user(session: AsyncSession, workspace_id: int, user_id: str, now: dt.datetime) -> Change:
    ended = await forget(session, workspace_id, user_id, now)
    return Change("not-member") if ended is None else Change("done", ended)


async def change_requested(
    session: AsyncSession, team_id: str, user_id: str, what: str, now: dt.datetime, *, weeks: int = 0,
    program_id: int | None = None,
) -> Change:
    """A person's own request ("pause" for `weeks`, "resume", "leave" — of the program
    `program_id`, the first one when None — or "forget"), from a command or a button: one
    door, so both surfaces do exactly the same."""
    workspace = await ensure_workspace(session, team_id, now)
    if what in ("pause", "resume", "leave"):
        program = await session.get(Program, program_id) if program_id is not None else None
        if program is None or program.workspace_id != workspace.id:
            program = await program_of(session, workspace.id)
        if what == "pause":
            return await pause_user(session, workspace.id, user_id, weeks, now, program.id)
        if what == "resume":
            return await resume_user(session, workspace.id, user_id, now, program.id)
        return await leave_user(session, workspace.id, user_id, now, program.id)
    if what == "forget":
        return await forget_user(session, workspace.id, user_id, now)
    raise ValueError(f"unknown member change {what!r}")


async def _marked_id(session: AsyncSession, team_id: str, user_id: str) -> int | None:
    return await session.scalar(
        select(Member.id).join(Workspace, Workspace.id == Member.workspace_id)
        .where(Workspace.team_id == team_id, Member.slack_user_id == user_id, Member.undeliverable_at.is_not(None))
    )


async def is_undeliverable(session: AsyncSession, team_id: str, user_id: str) -> bool:
    """Whether the person is marked undeliverable (a read, skipped while `bot.unmarked`
    saw them unmarked lately)."""
    bind = session.bind
    if unmarked.seen_unmarked(bind, team_id, user_id):
        return False
    marked = await _marked_id(session, team_id, user_id) is not None
    if not marked:
        unmarked.remember_unmarked(bind, team_id, user_id)
    return marked


async def clear_undeliverable(session: AsyncSession, team_id: str, user_id: str, now: dt.datetime) -> bool:
    """The person used Tandem (a command, a click, their home tab): an undeliverable mark
    is wrong now, so it goes. A read first, so that the usual case writes nothing."""
    marked = await _marked_id(session, team_id, user_id)
    if marked is None:
        return False
    await session.execute(update(Member).where(Member.id == marked).values(undeliverable_at=None, updated_at=now))
    return True
