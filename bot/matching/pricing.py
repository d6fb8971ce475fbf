"""Column generation: grow the candidate graph with the pairs that could improve the matching.

The top-k cut is where the quality goes (each person's 30 best candidates
reach about 0.9925 of the full-graph optimum at 1k members; even each
person's exact 30 best only 0.9965): a person whose best options are close
needs more of them, and the ones that matter are those the LP says could pay.
After a solve, `solve.lp_duals` gives every person the optimal dual y_u of
the fractional matching LP on the candidate graph (cardinality bonus taken
out), with w_uv <= y_u + y_v on every candidate edge.  A pair of the FULL
graph with positive reduced cost w_uv - y_u - y_v could improve the LP; the
violated pairs are added, at most `per_person` per person and round, the
best first, and the cohort re-solved.  When no allowed pair is violated the
candidate graph's LP equals the full graph's (LP duality), so what is left
is only the LP's own integrality gap.  `half_pair_duals` (y_u = half u's
pair weight) is the fallback when the dual sweep does not settle.

Pricing the full graph would score n^2/2 pairs.  It is not needed: with the
peer-band tiers a pair with no two-way exchange scores at most `one_way_max`
(the one-way tier plus the best of every other term), so it can only be
violated when y_u + y_v < one_way_max, i.e. when one of them has
y < one_way_max / 2 ("low" people: unmatched, or in a weak pair; few).  Low
people's rows are priced in full (bounded blocks); among the others only
two-way pairs are candidates, enumerated exactly from the inverted index
(skill I want, skill I offer) -> people offering the first and wanting the
second, in blocks of people so memory stays O(block * pairs per person).
"""

from __future__ import annotations

import numpy as np

from .graph import SCALE, CandidateGraph, _entries, _ragged_take, contains, sorted_unique
from .score import PEER_BAND, Weights, _experience_term, tiers

PRICE_BLOCK = 512  # people per pricing block (bounded temporaries)
TWO_WAY_MAX_EXPANSIONS = 40_000_000  # per round; above it (skills so concentrated that most pairs
# are two-way) each (offer, want) key keeps an even, seeded share of its matches: a heuristic round
FULL_ROW_BLOCK = 64  # low people whose full rows are priced at once
FULL_ROW_MAX_PAIRS = 2_000_000  # per round: when many are low (e.g. nobody filled in skills),
# only the lowest duals' rows are priced, so a round stays bounded (well under a second of scoring)


def one_way_max(w: Weights) -> float:
    """Upper bound (points) on the score of any pair without a two-way exchange."""
    t = tiers(w)
    best_exp = max(_experience_term(g, w) for g in range(PEER_BAND + 1))
    rest = (max(0.0, w.cross_department, -w.same_department_penalty) + max(0.0, w.shared_goal) * max(0, w.shared_goal_cap)
            + max(0.0, w.timezone_overlap) + 2 * max(0.0, w.priority_bonus))
    return t.one_way + best_exp + rest


def half_pair_duals(graph: CandidateGraph, pairs: np.ndarray) -> np.ndarray:
    """y_u = half the weight (centi-points) of u's pair; unmatched people get -inf
    (every allowed pair of theirs is worth pricing: cardinality comes first)."""
    y = np.full(graph.n, -np.inf)
    if pairs.size:
        lookup = graph.u * graph.n + graph.v
        order = np.argsort(lookup)
        keys = np.minimum(pairs[:, 0], pairs[:, 1]) * graph.n + np.maximum(pairs[:, 0], pairs[:, 1])
        w = graph.weight[order[np.searchsorted(lookup[order], keys)]] / 2.0
        y[pairs[:, 0]] = w
        y[pairs[:, 1]] = w
    return y


def violated_edges(graph: CandidateGraph, y: np.ndarray, forbidden: np.ndarray, recent: np.ndarray,
                   *, per_person: int = 6, tol: float = 0.5, full_row_max_pairs: int | None = FULL_ROW_MAX_PAIRS):
    """Allowed pairs (not in the graph, not recent, not blocked) with reduced cost > tol
    (centi-points) w.r.t. the duals `y`; at most `per_person` best per person.  Exact
    (every violated pair is seen) unless more than `full_row_max_pairs` full-row pairs
    would be priced; None prices them all.  Returns (i, j, gain)."""
    n = graph.n
    existing = graph.u * n + graph.v
    existing = np.sort(existing)
    skip = sorted_unique(np.concatenate([existing, forbidden, recent]))
    low_cut = one_way_max(graph.weights) * SCALE / 2.0
    low = np.flatnonzero(y < low_cut)
    is_low = np.zeros(n, bool)
    is_low[low] = True
    if full_row_max_pairs is not None and low.size * n > full_row_max_pairs:
        low = low[np.argsort(y[low], kind="stable")[:max(1, full_row_max_pairs // n)]]  # heuristic round
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, low.size, FULL_ROW_BLOCK):
        rows = low[start:start + FULL_ROW_BLOCK]
        i = np.repeat(rows, n)
        j = np.tile(np.arange(n), rows.size)
        parts.append(_priced(graph, i, j, y, skip, tol, per_person))
    exact = full_row_max_pairs is None
    for i, j in _two_way_blocks(graph, is_low, None if exact else TWO_WAY_MAX_EXPANSIONS):
        ceiling = np.rint(graph.arrays.two_way_ceiling(i, j, graph.weights) * SCALE)
        may_pay = ceiling - y[i] - y[j] > tol  # the rest cannot be violated: not scored
        parts.append(_priced(graph, i[may_pay], j[may_pay], y, skip, tol, per_person))
    if not parts:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
    i = np.concatenate([p[0] for p in parts])
    j = np.concatenate([p[1] for p in parts])
    g = np.concatenate([p[2] for p in parts])
    return _cap_per_person(i, j, g, n, per_person)


def _priced(graph, i, j, y, skip, tol, per_person):
    keep = i != j
    i, j = i[keep], j[keep]
    keys = np.minimum(i, j) * graph.n + np.maximum(i, j)
    keep = ~contains(skip, keys)
    i, j = i[keep], j[keep]
    if i.size == 0:
        return i, j, np.zeros(0)
    w = np.rint(graph.arrays.score(i, j, graph.weights) * SCALE)
    gain = w - np.where(np.isfinite(y[i]), y[i], -1e18) - np.where(np.isfinite(y[j]), y[j], -1e18)
    keep = gain > tol
    return _cap_per_person(i[keep], j[keep], gain[keep], graph.n, per_person)


def _cap_per_person(i, j, gain, n, per_person):
    """Keep an edge when it is among the `per_person` best of either end."""
    if i.size == 0:
        return i, j, gain
    a, b = np.minimum(i, j), np.maximum(i, j)
    # dedupe, keeping the gain of each pair
    order = np.argsort(a * n + b, kind="stable")
    ks = (a * n + b)[order]
    first = np.concatenate([[True], ks[1:] != ks[:-1]])
    a, b, gain = a[order][first], b[order][first], gain[order][first]
    keep = np.zeros(a.size, bool)
    for end in (a, b):
        o = np.lexsort((-gain, end))
        e = end[o]
        rank = np.arange(e.size) - np.searchsorted(e, e, side="left")
        keep[o[rank < per_person]] = True
    return a[keep], b[keep], gain[keep]


def offer_want_keys(op: np.ndarray, os_: np.ndarray, wp: np.ndarray, ws: np.ndarray, n: int, n_sk: int):
    """Each person's (offer, want) combinations as keys: (person, supply, demand), where supply
    is "I offer o and want w" and demand "I look for someone offering w and wanting o"; a
    supply key equal to another's demand key is a two-way pair."""
    order = np.argsort(wp, kind="stable")
    wp, ws = wp[order], ws[order]
    per_wants = np.bincount(wp, minlength=n)
    ptr = np.concatenate([[0], np.cumsum(per_wants)])
    counts = per_wants[op]
    o_idx = np.repeat(np.arange(op.size), counts)
    within = np.arange(o_idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    w_idx = ptr[op[o_idx]] + within
    supply = os_[o_idx] * n_sk + ws[w_idx]
    demand = ws[w_idx] * n_sk + os_[o_idx]
    return op[o_idx], supply, demand


def _two_way_blocks(graph: CandidateGraph, is_low: np.ndarray, max_expansions: int | None):
    """All two-way pairs (u < v) with neither end low, in blocks of people u."""
    profs = graph.profiles
    skills = {s: t for t, s in enumerate(sorted({s for p in profs for s in p.offers | p.wants}))}
    if not skills:
        return
    n_sk = len(skills)
    op, os_ = _entries(profs, skills, "offers")
    wp, ws = _entries(profs, skills, "wants")
    keep_o, keep_w = ~is_low[op], ~is_low[wp]
    op, os_, wp, ws = op[keep_o], os_[keep_o], wp[keep_w], ws[keep_w]
    person, supply, demand = offer_want_keys(op, os_, wp, ws, graph.n, n_sk)
    s_order = np.argsort(supply, kind="stable")
    supply_sorted, supplier = supply[s_order], person[s_order]
    lo_all = np.searchsorted(supply_sorted, demand, side="left")
    len_all = np.searchsorted(supply_sorted, demand, side="right") - lo_all
    q_order = np.argsort(person, kind="stable")
    person, lo_all, len_all = person[q_order], lo_all[q_order], len_all[q_order]
    start_all = np.zeros(person.size, np.int64)
    if max_expansions is not None and int(len_all.sum()) > max_expansions:
        cap = max(1, max_expansions // max(1, person.size))
        start_all = np.random.default_rng(0).integers(0, 1 << 30, person.size) % np.maximum(len_all, 1)
    else:
        cap = None
    bounds = np.searchsorted(person, np.arange(0, graph.n + PRICE_BLOCK, PRICE_BLOCK))
    for b in range(bounds.size - 1):
        s, e = bounds[b], bounds[b + 1]
        if s == e:
            continue
        if cap is None:
            lo, ln = lo_all[s:e], len_all[s:e]
            q = np.repeat(np.arange(e - s), ln)
            slot = lo[q] + np.arange(q.size) - np.repeat(np.cumsum(ln) - ln, ln)
        else:
            q, slot = _ragged_take(lo_all[s:e], len_all[s:e], start_all[s:e], cap)
        u, v = person[s:e][q], supplier[slot]
        keep = u < v
        keys = sorted_unique(u[keep] * graph.n + v[keep])
        yield keys // graph.n, keys % graph.n
