"""Suggested circles from demand (issue 15 item 8).

A skill wanted by at least the program's minimum group size (and never fewer than a
circle's 3) and offered by few (at least one, at most a third as many as want it) is a
suggestion: `admin stats` shows it as counts only, with a button "Start a circle for
⟨skill⟩". The button creates a circles program around one member who offers the skill and
the members who want it, and invites them by DM with a Join button for that program.
Nobody is enrolled until they press Join.

The new program has no channel (programs are one per channel, and a channel is the admin's
choice): it is named "Circle: ⟨skill⟩", its admins are the admin who started it, its rhythm
is copied from the program it came from; the admin can give it a channel in its settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.blocks.programs import circle_invitation
from bot.matching.circles import DEFAULT_SIZE, MIN_SIZE
from bot.members import eligible_accounts
from bot.models import Member, Membership, MemberSkill, Pairing, PairingMember, Program, Skill
from bot.sessions import StaleAction

FEW_SHARE = 3  # "offered by few": at most one offerer per this many who want it
MAX_SUGGESTIONS = 3
NAME_PREFIX = "Circle: "
NAME_MAX = 80
COPIED = ("cadence", "round_weekday", "round_hour", "timezone", "sessions_per_pairing", "min_group_size",
          "session_lead_hours", "allow_multi_channel_guests", "emphasis")


@dataclass(frozen=True)
class CircleSuggestion:
    """Counts only: never who wants or offers the skill."""

    program_id: int
    skill_id: int
    name: str
    wanted: int
    offered: int


def _threshold(program: Program) -> int:
    return max(program.min_group_size, MIN_SIZE)


def _eligible(program: Program):  # type: ignore[no-untyped-def]
    """Members active in the program who could take part in a round."""
    return and_(
        Member.workspace_id == program.workspace_id, Member.status == "active", Member.joined_at.is_not(None),
        Member.undeliverable_at.is_(None), Member.account_type.in_(eligible_accounts(program)),
        Member.id.in_(select(Membership.member_id).where(Membership.program_id == program.id,
                                                          Membership.status == "active")),
    )


async def suggestions(session: AsyncSession, program: Program) -> list[CircleSuggestion]:
    """The program's skills wanted by many and offered by few, most wanted first."""
    wanted = func.count(distinct(case((MemberSkill.kind == "want", MemberSkill.member_id))))
    offered = func.count(distinct(case((MemberSkill.kind == "offer", MemberSkill.member_id))))
    rows = (await session.execute(
        select(Skill.id, Skill.name, wanted, offered)
        .join(MemberSkill, MemberSkill.skill_id == Skill.id).join(Member, Member.id == MemberSkill.member_id)
        .where(_eligible(program), Skill.workspace_id == program.workspace_id)
        .group_by(Skill.id, Skill.name)
        .having(and_(wanted >= _threshold(program), offered >= 1, offered * FEW_SHARE <= wanted))
        .order_by(wanted.desc(), Skill.name)
        .limit(MAX_SUGGESTIONS)
    )).all()
    return [CircleSuggestion(program.id, int(sid), name, int(w), int(o)) for sid, name, w, o in rows]


@dataclass(frozen=True)
class StartedCircle:
    program: Program
    invited: int  # how many were invited (0: the circle had been started before)
    created: bool
    keys: list[str] = field(default_factory=list)  # the invitations' outbox keys


async def start_circle(
    session: AsyncSession, source: Program, skill_id: int, admin_user_id: str, now: dt.datetime,
) -> StartedCircle:
    """Create the circles program for a suggestion of `source` and queue the invitations;
    StaleAction when the skill is no longer a suggestion. Started twice: the same program,
    nobody invited again."""
    skill = await session.get(Skill, skill_id)
    current = {s.skill_id: s for s in await suggestions(session, source)}
    if skill is None or skill.workspace_id != source.workspace_id or skill_id not in current:
        raise StaleAction("That skill is no longer wanted by enough people and offered by few, "
                          "so there's no circle to start. `/tandem admin stats` shows the current figures.")
    name = (NAME_PREFIX + skill.name)[:NAME_MAX]
    existing = await session.scalar(select(Program).where(
        Program.workspace_id == source.workspace_id, Program.name == name, Program.grouping == "circles"))
    if existing is not None:
        return StartedCircle(existing, 0, False)
    wanters = list(await session.scalars(
        select(Member).join(MemberSkill, MemberSkill.member_id == Member.id)
        .where(_eligible(source), MemberSkill.skill_id == skill_id, MemberSkill.kind == "want").order_by(Member.id)))
    offerer = await _offerer(session, source, skill_id)
    assert offerer is not None  # a suggestion has an offerer
    program = Program(
        workspace_id=source.workspace_id, name=name, channel_id=None, admin_user_ids=[admin_user_id],
        grouping="circles", group_size=min(max(MIN_SIZE, DEFAULT_SIZE), 6), odd_policy="trio",
        default_format="turns", created_at=now, updated_at=now,
        **{column: getattr(source, column) for column in COPIED},
    )
    session.add(program)
    await session.flush()
    invited = [offerer] + [m for m in wanters if m.id != offerer.id]
    keys = [f"circle-invite:{program.id}:{m.id}" for m in invited]
    await outbox.enqueue_new(session, [
        {"workspace_id": source.workspace_id, "key": f"circle-invite:{program.id}:{m.id}", "member_id": m.id,
         "users": [m.slack_user_id],
         "payload": circle_invitation(program_id=program.id, skill=skill.name, offers=m.id == offerer.id)}
        for m in invited
    ], now=now)
    return StartedCircle(program, len(invited), True, keys)


async def _offerer(session: AsyncSession, program: Program, skill_id: int) -> Member | None:
    """The one who offers the skill: someone not in an active pairing first, then the longest-standing."""
    busy = (select(PairingMember.member_id).join(Pairing)
            .where(Pairing.state.in_(("active", "paused")), PairingMember.left_at.is_(None)))
    return await session.scalar(
        select(Member).join(MemberSkill, MemberSkill.member_id == Member.id)
        .where(_eligible(program), MemberSkill.skill_id == skill_id, MemberSkill.kind == "offer")
        .order_by(Member.id.in_(busy), Member.joined_at, Member.id).limit(1))
