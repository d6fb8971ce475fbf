"""Matching rounds: load the cohort, match it whole, store the pairings and queue the intros.

A round is one database transaction: the pairings, their planned sessions,
the introductions (outbox rows with keys `intro:<pairing id>`) and the notes
to whoever waits are committed together or not at all; delivery happens
afterwards, from the outbox, at Slack's pace.

Rounds and pairing length: a member still in an active (or paused) pairing
is not in the cohort, so a round pairs only people who are free. A pairing
lasts its planned sessions (program setting × cadence); when it ends, its
members join the next round. Rounds can therefore be more frequent than
pairings are long: each round picks up whoever has become free.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.blocks.rounds import intro_message, waiting_message
from bot.blocks.common import escape
from bot.deps import Deps
from bot.matching import MatchProfile, MatchResult, Weights, group_reasons, is_two_way, match_cohort
from bot.models import (
    Member,
    MemberBlock,
    MemberSkill,
    OutboxMessage,
    Pairing,
    PairingMember,
    Program,
    Round,
    Session,
    Skill,
    Workspace,
)
from bot.round_schedule import next_round_at
from bot.sessions import member_zone, session_plan
from bot.sqlutil import bulk_insert

# Matching emphasis (a program setting) → score weights. "balanced" is the
# matcher's default; the others double the term they name.
EMPHASIS_WEIGHTS = {
    "balanced": Weights(),
    "skills": Weights(two_way=200.0, one_way=60.0),
    "cross_department": Weights(cross_department=30.0, same_department_penalty=25.0),
    "timezones": Weights(timezone_overlap=30.0),
}
_GOAL_STOPWORDS = frozenset(
    "about after again also always become becoming better could does done each enough even every from "
    "getting good great have having here hold into just keep know learn learning like make making many "
    "more most much need next only other over really same should some someday still such take than that "
    "their them then there these they thing things this those through want wants well were what when "
    "where which while will with without work working would year years able being grow growing".split()
)


def weights_for(program: Program) -> Weights:
    return EMPHASIS_WEIGHTS.get(program.emphasis, Weights())


def goal_words(text: str | None) -> frozenset[str]:
    """Career-goal keywords: lower-case words of four letters or more, minus filler."""
    words = re.findall(r"[^\W\d_]{4,}", (text or "").lower())
    return frozenset(w for w in words if w not in _GOAL_STOPWORDS)


COHORT_COLUMNS = (
    Member.id, Member.slack_user_id, Member.experience, Member.department, Member.career_goals, Member.tz,
    Member.tz_offset, Member.priority, Member.session_format,
)


@dataclass
class Cohort:
    """The members a round may pair, as matcher profiles plus what messages need."""

    profiles: list[MatchProfile]
    slack_ids: dict[int, str]
    members: dict[int, Any]  # rows of COHORT_COLUMNS
    skill_names: dict[int, str]
    recent_pairs: set[frozenset[int]]


@dataclass
class PlannedGroup:
    member_ids: tuple[int, ...]
    score: float
    reasons: list[str]
    two_way: bool
    cross_department: bool


@dataclass
class RoundPlan:
    cohort_size: int
    groups: list[PlannedGroup]
    waiting: list[int]
    method: str
    figures: dict[str, float | int | str] = field(default_factory=dict)


async def load_cohort(session: AsyncSession, program: Program) -> Cohort:
    """Opted-in, unpaused, reachable members who are not in a pairing, with their skills."""
    busy = (
        select(PairingMember.member_id)
        .join(Pairing)
        .where(Pairing.program_id == program.id, Pairing.state.in_(("active", "paused")))
    )
    # Plain rows, not ORM objects: a round reads every member, and identity-map
    # bookkeeping for 10k objects costs more than the query.
    members = list(
        await session.execute(
            select(*COHORT_COLUMNS).where(
                Member.workspace_id == program.workspace_id,
                Member.status == "active",
                Member.joined_at.is_not(None),
                Member.undeliverable_at.is_(None),
                Member.id.not_in(busy),
            )
        )
    )
    by_id = {m.id: m for m in members}
    offers: dict[int, set[int]] = defaultdict(set)
    wants: dict[int, set[int]] = defaultdict(set)
    skill_rows = await session.execute(
        select(MemberSkill.member_id, MemberSkill.skill_id, MemberSkill.kind)
        .join(Member)
        .where(Member.workspace_id == program.workspace_id, Member.status == "active")
    )
    for member_id, skill_id, kind in skill_rows:
        if member_id in by_id:
            (offers if kind == "offer" else wants)[member_id].add(skill_id)
    blocked = await _blocked_member_ids(session, program.workspace_id)
    skill_names = {
        sid: escape(name)
        for sid, name in await session.execute(
            select(Skill.id, Skill.name).where(Skill.workspace_id == program.workspace_id)
        )
    }
    profiles = [
        MatchProfile(
            member_id=m.id,
            offers=frozenset(offers[m.id]),
            wants=frozenset(wants[m.id]),
            experience=m.experience if m.experience is not None else 2,
            department=escape(m.department.strip()) if m.department and m.department.strip() else None,
            goal_words=goal_words(m.career_goals),
            tz_offset=m.tz_offset,
            blocked=frozenset(blocked.get(m.id, ())),
            priority=m.priority,
        )
        for m in members
        if offers[m.id] and wants[m.id]
    ]
    return Cohort(
        profiles=profiles,
        slack_ids={m.id: m.slack_user_id for m in members},
        members=by_id,
        skill_names=skill_names,
        recent_pairs=await recent_pairs(session, program),
    )


async def _blocked_member_ids(session: AsyncSession, workspace_id: int) -> dict[int, set[int]]:
    """"Don't pair me with", as member ids in both directions."""
    rows = await session.execute(
        select(MemberBlock.member_id, Member.id)
        .join(Member, Member.slack_user_id == MemberBlock.blocked_user_id)
        .where(Member.workspace_id == workspace_id)
    )
    blocked: dict[int, set[int]] = defaultdict(set)
    for member_id, other_id in rows:
        blocked[member_id].add(other_id)
        blocked[other_id].add(member_id)
    return blocked


async def recent_pairs(session: AsyncSession, program: Program) -> set[frozenset[int]]:
    """Every two members who shared a pairing in the program's last N rounds."""
    if program.repeat_window_rounds == 0:
        return set()
    last = await session.scalar(select(func.max(Round.number)).where(Round.program_id == program.id))
    if last is None:
        return set()
    rows = await session.execute(
        select(PairingMember.pairing_id, PairingMember.member_id)
        .join(Pairing)
        .join(Round)
        .where(Round.program_id == program.id, Round.number > last - program.repeat_window_rounds)
    )
    groups: dict[int, list[int]] = defaultdict(list)
    for pairing_id, member_id in rows:
        groups[pairing_id].append(member_id)
    return {
        frozenset((a, b)) for ids in groups.values() for i, a in enumerate(ids) for b in ids[i + 1:]
    }


def plan_round(cohort: Cohort, program: Program) -> RoundPlan:
    """Match the whole cohort and explain each group (pure: nothing stored or sent)."""
    started = time.perf_counter()
    result: MatchResult = match_cohort(
        cohort.profiles, weights_for(program), recent_pairs=cohort.recent_pairs, odd_policy=program.odd_policy
    )
    by_id = {p.member_id: p for p in cohort.profiles}
    names = {mid: f"<@{sid}>" for mid, sid in cohort.slack_ids.items()}
    groups = []
    for member_ids, score in zip(result.groups, result.group_scores, strict=True):
        profiles = [by_id[i] for i in member_ids]
        groups.append(
            PlannedGroup(
                member_ids=member_ids,
                score=round(float(score), 2),
                reasons=group_reasons(profiles, skill_names=cohort.skill_names, names=names),
                two_way=all(is_two_way(a, b) for a, b in zip(profiles, profiles[1:])),
                cross_department=len({p.department for p in profiles}) == len(profiles)
                and None not in {p.department for p in profiles},
            )
        )
    figures = {
        "cohort": len(cohort.profiles),
        "groups": len(groups),
        "trios": sum(1 for g in groups if len(g.member_ids) == 3),
        "waiting": len(result.waiting),
        "share_two_way": round(result.figures.share_two_way, 3),
        "share_cross_department": round(result.figures.share_cross_department, 3),
        "share_matched": round(result.figures.share_matched, 3),
        "mean_experience_gap": round(result.figures.mean_experience_gap, 2),
        "repeats": len(result.repeats),
        "method": result.method,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return RoundPlan(len(cohort.profiles), groups, list(result.waiting), result.method, figures)


async def store_round(
    session: AsyncSession, workspace: Workspace, program: Program, cohort: Cohort, plan: RoundPlan, now: dt.datetime
) -> Round:
    """Write the round, its pairings, sessions and queued messages in bulk (one transaction)."""
    number = (await session.scalar(select(func.max(Round.number)).where(Round.program_id == program.id)) or 0) + 1
    round_ = Round(program_id=program.id, number=number, started_at=now, method=plan.method, figures=plan.figures)
    session.add(round_)
    await session.flush()
    pairing_ids = await _insert_pairings(session, program, round_, cohort, plan, now)
    await _queue_intros(session, workspace, program, cohort, plan, pairing_ids, now)
    matched = [mid for g in plan.groups for mid in g.member_ids]
    if matched:
        await session.execute(
            update(Member).where(Member.id.in_(matched), Member.priority.is_(True)).values(priority=False)
            .execution_options(synchronize_session=False)
        )
    await _tell_waiting(session, workspace, program, cohort, plan.waiting, round_, now)
    return round_


async def _insert_pairings(
    session: AsyncSession, program: Program, round_: Round, cohort: Cohort, plan: RoundPlan, now: dt.datetime
) -> list[int]:
    if not plan.groups:
        return []
    rows = [
        {
            "program_id": program.id, "round_id": round_.id, "score": g.score, "reasons": g.reasons,
            "two_way": g.two_way, "cross_department": g.cross_department, "state": "active",
            "format": _pair_format(program, [cohort.members[i] for i in g.member_ids]),
            "cadence": program.cadence, "sessions_planned": program.sessions_per_pairing,
            "silent_streak": 0, "started_at": now,
        }
        for g in plan.groups
    ]
    # Core executemany of plain rows: the ORM's per-object bookkeeping (and RETURNING
    # with parameter-order sentinels) costs seconds at 10k members. One row per
    # execution draws ids in execution order, so this round's ids, ascending, are
    # its groups in order (other rounds' ids may interleave; ours stay monotonic).
    await bulk_insert(session, Pairing.__table__, rows)
    pairing_ids = list(
        await session.scalars(select(Pairing.id).where(Pairing.round_id == round_.id).order_by(Pairing.id))
    )
    assert len(pairing_ids) == len(rows)
    seats, sessions = [], []
    templates: dict[tuple, list[dict]] = {}  # many pairs share time zones: plan each combination once
    for pairing_id, group, values in zip(pairing_ids, plan.groups, rows, strict=True):
        seats += [{"pairing_id": pairing_id, "member_id": mid, "position": i} for i, mid in enumerate(group.member_ids)]
        zones = [member_zone(cohort.members[mid]) for mid in group.member_ids]
        key = (values["format"], tuple(sorted(map(str, zones))))
        if key not in templates:
            templates[key] = session_plan(
                cadence=program.cadence, count=program.sessions_per_pairing, member_ids=list(range(len(zones))),
                fmt=values["format"], start=now, zones=zones,
            )
        for planned in templates[key]:
            mentee = planned["mentee_member_id"]
            sessions.append({**planned, "pairing_id": pairing_id,
                             "mentee_member_id": None if mentee is None else group.member_ids[mentee]})
    await bulk_insert(session, PairingMember.__table__, seats)
    await bulk_insert(session, Session.__table__, sessions)
    return pairing_ids


def _pair_format(program: Program, members: list[Any]) -> str:
    """Turn-taking unless every member asked for brainstorming."""
    formats = {m.session_format for m in members}
    return "brainstorm" if formats == {"brainstorm"} else program.default_format


async def _queue_intros(
    session: AsyncSession, workspace: Workspace, program: Program, cohort: Cohort, plan: RoundPlan,
    pairing_ids: list[int], now: dt.datetime,
) -> None:
    first_sessions = dict(
        (await session.execute(
            select(Session.pairing_id, Session.due_at).where(Session.pairing_id.in_(pairing_ids), Session.sequence == 1)
        )).all()
    ) if pairing_ids else {}
    messages = []
    for pairing_id, group in zip(pairing_ids, plan.groups, strict=True):
        users = [cohort.slack_ids[mid] for mid in group.member_ids]
        payload = intro_message(
            pairing_id=pairing_id, user_ids=users, reasons=group.reasons, kickoff_at=first_sessions[pairing_id],
            sessions=program.sessions_per_pairing, cadence=program.cadence, trio=len(users) == 3,
        )
        messages.append({"workspace_id": workspace.id, "key": f"intro:{pairing_id}", "users": users,
                         "pairing_id": pairing_id, "payload": payload})
    await outbox.enqueue_new(session, messages, now=now)


async def _tell_waiting(
    session: AsyncSession, workspace: Workspace, program: Program, cohort: Cohort, waiting: list[int],
    round_: Round, now: dt.datetime,
) -> None:
    """Whoever could not be paired waits with priority, and is told so kindly."""
    if not waiting:
        return
    await session.execute(
        update(Member).where(Member.id.in_(waiting)).values(priority=True).execution_options(synchronize_session=False)
    )
    following = program.next_round_at if program.next_round_at and program.next_round_at > now else None
    await outbox.enqueue_new(session, [
        {"workspace_id": workspace.id, "key": f"waiting:{round_.id}:{member_id}", "member_id": member_id,
         "users": [cohort.slack_ids[member_id]], "payload": waiting_message(next_round=following)}
        for member_id in waiting
    ], now=now)


# --- entry points ----------------------------------------------------------------------------


async def start_due_rounds(deps: Deps, now: dt.datetime) -> int:
    """Start every round that is due; schedule the first round of new programs.

    A program's round is claimed by moving `next_round_at` forward with a
    conditional UPDATE in the round's own transaction: a second process sees
    the moved time and does nothing; a failed round rolls the claim back.
    """
    started = 0
    async with deps.sessionmaker.begin() as session:
        unscheduled = list(await session.scalars(select(Program).where(Program.next_round_at.is_(None))))
        for program in unscheduled:
            program.next_round_at = next_round_at(program, now)
        due = list(await session.scalars(select(Program.id).where(Program.next_round_at <= now)))
    for program_id in due:
        async with deps.sessionmaker.begin() as session:
            program = await session.get(Program, program_id, with_for_update=True)
            if program is None or program.next_round_at is None or program.next_round_at > now:
                continue  # another process took it
            claimed = await session.execute(
                update(Program)
                .where(Program.id == program.id, Program.next_round_at == program.next_round_at)
                .values(next_round_at=next_round_at(program, now))
                .execution_options(synchronize_session="fetch")
            )
            if claimed.rowcount != 1:
                continue
            if await run_round(session, program, now) is not None:
                started += 1
    return started


async def run_round(session: AsyncSession, program: Program, now: dt.datetime) -> Round | None:
    """Match whoever is free now and store the round (None when nobody could be paired)."""
    workspace = await session.get(Workspace, program.workspace_id)
    assert workspace is not None
    cohort = await load_cohort(session, program)
    plan = plan_round(cohort, program)
    if not plan.groups and not plan.waiting:
        return None
    return await store_round(session, workspace, program, cohort, plan, now)


async def preview_round(session: AsyncSession, program: Program) -> tuple[RoundPlan, Cohort]:
    """What the next round would do now; nothing is stored or sent."""
    cohort = await load_cohort(session, program)
    return plan_round(cohort, program), cohort


async def round_message_keys(session: AsyncSession, round_: Round) -> list[str]:
    """Outbox keys of a round's messages, to deliver them at once after an admin's `match`."""
    pairing_ids = list(await session.scalars(select(Pairing.id).where(Pairing.round_id == round_.id)))
    waiting = await session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.workspace_id == (await session.get(Program, round_.program_id)).workspace_id,  # type: ignore[union-attr]
            OutboxMessage.idempotency_key.like(f"waiting:{round_.id}:%"),
        )
    )
    return [f"intro:{i}" for i in pairing_ids] + list(waiting)
