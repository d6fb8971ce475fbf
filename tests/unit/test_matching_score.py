"""Scoring rules and hard constraints of the matching engine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import (
    MatchProfile,
    ProfileArrays,
    Weights,
    build_candidate_graph,
    exchange_kind,
    format_reasons,
    is_allowed,
    is_two_way,
    pair_reasons,
    reasons_for,
    score_pair,
    working_hours_overlap,
)

W = Weights()
H = 3600


def person(mid: int, offers=(), wants=(), *, exp=2, dept="Sales", goals=(), tz=0, blocked=(), priority=False):
    return MatchProfile(mid, frozenset(offers), frozenset(wants), exp, dept, frozenset(goals), tz,
                        frozenset(blocked), priority)


def test_two_way_beats_one_way_beats_none():
    a = person(1, offers={1}, wants={2})
    two = person(2, offers={2}, wants={1}, dept="Data")
    one = replace(two, member_id=3, wants=frozenset({9}))
    none = replace(two, member_id=4, offers=frozenset({8}), wants=frozenset({9}))
    s2, s1, s0 = score_pair(a, two, W), score_pair(a, one, W), score_pair(a, none, W)
    assert s2 - s1 >= 60 and s1 - s0 >= 25
    assert (exchange_kind(a, two), exchange_kind(a, one), exchange_kind(a, none)) == ("two_way", "one_way", "none")
    assert is_two_way(a, two) and is_two_way(two, a) and not is_two_way(a, one)


def test_two_way_with_worst_extras_beats_none_with_best_extras():
    a = person(1, offers={1}, wants={2}, exp=0, tz=0)
    bad_two = person(2, offers={2}, wants={1}, exp=5, dept="Sales", tz=12 * H)
    good_none = person(3, exp=0, dept="Data", goals=(), tz=0)
    assert score_pair(a, bad_two, W) > score_pair(a, good_none, W)


def test_experience_gap_is_penalised():
    a = person(1, exp=0)
    scores = [score_pair(a, person(2, exp=e), W) for e in range(6)]
    assert scores[0] == scores[1]  # within one level counts as similar
    assert scores[1] > scores[2] > scores[3] > scores[4] > scores[5]
    assert scores[1] - scores[2] == pytest.approx(W.experience_close + W.experience_gap_penalty)


def test_department_effects():
    a = person(1, dept="Sales")
    cross = score_pair(a, person(2, dept="Data"), W)
    unknown = score_pair(a, person(3, dept=None), W)
    same = score_pair(a, person(4, dept="Sales"), W)
    assert cross - unknown == pytest.approx(W.cross_department)
    assert unknown - same == pytest.approx(W.same_department_penalty)


def test_shared_goal_words_rewarded_and_capped():
    a = person(1, goals={"leadership", "speaking", "data", "product", "ml"})
    base = score_pair(a, person(2), W)
    one = score_pair(a, person(3, goals={"leadership"}), W)
    many = score_pair(a, person(4, goals={"leadership", "speaking", "data", "product", "ml"}), W)
    assert one - base == pytest.approx(W.shared_goal)
    assert many - base == pytest.approx(W.shared_goal * W.shared_goal_cap)


@pytest.mark.parametrize(
    ("tz_a", "tz_b", "hours"),
    [(0, 0, 8), (0, 2 * H, 6), (0, -3 * H, 5), (0, 12 * H, 0), (-8 * H, 9 * H, 1), (0, int(5.5 * H), 2.5)],
)
def test_working_hours_overlap(tz_a, tz_b, hours):
    assert working_hours_overlap(tz_a, tz_b) == pytest.approx(hours)
    assert working_hours_overlap(tz_b, tz_a) == pytest.approx(hours)


def test_timezone_overlap_rewarded():
    a = person(1, tz=0)
    near, far = score_pair(a, person(2, tz=H), W), score_pair(a, person(3, tz=10 * H), W)
    assert near - far == pytest.approx(W.timezone_overlap * 7 / 8)


def test_priority_bonus_per_waiting_member():
    a, b = person(1), person(2, dept="Data")
    assert score_pair(replace(a, priority=True), b, W) - score_pair(a, b, W) == pytest.approx(W.priority_bonus)


def test_self_and_blocked_are_not_allowed_either_direction():
    a, b = person(1), person(2, blocked={1})
    assert not is_allowed(a, a)
    assert not is_allowed(a, b) and not is_allowed(b, a)
    assert is_allowed(a, person(3))


def test_graph_never_contains_self_or_blocked_and_marks_recent_as_fallback():
    people = [person(i, offers={i % 3}, wants={(i + 1) % 3}, dept=f"D{i % 4}") for i in range(1, 13)]
    people[0] = replace(people[0], blocked=frozenset({2, 3}))
    g = build_candidate_graph(people, W, recent_pairs={frozenset({1, 4}), frozenset({1, 2})})
    ids = g.member_ids
    edges = {frozenset((int(ids[u]), int(ids[v]))) for u, v in zip(g.u, g.v)}
    assert frozenset({1, 2}) not in edges and frozenset({1, 3}) not in edges  # blocked beats recent
    assert all(len(e) == 2 for e in edges)
    recent = {frozenset((int(ids[u]), int(ids[v]))) for u, v in zip(g.u[g.recent], g.v[g.recent])}
    assert recent == {frozenset({1, 4})}
    assert g.weight[g.recent].max() < g.weight[~g.recent].min()


profile_strategy = st.builds(
    person,
    st.integers(0, 10_000),
    st.frozensets(st.integers(0, 150), max_size=5),
    st.frozensets(st.integers(0, 150), max_size=4),
    exp=st.integers(0, 5),
    dept=st.sampled_from([None, "Sales", "Data", "Eng"]),
    goals=st.frozensets(st.sampled_from(["lead", "ml", "speak", "data", "ux"]), max_size=4),
    tz=st.integers(-12, 14).map(lambda h: h * H) | st.integers(-12 * H, 14 * H),
    priority=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(profile_strategy, profile_strategy)
def test_score_is_symmetric_and_vectorised_twin_agrees(a, b):
    if a.member_id == b.member_id:
        b = replace(b, member_id=a.member_id + 1)
    assert score_pair(a, b, W) == pytest.approx(score_pair(b, a, W))
    arr = ProfileArrays.from_profiles([a, b])
    vec = arr.score(np.array([0, 1]), np.array([1, 0]), W)
    assert vec == pytest.approx([score_pair(a, b, W)] * 2)


def test_reasons_second_and_third_person():
    skills = {1: "SQL", 2: "public speaking"}
    ana = person(1, offers={1}, wants={2}, exp=2, dept="Sales", tz=0)
    ben = person(2, offers={2}, wants={1}, exp=3, dept="Data", tz=2 * H)
    assert reasons_for(ben, ana, skill_names=skills, other_name="Ana") == [
        "Ana can teach you SQL",
        "you can teach Ana public speaking",
        "you're in different departments (Data, Sales)",
        "similar experience",
        "2 h time-zone gap",
    ]
    line = format_reasons(pair_reasons(ana, ben, skill_names=skills, names=("Ana", "Ben")))
    assert line == ("Ana can teach Ben SQL; Ben can teach Ana public speaking; "
                    "different departments (Sales, Data); similar experience; 2 h apart")
