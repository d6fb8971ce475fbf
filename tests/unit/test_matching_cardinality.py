"""Nobody pairable is stranded; the large-cohort method never pairs fewer people than exact (issue 12 items 9, 10)."""

from __future__ import annotations

import random

import numpy as np
import rustworkx as rx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching import MatchProfile, ProfileArrays, Weights, build_candidate_graph, match_cohort, solve_indices
from bot.matching.graph import CandidateGraph
from bot.matching.score import MAX_PAIR_GAP

W = Weights()


def _full_graph_max_pairs(profiles) -> int:
    """Reference: blossom on the FULL allowed graph (not blocked, not more than MAX_PAIR_GAP
    experience levels apart), built explicitly."""
    g = rx.PyGraph()
    g.add_nodes_from(range(len(profiles)))
    for a in range(len(profiles)):
        for b in range(a + 1, len(profiles)):
            pa, pb = profiles[a], profiles[b]
            if (pa.member_id not in pb.blocked and pb.member_id not in pa.blocked
                    and abs(pa.experience - pb.experience) <= MAX_PAIR_GAP):
                g.add_edge(a, b, None)
    return len(rx.max_weight_matching(g, max_cardinality=True))


def _cohort(rng: random.Random, n: int, *, heavy_blockers: int, block_share: float, one_way_only: bool,
            parts: int) -> list[MatchProfile]:
    ids = [1000 + 3 * i for i in range(n)]
    part_of = {m: rng.randrange(parts) for m in ids}
    blocked = {m: set() for m in ids}
    for m in rng.sample(ids, min(heavy_blockers, n)):
        for o in ids:
            if o != m and rng.random() < block_share:
                blocked[m].add(o)
    # "disconnected parts": people block everyone outside their part
    if parts > 1:
        for m in ids:
            blocked[m] |= {o for o in ids if part_of[o] != part_of[m]}
    people = []
    for m in ids:
        skills = rng.sample(range(8), 2)
        offers, wants = ({skills[0]}, {skills[1]}) if not one_way_only else (
            ({1}, {2}) if rng.random() < 0.5 else ({3}, {1}))  # 1 -> 2-wanters only: one-way at best
        people.append(MatchProfile(m, frozenset(offers), frozenset(wants), rng.randrange(6),
                                   rng.choice(["Sales", "Data", None]), frozenset(), rng.randrange(-8, 9) * 3600,
                                   frozenset(blocked[m]), rng.random() < 0.1))
    return people


cohorts = st.builds(
    lambda seed, n, hb, share, one_way, parts: _cohort(random.Random(seed), n, heavy_blockers=hb, block_share=share,
                                                       one_way_only=one_way, parts=parts),
    st.integers(0, 10**9), st.integers(2, 61), st.integers(0, 4), st.sampled_from([0.0, 0.5, 0.9, 0.97]),
    st.booleans(), st.sampled_from([1, 1, 2, 3]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts, st.sampled_from(["exact", "lp"]), st.integers(4, 30))
def test_nobody_pairable_is_stranded(people, method, k):
    result = match_cohort(people, W, odd_policy="wait", method=method, k=k)
    paired = sum(len(g) for g in result.groups) // 2
    assert paired == _full_graph_max_pairs(sorted(people, key=lambda p: p.member_id))


def test_a_member_who_blocks_90_percent_is_never_left_waiting_when_a_partner_exists():
    stranded = 0
    for seed in range(300):
        rng = random.Random(seed)
        people = _cohort(rng, rng.randrange(20, 80), heavy_blockers=1, block_share=0.9, one_way_only=False, parts=1)
        result = match_cohort(people, W, odd_policy="wait")
        paired = sum(len(g) for g in result.groups) // 2
        stranded += paired < _full_graph_max_pairs(sorted(people, key=lambda p: p.member_id))
    assert stranded == 0


def _graph_from_edges(n: int, edges: list[tuple[int, int, int]]) -> CandidateGraph:
    profs = tuple(MatchProfile(i, frozenset(), frozenset(), 2, None, frozenset(), 0) for i in range(n))
    e = sorted({(min(a, b), max(a, b)): w for a, b, w in edges if a != b}.items())
    u = np.array([a for (a, _), _ in e], np.int64)
    v = np.array([b for (_, b), _ in e], np.int64)
    w = np.array([x for _, x in e], np.int64)
    return CandidateGraph(profs, ProfileArrays.from_profiles(profs), W, u, v, w, np.zeros(u.size, bool))


@st.composite
def sparse_graphs(draw):
    n = draw(st.integers(2, 120))
    kind = draw(st.sampled_from(["random", "odd_cycles", "paths", "components"]))
    rng = random.Random(draw(st.integers(0, 10**9)))
    edges = []
    if kind == "random":
        for _ in range(draw(st.integers(0, 3 * n))):
            edges.append((rng.randrange(n), rng.randrange(n), rng.randrange(-5000, 40000)))
    elif kind == "odd_cycles":  # triangles and pentagons chained: fractional LP optima
        nodes = list(range(n))
        rng.shuffle(nodes)
        while len(nodes) >= 3:
            size = min(len(nodes), rng.choice([3, 5, 7]))
            cyc, nodes = nodes[:size], nodes[size:]
            edges += [(cyc[t], cyc[(t + 1) % size], rng.randrange(1000, 30000)) for t in range(size)]
            if nodes:
                edges.append((cyc[0], nodes[0], rng.randrange(1, 500)))
    elif kind == "paths":  # long alternating paths: the heavy middle edges tempt the LP
        for a in range(n - 1):
            edges.append((a, a + 1, 30000 if a % 2 else 100))
    else:
        for _ in range(2 * n):
            a = rng.randrange(n)
            b = rng.randrange(max(0, a - 4), min(n, a + 5))  # short-range: many small components
            edges.append((a, b, rng.randrange(0, 20000)))
    return _graph_from_edges(n, edges)


@settings(max_examples=400, deadline=None)
@given(sparse_graphs())
def test_lp_method_always_reaches_maximum_cardinality(graph):
    lp = solve_indices(graph, method="lp")
    exact = solve_indices(graph, method="exact")
    assert lp.pairs.shape[0] == exact.pairs.shape[0]
    used = lp.pairs.ravel()
    assert np.unique(used).size == used.size  # a matching


def test_lp_never_pairs_fewer_than_exact_on_synthetic_sparse_candidate_graphs():
    for seed in range(40):
        rng = random.Random(seed)
        people = _cohort(rng, rng.randrange(60, 200), heavy_blockers=3, block_share=0.9, one_way_only=seed % 2 == 0,
                         parts=1 + seed % 3)
        graph = build_candidate_graph(people, W, k=4)
        assert solve_indices(graph, method="lp").pairs.shape[0] == solve_indices(graph, method="exact").pairs.shape[0]


