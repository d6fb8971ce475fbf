"""Quality against the FULL allowed graph, not the sparse candidate graph.

`full_exact` — exact blossom on every allowed pair (n^2/2 edges; 15 s at 1k).
`full_lp_bound` — an upper bound on the best total weight of any
maximum-cardinality matching of the full graph, from LP duality: any y with
y_u + y_v >= w_uv + B for every allowed pair bounds every matching's
sum(w + B) by sum(y).  The duals come from HiGHS on the candidate graph
grown by column generation (pairs the duals violate are added and the LP
re-solved); a last pass raises y where the full graph is still violated, so
the bound is valid whatever the number of rounds.  Odd cohorts get a dummy
person joined to everyone at weight 0, so the LP can reach a perfect
fractional matching and subtracting B * (pairs + 1) is exact bookkeeping,
not the half-pair error of a plain LP on an odd cohort.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from bot.matching.graph import RECENT_PENALTY, SCALE, CandidateGraph, contains, forbidden_keys, sorted_unique
from bot.matching.pricing import _two_way_blocks, one_way_max, violated_edges
from bot.matching.score import MAX_PAIR_GAP
from bot.matching.solve import CARD_BONUS, _column_generation, _exact, lp_duals, solve_indices

B = 10.0**6  # cardinality bonus per pair, points (far above any weight difference)
ROW_CHUNK = 256


def full_weights(graph: CandidateGraph, recent_keys: np.ndarray, rows: np.ndarray):
    """Weights (points) of pairs (r, j) for every j, for the given rows; -inf where not allowed."""
    n = graph.n
    i = np.repeat(rows, n)
    j = np.tile(np.arange(n), rows.size)
    w = graph.arrays.score(i, j, graph.weights)
    keys = np.minimum(i, j) * n + np.maximum(i, j)
    w -= RECENT_PENALTY * contains(recent_keys, keys)
    far = np.abs(graph.arrays.experience[i] - graph.arrays.experience[j]) > MAX_PAIR_GAP
    bad = (i == j) | far | contains(graph_forbidden(graph), keys)
    w[bad] = -np.inf
    return w.reshape(rows.size, n)


_FORBIDDEN: dict[int, np.ndarray] = {}


def graph_forbidden(graph: CandidateGraph) -> np.ndarray:
    key = id(graph)
    if key not in _FORBIDDEN:
        _FORBIDDEN[key] = forbidden_keys(graph)
    return _FORBIDDEN[key]


def recent_keys_of(graph: CandidateGraph) -> np.ndarray:
    return sorted_unique(graph.u[graph.recent] * graph.n + graph.v[graph.recent])


def full_exact(graph: CandidateGraph) -> tuple[int, float]:
    """(pairs, total weight in points) of the exact optimum on the full allowed graph."""
    n = graph.n
    rec = recent_keys_of(graph)
    us, vs, ws = [], [], []
    for start in range(0, n, ROW_CHUNK):
        rows = np.arange(start, min(n, start + ROW_CHUNK))
        w = full_weights(graph, rec, rows)
        r, c = np.nonzero(np.isfinite(w) & (np.arange(n)[None, :] > rows[:, None]))
        us.append(rows[r]); vs.append(c); ws.append(np.rint(w[r, c] * SCALE).astype(np.int64))
    u, v, w = np.concatenate(us), np.concatenate(vs), np.concatenate(ws)
    pairs = _exact(n, u, v, w)
    lookup = dict(zip((u * n + v).tolist(), w.tolist()))
    return pairs.shape[0], sum(lookup[a * n + b] for a, b in pairs.tolist()) / SCALE


def _lp_duals(n_nodes: int, u: np.ndarray, v: np.ndarray, val: np.ndarray) -> np.ndarray:
    m = u.size
    a = sparse.csc_matrix((np.ones(2 * m), (np.concatenate([u, v]), np.tile(np.arange(m), 2))), shape=(n_nodes, m))
    res = linprog(-val, A_ub=a, b_ub=np.ones(n_nodes), bounds=(0, None), method="highs")
    return -np.asarray(res.ineqlin.marginals)


def full_lp_bound(graph: CandidateGraph, pairs: int, *, rounds: int = 3, add_per_round: int = 20) -> float:
    """Upper bound (points) on the weight of any matching of the full graph with `pairs` pairs,
    where `pairs` is the full graph's maximum cardinality."""
    n = graph.n
    odd = n % 2 == 1
    nodes = n + 1 if odd else n
    rec = recent_keys_of(graph)
    u, v = graph.u, graph.v
    val = graph.weight / SCALE + B
    if odd:  # dummy person n: weight 0 with everyone
        u = np.concatenate([u, np.arange(n)]); v = np.concatenate([v, np.full(n, n)])
        val = np.concatenate([val, np.full(n, B)])
    for last in range(rounds + 1):
        y = _lp_duals(nodes, u, v, val)
        new_u, new_v, new_w = [], [], []
        raise_by = np.zeros(n)
        for start in range(0, n, ROW_CHUNK):
            rows = np.arange(start, min(n, start + ROW_CHUNK))
            slack = full_weights(graph, rec, rows) + B - y[:n][None, :] - y[rows][:, None]
            raise_by[rows] = np.maximum(0.0, slack.max(axis=1))
            if last < rounds:
                top = np.argsort(-slack, axis=1)[:, :add_per_round]
                r = np.repeat(np.arange(rows.size), top.shape[1])
                c = top.ravel()
                ok = (slack[r, c] > 1e-6) & (rows[r] < c)
                new_u.append(rows[r][ok]); new_v.append(c[ok]); new_w.append(slack[r, c][ok] + y[rows[r][ok]] + y[c[ok]])
        if last == rounds or not any(x.size for x in new_u):
            break
        nu, nv, nw = np.concatenate(new_u), np.concatenate(new_v), np.concatenate(new_w)
        u, v, val = np.concatenate([u, nu]), np.concatenate([v, nv]), np.concatenate([val, nw])
    total = float(y.sum() + raise_by.sum())
    return total - B * (pairs + (1 if odd else 0))


def dual_bound(graph: CandidateGraph, pairs: int, *, rounds: int = 4) -> tuple[float, int]:
    """Upper bound (points) on any `pairs`-pair matching of the full graph, from the
    engine's own LP duals: grow `graph` by column generation (`rounds`), take the
    fractional-matching duals y (every candidate edge has w <= y_u + y_v), price every
    allowed pair of the FULL graph exactly (two-way pairs plus low people's full rows,
    see `bot.matching.pricing`) and raise y at one end of each still-violated pair.
    Then sum(y) + raises >= the weight of any matching (LP duality).  Exact for even
    cohorts; for odd ones the bound can be half a cardinality bonus high, so use even
    sizes.  Returns (bound, violated pairs left)."""
    sol = solve_indices(graph)
    graph, sol = _column_generation(graph, sol, set(), "auto", rounds=rounds)
    y = lp_duals(graph, sol.assignment)
    rec = recent_keys_of(graph)
    i, j, gain = violated_edges(graph, y, forbidden_keys(graph), rec, per_person=graph.n, tol=0.0,
                             full_row_max_pairs=None)
    raise_by = np.zeros(graph.n)
    if i.size:
        np.maximum.at(raise_by, np.minimum(i, j), gain)
    total = float((y + CARD_BONUS / 2.0).sum() + raise_by.sum()) - CARD_BONUS * pairs
    return total / SCALE, int(i.size)


def half_edge_bound(graph: CandidateGraph, pairs: int) -> float:
    """Upper bound (points) on any matching of the full graph: the sum over people of half
    their best allowed pair, max(0, .) (a matching pays each person at most half of their best
    pair).  Best pairs come from every two-way pair of the FULL graph, enumerated exactly from
    the inverted index (`pricing._two_way_blocks`), recent pairs penalised, blocked and too far
    apart excluded; a person without any two-way pair gets the one-way ceiling
    (`pricing.one_way_max`).  Cheap next to `dual_bound` (no LP at the cohort's size) and
    looser: everyone is assumed to get their best partner at once.  `pairs` is unused."""
    n = graph.n
    best = np.full(n, -np.inf)
    rec = recent_keys_of(graph)
    forbidden = graph_forbidden(graph)
    for i, j in _two_way_blocks(graph, np.zeros(n, bool), None):
        if i.size == 0:
            continue
        keys = i * n + j
        ok = np.abs(graph.arrays.experience[i] - graph.arrays.experience[j]) <= MAX_PAIR_GAP
        ok &= ~contains(forbidden, keys)
        i, j, keys = i[ok], j[ok], keys[ok]
        w = graph.arrays.score(i, j, graph.weights) - RECENT_PENALTY * contains(rec, keys)
        np.maximum.at(best, i, w)
        np.maximum.at(best, j, w)
    best = np.where(np.isfinite(best), best, one_way_max(graph.weights))
    return float(np.maximum(best, 0.0).sum() / 2.0)
