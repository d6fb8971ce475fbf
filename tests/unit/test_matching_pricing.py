"""Column generation's pricing (bot/matching/pricing.py) is exact: it finds every allowed
pair of the FULL graph with positive reduced cost, though it scores only a fraction of the
pairs; `two_way_ceiling`, the bound that lets it skip most two-way pairs unscored, is a true
upper bound on the score."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic import generate_workspace
from bot.matching import Weights, is_allowed
from bot.matching.graph import SCALE, build_candidate_graph, forbidden_keys, sorted_unique
from bot.matching.pricing import violated_edges
from bot.matching.solve import lp_duals, solve_indices

W = Weights()


@pytest.mark.parametrize("weights", [W, Weights(shared_goal=-4.0), Weights(priority_bonus=0.0, cross_department=-5.0)])
def test_the_two_way_ceiling_bounds_every_two_way_pair(weights):
    ws = generate_workspace(160, 11)
    graph = build_candidate_graph(ws.profiles, weights, recent_pairs=ws.recent_pairs, k=8)
    arr = graph.arrays
    i, j = np.triu_indices(graph.n, 1)
    two_way = arr.two_way(i, j)
    i, j = i[two_way], j[two_way]
    assert i.size > 500
    score, ceiling = arr.score(i, j, weights), arr.two_way_ceiling(i, j, weights)
    assert np.all(ceiling >= score - 1e-9)
    no_goals = (arr.goal_counts()[i] == 0) | (arr.goal_counts()[j] == 0)
    assert np.allclose(ceiling[no_goals], score[no_goals])  # exact but for shared goals


@pytest.mark.parametrize("seed", [2, 5])
def test_pricing_finds_exactly_the_violated_pairs_of_the_full_graph(seed):
    ws = generate_workspace(240, seed)
    graph = build_candidate_graph(ws.profiles, W, recent_pairs=ws.recent_pairs, k=4)
    y = lp_duals(graph, solve_indices(graph, method="lp").assignment)
    assert y is not None
    recent = sorted_unique(graph.u[graph.recent] * graph.n + graph.v[graph.recent])
    i, j, gain = violated_edges(graph, y, forbidden_keys(graph), recent, per_person=graph.n, tol=0.5,
                                full_row_max_pairs=None)
    found = set(zip(i.tolist(), j.tolist()))

    in_graph = set(zip(graph.u.tolist(), graph.v.tolist()))
    profiles, ids = graph.profiles, graph.member_ids
    expected = set()
    a, b = np.triu_indices(graph.n, 1)
    w = np.rint(graph.arrays.score(a, b, W) * SCALE)
    for u, v, weight in zip(a.tolist(), b.tolist(), w.tolist()):
        if (u, v) in in_graph or frozenset((int(ids[u]), int(ids[v]))) in ws.recent_pairs:
            continue
        if is_allowed(profiles[u], profiles[v]) and weight - y[u] - y[v] > 0.5:
            expected.add((u, v))
    assert expected, "the cut should leave violated pairs at k = 4"
    assert found == expected
