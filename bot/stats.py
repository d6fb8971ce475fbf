"""Program figures for admins: aggregates only, each computed by the database.

Every figure carries its *base*: how many distinct people it was computed
over. A figure whose base is below the program's minimum group size k (at
least 3, default 5) is withheld ("too few to show"), so no one's rating or
activity can be read off a small group. No text anyone wrote (notes, dilemmas,
goals) is ever read here.

Against differencing: the average rating moves in steps. Ratings are taken in
time order and closed into batches at round starts (and now); a batch is
added to the shown figure only once it holds ratings from at least k distinct
people, so comparing the figure before and after a round never isolates fewer
than k people's ratings. Skill supply and demand show a skill only when at
least k current members want or offer it; the others are summed into one
"other skills" row (shown only when it, too, rests on k people).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Feedback, Goal, Member, MemberSkill, Membership, Pairing, PairingMember, Program, Round, Session, Skill,
)
from bot.circle_suggestions import CircleSuggestion, suggestions
from bot.program_settings import ProgramSettings, settings_of

LEFT_STATUSES = ("left", "deactivated", "forgotten")
CURRENT_STATUSES = ("active", "paused")
SKILL_ROWS = 10
OTHER_SKILLS = "other skills"
ROUND_ROWS = 24


@dataclass(frozen=True)
class Figure:
    """One number and how many people it rests on; `value` is None when withheld."""

    value: float | None
    base: int

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Ratio:
    """A share: `part` of `whole`, with the people it rests on; None parts when withheld."""

    part: int | None
    whole: int | None
    base: int

    @property
    def withheld(self) -> bool:
        return self.part is None

    @property
    def share(self) -> float | None:
        if self.part is None or not self.whole:
            return None
        return self.part / self.whole


@dataclass(frozen=True)
class SkillGap:
    name: str
    wanted: int
    offered: int

    @property
    def gap(self) -> int:
        return self.wanted - self.offered


@dataclass(frozen=True)
class RoundFigures:
    number: int
    started_at: dt.datetime
    participants: int | None  # members paired in the round; None when withheld
    sessions_due: int | None
    sessions_met: int | None

    @property
    def meeting_rate(self) -> float | None:
        if self.sessions_met is None or not self.sessions_due:
            return None
        return self.sessions_met / self.sessions_due


@dataclass(frozen=True)
class ProgramStats:
    min_group_size: int
    opted_in: Figure
    paused: Figure
    left: Figure
    with_active_peer: Ratio  # the headline
    pairings: Figure
    meetings: Ratio  # sessions held (met) of sessions due
    average_rating: Figure
    ratings: int | None
    two_way: Ratio
    cross_department: Ratio
    goals: Ratio  # goals done of goals set
    turn_balance: Ratio  # held mentee sessions with a dilemma, of held mentee sessions
    skill_gaps: list[SkillGap] | None
    skill_base: int
    rounds: list[RoundFigures] = field(default_factory=list)
    # Skills wanted by at least the minimum group size and offered by few (counts only).
    circle_suggestions: list[CircleSuggestion] = field(default_factory=list)


@dataclass(frozen=True)
class AdminOverview:
    """What an admin's App Home shows about the program: figures and settings."""

    stats: ProgramStats
    settings: ProgramSettings
    next_round_at: dt.datetime | None


class _Gate:
    """Applies the minimum group size."""

    def __init__(self, minimum: int):
        self.minimum = minimum

    def shown(self, base: int) -> bool:
        return base >= self.minimum

    def figure(self, value: float | None, base: int) -> Figure:
        return Figure(value if self.shown(base) and value is not None else None, base)

    def ratio(self, part: int, whole: int, base: int) -> Ratio:
        if not self.shown(base):
            return Ratio(None, None, base)
        return Ratio(part, whole, base)


async def program_stats(session: AsyncSession, program: Program, now: dt.datetime) -> ProgramStats:
    """All figures for the program's workspace at `now` (see the module docstring)."""
    gate = _Gate(program.min_group_size)
    members = await _member_figures(session, program, gate)
    pair_figs = await _pairing_figures(session, program, gate)
    session_figs = await _session_figures(session, program, now, gate)
    goals = await _goal_figures(session, program, gate)
    gaps, skill_base = await _skill_gaps(session, program, gate)
    return ProgramStats(
        min_group_size=program.min_group_size,
        **members,
        **pair_figs,
        **session_figs,
        goals=goals,
        skill_gaps=gaps,
        skill_base=skill_base,
        rounds=await _round_figures(session, program, now, gate),
        circle_suggestions=await suggestions(session, program),
    )


async def admin_overview(session: AsyncSession, program: Program, now: dt.datetime) -> AdminOverview:
    return AdminOverview(await program_stats(session, program, now), settings_of(program), program.next_round_at)


# --- members -------------------------------------------------------------------------------


async def _member_figures(session: AsyncSession, program: Program, gate: _Gate) -> dict[str, object]:
    """Opted in (status active), paused, left (left, deactivated or forgotten); the
    headline share of opted-in members who are in an active pairing."""
    # The program's memberships; a person who left, was deactivated or forgotten counts as
    # having left (their membership is "left", the person's own status says why).
    status = case((Member.status.in_(LEFT_STATUSES), "left"), else_=Membership.status)
    rows = (await session.execute(
        select(status, func.count())
        .select_from(Membership).join(Member, Member.id == Membership.member_id)
        .where(Membership.program_id == program.id)
        .group_by(status)
    )).all()
    by_status = {status: int(n) for status, n in rows}
    opted_in = by_status.get("active", 0)
    paused = by_status.get("paused", 0)
    left = sum(by_status.get(s, 0) for s in LEFT_STATUSES)
    joined = opted_in + paused + left  # everyone who ever took part (not just invited)

    with_peer = await session.scalar(
        select(func.count(distinct(Member.id)))
        .join(PairingMember, PairingMember.member_id == Member.id)
        .join(Pairing, Pairing.id == PairingMember.pairing_id)
        .join(Membership, and_(Membership.member_id == Member.id, Membership.program_id == program.id))
        .where(Member.workspace_id == program.workspace_id, Member.status == "active",
               Membership.status == "active", Pairing.program_id == program.id, Pairing.state == "active")
    ) or 0
    return {
        "opted_in": gate.figure(opted_in, joined),
        "paused": gate.figure(paused, joined),
        "left": gate.figure(left, joined),
        "with_active_peer": gate.ratio(int(with_peer), opted_in, opted_in),
    }


# --- pairings ---------------------------------------------------------------------------------


async def _pairing_figures(session: AsyncSession, program: Program, gate: _Gate) -> dict[str, object]:
    """Pairings made, and the shares of them that are two-way and cross-department."""
    made, two_way, cross = (await session.execute(
        select(
            func.count(Pairing.id),
            func.coalesce(func.sum(case((Pairing.two_way.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Pairing.cross_department.is_(True), 1), else_=0)), 0),
        ).where(Pairing.program_id == program.id)
    )).one()
    people = await session.scalar(
        select(func.count(distinct(PairingMember.member_id)))
        .join(Pairing, Pairing.id == PairingMember.pairing_id)
        .where(Pairing.program_id == program.id)
    ) or 0
    return {
        "pairings": gate.figure(int(made), int(people)),
        "two_way": gate.ratio(int(two_way), int(made), int(people)),
        "cross_department": gate.ratio(int(cross), int(made), int(people)),
    }


# --- sessions and feedback ----------------------------------------------------------------------


def _due_sessions(program: Program, now: dt.datetime) -> Select[tuple[int]]:
    """Sessions of the program whose date has passed, not counting cancelled ones."""
    return (
        select(Session.id)
        .join(Pairing, Pairing.id == Session.pairing_id)
        .where(Pairing.program_id == program.id, Session.due_at <= now, Session.state != "cancelled")
    )


async def _session_figures(
    session: AsyncSession, program: Program, now: dt.datetime, gate: _Gate
) -> dict[str, object]:
    due_ids = _due_sessions(program, now).subquery()
    due, met = (await session.execute(
        select(func.count(Session.id), func.coalesce(func.sum(case((Session.state == "met", 1), else_=0)), 0))
        .where(Session.id.in_(select(due_ids.c.id)))
    )).one()
    meeting_people = await session.scalar(
        select(func.count(distinct(PairingMember.member_id)))
        .join(Session, Session.pairing_id == PairingMember.pairing_id)
        .where(Session.id.in_(select(due_ids.c.id)))
    ) or 0

    rating_avg, rating_n, raters = await _stepped_rating(session, program, now, gate)

    # Turn balance: held sessions where someone was the mentee (turn-taking, from
    # sequence 2 on), and of those the ones whose mentee really wrote a dilemma.
    turns = and_(Pairing.program_id == program.id, Session.sequence >= 2, Session.state == "met",
                 Session.format == "turns", Session.mentee_member_id.is_not(None))
    held, with_dilemma, mentees = (await session.execute(
        select(
            func.count(Session.id),
            func.coalesce(func.sum(case((Session.dilemma_at.is_not(None), 1), else_=0)), 0),
            func.count(distinct(Session.mentee_member_id)),
        ).join(Pairing, Pairing.id == Session.pairing_id).where(turns)
    )).one()
    shown_rating = gate.shown(int(raters)) and rating_avg is not None
    return {
        "meetings": gate.ratio(int(met), int(due), int(meeting_people)),
        "average_rating": gate.figure(float(rating_avg) if rating_avg is not None else None, int(raters)),
        "ratings": int(rating_n) if shown_rating else None,
        "turn_balance": gate.ratio(int(with_dilemma), int(held), int(mentees)),
    }


async def _stepped_rating(
    session: AsyncSession, program: Program, now: dt.datetime, gate: _Gate
) -> tuple[float | None, int, int]:
    """(mean, ratings, raters) over the closed batches (see the module docstring)."""
    rows = (await session.execute(
        select(Feedback.created_at, Feedback.member_id, Feedback.rating)
        .join(Session, Session.id == Feedback.session_id)
        .join(Pairing, Pairing.id == Session.pairing_id)
        .where(Pairing.program_id == program.id, Feedback.rating.is_not(None), Feedback.created_at <= now)
        .order_by(Feedback.created_at, Feedback.id)
    )).all()
    starts = sorted(set(await session.scalars(select(Round.started_at).where(Round.program_id == program.id))))
    boundaries = [b for b in starts if b <= now] + [now + dt.timedelta(microseconds=1)]
    shown_total = shown_count = 0
    shown_people: set[int] = set()
    pending: list[tuple[int, int]] = []
    i = 0
    for boundary in boundaries:
        while i < len(rows) and rows[i][0] < boundary:
            pending.append((rows[i][1], rows[i][2]))
            i += 1
        if pending and gate.shown(len({member for member, _ in pending})):
            shown_total += sum(r for _, r in pending)
            shown_count += len(pending)
            shown_people |= {member for member, _ in pending}
            pending = []
    if not shown_count:
        return None, 0, len({m for _, m, _ in rows})
    return shown_total / shown_count, shown_count, len(shown_people)


# --- goals ------------------------------------------------------------------------------------------


async def _goal_figures(session: AsyncSession, program: Program, gate: _Gate) -> Ratio:
    """Goals set (any progress) and done, in this program."""
    total, done, people = (await session.execute(
        select(
            func.count(Goal.id),
            func.coalesce(func.sum(case((Goal.progress == "done", 1), else_=0)), 0),
            func.count(distinct(Goal.member_id)),
        ).join(Member, Member.id == Goal.member_id).where(
            Member.workspace_id == program.workspace_id,
            # set in one of this program's pairings, or (no pairing) by one of its members
            or_(Goal.pairing_id.in_(select(Pairing.id).where(Pairing.program_id == program.id)),
                and_(Goal.pairing_id.is_(None),
                     Goal.member_id.in_(select(Membership.member_id).where(Membership.program_id == program.id)))),
        )
    )).one()
    return gate.ratio(int(done), int(total), int(people))


# --- skills -------------------------------------------------------------------------------------------


async def _skill_gaps(session: AsyncSession, program: Program, gate: _Gate) -> tuple[list[SkillGap] | None, int]:
    """The most wanted skills and how many current members offer each.

    Counted over current members (opted in or paused). Sorted by the gap
    (wanted minus offered), then by how many want it; only wanted skills.
    """
    in_program = select(Membership.member_id).where(Membership.program_id == program.id,
                                                    Membership.status.in_(CURRENT_STATUSES))
    current = and_(Member.workspace_id == program.workspace_id, Member.status.in_(CURRENT_STATUSES),
                   Member.id.in_(in_program))
    base = await session.scalar(
        select(func.count(distinct(MemberSkill.member_id))).join(Member, Member.id == MemberSkill.member_id).where(current)
    ) or 0
    if not gate.shown(int(base)):
        return None, int(base)
    wanted = func.count(distinct(case((MemberSkill.kind == "want", MemberSkill.member_id))))
    offered = func.count(distinct(case((MemberSkill.kind == "offer", MemberSkill.member_id))))
    people = func.count(distinct(MemberSkill.member_id))
    rows = (await session.execute(
        select(Skill.id, Skill.name, wanted.label("wanted"), offered.label("offered"), people.label("people"))
        .join(MemberSkill, MemberSkill.skill_id == Skill.id)
        .join(Member, Member.id == MemberSkill.member_id)
        .where(current, Skill.workspace_id == program.workspace_id)
        .group_by(Skill.id, Skill.name)
        .order_by((wanted - offered).desc(), wanted.desc(), Skill.name)
    )).all()
    shown = [SkillGap(name, int(w), int(o)) for _id, name, w, o, n in rows if gate.shown(int(n)) and w > 0]
    rare = [skill_id for skill_id, _name, _w, _o, n in rows if not gate.shown(int(n))]
    gaps = shown[:SKILL_ROWS]
    if rare:
        other_wanted, other_offered, other_people = (await session.execute(
            select(wanted, offered, people).join(Member, Member.id == MemberSkill.member_id)
            .where(current, MemberSkill.skill_id.in_(rare))
        )).one()
        if gate.shown(int(other_people)) and other_wanted:
            gaps.append(SkillGap(OTHER_SKILLS, int(other_wanted), int(other_offered)))
    return gaps, int(base)


# --- per round ------------------------------------------------------------------------------------------


async def _round_figures(
    session: AsyncSession, program: Program, now: dt.datetime, gate: _Gate
) -> list[RoundFigures]:
    """Participation (members paired) and meeting rate per round, latest rounds last."""
    participants = (
        select(Pairing.round_id, func.count(distinct(PairingMember.member_id)).label("people"))
        .join(PairingMember, PairingMember.pairing_id == Pairing.id)
        .where(Pairing.program_id == program.id)
        .group_by(Pairing.round_id)
        .subquery()
    )
    sessions = (
        select(
            Pairing.round_id,
            func.count(Session.id).label("due"),
            func.coalesce(func.sum(case((Session.state == "met", 1), else_=0)), 0).label("met"),
        )
        .join(Session, Session.pairing_id == Pairing.id)
        .where(Pairing.program_id == program.id, Session.due_at <= now, Session.state != "cancelled")
        .group_by(Pairing.round_id)
        .subquery()
    )
    rows = (await session.execute(
        select(Round.number, Round.started_at, participants.c.people, sessions.c.due, sessions.c.met)
        .outerjoin(participants, participants.c.round_id == Round.id)
        .outerjoin(sessions, sessions.c.round_id == Round.id)
        .where(Round.program_id == program.id)
        .order_by(Round.number.desc())
        .limit(ROUND_ROWS)
    )).all()
    figures = []
    for number, started_at, people, due, met in reversed(rows):
        people = int(people or 0)
        shown = gate.shown(people)
        figures.append(RoundFigures(
            number=int(number), started_at=started_at,
            participants=people if shown else None,
            sessions_due=int(due or 0) if shown else None,
            sessions_met=int(met or 0) if shown else None,
        ))
    return figures
