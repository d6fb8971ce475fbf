"""Whole-cohort matching: maximum cardinality first, then maximum weight.

Two solvers over the same `CandidateGraph`:

* ``exact``: rustworkx blossom (`max_weight_matching(max_cardinality=True)`).
  Optimal, but super-quadratic here: 0.2 s at 1k members, 9 s at 5k, 155 s at 10k.
* ``lp``: the LP relaxation of the matching polytope without odd-set
  constraints (the fractional matching LP).  It is solved *exactly* as a
  sparse assignment problem on the bipartite double cover (node v -> v_L,
  v_R; edge uv -> u_L v_R and v_L u_R; v_L v_R = "unmatched") with scipy's
  LAPJVsp, which is ~20x faster than HiGHS on the same LP.  The optimal
  permutation decomposes into 2-cycles (integral pairs), even cycles (split
  into the better alternating half: never below the LP value) and odd
  cycles (fractional); odd-cycle and unmatched people are re-solved exactly
  with rustworkx on a small neighbourhood.  When no odd cycle appears the
  result is provably optimal (it meets the LP upper bound).  Measured: 0.2 s
  at 5k, 0.6 s at 10k, ~2.5 s at 20k, >= 99.99% of exact.

Cardinality-first in the LP: every real edge gets a bonus `CARD_BONUS`
(far above any score difference a matching can gain), and the blossom solver
uses `max_cardinality=True`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import rustworkx as rx
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from scipy.sparse.csgraph import maximum_bipartite_matching

from .graph import (
    RECENT_PENALTY,
    CandidateGraph,
    allowed_edges_of,
    build_candidate_graph,
    forbidden_keys,
    sorted_unique,
    with_edges,
)
from .decompose import DECOMPOSE_ABOVE, PART_SIZE, match_large
from .pricing import half_pair_duals, violated_edges
from .score import MatchProfile, ProfileArrays, Weights, is_allowed

EXACT_MAX_NODES = 1_000  # measured crossover on the 2-core box: blossom 0.16 s at 1k, 0.9 s at 2k, 2.5 s at 3k
CARD_BONUS = 10**9  # centi-points per matched pair in the LP objective (10^7 points)
SMALL_COHORT_MAX = 5_000  # the engine's settings by cohort size (`engine_settings`)


def engine_settings(n: int) -> tuple[int, int]:
    """(candidates per person, column-generation rounds) for a cohort of `n`.

    Up to SMALL_COHORT_MAX: 10 candidates and 3 rounds (each round cheap here; >= 0.9997 of
    the full-graph bound, 1.5 s at 5,000). Above: 20 candidates and none, because a round
    (pricing plus a second assignment solve) costs about 1 s at 10,000 and 3 s at 20,000,
    more than the round's time budget allows (issue 17: 10,000 under 3 s, 20,000 under 8 s
    for the whole round, of which loading and storing take 1.3 s and 2.6 s). Measured
    4 Dec (bench/matching.py --k K, --seed S, single runs, engine / full-graph dual bound):
    at 10,000, 20 + none 0.9957 (seed 1) and 0.9960 (seed 2) in 1.1 s; 25 + none 0.9962 in
    1.2 s; 30 + none 0.9967 in 1.35 s; 10 + 1 round 0.9997 in 2.3 s; at 20,000, 20 + none
    0.9958 (seed 2) in 3.1 s; 30 + none 0.9968 in 4.3 s."""
    return (10, 3) if n <= SMALL_COHORT_MAX else (20, 0)


def part_settings(n: int) -> tuple[int, int]:
    """`engine_settings` for a part (or seam re-solve) of `n` members in a decomposed cohort:
    above SMALL_COHORT_MAX 10 candidates and one column-generation round rather than 20 and none.
    Past DECOMPOSE_ABOVE the budget is 60 s for 100,000 members, so the parts can afford the
    quality a whole cohort of that size gives up for the 3 s / 8 s targets. Measured
    (bench/matching.py --engine-only --bound dual, 50,000 members): parts at (30, 0) reached
    0.9939 of the full-graph bound, at (10, 1) 0.9957."""
    return engine_settings(n) if n <= SMALL_COHORT_MAX else (10, 1)


REPAIR_NEIGHBOURS = 10  # best edges per repaired person pulled into the local exact re-solve
REPAIR_MAX_NODES = 3_000  # keeps the local blossom re-solve well under a second


@dataclass(frozen=True, slots=True)
class Solution:
    """Matched node-index pairs (u < v) plus how they were obtained."""

    pairs: np.ndarray  # (m, 2) int64 node indices
    method: str  # "exact" or "lp"
    lp_bound: float | None = None  # LP upper bound on total weight (centi-points), lp only
    odd_cycles: int = 0  # fractional odd cycles repaired (0 => provably optimal)
    assignment: np.ndarray | None = None  # the LP's double-cover permutation (lp only; reused for duals)


def solve_matching(graph: CandidateGraph, *, method: str = "auto") -> list[tuple[int, int]]:
    """Matched member-id pairs (a < b), sorted; see `solve_indices`."""
    ids = graph.member_ids
    return sorted((int(ids[a]), int(ids[b])) for a, b in solve_indices(graph, method=method).pairs)


def solve_indices(graph: CandidateGraph, *, method: str = "auto") -> Solution:
    """Solve on node indices. method: "auto" | "exact" | "lp"."""
    if method == "auto":
        method = "exact" if graph.n <= EXACT_MAX_NODES else "lp"
    if method == "exact":
        return Solution(_exact(graph.n, graph.u, graph.v, graph.weight), "exact")
    if method == "lp":
        return _lp(graph)
    raise ValueError(f"unknown method {method!r}")


def matching_weight(graph: CandidateGraph, pairs: np.ndarray) -> int:
    """Total edge weight (centi-points) of node-index pairs in `graph`."""
    if len(pairs) == 0:
        return 0
    lookup = dict(zip((graph.u * graph.n + graph.v).tolist(), graph.weight.tolist()))
    keys = np.minimum(pairs[:, 0], pairs[:, 1]) * graph.n + np.maximum(pairs[:, 0], pairs[:, 1])
    return int(sum(lookup[k] for k in keys.tolist()))


def _exact(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """rustworkx blossom on integer weights, shifted positive (a constant shift
    does not change the optimum among maximum-cardinality matchings)."""
    if u.size == 0:
        return np.zeros((0, 2), np.int64)
    g = rx.PyGraph(multigraph=False)
    g.add_nodes_from(range(n))
    shifted = (w - int(w.min()) + 1).tolist()
    g.add_edges_from(list(zip(u.tolist(), v.tolist(), shifted)))
    matched = rx.max_weight_matching(g, max_cardinality=True, weight_fn=int)
    return _as_pairs(matched)


def _as_pairs(pairs) -> np.ndarray:
    arr = np.array(sorted((min(a, b), max(a, b)) for a, b in pairs), dtype=np.int64)
    return arr.reshape(-1, 2)


def _lp(graph: CandidateGraph) -> Solution:
    n = graph.n
    if graph.num_edges == 0:
        return Solution(np.zeros((0, 2), np.int64), "lp", 0.0)
    perm, lp_value = _fractional_matching(graph)
    mate = np.full(n, -1, np.int64)
    two = (perm[perm] == np.arange(n)) & (perm != np.arange(n))
    mate[two] = perm[two]
    left_out, odd_count = _round_long_cycles(graph, perm, ~two & (perm != np.arange(n)), mate)
    touched = _augment_all(graph, mate) if left_out.size or (perm == np.arange(n)).any() else []
    core = sorted_unique(np.concatenate([left_out, np.asarray(touched, np.int64)]))
    if core.size:
        _repair(graph, mate, core)
    flipped = _ensure_max_cardinality(graph.n, graph.u, graph.v, mate)
    if flipped.size:
        _repair(graph, mate, flipped)
    pairs = np.flatnonzero(mate > np.arange(n))
    matched = np.stack([pairs, mate[pairs]], axis=1)
    bound = lp_value - CARD_BONUS * matched.shape[0]
    return Solution(matched, "lp", float(bound), odd_count, perm)


def max_cardinality_bound(n: int, u: np.ndarray, v: np.ndarray) -> int:
    """floor of the fractional matching number: Hopcroft-Karp on the bipartite
    double cover (fast); no matching of the graph has more pairs."""
    if u.size == 0:
        return 0
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    bi = sparse.csr_matrix((np.ones(rows.size, np.int8), (rows, cols)), shape=(n, n))
    size = int(np.count_nonzero(maximum_bipartite_matching(bi, perm_type="column") >= 0))
    return size // 2


def max_cardinality_pairs(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A maximum-cardinality matching (rustworkx blossom, unit weights)."""
    if u.size == 0:
        return np.zeros((0, 2), np.int64)
    g = rx.PyGraph(multigraph=False)
    g.add_nodes_from(range(n))
    g.add_edges_from_no_data(list(zip(u.tolist(), v.tolist())))
    return _as_pairs(rx.max_weight_matching(g, max_cardinality=True))


def _ensure_max_cardinality(n: int, u: np.ndarray, v: np.ndarray, mate: np.ndarray) -> np.ndarray:
    """Make `mate` a maximum-cardinality matching of the graph (u, v).

    Cheap certificate first: at most one free person with an edge, or as many
    pairs as the fractional bound, proves it maximum.  Otherwise compare with
    rustworkx's maximum-cardinality matching and flip the augmenting paths of
    the symmetric difference (each adds one pair).  Returns the people whose
    partner changed (for the weight repair)."""
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    free = np.flatnonzero((mate < 0) & (degree > 0))
    if free.size < 2:
        return np.zeros(0, np.int64)
    matched = int(np.count_nonzero(mate >= 0)) // 2
    if matched >= max_cardinality_bound(n, u, v):
        return np.zeros(0, np.int64)
    best = max_cardinality_pairs(n, u, v)
    if best.shape[0] <= matched:
        return np.zeros(0, np.int64)
    other = np.full(n, -1, np.int64)
    other[best[:, 0]], other[best[:, 1]] = best[:, 1], best[:, 0]
    touched: list[int] = []
    for start in np.flatnonzero((mate < 0) & (other >= 0)).tolist():
        if mate[start] >= 0:
            continue
        path = [start]
        x = start
        while True:  # alternate: edge of `best`, then edge of `mate`
            y = int(other[x])
            path.append(y)
            if mate[y] < 0:
                break  # augmenting: both ends free in `mate`
            x = int(mate[y])
            path.append(x)
            if other[x] < 0:
                path = []
                break  # even path: no gain
        if not path:
            continue
        for a, b in zip(path[0::2], path[1::2]):
            mate[a], mate[b] = b, a
        touched += path
    return np.asarray(sorted(set(touched)), np.int64)


def _augment_all(graph: CandidateGraph, mate: np.ndarray) -> list[int]:
    """Grow cardinality with augmenting paths from every free person (the
    LP rounding can leave two free people joined only by a long path).
    Returns the people whose partner changed, for the weight repair."""
    ptr, adj = _adjacency(graph)
    touched: list[int] = []
    for u in np.flatnonzero((mate < 0) & (np.diff(ptr) > 0)).tolist():
        if mate[u] < 0:
            touched.extend(_augment_from(u, ptr, adj, mate))
    return touched


def _adjacency(graph: CandidateGraph) -> tuple[np.ndarray, np.ndarray]:
    src = np.concatenate([graph.u, graph.v])
    dst = np.concatenate([graph.v, graph.u])
    order = np.argsort(src, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=graph.n))])
    return ptr, dst[order]


def _augment_from(u: int, ptr: np.ndarray, adj: np.ndarray, mate: np.ndarray) -> list[int]:
    """Vectorised alternating BFS (no blossom shrinking: a fast heuristic; the
    exact solver is the reference).  Flips the first augmenting path found."""
    parent = np.full(mate.size, -1, np.int64)
    seen = np.zeros(mate.size, bool)
    seen[u] = True
    frontier = np.array([u], np.int64)
    while frontier.size:
        counts = ptr[frontier + 1] - ptr[frontier]
        src = np.repeat(frontier, counts)
        offs = np.arange(src.size) - np.repeat(np.cumsum(counts) - counts, counts)
        nbr = adj[np.repeat(ptr[frontier], counts) + offs]
        fresh = ~seen[nbr]
        nbr, src = nbr[fresh], src[fresh]
        nbr, first = np.unique(nbr, return_index=True)
        parent[nbr] = src[first]
        seen[nbr] = True
        free = nbr[mate[nbr] < 0]
        if free.size:
            return _flip(int(free[0]), u, parent, mate)
        frontier = mate[nbr]
        frontier = frontier[~seen[frontier]]
        seen[frontier] = True
    return []


def _flip(end: int, root: int, parent: np.ndarray, mate: np.ndarray) -> list[int]:
    path = []
    v = end
    while True:
        o = int(parent[v])
        old = int(mate[o])
        mate[v], mate[o] = o, v
        path += [v, o]
        if o == root:
            return path
        v = old


def _fractional_matching(graph: CandidateGraph) -> tuple[np.ndarray, float]:
    """Optimal fractional matching via assignment on the double cover.
    Returns the permutation (v_L -> perm[v]_R) and the LP objective value."""
    n = graph.n
    val = graph.weight.astype(np.float64) + CARD_BONUS
    diag = np.arange(n)
    rows = np.concatenate([graph.u, graph.v, diag])
    cols = np.concatenate([graph.v, graph.u, diag])
    vals = np.concatenate([val, val, np.ones(n)])  # v_L v_R: unmatched, tiny non-zero weight
    bi = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    r, c = min_weight_full_bipartite_matching(bi, maximize=True)
    perm = np.empty(n, np.int64)
    perm[r] = c
    value = float(np.asarray(bi[r, c]).sum() - np.count_nonzero(perm == diag)) / 2.0
    return perm, value


def lp_duals(graph: CandidateGraph, perm: np.ndarray | None = None, *, max_sweeps: int = 20_000) -> np.ndarray | None:
    """Optimal duals of the fractional matching LP on `graph`, per person, in
    centi-points with the cardinality bonus taken out (y_u - CARD_BONUS / 2):
    every edge has w_uv <= y_u + y_v, with equality on the LP's pairs.

    From the assignment on the double cover (`perm`, as `_fractional_matching`
    returns it; solved here when not given): row potentials a and column
    potentials b with a_i + b_j >= c_ij, equal on the optimal assignment.
    With b_j = c(owner_j, j) - a(owner_j) this is the difference system
    a_i >= a(owner_j) + c_ij - c(owner_j, j), solved by a vectorised
    Bellman-Ford that only re-relaxes edges out of people whose potential
    changed (no positive cycle at an optimum); y_v = (a_v + b_v) / 2.
    None if it does not settle within `max_sweeps` sweeps."""
    n = graph.n
    if graph.num_edges == 0:
        return None
    if perm is None:
        perm, _ = _fractional_matching(graph)
    diag = np.arange(n)
    # directed double-cover edges (i -> j) with value c_ij; diagonal = "unmatched", value 1
    val = graph.weight.astype(np.float64) + CARD_BONUS
    src = np.concatenate([graph.u, graph.v, diag])
    col = np.concatenate([graph.v, graph.u, diag])
    c = np.concatenate([val, val, np.ones(n)])
    owner = np.empty(n, np.int64)
    owner[perm] = diag
    keys = src * n + col
    order = np.argsort(keys)
    matched_c = c[order[np.searchsorted(keys[order], diag * n + perm)]]  # c(i, perm_i)
    k = owner[col]
    delta = c - matched_c[k]
    useful = k != src
    src, k, delta = src[useful], k[useful], delta[useful]
    by_k = np.argsort(k, kind="stable")
    src, k, delta = src[by_k], k[by_k], delta[by_k]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(k, minlength=n))])
    a = np.zeros(n)
    changed = diag
    for _ in range(max_sweeps):
        if changed.size == 0:
            b = matched_c[owner] - a[owner]
            return (a + b) / 2.0 - CARD_BONUS / 2.0
        counts = ptr[changed + 1] - ptr[changed]
        e = np.repeat(ptr[changed], counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        cand = a[k[e]] + delta[e]
        better = cand > a[src[e]] + 1e-6
        if not better.any():
            changed = changed[:0]
            continue
        t, v = src[e][better], cand[better]
        before = a.copy()
        np.maximum.at(a, t, v)
        changed = np.flatnonzero(a > before)
    return None


def _round_long_cycles(graph: CandidateGraph, perm: np.ndarray, in_long: np.ndarray, mate: np.ndarray):
    """Round fractional cycles of the LP solution.  Even cycle: the heavier
    alternating half (>= LP value).  Odd cycle: leave out the person whose
    absence costs least and return them for the exact repair."""
    weight = _edge_lookup(graph) if in_long.any() else {}
    seen = np.zeros(graph.n, bool)
    left_out: list[int] = []
    odd_count = 0
    for start in np.flatnonzero(in_long).tolist():
        if seen[start]:
            continue
        cycle = _cycle(perm, start)
        seen[cycle] = True
        odd_count += len(cycle) % 2
        left = _round_cycle(cycle, weight, graph.n, mate)
        if left is not None:
            left_out.append(left)
    return np.asarray(sorted(left_out), np.int64), odd_count


def _cycle(perm: np.ndarray, start: int) -> list[int]:
    cycle = [start]
    nxt = int(perm[start])
    while nxt != start:
        cycle.append(nxt)
        nxt = int(perm[nxt])
    return cycle


def _edge_lookup(graph: CandidateGraph) -> dict[int, int]:
    return dict(zip((graph.u * graph.n + graph.v).tolist(), graph.weight.tolist()))


def _round_cycle(cycle: list[int], weight: dict[int, int], n: int, mate: np.ndarray) -> int | None:
    """Match a cycle's people along its edges; returns the one left out (odd)."""
    size = len(cycle)
    ws = np.array([weight[_key(cycle[t], cycle[(t + 1) % size], n)] for t in range(size)], np.int64)
    if size % 2 == 0:
        first = int(ws[1::2].sum() > ws[0::2].sum())
        chosen = range(first, size, 2)
        left = None
    else:  # leaving out cycle[t] keeps edges t+1, t+3, ..., t+size-2
        offsets = np.arange(1, size - 1, 2)
        totals = ws[(np.arange(size)[:, None] + offsets[None, :]) % size].sum(axis=1)
        t = int(np.argmax(totals))
        chosen = ((t + o) % size for o in offsets.tolist())
        left = cycle[t]
    for e in chosen:
        a, b = cycle[e], cycle[(e + 1) % size]
        mate[a], mate[b] = b, a
    return left


def _key(a: int, b: int, n: int) -> int:
    return min(a, b) * n + max(a, b)


def _repair(graph: CandidateGraph, mate: np.ndarray, core: np.ndarray) -> None:
    """Exact re-solve on core + their best neighbours + those neighbours'
    mates; every pair touching the region lies inside it, so splicing the
    local optimum back keeps a valid matching that is never worse."""
    n = graph.n
    in_core = np.zeros(n, bool)
    in_core[core] = True
    touch = in_core[graph.u] | in_core[graph.v]
    eu, ev, ew = graph.u[touch], graph.v[touch], graph.weight[touch]
    src = np.where(in_core[eu], eu, ev)
    other = np.where(in_core[eu], ev, eu)
    order = np.lexsort((-ew, src))
    src_sorted = src[order]
    rank = np.arange(order.size) - np.searchsorted(src_sorted, src_sorted, side="left")
    near = other[order][rank < REPAIR_NEIGHBOURS]
    region = sorted_unique(np.concatenate([core, near]))
    mates = mate[region]
    region = sorted_unique(np.concatenate([region, mates[mates >= 0]]))
    if region.size > REPAIR_MAX_NODES:
        return
    in_region = np.zeros(n, bool)
    in_region[region] = True
    sub = in_region[graph.u] & in_region[graph.v]
    local = np.full(n, -1, np.int64)
    local[region] = np.arange(region.size)
    pairs = _exact(region.size, local[graph.u[sub]], local[graph.v[sub]], graph.weight[sub])
    mate[region] = -1
    for a, b in region[pairs].tolist() if pairs.size else []:
        mate[a], mate[b] = b, a


@dataclass(frozen=True, slots=True)
class CohortFigures:
    """Quality figures over all pairings inside groups (a trio has three)."""

    share_two_way: float
    share_cross_department: float
    share_matched: float  # matched members / cohort size
    mean_experience_gap: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    groups: list[tuple[int, ...]]  # member ids; pairs, plus at most one trio
    group_scores: list[float]  # score_pair per pair; sum of the three pair scores for a trio
    waiting: list[int]  # member ids left unmatched this round
    method: str  # solver actually used: "exact" or "lp"
    total_score: float
    repeats: list[tuple[int, int]]  # recent pairs used only because nothing else worked
    figures: CohortFigures


def match_cohort(
    profiles: Sequence[MatchProfile],
    weights: Weights = Weights(),
    *,
    recent_pairs: Iterable[frozenset[int]] = frozenset(),
    odd_policy: str = "trio",
    k: int | None = None,
    method: str = "auto",
    cg_rounds: int | None = None,
    decompose_above: int | None = DECOMPOSE_ABOVE,
    part_size: int = PART_SIZE,
) -> MatchResult:
    """Match the whole cohort at once (never first-come-first-served).

    odd_policy: "trio" puts one leftover into the pair where their added
    score is best; "wait" leaves leftovers waiting (flag them `priority`
    next round).  Cohorts of more than `decompose_above` members (None: never)
    are cut into parts of about `part_size` with the seams stitched
    (`bot.matching.decompose`); the method then reads "decomposed"."""
    if odd_policy not in ("trio", "wait"):
        raise ValueError(f"unknown odd_policy {odd_policy!r}")
    recent_pairs = set(recent_pairs)
    if decompose_above is not None and len(profiles) > decompose_above:
        def solver(sub, recent):
            part_k, part_rounds = part_settings(len(sub))
            return match_graph(sub, weights, recent, k=part_k if k is None else k, method=method,
                               cg_rounds=part_rounds if cg_rounds is None else cg_rounds)[1].pairs

        graph, pairs = match_large(profiles, weights, recent_pairs, solver, full_graph_max_pairs, part_size=part_size)
        return finish_groups(graph, pairs, "decomposed", recent_pairs, odd_policy)
    graph, solution = match_graph(profiles, weights, recent_pairs, k=k, method=method, cg_rounds=cg_rounds)
    return finish_groups(graph, solution.pairs, solution.method, recent_pairs, odd_policy)


def match_graph(profiles: Sequence[MatchProfile], weights: Weights, recent_pairs: set, *,
                k: int | None = None, method: str = "auto",
                cg_rounds: int | None = None) -> tuple[CandidateGraph, Solution]:
    """One cohort solved whole: candidate graph, solve, column generation, full-graph
    cardinality check; `k` and `cg_rounds` left None take `engine_settings` for its size."""
    default_k, default_rounds = engine_settings(len(profiles))
    k = default_k if k is None else k
    cg_rounds = default_rounds if cg_rounds is None else cg_rounds
    graph = build_candidate_graph(profiles, weights, recent_pairs=recent_pairs, k=k)
    solution = solve_indices(graph, method=method)
    graph, solution = _column_generation(graph, solution, recent_pairs, method, rounds=cg_rounds)
    return _complete_on_allowed_graph(graph, solution, recent_pairs, method)


def finish_groups(graph: CandidateGraph, pairs: np.ndarray, method: str, recent_pairs: set,
                  odd_policy: str) -> MatchResult:
    """Pairs (node indices of `graph`) -> the result, with the odd one out in a trio or waiting."""
    solution = Solution(pairs, method)
    groups = [tuple(int(x) for x in p) for p in solution.pairs]
    matched = np.zeros(graph.n, bool)
    matched[solution.pairs.ravel()] = True
    leftovers = np.flatnonzero(~matched)
    if odd_policy == "trio" and leftovers.size and groups:
        groups = _add_trio(graph, groups, leftovers, recent_pairs)
    return _result(graph, groups, solution.method, recent_pairs)


def _column_generation(graph: CandidateGraph, solution: Solution, recent, method: str, *, rounds: int):
    """Add the allowed pairs the matching's duals say could improve it, re-solve;
    stop when none is violated (then the matching is optimal on the full graph)
    or after `rounds` rounds (see `pricing`)."""
    if rounds <= 0 or graph.n < 3:
        return graph, solution
    forbidden = forbidden_keys(graph)
    for _ in range(rounds):
        recent_keys = np.sort(graph.u[graph.recent] * graph.n + graph.v[graph.recent])
        y = lp_duals(graph, solution.assignment)
        if y is None:
            y = half_pair_duals(graph, solution.pairs)
        i, j, _gain = violated_edges(graph, y, forbidden, recent_keys)
        if i.size == 0:
            break
        graph = with_edges(graph, i, j, recent)
        solution = solve_indices(graph, method=method)
    return graph, solution


FULL_CHECK_ROUNDS = 4  # rounds of "add the free people's allowed edges, re-solve"
FULL_CHECK_MAX_EDGES = 4_000_000  # allowed edges added per round (bounded memory when many wait)


def full_graph_max_pairs(graph: CandidateGraph, forbidden: np.ndarray | None = None) -> int | None:
    """Maximum number of pairs in the FULL allowed graph (everyone minus self
    and blocked pairs), or None when too large to compute here.

    People with no block at all (C) can pair with anyone, so with S = the
    others, nu(G) = min(n // 2, nu(G[S]) + |C|): each C person covers one
    free S person and the rest of C pair among themselves.  G[S] is built
    explicitly, so this is exact while S stays small (blocks are rare)."""
    n = graph.n
    forbidden = forbidden_keys(graph) if forbidden is None else forbidden
    if forbidden.size == 0:
        return n // 2
    s_nodes = sorted_unique(np.concatenate([forbidden // n, forbidden % n]))
    c = n - s_nodes.size
    if c >= s_nodes.size:
        return n // 2
    if s_nodes.size > FULL_CHECK_MAX_S:
        return None
    m = s_nodes.size
    iu, iv = np.triu_indices(m, 1)
    u, v = s_nodes[iu], s_nodes[iv]
    ok = ~np.isin(u * n + v, forbidden)
    exact = max_cardinality_pairs(m, iu[ok], iv[ok]).shape[0]
    return min(n // 2, exact + c)


FULL_CHECK_MAX_S = 2_000  # people with a block; G[S] then has at most 2M edges


def _complete_on_allowed_graph(graph: CandidateGraph, solution: Solution, recent, method: str):
    """Nobody pairable is stranded by the sparsification: while two or more
    unmatched people have an allowed partner in the full graph and the full
    graph allows more pairs, add every allowed edge of the unmatched people
    and solve again (cardinality first, so the result never gets smaller)."""
    forbidden = forbidden_keys(graph)
    target = None
    for _ in range(FULL_CHECK_ROUNDS):
        matched = np.zeros(graph.n, bool)
        matched[solution.pairs.ravel()] = True
        free = np.flatnonzero(~matched)
        if free.size < 2:
            break
        src, dst = allowed_edges_of(graph, free[:max(2, FULL_CHECK_MAX_EDGES // graph.n)], forbidden)
        pairable = np.unique(src)
        if pairable.size < 2:
            break  # an augmenting path joins two free people who both have a partner
        if target is None:
            target = full_graph_max_pairs(graph, forbidden)
        if target is not None and solution.pairs.shape[0] >= target:
            break
        before = solution.pairs.shape[0]
        graph = with_edges(graph, src, dst, recent)
        solution = solve_indices(graph, method=method)
        if target is None and solution.pairs.shape[0] <= before:
            break
    return graph, solution


def _add_trio(graph: CandidateGraph, groups: list[tuple[int, ...]], leftovers: np.ndarray, recent) -> list:
    """Best (leftover, pair) by added score; blocked never, recent last."""
    arr, ids = graph.arrays, graph.member_ids
    pairs = np.asarray(groups, np.int64)
    best: tuple[float, int, int] | None = None
    for x in leftovers.tolist():
        xs = np.full(pairs.shape[0], x)
        added = arr.score(xs, pairs[:, 0], graph.weights) + arr.score(xs, pairs[:, 1], graph.weights)
        for col in (0, 1):
            added -= RECENT_PENALTY * _flags(ids[x], ids[pairs[:, col]], recent)
            added[~_allowed_with(graph.profiles, x, pairs[:, col])] = -np.inf
        g = int(np.argmax(added))
        if np.isfinite(added[g]) and (best is None or added[g] > best[0]):
            best = (float(added[g]), x, g)
    if best is None:
        return groups
    _, x, g = best
    groups = list(groups)
    groups[g] = tuple(sorted((*groups[g], x)))
    return groups


def _flags(member: int, others: np.ndarray, recent) -> np.ndarray:
    return np.fromiter((frozenset((int(member), int(o))) in recent for o in others), bool, others.size)


def _allowed_with(profiles: Sequence[MatchProfile], x: int, others: np.ndarray) -> np.ndarray:
    return np.fromiter((is_allowed(profiles[x], profiles[o]) for o in others.tolist()), bool, others.size)


def _result(graph: CandidateGraph, groups: list[tuple[int, ...]], method: str, recent) -> MatchResult:
    ids, arr = graph.member_ids, graph.arrays
    pi, pj, owner = _pairings(groups)
    scores = arr.score(pi, pj, graph.weights) if pi.size else np.zeros(0)
    group_scores = np.bincount(owner, weights=scores, minlength=len(groups))
    matched = {x for grp in groups for x in grp}
    repeats = sorted(
        (int(min(ids[a], ids[b])), int(max(ids[a], ids[b])))
        for a, b in zip(pi.tolist(), pj.tolist())
        if frozenset((int(ids[a]), int(ids[b]))) in recent
    )
    order = sorted(range(len(groups)), key=lambda g: [int(ids[x]) for x in groups[g]])
    return MatchResult(
        groups=[tuple(int(ids[x]) for x in groups[g]) for g in order],
        group_scores=[float(group_scores[g]) for g in order],
        waiting=[int(ids[x]) for x in range(graph.n) if x not in matched],
        method=method,
        total_score=float(group_scores.sum()),
        repeats=repeats,
        figures=_figures(arr, pi, pj, len(matched), graph.n),
    )


def _pairings(groups: Sequence[tuple[int, ...]]):
    """All 2-combinations inside groups (node indices) and their group index."""
    pi, pj, owner = [], [], []
    for g, grp in enumerate(groups):
        for a in range(len(grp)):
            for b in range(a + 1, len(grp)):
                pi.append(grp[a])
                pj.append(grp[b])
                owner.append(g)
    return np.asarray(pi, np.int64), np.asarray(pj, np.int64), np.asarray(owner, np.int64)


def _figures(arr: ProfileArrays, pi: np.ndarray, pj: np.ndarray, matched: int, n: int) -> CohortFigures:
    if pi.size == 0:
        return CohortFigures(0.0, 0.0, matched / n if n else 0.0, 0.0)
    di, dj = arr.department[pi], arr.department[pj]
    return CohortFigures(
        share_two_way=float(arr.two_way(pi, pj).mean()),
        share_cross_department=float(((di >= 0) & (dj >= 0) & (di != dj)).mean()),
        share_matched=matched / n,
        mean_experience_gap=float(np.abs(arr.experience[pi] - arr.experience[pj]).mean()),
    )


def cohort_figures(profiles: Sequence[MatchProfile], groups: Sequence[tuple[int, ...]]) -> CohortFigures:
    """Figures for any grouping of member ids (e.g. a random baseline)."""
    profs = sorted(profiles, key=lambda p: p.member_id)
    arr = ProfileArrays.from_profiles(profs)
    index = {p.member_id: i for i, p in enumerate(profs)}
    pi, pj, _ = _pairings([tuple(index[m] for m in grp) for grp in groups])
    return _figures(arr, pi, pj, sum(len(g) for g in groups), len(profs))
