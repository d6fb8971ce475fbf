"""Whole-cohort matching: optimality, constraints, odd cohorts, determinism."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bench.synthetic import generate_workspace
from bot.matching import (
    MatchProfile,
    Weights,
    build_candidate_graph,
    match_cohort,
    matching_weight,
    solve_indices,
    solve_matching,
)

W = Weights()
METHODS = ("exact", "lp")


def person(mid: int, offers=(), wants=(), *, exp=2, dept="Sales", tz=0, blocked=(), priority=False):
    return MatchProfile(mid, frozenset(offers), frozenset(wants), exp, dept, frozenset(), tz,
                        frozenset(blocked), priority)


def pairs_of(result) -> set[frozenset[int]]:
    return {frozenset(g) for g in result.groups if len(g) == 2}


@pytest.mark.parametrize("method", METHODS)
def test_hidden_reciprocal_pairs_are_found_among_decoys(method):
    hidden = []
    for i in range(6):  # pair i: A offers 10+i and wants 20+i, B the reverse
        hidden += [person(100 + i, {10 + i}, {20 + i}, exp=2, dept="Ops"),
                   person(200 + i, {20 + i}, {10 + i}, exp=3, dept="Eng")]
    # decoys can teach hidden people what they want (one-way) and look great otherwise
    decoys = [person(300 + d, {10 + d % 6, 20 + d % 6}, set(), exp=2, dept=f"Dept{d}") for d in range(20)]
    people = hidden + decoys
    random.Random(7).shuffle(people)
    result = match_cohort(people, W, method=method)
    expected = {frozenset({100 + i, 200 + i}) for i in range(6)}
    assert expected <= pairs_of(result)
    assert result.waiting == [] and result.method == method


@pytest.mark.parametrize("method", METHODS)
def test_maximum_cardinality_beats_one_heavy_edge(method):
    # only edges a-b, b-c, c-d exist; b-c is a heavy two-way pair
    a = person(1, blocked={3, 4})
    b = person(2, {1}, {2}, blocked={4}, dept="Data")
    c = person(3, {2}, {1}, dept="Eng")
    d = person(4)
    g = build_candidate_graph([a, b, c, d], W)
    assert solve_matching(g, method=method) == [(1, 2), (3, 4)]


@pytest.mark.parametrize("method", METHODS)
def test_odd_cohort_trio_or_wait(method):
    people = [person(i, {i % 4}, {(i + 1) % 4}, dept=f"D{i % 3}") for i in range(1, 8)]
    trio = match_cohort(people, W, odd_policy="trio", method=method)
    assert sorted(len(g) for g in trio.groups) == [2, 2, 3] and trio.waiting == []
    assert sorted(m for g in trio.groups for m in g) == list(range(1, 8))
    wait = match_cohort(people, W, odd_policy="wait", method=method)
    assert [len(g) for g in wait.groups] == [2, 2, 2] and len(wait.waiting) == 1
    assert wait.figures.share_matched == pytest.approx(6 / 7)


def test_priority_member_does_not_wait_again():
    people = [person(i, dept=f"D{i}") for i in range(1, 6)]
    for waiter in range(1, 6):
        cohort = [p if p.member_id != waiter else person(waiter, dept=f"D{waiter}", priority=True) for p in people]
        assert waiter not in match_cohort(cohort, W, odd_policy="wait").waiting


@pytest.mark.parametrize("method", METHODS)
def test_no_recent_repeat_when_an_alternative_exists(method):
    a, b = person(1, {1}, {2}), person(2, {2}, {1}, dept="Data")  # best pair by far
    c, d = person(3, dept="Eng"), person(4, dept="Ops")
    result = match_cohort([a, b, c, d], W, recent_pairs={frozenset({1, 2})}, method=method)
    assert frozenset({1, 2}) not in pairs_of(result)
    assert result.waiting == [] and result.repeats == []


@pytest.mark.parametrize("method", METHODS)
def test_recent_pair_is_used_when_it_is_the_only_way(method):
    a = person(1, blocked={3, 4})  # a can only meet b, whom a met last round
    b, c, d = person(2, dept="Data"), person(3, dept="Eng"), person(4, dept="Ops")
    result = match_cohort([a, b, c, d], W, recent_pairs={frozenset({1, 2})}, method=method)
    assert pairs_of(result) == {frozenset({1, 2}), frozenset({3, 4})}
    assert result.repeats == [(1, 2)]


@pytest.mark.parametrize("method", METHODS)
def test_blocked_is_never_paired_even_if_someone_is_stranded(method):
    solo = match_cohort([person(1, blocked={2}), person(2)], W, method=method)
    assert solo.groups == [] and solo.waiting == [1, 2]
    trio = match_cohort([person(1), person(2, blocked={1}), person(3, blocked={1})], W, odd_policy="trio",
                        method=method)
    assert trio.groups == [(2, 3)] and trio.waiting == [1]


@pytest.mark.parametrize(("n", "seed"), [(1000, 3), (1600, 4)])
def test_lp_method_reaches_99_percent_of_exact(n, seed):
    ws = generate_workspace(n, seed)
    g = build_candidate_graph(ws.profiles, W, recent_pairs=ws.recent_pairs)
    exact, lp = solve_indices(g, method="exact"), solve_indices(g, method="lp")
    assert len(lp.pairs) == len(exact.pairs)
    exact_w, lp_w = matching_weight(g, exact.pairs), matching_weight(g, lp.pairs)
    assert lp_w >= 0.99 * exact_w
    assert lp.lp_bound >= exact_w  # the LP relaxation bounds every matching from above


def test_synthetic_cohort_figures_beat_random_and_respect_constraints():
    ws = generate_workspace(800, 5)
    result = match_cohort(ws.profiles, W, recent_pairs=ws.recent_pairs)
    by_id = {p.member_id: p for p in ws.profiles}
    for group in result.groups:
        for x in group:
            assert not (by_id[x].blocked & set(group))
    assert result.repeats == [] and result.waiting == []
    assert result.figures.share_two_way > 0.9 and result.figures.share_matched == 1.0
    assert result.total_score == pytest.approx(sum(result.group_scores))


def test_deterministic_and_independent_of_input_order():
    ws = generate_workspace(1200, 6)
    first = match_cohort(ws.profiles, W, recent_pairs=ws.recent_pairs)
    shuffled = list(ws.profiles)
    random.Random(1).shuffle(shuffled)
    second = match_cohort(shuffled, W, recent_pairs=set(ws.recent_pairs))
    assert first == second
    assert first.method == "lp"


def test_empty_and_single_cohorts():
    assert match_cohort([], W).groups == []
    one = match_cohort([person(1)], W)
    assert one.groups == [] and one.waiting == [1]
    assert np.isfinite(one.total_score)
