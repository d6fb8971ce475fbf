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
    match_cohort,
    pair_reasons,
    reasons_for,
    score_pair,
    working_hours_overlap,
)
from bot.matching.score import MAX_PAIR_GAP

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
    bad_two = person(2, offers={2}, wants={1}, exp=2, dept="Sales", tz=12 * H)  # worst inside the peer band
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


# --- the peer band: two-way beats one-way, outside the band is a last resort (issue 12 item 11) ---

_weights = st.builds(
    Weights,
    two_way=st.floats(0, 400), one_way=st.floats(0, 400), experience_close=st.floats(0, 60),
    experience_gap_penalty=st.floats(0, 60), cross_department=st.floats(0, 80),
    same_department_penalty=st.floats(0, 80), shared_goal=st.floats(0, 20), shared_goal_cap=st.integers(0, 5),
    timezone_overlap=st.floats(0, 80), priority_bonus=st.floats(0, 60),
)
_extras = st.fixed_dictionaries({
    "dept": st.sampled_from(["Sales", "Data", None]), "goals": st.sets(st.sampled_from("abcde"), max_size=5),
    "tz": st.integers(-12, 12).map(lambda h: h * H), "priority": st.booleans(),
})


def _pair(kind: str, exp_a: int, exp_b: int, ea: dict, eb: dict):
    a_offers, b_offers = {1}, ({2} if kind == "two" else set())
    a = person(1, a_offers, {2}, exp=exp_a, **ea)
    b = person(2, b_offers, {1}, exp=exp_b, **eb)
    return a, b


@settings(max_examples=400, deadline=None)
@given(_weights, st.sampled_from(["balanced", "skills", "cross_department", "timezones", "random"]),
       st.integers(0, 5), st.integers(-2, 2), st.integers(0, 5), st.integers(-2, 2), _extras, _extras, _extras, _extras)
def test_in_band_two_way_beats_every_one_way_under_every_emphasis(w, emphasis, e1, d1, e2, d2, x1, x2, x3, x4):
    from bot.rounds import EMPHASIS_WEIGHTS

    if emphasis != "random":
        w = EMPHASIS_WEIGHTS[emphasis]
    two = _pair("two", e1, min(5, max(0, e1 + d1)), x1, x2)
    one = _pair("one", e2, min(5, max(0, e2 + d2)), x3, x4)
    assert score_pair(*two, w) > score_pair(*one, w)
    arr = ProfileArrays.from_profiles([*two])
    assert arr.score(np.array([0]), np.array([1]), w)[0] == pytest.approx(score_pair(*two, w))


@settings(max_examples=300, deadline=None)
@given(_weights, st.sampled_from(["two", "one", "none"]), st.sampled_from(["two", "one", "none"]),
       st.integers(0, 5), st.integers(-2, 2), st.integers(0, 2), st.integers(3, 5), _extras, _extras, _extras, _extras)
def test_outside_the_peer_band_is_a_last_resort(w, kind_in, kind_out, e1, d1, e2, gap, x1, x2, x3, x4):
    inside = _pair(kind_in, e1, min(5, max(0, e1 + d1)), x1, x2)
    if kind_in == "none":
        inside = (replace(inside[0], offers=frozenset()), inside[1])
    outside = _pair(kind_out, e2, e2 + gap, x3, x4)
    assert score_pair(*inside, w) > score_pair(*outside, w)


def test_issue_example_two_way_five_levels_apart_loses_to_nothing_in_band_but_beats_one_way_in_band():
    two_far = (person(1, {1}, {2}, exp=0), person(2, {2}, {1}, exp=5))
    one_near = (person(3, {1}, {2}, exp=2, dept="Data"), person(4, set(), {1}, exp=3, dept="Ops"))
    two_near = (person(5, {1}, {2}, exp=2), person(6, {2}, {1}, exp=4))
    for w in (Weights(), Weights(cross_department=30.0, same_department_penalty=25.0)):
        assert score_pair(*two_near, w) > score_pair(*one_near, w) > score_pair(*two_far, w)


def test_pairs_far_outside_the_peer_band_are_never_formed() -> None:
    """Issue 12 item 14: "10-14 y" with "<1 y" is not a peer pair; they wait rather than pair."""
    junior = MatchProfile(1, frozenset({1}), frozenset({2}), 0, "Sales", frozenset(), 0)
    senior = MatchProfile(2, frozenset({2}), frozenset({1}), MAX_PAIR_GAP + 1, "Data", frozenset(), 0)
    near = MatchProfile(3, frozenset({2}), frozenset({1}), MAX_PAIR_GAP, "Data", frozenset(), 0)
    assert not is_allowed(junior, senior) and is_allowed(junior, near)
    for method in ("exact", "lp"):
        assert match_cohort([junior, senior], Weights(), odd_policy="wait", method=method).groups == []
        groups = match_cohort([junior, senior, near], Weights(), odd_policy="trio", method=method).groups
        assert all({1, 2} - set(g) for g in groups), groups
