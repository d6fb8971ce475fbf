"""Profiles: what a member offers and wants, experience, team, goals, format, blocks.

The profile modal's submission is parsed and validated here as plain values
(`parse_submission`, pure), then stored by `save_profile` in the caller's
transaction. Nothing is stored when validation fails.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import ids, skills
from bot.models import Member, MemberBlock, MemberSkill, Skill

# Member.experience is an index into this list.
EXPERIENCE_LEVELS = (
    "Under 1 year",
    "1–2 years",
    "3–5 years",
    "6–9 years",
    "10–14 years",
    "15+ years",
)
FORMAT_LABELS = {
    "turns": "Turn-taking (one brings a dilemma, the other mentors)",
    "brainstorm": "Brainstorm (work on a shared problem together)",
}
MAX_SKILLS = 8  # per kind
MAX_DEPARTMENT = 100
MAX_CAREER_GOALS = 500
MAX_OTHER_SKILLS_TEXT = 300
MAX_BLOCKED = 10
NEW_PREFIX = "new:"
ID_PREFIX = "id:"
_SPLIT = re.compile(r"[,;\n]+")


class SkillRef(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True)
class ProfileData:
    """A stored profile as plain values (for the modal, the home tab and messages)."""

    offered: list[SkillRef] = field(default_factory=list)
    wanted: list[SkillRef] = field(default_factory=list)
    experience: int | None = None
    department: str | None = None
    career_goals: str | None = None
    session_format: str = "turns"
    blocked_user_ids: list[str] = field(default_factory=list)

    @property
    def offers(self) -> list[str]:
        return [s.name for s in self.offered]

    @property
    def wants(self) -> list[str]:
        return [s.name for s in self.wanted]


async def load_profile(session: AsyncSession, member: Member) -> ProfileData:
    rows = (
        await session.execute(
            select(MemberSkill.kind, Skill.id, Skill.name)
            .join(Skill, Skill.id == MemberSkill.skill_id)
            .where(MemberSkill.member_id == member.id)
            .order_by(Skill.name)
        )
    ).all()
    blocked = await session.scalars(
        select(MemberBlock.blocked_user_id).where(MemberBlock.member_id == member.id).order_by(MemberBlock.blocked_user_id)
    )
    return ProfileData(
        offered=[SkillRef(i, n) for k, i, n in rows if k == "offer"],
        wanted=[SkillRef(i, n) for k, i, n in rows if k == "want"],
        experience=member.experience,
        department=member.department,
        career_goals=member.career_goals,
        session_format=member.session_format,
        blocked_user_ids=list(blocked),
    )


# --- the modal's submission ---------------------------------------------------------------


@dataclass(frozen=True)
class SkillChoice:
    """One chosen skill: an existing catalog id, or a typed name to resolve."""

    skill_id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Submission:
    offers: list[SkillChoice]
    wants: list[SkillChoice]
    experience: int | None
    department: str | None
    career_goals: str | None
    session_format: str
    blocked_user_ids: list[str]


def option_value_for_new(name: str) -> str:
    return NEW_PREFIX + skills.clean_name(name)


def option_value_for_skill(skill_id: int) -> str:
    return f"{ID_PREFIX}{skill_id}"


def _choice_from_option(value: str) -> SkillChoice | None:
    if value.startswith(ID_PREFIX) and value[len(ID_PREFIX):].isdecimal():
        return SkillChoice(skill_id=int(value[len(ID_PREFIX):]))
    if value.startswith(NEW_PREFIX):
        return SkillChoice(name=value[len(NEW_PREFIX):])
    return None


def _state(values: dict[str, Any], pair: tuple[str, str]) -> dict[str, Any]:
    block_id, action_id = pair
    found = (values.get(block_id) or {}).get(action_id)
    return found if isinstance(found, dict) else {}


def _text(values: dict[str, Any], pair: tuple[str, str]) -> str:
    value = _state(values, pair).get("value")
    return value.strip() if isinstance(value, str) else ""


def _selected(values: dict[str, Any], pair: tuple[str, str]) -> list[str]:
    options = _state(values, pair).get("selected_options") or []
    return [str(o.get("value", "")) for o in options if isinstance(o, dict)]


def _skill_choices(values: dict[str, Any], select: tuple[str, str], other: tuple[str, str]) -> tuple[list[SkillChoice], list[str]]:
    chosen = [c for c in (_choice_from_option(v) for v in _selected(values, select)) if c is not None]
    typed = [part.strip() for part in _SPLIT.split(_text(values, other)) if part.strip()]
    return chosen, typed


def parse_submission(values: dict[str, Any], *, user_id: str) -> tuple[Submission | None, dict[str, str]]:
    """The modal's state → (Submission, {}) or (None, {block_id: error}). Pure."""
    errors: dict[str, str] = {}
    kinds: dict[str, list[SkillChoice]] = {}
    for kind, picker, other, what in (
        ("offer", ids.OFFERS, ids.NEW_OFFERS, "you can offer"),
        ("want", ids.WANTS, ids.NEW_WANTS, "you want to learn"),
    ):
        chosen, typed = _skill_choices(values, picker, other)
        if len(_text(values, other)) > MAX_OTHER_SKILLS_TEXT:
            errors[other[0]] = f"Keep this under {MAX_OTHER_SKILLS_TEXT} characters."
        elif any(len(t) > skills.MAX_SKILL_NAME for t in typed):
            errors[other[0]] = f"Each skill name can be at most {skills.MAX_SKILL_NAME} characters."
        choices = chosen + [SkillChoice(name=t) for t in typed if skills.skill_key(t)]
        distinct = _distinct(choices)
        if not distinct:
            errors.setdefault(picker[0], f"Choose at least one skill {what}.")
        elif len(distinct) > MAX_SKILLS:
            where = other[0] if typed and other[0] not in errors else picker[0]
            errors.setdefault(where, f"Choose at most {MAX_SKILLS} skills {what} (you gave {len(distinct)}).")
        kinds[kind] = distinct
    department = _text(values, ids.DEPARTMENT)
    if len(department) > MAX_DEPARTMENT:
        errors[ids.DEPARTMENT[0]] = f"Keep this under {MAX_DEPARTMENT} characters (you wrote {len(department)})."
    goals = _text(values, ids.CAREER_GOALS)
    if len(goals) > MAX_CAREER_GOALS:
        errors[ids.CAREER_GOALS[0]] = f"Keep this under {MAX_CAREER_GOALS} characters (you wrote {len(goals)})."
    experience_value = (_state(values, ids.EXPERIENCE).get("selected_option") or {}).get("value")
    experience = int(experience_value) if isinstance(experience_value, str) and experience_value.isdecimal() else None
    if experience is None or not 0 <= experience < len(EXPERIENCE_LEVELS):
        errors[ids.EXPERIENCE[0]] = "Choose how many years of experience you have."
    fmt = (_state(values, ids.SESSION_FORMAT).get("selected_option") or {}).get("value") or "turns"
    if fmt not in FORMAT_LABELS:
        errors[ids.SESSION_FORMAT[0]] = "Choose a session format."
    blocked = [u for u in _state(values, ids.DONT_PAIR).get("selected_users") or [] if isinstance(u, str) and u != user_id]
    if len(blocked) > MAX_BLOCKED:
        errors[ids.DONT_PAIR[0]] = f"Choose at most {MAX_BLOCKED} people."
    if errors:
        return None, errors
    return Submission(
        offers=kinds["offer"], wants=kinds["want"], experience=experience,
        department=_clean_line(department) or None, career_goals=goals or None,
        session_format=fmt, blocked_user_ids=sorted(set(blocked)),
    ), {}


def _clean_line(text: str) -> str:
    return " ".join(text.split())


def _distinct(choices: list[SkillChoice]) -> list[SkillChoice]:
    """Drop repeats: the same id twice, or typed names with the same canonical key."""
    seen: set[object] = set()
    out = []
    for choice in choices:
        canon = skills.canonical(choice.name) if choice.name is not None else None
        marker: object = choice.skill_id if choice.skill_id is not None else (canon[0] if canon else None)
        if marker is None or marker in seen:
            continue
        seen.add(marker)
        out.append(choice)
    return out


# --- storing ----------------------------------------------------------------------------------


async def _resolve_choices(
    session: AsyncSession, workspace_id: int, choices: list[SkillChoice], catalog: dict[str, Skill], now: dt.datetime
) -> list[Skill]:
    by_id = {s.id: s for s in catalog.values()}
    out: dict[int, Skill] = {}
    for choice in choices:
        skill: Skill | None = None
        if choice.skill_id is not None:
            skill = by_id.get(choice.skill_id)  # a stale id from another workspace is ignored
        elif choice.name is not None:
            resolved = skills.resolve(choice.name, catalog)
            if resolved is not None:
                skill = await skills.get_or_create(session, workspace_id, resolved, now)
                catalog[skill.key] = skill
                by_id[skill.id] = skill
        if skill is not None:
            out.setdefault(skill.id, skill)
    return list(out.values())[:MAX_SKILLS]


async def save_profile(session: AsyncSession, member: Member, submission: Submission, now: dt.datetime) -> ProfileData:
    """Store a validated submission on the member (skills replaced, blocks replaced)."""
    catalog = await skills.ensure_catalog(session, member.workspace_id, now)
    offers = await _resolve_choices(session, member.workspace_id, submission.offers, catalog, now)
    wants = await _resolve_choices(session, member.workspace_id, submission.wants, catalog, now)
    # Replace with plain DELETEs + INSERTs: a kept skill keeps the same primary key.
    await session.execute(delete(MemberSkill).where(MemberSkill.member_id == member.id))
    await session.execute(delete(MemberBlock).where(MemberBlock.member_id == member.id))
    session.add_all(
        [MemberSkill(member_id=member.id, skill_id=s.id, kind="offer") for s in offers]
        + [MemberSkill(member_id=member.id, skill_id=s.id, kind="want") for s in wants]
        + [MemberBlock(member_id=member.id, blocked_user_id=u) for u in submission.blocked_user_ids]
    )
    member.experience = submission.experience
    member.department = submission.department
    member.career_goals = submission.career_goals
    member.session_format = submission.session_format
    member.updated_at = now
    await session.flush()
    return await load_profile(session, member)
