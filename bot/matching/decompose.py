"""Structure-aware decomposition for very large cohorts (past `DECOMPOSE_ABOVE` members).

The whole-cohort pipeline (`solve.match_graph`: candidate graph, LP as a sparse assignment,
column generation) grows as n^2: the assignment step and the pricing's two-way enumeration both
do.  Above `DECOMPOSE_ABOVE` members the cohort is cut into parts of about `PART_SIZE` people
such that good pairs mostly fall inside a part, each part is solved whole and exactly as before,
and a global pass over the seams stitches them.

What the score rewards decides the cut (`partition`):

* skill exchange (two-way first): people are grouped by *skill community*, the communities of
  the skills graph in which skills s and t are joined by the people who offer s and want t
  (weighted label propagation, deterministic).  Two communities that trade nothing with each
  other land in different parts; a cohort whose skills all mix is one community;
* experience (near-peers score best, more than `MAX_PAIR_GAP` apart is never a pair): inside a
  community people are sorted by experience level, so a part holds one or two adjacent levels;
* working hours and career goals: then by time zone and by goal words, so a part's people
  share time zones and goals;
* departments: the score rewards *different* departments, so they are never part of the key
  (every part mixes them).

Parts are contiguous runs of that order, of even size (no part leaves someone over only
because of its size).  Seams (`_seam_pass`): everyone left unmatched or in a pair without a
two-way exchange is re-solved together with their two-way partners from the WHOLE cohort (an
inverted index over every part) and those partners' current mates; the local result replaces the
old pairs of that set only when it pairs more people, or as many with a higher total.  Then, as
for a whole cohort, while two or more people wait and the full allowed graph has room for more
pairs, the waiting people are re-solved with a sample of their allowed partners (any part) and
those partners' mates.  Every solve is the whole-cohort pipeline on a sub-cohort, so blocked
pairs, `MAX_PAIR_GAP` and recent partners are handled by the same code as below the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from .graph import (
    RECENT_PENALTY,
    SCALE,
    CandidateGraph,
    _assemble,
    _bucket_join,
    _entries,
    _recent_index_pairs,
    allowed_edges_of,
    contains,
    forbidden_keys,
    sorted_unique,
)
from .pricing import offer_want_keys
from .score import MatchProfile, ProfileArrays, Weights

DECOMPOSE_ABOVE = 20_000  # members; at or below it the cohort is solved whole
PART_SIZE = 10_000  # target members per part
SEAM_PARTNERS = 8  # two-way partners per seam person pulled in from the whole cohort
SEAM_CHUNK = 3_000  # seam people per re-solve (with their mates at most twice that)
FREE_PARTNERS = 40  # allowed partners per waiting person in the cardinality pass
FREE_ROUNDS = 3
LABEL_ROUNDS = 12  # label-propagation sweeps over the skills graph


def partition(arr: ProfileArrays, profiles: Sequence[MatchProfile], part_size: int = PART_SIZE) -> list[np.ndarray]:
    """Node indices (profiles sorted by member id) of each part, each sorted ascending.
    Deterministic: the same cohort gives the same parts whatever the input order."""
    n = arr.member_ids.size
    count = max(1, int(round(n / part_size)))
    community = skill_communities(profiles)
    goal = arr.goals[:, 0].astype(np.int64) if arr.goals.shape[1] else np.zeros(n, np.int64)
    tiebreak = (arr.member_ids * 2654435761) % (1 << 32)  # a fixed shuffle: no order from the member ids
    order = np.lexsort((tiebreak, goal, arr.tz_offset, arr.experience, community))
    bounds = [2 * int(round(i * n / (2 * count))) for i in range(count)] + [n]
    return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def skill_communities(profiles: Sequence[MatchProfile]) -> np.ndarray:
    """Per person, the community of their skills (0.. in order of size, largest first); -1
    for people with no skill.  Skills graph: s -- t weighted by how many people offer one
    and want the other; communities by weighted label propagation (skills in a fixed order,
    ties to the smaller label), a person's community the one most of their skills are in."""
    skills = sorted({s for p in profiles for s in p.offers | p.wants})
    n = len(profiles)
    if not skills:
        return np.full(n, -1, np.int64)
    col = {s: t for t, s in enumerate(skills)}
    op, os_ = _entries(profiles, col, "offers")
    wp, ws = _entries(profiles, col, "wants")
    size = len(skills)
    # person x skill incidence, then offers^T @ wants counts "offers s, wants t"
    offers = sparse.csr_matrix((np.ones(op.size), (op, os_)), shape=(n, size))
    wants = sparse.csr_matrix((np.ones(wp.size), (wp, ws)), shape=(n, size))
    trade = (offers.T @ wants).tocsr()
    graph = (trade + trade.T).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    label = np.arange(size)
    for _ in range(LABEL_ROUNDS):
        changed = False
        for s in range(size):
            lo, hi = graph.indptr[s], graph.indptr[s + 1]
            if lo == hi:
                continue
            votes = np.bincount(label[graph.indices[lo:hi]], weights=graph.data[lo:hi], minlength=size)
            votes[label[s]] += 1e-9  # keep one's label on a tie
            best = int(np.argmax(votes))
            if best != label[s]:
                label[s], changed = best, True
        if not changed:
            break
    # renumber labels by size (largest first, then smallest label): stable, deterministic
    sizes = np.bincount(label, minlength=size)
    rank = np.lexsort((np.arange(size), -sizes))
    renum = np.empty(size, np.int64)
    renum[rank] = np.arange(size)
    skill_label = renum[label]
    people = np.concatenate([op, wp])
    labels = skill_label[np.concatenate([os_, ws])]
    out = np.full(n, -1, np.int64)
    if people.size == 0:
        return out
    keys, counts = np.unique(people * size + labels, return_counts=True)
    who, label_of = keys // size, keys % size
    order = np.lexsort((label_of, -counts, who))  # per person: most skills first, then the smaller label
    who, label_of = who[order], label_of[order]
    first = np.concatenate([[True], who[1:] != who[:-1]])
    out[who[first]] = label_of[first]
    return out


class _Cohort:
    """The whole cohort as arrays, the current matching (`mate`) and the objective."""

    def __init__(self, profiles: Sequence[MatchProfile], weights: Weights, recent_pairs: set, solver, max_pairs):
        self.profs = tuple(sorted(profiles, key=lambda p: p.member_id))
        ids = [p.member_id for p in self.profs]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate member_id in cohort")
        self.n = len(self.profs)
        self.arr = ProfileArrays.from_profiles(self.profs)
        self.weights = weights
        self.recent_pairs = recent_pairs
        self.solver = solver  # (profiles, recent set) -> local node-index pairs
        self.max_pairs = max_pairs  # (graph, forbidden keys) -> the full graph's maximum pairs, or None
        index = {m: i for i, m in enumerate(ids)}
        pairs = np.asarray(list(_recent_index_pairs(recent_pairs, index)), np.int64).reshape(-1, 2)
        self.recent_i, self.recent_j = pairs[:, 0], pairs[:, 1]
        self.recent_keys = sorted_unique(np.minimum(pairs[:, 0], pairs[:, 1]) * self.n
                                         + np.maximum(pairs[:, 0], pairs[:, 1]))
        empty = np.zeros(0, np.int64)
        self.base = _assemble(self.profs, self.arr, weights, empty, empty, self.n)  # the cohort, no edges
        self.mate = np.full(self.n, -1, np.int64)

    def solve(self, nodes: np.ndarray) -> np.ndarray:
        """Solve the sub-cohort `nodes` (sorted) whole; its pairs as global node indices."""
        inside = np.zeros(self.n, bool)
        inside[nodes] = True
        sel = inside[self.recent_i] & inside[self.recent_j]
        ids = self.arr.member_ids
        recent = {frozenset((int(ids[a]), int(ids[b]))) for a, b in zip(self.recent_i[sel], self.recent_j[sel])}
        local = self.solver([self.profs[i] for i in nodes.tolist()], recent)
        return nodes[local] if local.size else np.zeros((0, 2), np.int64)

    def weight(self, pairs: np.ndarray) -> int:
        """The engine's objective of `pairs` (centi-points; recent pairs penalised)."""
        if pairs.size == 0:
            return 0
        a, b = pairs[:, 0], pairs[:, 1]
        w = np.rint(self.arr.score(a, b, self.weights) * SCALE).astype(np.int64)
        recent = contains(self.recent_keys, np.minimum(a, b) * self.n + np.maximum(a, b))
        return int(w.sum() - int(RECENT_PENALTY * SCALE) * int(recent.sum()))

    def pairs_within(self, nodes: np.ndarray) -> np.ndarray:
        m = self.mate[nodes]
        keep = m > nodes
        return np.stack([nodes[keep], m[keep]], axis=1)

    def set_pairs(self, pairs: np.ndarray) -> None:
        self.mate[pairs[:, 0]], self.mate[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]

    def improve(self, nodes: np.ndarray) -> bool:
        """Re-solve `nodes` plus their mates; keep the result when it is better
        (more pairs, or as many with a higher total)."""
        m = self.mate[nodes]
        nodes = sorted_unique(np.concatenate([nodes, m[m >= 0]]))
        old = self.pairs_within(nodes)
        new = self.solve(nodes)
        if (new.shape[0], self.weight(new)) <= (old.shape[0], self.weight(old)):
            return False
        self.mate[nodes] = -1
        self.set_pairs(new)
        return True


def match_large(profiles: Sequence[MatchProfile], weights: Weights, recent_pairs: set, solver, max_pairs, *,
                part_size: int = PART_SIZE) -> tuple[CandidateGraph, np.ndarray]:
    """Decomposed matching: (the cohort as an edgeless graph, matched node-index pairs).
    `solver(profiles, recent)` solves a sub-cohort whole and returns its node-index pairs;
    `max_pairs(graph, forbidden)` is `solve.full_graph_max_pairs` (passed in: no import cycle)."""
    c = _Cohort(profiles, weights, recent_pairs, solver, max_pairs)
    if c.n < 2:
        return c.base, np.zeros((0, 2), np.int64)
    for nodes in partition(c.arr, c.profs, part_size):
        c.set_pairs(c.solve(nodes))
    _seam_pass(c)
    _cardinality_pass(c)
    pairs = np.flatnonzero(c.mate > np.arange(c.n))
    return c.base, np.stack([pairs, c.mate[pairs]], axis=1)


def _seam_pass(c: _Cohort) -> None:
    """Unmatched people and pairs without a two-way exchange, with their two-way partners
    from the whole cohort (and those partners' mates), re-solved together."""
    matched = c.mate >= 0
    idx = np.arange(c.n)
    weak = ~matched
    has = matched & (c.mate > idx)
    a = idx[has]
    b = c.mate[a]
    if a.size:
        not_two = ~c.arr.two_way(a, b)
        recent = contains(c.recent_keys, a * c.n + b)
        bad = not_two | recent
        weak[a[bad]] = True
        weak[b[bad]] = True
    seam = np.flatnonzero(weak)
    if seam.size == 0:
        return
    src, partner = two_way_partners(c.profs, seam, SEAM_PARTNERS)
    step = max(1, SEAM_CHUNK // (SEAM_PARTNERS + 1))
    for start in range(0, seam.size, step):  # each seam person re-solved with their own partners
        chunk = seam[start:start + step]
        lo, hi = np.searchsorted(src, [chunk[0], chunk[-1] + 1])
        c.improve(sorted_unique(np.concatenate([chunk, partner[lo:hi]])))


def two_way_partners(profs: Sequence[MatchProfile], nodes: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(person, partner) sorted by person: up to `cap` people of the whole cohort for each of
    `nodes` who offer what they want and want what they offer (a seeded sample)."""
    skills = {s: t for t, s in enumerate(sorted({s for p in profs for s in p.offers | p.wants}))}
    if not skills:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_sk = len(skills)
    op, os_ = _entries(profs, skills, "offers")
    wp, ws = _entries(profs, skills, "wants")
    person, supply, demand = offer_want_keys(op, os_, wp, ws, len(profs), n_sk)
    query = np.zeros(len(profs), bool)
    query[nodes] = True
    q = query[person]
    src, found = _bucket_join(person[q], demand[q], supply, person, np.random.default_rng(0), cap)
    keys = sorted_unique(src * len(profs) + found)  # distinct (person, partner), then the first `cap` each
    src, found = keys // len(profs), keys % len(profs)
    order = np.lexsort(((found * 2654435761) % (1 << 32), src))  # a fixed shuffle inside each person's list
    src, found = src[order], found[order]
    rank = np.arange(src.size) - np.searchsorted(src, src, side="left")
    return src[rank < cap], found[rank < cap]


def _cardinality_pass(c: _Cohort) -> None:
    """While two or more wait and the full allowed graph has room for more pairs: re-solve
    the waiting people with a sample of their allowed partners (any part) and their mates."""
    forbidden = forbidden_keys(c.base)
    target = None
    rng = np.random.default_rng(0)
    for _ in range(FREE_ROUNDS):
        free = np.flatnonzero(c.mate < 0)
        if free.size < 2:
            return
        if target is None:
            target = c.max_pairs(c.base, forbidden)
        if target is not None and int(np.count_nonzero(c.mate >= 0)) // 2 >= target:
            return
        free = free[:max(2, SEAM_CHUNK // (FREE_PARTNERS + 1))]
        picked = [free]
        for x in free.tolist():
            _, dst = allowed_edges_of(c.base, np.array([x]), forbidden)
            if dst.size:
                picked.append(rng.choice(dst, size=min(dst.size, FREE_PARTNERS), replace=False))
        if not c.improve(sorted_unique(np.concatenate(picked))) and target is None:
            return
