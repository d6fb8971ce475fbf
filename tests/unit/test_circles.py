"""Mentoring circles (issue 15 item 6): the grouping algorithm in bot/matching/circles.py."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching import MatchProfile, Weights, is_allowed
from bot.matching.circles import circle_score, form_circles, lp_bound, star_bound

W = Weights()
PY, GO, SQL, UX, OPS, ML = range(1, 7)


def person(mid, offers, wants, *, exp=2, dept=None, tz=0, blocked=(), priority=False, goals=()):
    return MatchProfile(member_id=mid, offers=frozenset(offers), wants=frozenset(wants), experience=exp,
                        department=dept, goal_words=frozenset(goals), tz_offset=tz,
                        blocked=frozenset(blocked), priority=priority)


def random_cohort(rng: random.Random, n: int, *, block_share: float = 0.05) -> list[MatchProfile]:
    ids = [500 + 7 * i for i in range(n)]
    blocked = {m: set() for m in ids}
    for a, b in itertools.combinations(ids, 2):
        if rng.random() < block_share:
            blocked[a].add(b)
    depts = ["eng", "sales", "ops", None]
    return [
        person(m, rng.sample(range(1, 9), rng.randint(1, 3)), rng.sample(range(1, 9), rng.randint(1, 2)),
               exp=rng.randint(0, 5), dept=rng.choice(depts), tz=3600 * rng.choice([-5, 0, 1, 8]),
               blocked=blocked[m], priority=rng.random() < 0.2, goals=rng.sample(["lead", "speak", "write"], 1))
        for m in ids
    ]


def brute_force(profiles, g, recent=frozenset()):
    """Best (placed, score) over every way to pick circles of exactly g (no leftovers joining)."""
    ids = [p.member_id for p in profiles]
    by_id = {p.member_id: p for p in profiles}
    best = (0, 0.0)

    def search(free, placed, score):
        nonlocal best
        best = max(best, (placed, round(score, 6)))
        if len(free) < g:
            return
        first, rest = free[0], free[1:]
        search(rest, placed, score)  # `first` waits
        for others in itertools.combinations(rest, g - 1):
            s = circle_score([by_id[m] for m in (first, *others)], W, recent)
            if s is not None:
                search([m for m in rest if m not in others], placed + g, score + s)

    search(ids, 0, 0.0)
    return best


def assert_valid(result, profiles, g, join):
    by_id = {p.member_id: p for p in profiles}
    seen = [m for grp in result.groups for m in grp]
    assert len(seen) == len(set(seen)), "someone is in two circles"
    assert sorted(seen + result.waiting) == sorted(by_id)
    for grp in result.groups:
        assert len(grp) in ((g, g + 1) if join and g < 6 else (g,)), grp
        for a, b in itertools.combinations(grp, 2):
            assert is_allowed(by_id[a], by_id[b]), (a, b)
    assert sum(len(grp) == g + 1 for grp in result.groups) <= max(len(result.groups), 0)


def test_the_designed_best_grouping_is_found():
    """Two natural circles: 1–4 teach each other Python/Go/SQL/UX across departments; 5–8 do
    the same with Ops/ML at a senior level. Any mix loses coverage or experience closeness."""
    juniors = [person(1, {PY}, {GO}, exp=0, dept="a"), person(2, {GO}, {SQL}, exp=0, dept="b"),
               person(3, {SQL}, {UX}, exp=1, dept="c"), person(4, {UX}, {PY}, exp=1, dept="d")]
    seniors = [person(5, {OPS}, {ML}, exp=3, dept="a"), person(6, {ML}, {OPS}, exp=3, dept="b"),
               person(7, {OPS}, {ML}, exp=4, dept="c"), person(8, {ML}, {OPS}, exp=4, dept="d")]
    for method in ("exact", "local"):
        result = form_circles(juniors + seniors, W, group_size=4, method=method, time_limit=0.5)
        assert result.groups == [(1, 2, 3, 4), (5, 6, 7, 8)], method
        assert result.waiting == []


@pytest.mark.parametrize("seed", range(6))
def test_exact_and_local_reach_the_brute_force_optimum_on_small_cohorts(seed):
    rng = random.Random(seed)
    profiles = random_cohort(rng, rng.randint(8, 10))
    placed, best = brute_force(profiles, 4)
    for method in ("exact", "local"):
        result = form_circles(profiles, W, group_size=4, odd_policy="wait", method=method, time_limit=0.5)
        assert_valid(result, profiles, 4, join=False)
        assert sum(map(len, result.groups)) == placed, method
        assert result.total_score == pytest.approx(best, abs=1e-6), method


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 40), g=st.integers(3, 6),
       policy=st.sampled_from(["trio", "wait"]), block=st.sampled_from([0.0, 0.1, 0.4]))
def test_hard_constraints_are_never_broken(seed, n, g, policy, block):
    profiles = random_cohort(random.Random(seed), n, block_share=block)
    result = form_circles(profiles, W, group_size=g, odd_policy=policy, time_limit=0.2)
    assert_valid(result, profiles, g, join=policy == "trio")


def test_leftovers_join_circles_or_wait_as_the_setting_says():
    rng = random.Random(3)
    profiles = [person(10 + i, {PY, GO}, {SQL, UX}, dept=rng.choice("abc")) for i in range(5)] + \
               [person(20 + i, {SQL, UX}, {PY, GO}, dept=rng.choice("abc")) for i in range(5)]
    joined = form_circles(profiles, W, group_size=4, odd_policy="trio")
    assert sorted(map(len, joined.groups)) == [5, 5] and joined.waiting == []
    waited = form_circles(profiles, W, group_size=4, odd_policy="wait")
    assert sorted(map(len, waited.groups)) == [4, 4] and len(waited.waiting) == 2
    # circles never grow past 6: with size 6, a 13th member waits even when leftovers join
    many = profiles + [person(30 + i, {PY}, {UX}) for i in range(3)]
    six = form_circles(many, W, group_size=6, odd_policy="trio")
    assert sorted(map(len, six.groups)) == [6, 6] and len(six.waiting) == 1


def test_someone_who_waited_is_placed_before_others():
    profiles = [person(i, {PY}, {GO}) for i in range(1, 5)] + [person(i, {GO}, {PY}) for i in range(5, 9)]
    profiles.append(person(9, {GO}, {PY}, priority=True))
    for method in ("exact", "local"):
        result = form_circles(profiles, W, group_size=4, odd_policy="wait", method=method, time_limit=0.3)
        assert 9 not in result.waiting and len(result.waiting) == 1, method


def test_recent_partners_share_a_circle_only_when_nothing_else_places_them():
    profiles = [person(i, {PY, GO}, {GO, PY}, dept=f"d{i}") for i in range(1, 9)]
    recent = {frozenset((1, 2)), frozenset((3, 4))}
    result = form_circles(profiles, W, group_size=4, recent_pairs=recent, odd_policy="wait")
    assert result.repeats == [] and len(result.groups) == 2
    # four people who all met recently: one circle is still better than nobody meeting
    four = profiles[:4]
    everyone = {frozenset(p) for p in itertools.combinations(range(1, 5), 2)}
    forced = form_circles(four, W, group_size=4, recent_pairs=everyone, odd_policy="wait")
    assert forced.groups == [(1, 2, 3, 4)] and len(forced.repeats) == 6


def test_blocked_and_far_apart_members_never_share_a_circle():
    profiles = [person(1, {PY}, {GO}, blocked={2}), person(2, {GO}, {PY}), person(3, {PY}, {GO}),
                person(4, {GO}, {PY}), person(5, {PY}, {GO}), person(6, {GO}, {PY}, exp=5),
                person(7, {PY}, {GO}, exp=5), person(8, {GO}, {PY}, exp=5)]
    result = form_circles(profiles, W, group_size=3, odd_policy="wait")
    assert_valid(result, profiles, 3, join=False)
    assert not any({1, 2} <= set(g) for g in result.groups)
    assert (6, 7, 8) in result.groups  # the 15-year veterans: nobody else is within 3 levels


def test_circle_score_rewards_coverage_and_is_none_when_forbidden():
    covered = [person(1, {PY}, {GO}), person(2, {GO}, {SQL}), person(3, {SQL}, {PY})]
    uncovered = [person(1, {PY}, {GO}), person(2, {PY}, {GO}), person(3, {PY}, {GO})]
    assert circle_score(covered) - circle_score(uncovered) == pytest.approx(3 * W.two_way)
    assert circle_score([person(1, {PY}, {GO}, blocked={2}), person(2, {GO}, {PY}), person(3, {PY}, {GO})]) is None
    assert circle_score([person(1, {PY}, {GO}, exp=0), person(2, {GO}, {PY}, exp=4), person(3, {PY}, {GO})]) is None


@pytest.mark.parametrize("seed", range(4))
def test_bounds_are_never_below_the_optimum(seed):
    rng = random.Random(100 + seed)
    profiles = random_cohort(rng, 10, block_share=0.1)
    placed, best = brute_force(profiles, 4)
    assert star_bound(profiles, W, group_size=4) >= best - 1e-6
    assert lp_bound(profiles, W, placed=placed, group_size=4, odd_policy="wait") >= best - 1e-6


def test_large_cohorts_use_the_local_search_within_its_budget():
    from bench.synthetic import generate_workspace

    ws = generate_workspace(300, 2)
    result = form_circles(ws.profiles, W, group_size=5, recent_pairs=ws.recent_pairs, time_limit=1.0)
    assert result.method == "local"
    assert_valid(result, ws.profiles, 5, join=True)
    assert result.total_score >= 0.9 * star_bound(ws.profiles, W, group_size=5)
