"""Program figures on a seeded history: every expected figure is computed here in
plain Python from the seed's own description, independently of the SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy import update

from bot.deps import Deps
from bot.models import (
    Feedback, Goal, Member, MemberSkill, Pairing, PairingMember, Program, Round, Session, Skill,
)
from bot.stats import ProgramStats, program_stats
from bot.workspaces import ensure_workspace, program_of
from tests import factories
from tests.conftest import T0, TEAM_ID

DAY = dt.timedelta(days=1)
PRIVATE_TEXTS = ("SECRET-NOTE-1", "SECRET-TAKEAWAY-2", "SECRET-DILEMMA-3", "SECRET-GOAL-4", "SECRET-TRIED-5",
                 "SECRET-EXPERIMENT-6", "SECRET-MEASURE-7", "SECRET-RETRO-8")


# --- the seed, described as plain data ---------------------------------------------------------

@dataclass
class M:
    uid: str
    status: str
    dept: str | None
    offers: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()


@dataclass
class S:
    seq: int
    due_days: int  # relative to T0
    state: str
    mentee: str | None = None
    dilemma: bool = False
    ratings: dict[str, int] = field(default_factory=dict)
    fmt: str = "turns"


@dataclass
class P:
    round_no: int
    members: tuple[str, ...]
    two_way: bool
    cross: bool
    state: str
    sessions: list[S]


MEMBERS = [
    M("UA", "active", "Eng", ("Python",), ("Design",)),
    M("UB", "active", "Design", ("Design",), ("Python",)),
    M("UC", "active", "Eng", ("SQL",), ("Public speaking",)),
    M("UD", "active", "Sales", ("Negotiation",), ("SQL", "Public speaking")),
    M("UE", "active", "Sales", ("Python",), ("Public speaking",)),
    M("UF", "paused", "Eng", (), ("Design",)),
    M("UG", "left", "Eng", ("Public speaking",), ("Python",)),
    M("UH", "forgotten", None),
    M("UI", "invited", None),
]
ROUNDS = {1: T0 - 60 * DAY, 2: T0 - 14 * DAY}
K = 3  # the smallest minimum group size (issue 11)
PAIRINGS = [
    P(1, ("UA", "UB"), True, True, "ended", [
        S(1, -57, "met", ratings={"UA": 5, "UB": 4}),
        S(2, -43, "met", "UA", dilemma=True, ratings={"UA": 4}),
        S(3, -29, "skipped", "UB"),
        S(4, -15, "met", "UA"),
    ]),
    P(1, ("UC", "UD"), False, True, "ended", [
        S(1, -57, "met", ratings={"UC": 3, "UD": 2}),
        S(2, -43, "met", "UC", dilemma=True),
        S(3, -29, "silent", "UD"),
        S(4, -20, "cancelled", "UC"),
    ]),
    P(2, ("UA", "UC"), False, False, "active", [
        S(1, -11, "met", ratings={"UA": 5}),
        S(2, 3, "planned", "UA"),
    ]),
    P(2, ("UB", "UD"), True, True, "active", [
        S(1, -11, "planned"),
        S(2, 3, "planned", "UB", fmt="brainstorm"),
    ]),
]
GOALS = [("UA", "done"), ("UA", "in_progress"), ("UC", "done"), ("UB", "not_started")]


async def seed_history(deps: Deps, *, min_group_size: int, team_id: str = TEAM_ID) -> None:
    """Write MEMBERS, ROUNDS, PAIRINGS and GOALS; private text goes in every private field."""
    async with deps.sessionmaker.begin() as db:
        ws = await ensure_workspace(db, team_id, T0)
        program = await program_of(db, ws.id)
        await db.execute(update(Program).where(Program.id == program.id).values(min_group_size=max(3, min_group_size)))
        skills: dict[str, Skill] = {}
        members: dict[str, Member] = {}
        for spec in MEMBERS:
            m = Member(workspace_id=ws.id, slack_user_id=spec.uid, status=spec.status, department=spec.dept,
                       created_at=T0 - 90 * DAY, updated_at=T0 - 90 * DAY, joined_at=T0 - 90 * DAY)
            db.add(m)
            await db.flush()
            await factories.membership(db, m)
            members[spec.uid] = m
            for kind, names in (("offer", spec.offers), ("want", spec.wants)):
                for name in names:
                    if name not in skills:
                        skills[name] = Skill(workspace_id=ws.id, key=name.lower(), name=name, created_at=T0)
                        db.add(skills[name])
                        await db.flush()
                    db.add(MemberSkill(member_id=m.id, skill_id=skills[name].id, kind=kind))
        rounds = {}
        for number, started in ROUNDS.items():
            rounds[number] = Round(program_id=program.id, number=number, started_at=started, method="test",
                                   figures={})
            db.add(rounds[number])
        await db.flush()
        for spec in PAIRINGS:
            pairing = Pairing(
                program_id=program.id, round_id=rounds[spec.round_no].id, score=1.0, reasons=[],
                two_way=spec.two_way, cross_department=spec.cross, state=spec.state,
                started_at=ROUNDS[spec.round_no], shared_intent="SECRET-RETRO-8",
                members=[PairingMember(member_id=members[u].id, position=i, retro_learned="SECRET-RETRO-8")
                         for i, u in enumerate(spec.members)],
            )
            db.add(pairing)
            await db.flush()
            for s in spec.sessions:
                row = Session(
                    pairing_id=pairing.id, sequence=s.seq, due_at=T0 + s.due_days * DAY, state=s.state,
                    format=s.fmt, mentee_member_id=members[s.mentee].id if s.mentee else None,
                    dilemma_situation="SECRET-DILEMMA-3" if s.dilemma else None,
                    dilemma_tried="SECRET-TRIED-5" if s.dilemma else None,
                    dilemma_at=T0 + (s.due_days - 2) * DAY if s.dilemma else None,
                    answered_at=T0 + (s.due_days + 1) * DAY if s.state in ("met", "skipped") else None,
                )
                db.add(row)
                await db.flush()
                for uid, rating in s.ratings.items():
                    db.add(Feedback(session_id=row.id, member_id=members[uid].id, rating=rating,
                                    takeaway="SECRET-TAKEAWAY-2", experiment="SECRET-EXPERIMENT-6",
                                    private_note="SECRET-NOTE-1", created_at=row.due_at + DAY))
        for uid, progress in GOALS:
            db.add(Goal(member_id=members[uid].id, what="SECRET-GOAL-4", measure="SECRET-MEASURE-7",
                        progress=progress, created_at=T0 - 50 * DAY))


# --- the expected figures, from the description -------------------------------------------------

def expected() -> dict[str, object]:
    statuses = [m.status for m in MEMBERS]
    active = [m.uid for m in MEMBERS if m.status == "active"]
    left = sum(s in ("left", "deactivated", "forgotten") for s in statuses)
    joined = sum(s != "invited" for s in statuses)
    in_active_pairing = {u for p in PAIRINGS if p.state == "active" for u in p.members}
    paired_people = {u for p in PAIRINGS for u in p.members}
    due = [(p, s) for p in PAIRINGS for s in p.sessions if s.due_days <= 0 and s.state != "cancelled"]
    ratings = [(u, r) for p in PAIRINGS for s in p.sessions for u, r in s.ratings.items()]
    turns = [s for p in PAIRINGS for s in p.sessions
             if s.seq >= 2 and s.state == "met" and s.fmt == "turns" and s.mentee]
    current = [m for m in MEMBERS if m.status in ("active", "paused")]
    # Skills rest on K people or go into "other skills".
    names = sorted({n for m in current for n in m.wants})
    people = {n: sum(n in m.wants or n in m.offers for m in current) for n in {n for m in current for n in m.wants + m.offers}}
    gaps = [(n, sum(n in m.wants for m in current), sum(n in m.offers for m in current))
            for n in names if people[n] >= K]
    gaps.sort(key=lambda g: (-(g[1] - g[2]), -g[1], g[0]))
    rare = {n for n, c in people.items() if c < K}
    rare_people = [m for m in current if rare & set(m.wants + m.offers)]
    rare_wanted = sum(bool(rare & set(m.wants)) for m in current)
    if len(rare_people) >= K and rare_wanted:
        gaps.append(("other skills", rare_wanted, sum(bool(rare & set(m.offers)) for m in current)))
    # The average rating moves only in batches (closed at round starts) of K or more raters.
    timed = sorted((T0 + (s.due_days + 1) * DAY, u, r) for p in PAIRINGS for s in p.sessions
                   for u, r in s.ratings.items() if T0 + (s.due_days + 1) * DAY <= T0)
    shown: list[tuple[str, int]] = []
    pending: list[tuple[str, int]] = []
    for boundary in [*sorted(ROUNDS.values()), T0 + dt.timedelta(microseconds=1)]:
        pending = [(u, r) for at, u, r in timed if at < boundary][len(shown):]
        if pending and len({u for u, _ in pending}) >= K:
            shown += pending
    ratings = shown
    per_round = {}
    for number in ROUNDS:
        ps = [p for p in PAIRINGS if p.round_no == number]
        round_due = [s for p in ps for s in p.sessions if s.due_days <= 0 and s.state != "cancelled"]
        per_round[number] = ({u for p in ps for u in p.members}, len(round_due),
                             sum(s.state == "met" for s in round_due))
    return {
        "opted_in": (len(active), joined),
        "paused": (statuses.count("paused"), joined),
        "left": (left, joined),
        "with_active_peer": (len([u for u in active if u in in_active_pairing]), len(active), len(active)),
        "pairings": (len(PAIRINGS), len(paired_people)),
        "meetings": (sum(s.state == "met" for _, s in due), len(due),
                     len({u for p, _ in due for u in p.members})),
        "average_rating": (sum(r for _, r in ratings) / len(ratings), len({u for u, _ in ratings})),
        "ratings": len(ratings),
        "two_way": (sum(p.two_way for p in PAIRINGS), len(PAIRINGS), len(paired_people)),
        "cross_department": (sum(p.cross for p in PAIRINGS), len(PAIRINGS), len(paired_people)),
        "goals": (sum(g == "done" for _, g in GOALS), len(GOALS), len({u for u, _ in GOALS})),
        "turn_balance": _gated(sum(s.dilemma for s in turns), len(turns), len({s.mentee for s in turns})),
        "skill_gaps": gaps,
        "skill_base": len([m for m in current if m.offers or m.wants]),
        "rounds": per_round,
    }


def _gated(part: int, whole: int, base: int) -> tuple[int | None, int | None, int]:
    return (part, whole, base) if base >= K else (None, None, base)


async def _stats(deps: Deps) -> ProgramStats:
    async with deps.sessionmaker() as db:
        ws = await ensure_workspace(db, TEAM_ID, T0)
        return await program_stats(db, await program_of(db, ws.id), T0)


# --- tests -----------------------------------------------------------------------------------------

async def test_figures_match_the_seeded_history(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    stats = await _stats(deps)
    want = expected()
    for name in ("opted_in", "paused", "left", "pairings"):
        fig = getattr(stats, name)
        assert (fig.value, fig.base) == want[name], name
    for name in ("with_active_peer", "meetings", "two_way", "cross_department", "goals", "turn_balance"):
        ratio = getattr(stats, name)
        assert (ratio.part, ratio.whole, ratio.base) == want[name], name
    assert stats.average_rating.value == pytest.approx(want["average_rating"][0])
    assert stats.average_rating.base == want["average_rating"][1]
    assert stats.ratings == want["ratings"]
    assert [(g.name, g.wanted, g.offered) for g in stats.skill_gaps or []] == want["skill_gaps"]
    assert stats.skill_base == want["skill_base"]
    rounds = {r.number: (r.participants, r.sessions_due, r.sessions_met) for r in stats.rounds}
    assert rounds == {n: (len(people), due, met) for n, (people, due, met) in want["rounds"].items()}


async def test_headline_and_meeting_rate_by_hand(deps: Deps) -> None:
    """The same history, a few figures worked out by hand as a cross-check of `expected`."""
    await seed_history(deps, min_group_size=1)
    stats = await _stats(deps)
    assert stats.with_active_peer.share == pytest.approx(4 / 5)  # UE has no partner
    assert (stats.meetings.part, stats.meetings.whole) == (6, 9)  # cancelled and future sessions excluded
    # 23 / 6 over all six ratings, but the latest one (after round 2 started) is alone in
    # its batch: it waits for k = 3 raters, so the figure cannot be differenced to one person.
    assert stats.average_rating.value == pytest.approx(18 / 5) and stats.ratings == 5
    assert stats.turn_balance.withheld  # two mentees: fewer than k = 3
    assert stats.skill_gaps is not None and stats.skill_gaps[0].name == "Public speaking"
    assert (stats.skill_gaps[0].wanted, stats.skill_gaps[0].offered) == (3, 0)  # UG left: not an offer


async def test_figures_over_too_few_people_are_withheld(deps: Deps) -> None:
    await seed_history(deps, min_group_size=5)
    stats = await _stats(deps)
    # Shown: rest on 5 or more people.
    assert stats.opted_in.value == 5 and stats.left.value == 2  # over the 8 who ever joined
    assert stats.with_active_peer.part == 4  # over the 5 opted in
    assert stats.skill_gaps is not None  # over the 6 current members with skills
    # Withheld: 4 paired people, 4 raters, 3 with goals, 2 mentees, 4 per round.
    for name in ("pairings", "average_rating"):
        assert getattr(stats, name).withheld and getattr(stats, name).value is None, name
    for name in ("meetings", "two_way", "cross_department", "goals", "turn_balance"):
        ratio = getattr(stats, name)
        assert ratio.withheld and ratio.part is None and ratio.whole is None, name
    assert stats.ratings is None
    assert all(r.participants is None and r.sessions_due is None for r in stats.rounds)


async def test_member_counts_are_withheld_when_the_program_is_tiny(deps: Deps) -> None:
    await seed_history(deps, min_group_size=9)
    stats = await _stats(deps)
    assert stats.opted_in.withheld and stats.paused.withheld and stats.left.withheld
    assert stats.with_active_peer.withheld and stats.skill_gaps is None


async def test_another_workspace_does_not_count(deps: Deps) -> None:
    await seed_history(deps, min_group_size=1)
    await seed_history(deps, min_group_size=1, team_id="T0002")
    stats = await _stats(deps)
    assert stats.pairings.value == len(PAIRINGS) and stats.opted_in.value == 5


async def test_an_empty_program_shows_nothing_rather_than_dividing_by_zero(deps: Deps) -> None:
    async with deps.sessionmaker.begin() as db:
        ws = await ensure_workspace(db, TEAM_ID, T0)
        await db.execute(update(Program).where(Program.workspace_id == ws.id).values(min_group_size=3))
    stats = await _stats(deps)
    assert stats.with_active_peer.share is None and stats.meetings.withheld
    assert stats.average_rating.value is None and stats.skill_gaps is None and stats.rounds == []
