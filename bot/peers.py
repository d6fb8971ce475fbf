"""In the moment: ask your current partner, or find more experienced colleagues."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import outbox, skills
from bot.blocks.sessions import ask_posted
from bot.members import find_member
from bot.models import Member, MemberSkill, Pairing, PairingMember, Skill
from bot.pairings import active_pairing_of
from bot.sessions import pair_destination, slack_ids
from bot.workspaces import ensure_workspace

EXPERTS_SHOWN = 10
OPTED_IN = ("active", "paused")


@dataclass(frozen=True)
class Asked:
    keys: list[str]
    partner_ids: list[str]


async def ask_partner(
    session: AsyncSession, *, team_id: str, user_id: str, text: str, request_id: str, now: dt.datetime,
    pairing_id: int | None = None,
) -> Asked | None:
    """Post the question in the pair's conversation (the newest pairing, or `pairing_id` when
    the person is in it); None when the person has no partner.

    `request_id` (the slash command's trigger id, the modal's view id) makes the key: the
    same invocation never posts twice."""
    workspace = await ensure_workspace(session, team_id, now)
    member = await find_member(session, workspace.id, user_id)
    pairing = await active_pairing_of(session, member.id) if member is not None else None
    if member is not None and pairing_id is not None:
        chosen = next((p for p in await active_pairings_of(session, member.id) if p.id == pairing_id), None)
        pairing = chosen or pairing
    if member is None or pairing is None:
        return None
    partners = slack_ids(pairing, except_member=member.id)
    key = f"ask:{pairing.id}:{member.id}:{request_id}"
    await outbox.enqueue(session, workspace_id=member.workspace_id, key=key, now=now, pairing_id=pairing.id,
                         payload=ask_posted(user_id=user_id, partner_ids=partners, text=text),
                         **pair_destination(pairing))
    return Asked([key], partners)


async def active_pairings_of(session: AsyncSession, member_id: int) -> list[Pairing]:
    """The member's current pairings, one per program at most, newest first."""
    rows = await session.scalars(
        select(Pairing).join(PairingMember)
        .where(PairingMember.member_id == member_id, PairingMember.left_at.is_(None),
               Pairing.state.in_(("active", "paused")))
        .options(selectinload(Pairing.members)).order_by(Pairing.started_at.desc(), Pairing.id.desc())
    )
    return list(rows)


@dataclass(frozen=True)
class Expert:
    user_id: str
    experience: int | None
    department: str | None


async def find_experts(
    session: AsyncSession, *, team_id: str, user_id: str, skill_text: str, now: dt.datetime,
) -> tuple[str, list[Expert]]:
    """(skill name, colleagues offering it with more experience than the asker, most
    experienced first). Only opted-in members; only their public profile facts."""
    workspace = await ensure_workspace(session, team_id, now)
    catalog = await skills.catalog_of(session, workspace.id)
    resolved = skills.resolve(skill_text, catalog)
    if resolved is None or resolved.skill is None:
        return (resolved.name if resolved else skill_text), []
    asker = await find_member(session, workspace.id, user_id)
    floor = asker.experience if asker is not None and asker.experience is not None else -1
    rows = await session.scalars(
        select(Member)
        .join(MemberSkill, MemberSkill.member_id == Member.id)
        .join(Skill, Skill.id == MemberSkill.skill_id)
        .where(Member.workspace_id == workspace.id, Member.status.in_(OPTED_IN), Member.slack_user_id != user_id,
               MemberSkill.kind == "offer", Skill.id == resolved.skill.id, Member.experience > floor,
               Member.undeliverable_at.is_(None))
        .order_by(Member.experience.desc(), Member.joined_at, Member.id)
        .limit(EXPERTS_SHOWN)
    )
    return resolved.skill.name, [Expert(m.slack_user_id, m.experience, m.department) for m in rows]
