"""Matching rounds: load the cohort, match it whole, store the pairings and queue the intros.

A round is stored in one database transaction: the pairings, their planned
sessions, the introductions (outbox rows with keys `intro:<pairing id>` that the
outbox renders when it sends them, `bot.intros`) and the notes to whoever waits
are committed together or not at all; delivery happens afterwards, from the
outbox, at Slack's pace. The cohort is read and matched before that transaction
(`read_round`, `plan_round`), and checked in it (`still_current`); see
`bot.round_tasks`.

Rounds and pairing length: a member still in an active (or paused) pairing
is not in the cohort, so a round pairs only people who are free. A pairing
lasts its planned sessions (program setting × cadence); when it ends, its
members join the next round. Rounds can therefore be more frequent than
pairings are long: each round picks up whoever has become free.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import crypto, intros, memberships, outbox
from bot.blocks.rounds import waiting_message
from bot.blocks.common import escape
from bot.career_topics import goal_topics
from bot.matching.circles import coverage_share, match_circles
from bot.matching import (
    MatchProfile,
    MatchResult,
    Weights,
    exchange_kind,
    group_reasons,
    is_two_way,
    match_cohort,
)
from bot.models import (
    Member,
    MemberBlock,
    Membership,
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
from bot.members import eligible_accounts
from bot.round_schedule import next_round_at
from bot.sessions import member_days, member_zone, session_plan
from bot.sqlutil import bulk_insert

# Matching emphasis (a program setting) → score weights. "balanced" is the
# matcher's default; the others double the term they name.
EMPHASIS_WEIGHTS = {
    "balanced": Weights(),
    "skills": Weights(two_way=200.0, one_way=60.0),
    "cross_department": Weights(cross_department=30.0, same_department_penalty=25.0),
    "timezones": Weights(timezone_overlap=30.0),
}
def weights_for(program: Program) -> Weights:
    return EMPHASIS_WEIGHTS.get(program.emphasis, Weights())


def goal_words(text: str | None) -> frozenset[str]:
    """Career-goal topics from the curated catalog (`bot.career_topics`), never filler."""
    return goal_topics(text)


COHORT_COLUMNS = (
    Member.id, Member.slack_user_id, Member.experience, Member.department, Member.career_goals, Member.tz,
    Member.tz_offset, Membership.priority, Member.session_format, Member.work_days,
)


@dataclass
class Cohort:
    """The members a round may pair, as matcher profiles plus what messages need."""

    profiles: list[MatchProfile]
    slack_ids: dict[int, str]
    members: dict[int, Any]  # rows of COHORT_COLUMNS
    skill_names: dict[int, str]
    recent_pairs: set[frozenset[int]]
    past_pairs: set[frozenset[int]] = field(default_factory=set)  # every pair that ever met in this program


@dataclass
class PlannedGroup:
    member_ids: tuple[int, ...]
    score: float
    reasons: list[str]
    two_way: bool
    cross_department: bool
    exchange: str = "two_way"  # "two_way" | "one_way" | "none" (a trio: the weakest of its pairs)


@dataclass
class RoundPlan:
    cohort_size: int
    groups: list[PlannedGroup]
    waiting: list[int]
    method: str
    figures: dict[str, float | int | str] = field(default_factory=dict)


async def load_cohort(
    session: AsyncSession, program: Program, now: dt.datetime, round_at: dt.datetime | None = None,
) -> Cohort:
    """Members opted in to this program, unpaused in it, reachable, not in one of its
    pairings (nor, under the program's cap, in that many pairings across programs), and
    not skipping the round due at `round_at`, with their skills."""
    # Plain rows, not ORM objects: a round reads every member, and identity-map
    # bookkeeping for 10k objects costs more than the query.
    members = list(await session.execute(_cohort_query(program, round_at, *COHORT_COLUMNS)))
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
    blocked = await _blocked_member_ids(session, program.workspace_id, {m.id: m.slack_user_id for m in members})
    history = await pair_history(session, program, now)
    for member_id, others in history.fit_blocked.items():
        blocked[member_id] |= others
    skill_names = {
        sid: escape(name)
        for sid, name in await session.execute(
            select(Skill.id, Skill.name).where(Skill.workspace_id == program.workspace_id)
        )
    }
    # Remembered for this call (a round reads 10,000 rows): departments have few distinct
    # values, goals are often empty or alike.
    departments = functools.cache(lambda d: escape(d.strip()) if d and d.strip() else None)
    goals = functools.cache(goal_words)
    profiles = [
        MatchProfile(
            member_id=m.id,
            offers=frozenset(offers[m.id]),
            wants=frozenset(wants[m.id]),
            experience=m.experience if m.experience is not None else 2,
            department=departments(m.department),
            goal_words=goals(m.career_goals),
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
        recent_pairs=history.recent,
        past_pairs=history.past,
    )


def _cohort_query(program: Program, round_at: dt.datetime | None, *columns: Any) -> Any:
    """`columns` of the members `load_cohort` reads (see there)."""
    busy = (
        select(PairingMember.member_id)
        .join(Pairing)
        .where(Pairing.program_id == program.id, Pairing.state.in_(("active", "paused")),
               PairingMember.left_at.is_(None))
    )
    limits = []
    if program.pairing_cap:
        at_cap = (
            select(PairingMember.member_id)
            .join(Pairing)
            .where(Pairing.state.in_(("active", "paused")), PairingMember.left_at.is_(None))
            .group_by(PairingMember.member_id)
            .having(func.count() >= program.pairing_cap)
        )
        limits.append(Member.id.not_in(at_cap))
    if round_at is not None:
        limits.append(or_(Membership.skip_round_at.is_(None), Membership.skip_round_at != round_at))
    return (
        select(*columns)
        .join(Membership, and_(Membership.member_id == Member.id, Membership.program_id == program.id))
        .where(
            Member.workspace_id == program.workspace_id,
            Membership.status == "active",
            Member.status == "active",
            Member.account_type.in_(eligible_accounts(program)),  # no guests (unless allowed) or bots
            Member.joined_at.is_not(None),
            Member.undeliverable_at.is_(None),
            Member.id.not_in(busy),
            *limits,
        )
    )


async def _blocked_member_ids(
    session: AsyncSession, workspace_id: int, slack_ids: dict[int, str] | None = None,
) -> dict[int, set[int]]:
    """"Don't pair me with", as member ids in both directions: among `slack_ids` (member id →
    Slack id; a round passes its cohort, since a block naming someone outside it cannot matter
    to it), else among the workspace's active and paused members."""
    ring = crypto.keyring_of(session)
    if slack_ids is None:
        slack_ids = dict((await session.execute(
            select(Member.id, Member.slack_user_id).where(Member.workspace_id == workspace_id,
                                                          Member.status.in_(("active", "paused")))
        )).all())
    by_hash: dict[str, int] = {}
    for member_id, user_id in slack_ids.items():
        by_hash[ring.block_hash(user_id)] = member_id
        by_hash[f"legacy:{user_id}"] = member_id  # rows kept before blocks were hashed
    rows = await session.execute(
        select(MemberBlock.member_id, MemberBlock.blocked_hash)
        .join(Member, Member.id == MemberBlock.member_id)
        .where(Member.workspace_id == workspace_id)
    )
    blocked: dict[int, set[int]] = defaultdict(set)
    for member_id, blocked_hash in rows:
        other_id = by_hash.get(blocked_hash)
        if other_id is None:
            continue
        blocked[member_id].add(other_id)
        blocked[other_id].add(member_id)
    return blocked


@dataclass
class PairHistory:
    """What the program's past pairings say about who may meet again."""

    recent: set[frozenset[int]]  # avoided while any other allowed partner exists
    past: set[frozenset[int]]  # every two members who ever shared a pairing
    fit_blocked: dict[int, set[int]]  # a fit-check "not quite": never again, both ways


async def pair_history(session: AsyncSession, program: Program, now: dt.datetime) -> PairHistory:
    """Each member's last `repeat_window_rounds` partners (their own pairings,
    newest first, whatever the program's round numbers) plus everyone they
    were paired with in the last `repeat_window_days` days; every past pair;
    and the pairs a fit-check "not quite" ended (the member who said it with
    each other member of that pairing)."""
    # Newest pairing first, its seats together: one pass, no sorting in Python.
    rows = (await session.execute(
        select(PairingMember.pairing_id, PairingMember.member_id, PairingMember.fit_ok, Pairing.started_at)
        .join(Pairing)
        .where(Pairing.program_id == program.id)
        .order_by(Pairing.started_at.desc(), PairingMember.pairing_id.desc(), PairingMember.position)
    ))
    groups: list[tuple[dt.datetime, list[int], list[int]]] = []  # started, members, who said no
    last = None
    for pairing_id, member_id, fit_ok, started_at in rows:
        if pairing_id != last:
            groups.append((started_at, [], []))
            last = pairing_id
        groups[-1][1].append(member_id)
        if fit_ok is False:
            groups[-1][2].append(member_id)
    since = now - dt.timedelta(days=program.repeat_window_days)
    windowed = bool(program.repeat_window_days)
    past: set[frozenset[int]] = set()
    recent: set[frozenset[int]] = set()
    partners: dict[int, list[int]] = defaultdict(list)  # newest first
    fit_blocked: dict[int, set[int]] = defaultdict(set)
    for started_at, members, said_no in groups:
        lately = windowed and started_at >= since
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                pair = frozenset((a, b))
                past.add(pair)
                if lately:
                    recent.add(pair)
            theirs = partners[a]
            for b in members:
                if b != a and b not in theirs:
                    theirs.append(b)
        for a in said_no:
            for b in members:
                if b != a:
                    fit_blocked[a].add(b)
                    fit_blocked[b].add(a)
    for a, theirs in partners.items():
        recent.update(frozenset((a, b)) for b in theirs[:program.repeat_window_rounds])
    return PairHistory(recent=recent, past=past, fit_blocked=fit_blocked)


async def recent_pairs(session: AsyncSession, program: Program, now: dt.datetime) -> set[frozenset[int]]:
    """The pairs a round avoids while any other allowed partner exists (see `pair_history`)."""
    return (await pair_history(session, program, now)).recent


def plan_round(cohort: Cohort, program: Program) -> RoundPlan:
    """Match the whole cohort and explain each group (pure: nothing stored or sent)."""
    started = time.perf_counter()
    if program.grouping == "circles":  # circles of 3-6 (bot.matching.circles), stored as pairings with N seats
        result: MatchResult = match_circles(cohort.profiles, weights_for(program), group_size=program.group_size,
                                            recent_pairs=cohort.recent_pairs, odd_policy=program.odd_policy)
    else:
        result = match_cohort(
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
                exchange=_group_exchange(profiles),
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
        # What really happened: pairs inside groups that had met before, excluded or not.
        "repeats": sum(
            frozenset((a, b)) in cohort.past_pairs for g in result.groups for i, a in enumerate(g) for b in g[i + 1:]
        ),
        "method": result.method,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if program.grouping == "circles":
        figures["circles"] = len(groups)
        figures["share_covered"] = round(coverage_share(cohort.profiles, result.groups), 3)
    return RoundPlan(len(cohort.profiles), groups, list(result.waiting), result.method, figures)


def _group_exchange(profiles: list[MatchProfile]) -> str:
    """A pair's exchange; for a trio, "two_way" only if every pair swaps, "none" if no pair teaches."""
    kinds = {exchange_kind(a, b) for i, a in enumerate(profiles) for b in profiles[i + 1:]}
    if kinds == {"two_way"}:
        return "two_way"
    return "none" if kinds == {"none"} else "one_way"


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
    # Only the matched who waited with priority in this program (read with the cohort) can
    # change: a statement naming 10,000 people to touch a handful costs a tenth of a second.
    waited = [mid for g in plan.groups for mid in g.member_ids if cohort.members[mid].priority]
    if waited:
        await memberships.set_priority(session, program.id, waited, False)
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
        days = [member_days(cohort.members[mid]) for mid in group.member_ids]
        key = (values["format"], tuple(map(str, zones)), tuple(tuple(sorted(d)) for d in days))  # zones[0] anchors the times
        if key not in templates:
            templates[key] = session_plan(
                cadence=program.cadence, count=program.sessions_per_pairing, member_ids=list(range(len(zones))),
                fmt=values["format"], start=now, zones=zones, days=days,
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
    """One outbox row per group that only identifies its introduction: the outbox renders
    the message when it claims the row (`bot.intros`), not this transaction."""
    circle = program.grouping == "circles"
    await outbox.enqueue_new(session, [
        {"workspace_id": workspace.id, "key": f"intro:{pairing_id}", "pairing_id": pairing_id,
         "users": [cohort.slack_ids[mid] for mid in group.member_ids],
         "payload": intros.placeholder(group.exchange, circle=circle)}
        for pairing_id, group in zip(pairing_ids, plan.groups, strict=True)
    ], now=now)


async def _tell_waiting(
    session: AsyncSession, workspace: Workspace, program: Program, cohort: Cohort, waiting: list[int],
    round_: Round, now: dt.datetime,
) -> None:
    """Whoever could not be paired waits with priority, and is told so kindly."""
    if not waiting:
        return
    await memberships.set_priority(session, program.id, list(waiting), True)
    following = program.next_round_at if program.next_round_at and program.next_round_at > now else None
    await outbox.enqueue_new(session, [
        {"workspace_id": workspace.id, "key": f"waiting:{round_.id}:{member_id}", "member_id": member_id,
         "users": [cohort.slack_ids[member_id]], "payload": waiting_message(next_round=following)}
        for member_id in waiting
    ], now=now)


# --- entry points ----------------------------------------------------------------------------


async def round_due(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """1 when the program's round is due at `now` (its claim is `start_due_round`'s, in a worker
    process); schedules the first round of a new program. A read otherwise: the serving
    process checks this every tick without waking a worker."""
    if program.next_round_at is None:
        program.next_round_at = next_round_at(program, now)
        await session.flush()
    return int(program.next_round_at <= now)


async def start_due_round(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Start the program's round if it is due (1 when one started); schedule the first
    round of a new program. The whole round runs in the caller's (write) transaction: the
    worker's last resort when optimistic rounds kept being overtaken (`bot.round_tasks`).

    The round is claimed by moving `next_round_at` forward with a conditional
    UPDATE in the round's own transaction (the caller's): a second process sees
    the moved time and does nothing; a failed round rolls the claim back.
    """
    await session.refresh(program, with_for_update=True)
    if program.next_round_at is None:
        program.next_round_at = next_round_at(program, now)
        await session.flush()
    if program.next_round_at > now:
        return 0  # not due, or another process took it
    due = program.next_round_at  # the round being run: its skips apply
    if not await claim_due(session, program, due, now):
        return 0
    return 0 if await run_round(session, program, now, round_at=due) is None else 1


async def claim_due(session: AsyncSession, program: Program, due: dt.datetime, now: dt.datetime) -> bool:
    """Move the program's `next_round_at` from `due` to the following round, if it is still
    `due` (False when another process claimed or moved it). Rolled back with the caller's
    transaction, so a round that fails runs again at the next tick."""
    claimed = await session.execute(
        update(Program)
        .where(Program.id == program.id, Program.next_round_at == due)
        .values(next_round_at=next_round_at(program, now))
        .execution_options(synchronize_session="fetch")
    )
    return claimed.rowcount == 1


@dataclass
class RoundRead:
    """What a round read before matching, outside any write transaction: its cohort, and what
    `still_current` checks, under the write lock, before the plan made from it is stored."""

    workspace: Workspace
    cohort: Cohort
    round_at: dt.datetime | None  # the scheduled round being run (its skips apply)
    last_round_id: int | None  # the program's newest round when the cohort was read


async def read_round(
    session: AsyncSession, program: Program, now: dt.datetime, round_at: dt.datetime | None = None,
) -> RoundRead:
    """The cohort a round would match now, with the fence `still_current` checks (a read only)."""
    workspace = await session.get(Workspace, program.workspace_id)
    assert workspace is not None
    last = await _last_round_id(session, program.id)
    return RoundRead(workspace=workspace, cohort=await load_cohort(session, program, now, round_at),
                     round_at=round_at, last_round_id=last)


async def still_current(session: AsyncSession, program: Program, read: RoundRead, plan: RoundPlan) -> bool:
    """Whether `plan` may be stored as if it had been made now, under the write lock: no other
    round of the program was stored since `read`, and everyone it pairs or keeps waiting is
    still in the cohort (nobody left, paused, opted out, became unreachable or was paired in
    another program meanwhile). Edits that leave someone eligible (skills, blocks) count as
    made after the round, as they did when a round held the lock throughout."""
    if await _last_round_id(session, program.id) != read.last_round_id:
        return False
    planned = {mid for g in plan.groups for mid in g.member_ids} | set(plan.waiting)
    if not planned:
        return True
    eligible = set(await session.scalars(_cohort_query(program, read.round_at, Member.id)))
    return planned <= eligible


async def _last_round_id(session: AsyncSession, program_id: int) -> int | None:
    return await session.scalar(select(func.max(Round.id)).where(Round.program_id == program_id))


async def run_round(
    session: AsyncSession, program: Program, now: dt.datetime, round_at: dt.datetime | None = None,
) -> Round | None:
    """Match whoever is free now and store the round (None when nobody could be paired).
    `round_at`: the scheduled round being run, whose skips apply (an admin's match has none)."""
    workspace = await session.get(Workspace, program.workspace_id)
    assert workspace is not None
    cohort = await load_cohort(session, program, now, round_at)
    plan = plan_round(cohort, program)
    if not plan.groups and not plan.waiting:
        return None
    return await store_round(session, workspace, program, cohort, plan, now)


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
