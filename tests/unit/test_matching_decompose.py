"""Large cohorts are cut into parts and stitched (issue 17 item 4): the hard rules hold across
parts, cardinality is not lost at the seams, the result is deterministic, two skill communities
that trade nothing with each other land in different parts, and the loss stays small.

The decomposition is forced on small cohorts (`decompose_above`, `part_size`) so the
full-graph references stay computable."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import generate_workspace
from bot.matching import MatchProfile, ProfileArrays, Weights, is_allowed, match_cohort
from bot.matching.decompose import partition, skill_communities
from bot.matching.graph import RECENT_PENALTY
from bot.matching.score import MAX_PAIR_GAP
from tests.unit.test_matching_cardinality import _cohort, _full_graph_max_pairs
from tests.unit.test_matching_quality import full_graph_optimum

W = Weights()


def _decomposed(people, *, part_size: int, **kw):
    return match_cohort(people, W, decompose_above=1, part_size=part_size, **kw)


def _pairings(result):
    return [(a, b) for g in result.groups for i, a in enumerate(g) for b in g[i + 1:]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9), st.integers(4, 70), st.integers(0, 4), st.sampled_from([0.0, 0.5, 0.9, 0.97]),
       st.booleans(), st.sampled_from([1, 1, 2, 3]), st.sampled_from([4, 6, 10, 16]), st.sampled_from(["trio", "wait"]))
def test_hard_rules_and_cardinality_hold_across_parts(seed, n, heavy, share, one_way, comps, part_size, odd_policy):
    rng = random.Random(seed)
    people = _cohort(rng, n, heavy_blockers=heavy, block_share=share, one_way_only=one_way, parts=comps)
    ids = [p.member_id for p in people]
    recent = {frozenset(rng.sample(ids, 2)) for _ in range(n)}
    result = _decomposed(people, part_size=part_size, recent_pairs=recent, odd_policy=odd_policy)
    assert result.method == "decomposed"
    by_id = {p.member_id: p for p in people}
    for a, b in _pairings(result):
        assert is_allowed(by_id[a], by_id[b])  # never blocked, never more than MAX_PAIR_GAP apart
        assert abs(by_id[a].experience - by_id[b].experience) <= MAX_PAIR_GAP
    seated = [m for g in result.groups for m in g]
    assert len(seated) == len(set(seated))
    assert sorted(seated + result.waiting) == sorted(ids)
    pairs = len(result.groups) if odd_policy == "wait" else sum(len(g) // 2 for g in result.groups)
    assert pairs == _full_graph_max_pairs(sorted(people, key=lambda p: p.member_id))
    assert sum(len(g) == 3 for g in result.groups) <= 1


def test_no_recent_repeat_across_parts_when_an_alternative_exists():
    ws = generate_workspace(600, 4)
    result = _decomposed(ws.profiles, part_size=100, recent_pairs=ws.recent_pairs, odd_policy="wait")
    assert result.repeats == []
    assert len(result.groups) == 300


def test_seams_recover_cardinality_when_every_pair_must_cross_parts():
    """Juniors (level 0) and seniors (level 3) sort into different parts, and each junior
    only accepts seniors: every pair crosses a seam, yet everyone is paired."""
    people = []
    for i in range(40):
        junior = i % 2 == 0
        others = [1000 + j for j in range(40) if (j % 2 == 0) == junior and j != i]
        people.append(MatchProfile(1000 + i, frozenset({1 if junior else 2}), frozenset({2 if junior else 1}),
                                   0 if junior else 3, "Sales" if i % 3 else "Data", frozenset(), 0,
                                   blocked=frozenset(others)))
    parts = partition(ProfileArrays.from_profiles(sorted(people, key=lambda p: p.member_id)),
                      sorted(people, key=lambda p: p.member_id), part_size=20)
    assert len(parts) == 2
    result = _decomposed(people, part_size=20, odd_policy="wait")
    assert len(result.groups) == 20 and result.waiting == []


def test_deterministic_and_independent_of_input_order():
    ws = generate_workspace(500, 9)
    a = _decomposed(ws.profiles, part_size=120, recent_pairs=ws.recent_pairs)
    shuffled = list(ws.profiles)
    random.Random(1).shuffle(shuffled)
    b = _decomposed(shuffled, part_size=120, recent_pairs=set(ws.recent_pairs))
    assert a.groups == b.groups and a.total_score == b.total_score


def _community(base: int, count: int, skills: tuple[int, int], rng: random.Random) -> list[MatchProfile]:
    s, t = skills
    return [MatchProfile(base + i, frozenset({s if i % 2 else t}), frozenset({t if i % 2 else s}), rng.randrange(3),
                         rng.choice(["Sales", "Data", "Ops"]), frozenset(), rng.choice([0, 3600, -18000]))
            for i in range(count)]


def test_two_skill_communities_are_split_into_their_own_parts():
    """Engineers trade Python/SQL, sales people negotiation/CRM, interleaved member ids: the
    parts follow the communities and every pair is a two-way exchange inside one."""
    rng = random.Random(3)
    eng = _community(0, 60, (1, 2), rng)
    sales = _community(10_000, 60, (7, 8), rng)
    people = sorted(eng + sales, key=lambda p: p.member_id)
    community = skill_communities(people)
    is_eng = np.array([p.member_id < 10_000 for p in people])
    assert len(set(community[is_eng])) == 1 and len(set(community[~is_eng])) == 1
    assert community[is_eng][0] != community[~is_eng][0]
    arr = ProfileArrays.from_profiles(people)
    parts = partition(arr, people, part_size=60)
    assert len(parts) == 2
    assert [set(is_eng[p].tolist()) for p in parts] in ([{True}, {False}], [{False}, {True}])
    result = _decomposed(people, part_size=60, odd_policy="wait")
    assert result.figures.share_two_way == 1.0 and len(result.groups) == 60


def test_decomposition_stays_near_the_full_graph_optimum_and_beats_random_shards():
    """400 members in two parts of 200 (pools this small cost more than parts of thousands do,
    see README): the reference is the exact optimum of the FULL allowed graph; random shards of
    the same size, each solved whole, lose clearly more."""
    ws = generate_workspace(400, 5)
    profiles = sorted(ws.profiles, key=lambda p: p.member_id)
    pairs, best = full_graph_optimum(profiles, ws.recent_pairs)
    result = _decomposed(profiles, part_size=200, recent_pairs=ws.recent_pairs, odd_policy="wait")
    ours = result.total_score - RECENT_PENALTY * len(result.repeats)
    assert len(result.groups) == pairs
    assert ours >= 0.99 * best, ours / best
    shuffled = list(profiles)
    random.Random(0).shuffle(shuffled)
    shards = 0.0
    for half in (shuffled[:200], shuffled[200:]):
        ids = {p.member_id for p in half}
        r = match_cohort(half, W, recent_pairs={x for x in ws.recent_pairs if x <= ids}, odd_policy="wait")
        shards += r.total_score - RECENT_PENALTY * len(r.repeats)
    assert ours > shards, (ours / best, shards / best)


def test_below_the_threshold_nothing_changes():
    ws = generate_workspace(400, 2)
    whole = match_cohort(ws.profiles, W, recent_pairs=ws.recent_pairs)
    default = match_cohort(ws.profiles, W, recent_pairs=ws.recent_pairs, decompose_above=None)
    assert whole.method == default.method == "lp" or whole.method == "exact"
    assert whole.groups == default.groups
