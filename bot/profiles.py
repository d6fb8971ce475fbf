"""Profiles: what a member offers and wants, experience, team, goals, format, blocks.

The profile modal's submission is parsed and validated here as plain values
(`parse_submission`, pure), then stored by `save_profile` in the caller's
transaction. Nothing is stored when validation fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import crypto, ids, modal_state, skills
from bot.deps import Deps
from bot.localtime import MON_FRI, WorkDays, format_work_days, parse_work_days
from bot.models import Member, MemberBlock, MemberSkill, Skill, db_id

log = logging.getLogger(__name__)

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
    work_days: WorkDays = MON_FRI  # no prompts on the other days (bot.localtime)

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
        select(MemberBlock.blocked_user_id)
        .where(MemberBlock.member_id == member.id, MemberBlock.blocked_user_id.is_not(None))
        .order_by(MemberBlock.blocked_user_id)
    )
    return ProfileData(
        offered=[SkillRef(i, n) for k, i, n in rows if k == "offer"],
        wanted=[SkillRef(i, n) for k, i, n in rows if k == "want"],
        experience=member.experience,
        department=member.department,
        career_goals=member.career_goals,
        session_format=member.session_format,
        blocked_user_ids=list(blocked),
        work_days=parse_work_days(member.work_days),
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
    work_days: WorkDays | None = None  # None: the form had no such field, keep what is stored


def option_value_for_new(name: str) -> str:
    return NEW_PREFIX + skills.clean_name(name)


def option_value_for_skill(skill_id: int) -> str:
    return f"{ID_PREFIX}{skill_id}"


def _choice_from_option(value: str) -> SkillChoice | None:
    if value.startswith(ID_PREFIX) and (skill_id := db_id(value[len(ID_PREFIX):])) is not None:
        return SkillChoice(skill_id=skill_id)
    if value.startswith(NEW_PREFIX):
        return SkillChoice(name=value[len(NEW_PREFIX):])
    return None


def _skill_choices(values: dict[str, Any], select: tuple[str, str], other: tuple[str, str]) -> tuple[list[SkillChoice], list[str]]:
    chosen = [c for c in (_choice_from_option(v) for v in modal_state.selected_values(values, select)) if c is not None]
    typed = [part.strip() for part in _SPLIT.split(modal_state.text(values, other)) if part.strip()]
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
        if len(modal_state.text(values, other)) > MAX_OTHER_SKILLS_TEXT:
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
    department = modal_state.text(values, ids.DEPARTMENT)
    if len(department) > MAX_DEPARTMENT:
        errors[ids.DEPARTMENT[0]] = f"Keep this under {MAX_DEPARTMENT} characters (you wrote {len(department)})."
    goals = modal_state.text(values, ids.CAREER_GOALS)
    if len(goals) > MAX_CAREER_GOALS:
        errors[ids.CAREER_GOALS[0]] = f"Keep this under {MAX_CAREER_GOALS} characters (you wrote {len(goals)})."
    experience_value = modal_state.selected(values, ids.EXPERIENCE)
    experience = int(experience_value) if isinstance(experience_value, str) and experience_value.isdecimal() else None
    if experience is None or not 0 <= experience < len(EXPERIENCE_LEVELS):
        errors[ids.EXPERIENCE[0]] = "Choose how many years of experience you have."
    fmt = modal_state.selected(values, ids.SESSION_FORMAT) or "turns"
    if fmt not in FORMAT_LABELS:
        errors[ids.SESSION_FORMAT[0]] = "Choose a session format."
    blocked = [u for u in modal_state.selected_users(values, ids.DONT_PAIR) if u != user_id]
    if len(blocked) > MAX_BLOCKED:
        errors[ids.DONT_PAIR[0]] = f"Choose at most {MAX_BLOCKED} people."
    work_days = _work_days(values)
    if work_days is not None and not work_days:
        errors[ids.WORK_DAYS[0]] = "Choose the days you work."
    if errors:
        return None, errors
    return Submission(
        offers=kinds["offer"], wants=kinds["want"], experience=experience,
        department=_clean_line(department) or None, career_goals=goals or None,
        session_format=fmt, blocked_user_ids=sorted(set(blocked)), work_days=work_days,
    ), {}


def _work_days(values: dict[str, Any]) -> WorkDays | None:
    """The ticked working days (Monday = 0); None when the form has no such field."""
    if not modal_state.has_block(values, ids.WORK_DAYS[0]):
        return None
    picked = modal_state.selected_values(values, ids.WORK_DAYS)
    return frozenset(int(v) for v in picked if v.isdecimal() and int(v) < 7)


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


@dataclass(frozen=True)
class PickedPrograms:
    """The programs a profile submission joins: `listed` when the modal named any (its
    program, or the ticked ones), else the workspace's only program is meant."""

    ids: list[int]
    listed: bool
    problem: str | None = None


PROGRAM_META = "p:"  # private metadata "p:<id>": the modal joins that program
PICK_META = "pick"  # the modal lists the programs; at least one must be ticked
PICK_EDIT_META = "pick-edit"  # listed, and the person is in one already: ticking none is fine


def picked_programs(values: dict[str, Any], metadata: str | None) -> PickedPrograms:
    """Pure: the profile modal's program choice from its state and private metadata."""
    meta = metadata or ""
    if meta.startswith(PROGRAM_META):
        number = db_id(meta[len(PROGRAM_META):])
        return PickedPrograms([number] if number is not None else [], listed=True)
    if modal_state.has_block(values, ids.PROFILE_PROGRAMS[0]):
        ticked = [n for n in (db_id(v) for v in modal_state.selected_values(values, ids.PROFILE_PROGRAMS)) if n]
        problem = "Tick at least one program to join." if not ticked and meta != PICK_EDIT_META else None
        return PickedPrograms(ticked, listed=True, problem=problem)
    return PickedPrograms([], listed=False)


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
    # New skills are added in key order, whatever order they were typed in, so two people
    # adding the same new skills lock them in the same order (no deadlock between them).
    new: dict[str, skills.Resolved] = {}
    for choice in submission.offers + submission.wants:
        resolved = skills.resolve(choice.name, catalog) if choice.skill_id is None and choice.name else None
        if resolved is not None and resolved.skill is None:
            new.setdefault(resolved.key, resolved)
    for key in sorted(new):
        skill = await skills.get_or_create(session, member.workspace_id, new[key], now)
        catalog[skill.key] = skill
    offers = await _resolve_choices(session, member.workspace_id, submission.offers, catalog, now)
    wants = await _resolve_choices(session, member.workspace_id, submission.wants, catalog, now)
    # Replace with plain DELETEs + INSERTs: a kept skill keeps the same primary key.
    await session.execute(delete(MemberSkill).where(MemberSkill.member_id == member.id))
    # Blocks are kept against a keyed hash (bot/crypto.py). A block whose person has
    # since forgotten themselves has no visible user id: it stays, so it still applies
    # if they return.
    ring = crypto.keyring_of(session)
    hashes = {u: ring.block_hash(u) for u in submission.blocked_user_ids}
    await session.execute(delete(MemberBlock).where(
        MemberBlock.member_id == member.id,
        or_(MemberBlock.blocked_user_id.is_not(None), MemberBlock.blocked_hash.in_(list(hashes.values()))),
    ))
    session.add_all(
        [MemberSkill(member_id=member.id, skill_id=s.id, kind="offer") for s in offers]
        + [MemberSkill(member_id=member.id, skill_id=s.id, kind="want") for s in wants]
        + [MemberBlock(member_id=member.id, blocked_hash=h, blocked_user_id=u) for u, h in hashes.items()]
    )
    member.experience = submission.experience
    member.department = submission.department
    member.career_goals = submission.career_goals
    member.session_format = submission.session_format
    if submission.work_days:
        member.work_days = format_work_days(submission.work_days)
    member.updated_at = now
    await session.flush()
    return await load_profile(session, member)


PROFILE_NOT_SAVED = (
    "Sorry — your Tandem profile was *not saved* (the database was busy). "
    "Nothing changed; please open it again and submit once more."
)


async def tell_profile_not_saved(deps: Deps, user_id: str) -> None:
    """A save failed after the modal closed: tell the person directly (the database that
    failed is the outbox's, so this DM goes straight to Slack)."""
    try:
        channel = await deps.slack.open_conversation([user_id])
        await deps.slack.post_message(channel, PROFILE_NOT_SAVED)
    except Exception:  # noqa: BLE001 - nothing more can be done; the log has the save failure
        log.warning("could not tell a member their profile was not saved")
