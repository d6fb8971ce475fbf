"""Sparse candidate graph: who *could* be paired, with integer edge weights.

Scoring all n^2/2 pairs is too slow at 20k members, and a matching almost
never uses a person's 100th-best option, so each person keeps only their
`k` best candidates.  Candidates come from inverted indexes, so the pool is
skill-driven rather than first-come-first-served:

* two-way: (skill I want, skill I offer) -> people offering the first and
  wanting the second, sampled to at most `per_key` per key;
* one-way: wanted skill -> offerers, offered skill -> wanters (`per_skill`);
* fallback: a few random and experience-near neighbours per person, always
  kept, so sparsification never strands someone who can be paired.

Blocked pairs and self pairs never become edges.  Recent pairs only enter as
FALLBACK edges with a huge penalty: with cardinality-first matching they are
used only when they let more people be matched (nobody stranded), never to
improve the score.  All recent pairs are added this way, not only those of
people with no other edge: someone can have edges and still be stranded
(e.g. their only partners are needed by people with no other option), and
recent pairs are few (<= rounds * n / 2 edges).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .score import MAX_PAIR_GAP, MatchProfile, ProfileArrays, Weights

SCALE = 100  # edge weights are integer centi-points (exact solvers want ints)
RECENT_PENALTY = 5_000.0  # points; ~25 excellent pairs, i.e. "only if nothing else works"
FALLBACK_RANDOM = 3  # random neighbours per person (random graphs of min degree 3 have perfect matchings)
FALLBACK_EXPERIENCE = 2  # experience-near neighbours per person (each side)


@dataclass(frozen=True, slots=True)
class CandidateGraph:
    """Undirected edges (u < v, node indices) with int weights (centi-points)."""

    profiles: tuple[MatchProfile, ...]  # sorted by member_id; node i = profiles[i]
    arrays: ProfileArrays
    weights: Weights
    u: np.ndarray  # int64
    v: np.ndarray  # int64
    weight: np.ndarray  # int64, round(score * SCALE) minus penalty for recent edges
    recent: np.ndarray  # bool, edge is a recent-round fallback

    @property
    def n(self) -> int:
        return len(self.profiles)

    @property
    def num_edges(self) -> int:
        return int(self.u.size)

    @property
    def member_ids(self) -> np.ndarray:
        return self.arrays.member_ids


def build_candidate_graph(
    profiles: Sequence[MatchProfile],
    weights: Weights,
    *,
    recent_pairs: Iterable[frozenset[int]] = frozenset(),
    k: int = 30,
    seed: int = 0,
) -> CandidateGraph:
    """Sparsified candidate graph: each person's `k` best allowed partners,
    plus always-kept fallback edges and penalised recent-pair fallbacks."""
    profs = tuple(sorted(profiles, key=lambda p: p.member_id))
    ids = [p.member_id for p in profs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate member_id in cohort")
    arr = ProfileArrays.from_profiles(profs)
    n = len(profs)
    empty = np.zeros(0, np.int64)
    if n < 2:
        return CandidateGraph(profs, arr, weights, empty, empty, empty, np.zeros(0, bool))
    rng = np.random.default_rng(seed)
    index = {m: i for i, m in enumerate(ids)}
    forbidden = _pair_keys(_blocked_pairs(profs, index), n)
    recent = _pair_keys(_recent_index_pairs(recent_pairs, index), n)
    excluded = sorted_unique(np.concatenate([forbidden, recent]))

    per_key, per_skill = max(4, k // 2), max(4, k // 3)
    i, j = _skill_candidates(profs, index, rng, per_key, per_skill)
    i, j = _drop_excluded(i, j, n, excluded)
    i, j = _top_k(i, j, arr, weights, k, n)
    fi, fj = _allowed_fallback(arr, rng, n, excluded, forbidden, profs, index)
    keys = sorted_unique(np.concatenate([_undirected(i, j, n), _undirected(fi, fj, n)]))
    recent_ok = recent[~contains(forbidden, recent)]
    return _assemble(profs, arr, weights, keys, recent_ok, n)


def forbidden_keys(graph: CandidateGraph) -> np.ndarray:
    """Sorted keys (u * n + v, u < v) of the cohort's blocked pairs."""
    index = {p.member_id: i for i, p in enumerate(graph.profiles)}
    return _pair_keys(_blocked_pairs(graph.profiles, index), graph.n)


def allowed_edges_of(graph: CandidateGraph, nodes: np.ndarray, forbidden: np.ndarray):
    """Every allowed (not self, not blocked, not too far apart) edge of the FULL graph touching `nodes`."""
    n = graph.n
    src = np.repeat(nodes, n)
    dst = np.tile(np.arange(n), nodes.size)
    keep = (src != dst) & (np.abs(graph.arrays.experience[src] - graph.arrays.experience[dst]) <= MAX_PAIR_GAP)
    src, dst = src[keep], dst[keep]
    if forbidden.size:
        ok = ~contains(forbidden, _undirected(src, dst, n))
        src, dst = src[ok], dst[ok]
    return src, dst


def blocked_degree(profiles: Sequence[MatchProfile]) -> np.ndarray:
    """Per node (profiles sorted by member id), how many cohort members it may not pair with."""
    index = {p.member_id: i for i, p in enumerate(profiles)}
    n = len(profiles)
    keys = _pair_keys(_blocked_pairs(profiles, index), n)
    return np.bincount(np.concatenate([keys // n, keys % n]), minlength=n) if keys.size else np.zeros(n, np.int64)


def with_edges(graph: CandidateGraph, i: np.ndarray, j: np.ndarray, recent_pairs: Iterable[frozenset[int]]) -> CandidateGraph:
    """`graph` plus the allowed edges (i, j): the caller passes allowed pairs only;
    recent ones become penalised fallbacks like in `build_candidate_graph`."""
    n = graph.n
    index = {int(m): t for t, m in enumerate(graph.member_ids.tolist())}
    recent = _pair_keys(_recent_index_pairs(recent_pairs, index), n)
    old = graph.u * n + graph.v
    new = _undirected(i[i != j], j[i != j], n)
    is_recent_new = contains(recent, new)
    keys = sorted_unique(np.concatenate([old[~graph.recent], new[~is_recent_new]]))
    recent_keys = sorted_unique(np.concatenate([old[graph.recent], new[is_recent_new]]))
    keys = keys[~contains(recent_keys, keys)]
    return _assemble(graph.profiles, graph.arrays, graph.weights, keys, recent_keys, n)


def _assemble(profs, arr, weights, keys, recent_keys, n) -> CandidateGraph:
    """Every graph is made here: edges of pairs too far apart in experience (`MAX_PAIR_GAP`,
    a hard constraint like a block) are dropped, whichever way they came in."""
    all_keys = np.concatenate([keys, recent_keys])
    is_recent = np.concatenate([np.zeros(keys.size, bool), np.ones(recent_keys.size, bool)])
    u, v = all_keys // n, all_keys % n
    near = np.abs(arr.experience[u] - arr.experience[v]) <= MAX_PAIR_GAP
    u, v, is_recent = u[near], v[near], is_recent[near]
    score = arr.score(u, v, weights) - RECENT_PENALTY * is_recent
    w = np.rint(score * SCALE).astype(np.int64)
    return CandidateGraph(profs, arr, weights, u, v, w, is_recent)


def _pair_keys(pairs: Iterable[tuple[int, int]], n: int) -> np.ndarray:
    keys = [min(a, b) * n + max(a, b) for a, b in pairs if a != b]
    return sorted_unique(np.asarray(keys, dtype=np.int64))


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sort-based unique (numpy's default hash-based unique is ~50x slower
    on millions of int64 keys)."""
    a = np.sort(a)
    if a.size < 2:
        return a
    return a[np.concatenate([[True], a[1:] != a[:-1]])]


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Membership of `keys` in the sorted array `sorted_keys`."""
    if sorted_keys.size == 0:
        return np.zeros(keys.size, bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[pos] == keys


def _blocked_pairs(profs: Sequence[MatchProfile], index: dict[int, int]):
    for p in profs:
        for other in p.blocked:
            if other in index:
                yield index[p.member_id], index[other]


def _recent_index_pairs(recent_pairs: Iterable[frozenset[int]], index: dict[int, int]):
    for pair in recent_pairs:
        members = [index[m] for m in pair if m in index]
        if len(members) == 2:
            yield members[0], members[1]


def _undirected(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(i, j) * n + np.maximum(i, j)


def _drop_excluded(i: np.ndarray, j: np.ndarray, n: int, excluded: np.ndarray):
    keep = i != j
    if excluded.size:
        keep &= ~contains(excluded, _undirected(i, j, n))
    return i[keep], j[keep]


def _top_k(i: np.ndarray, j: np.ndarray, arr: ProfileArrays, weights: Weights, k: int, n: int):
    """Per source node, its k best distinct targets (ties: lower index)."""
    pair = sorted_unique(i * n + j)
    i, j = pair // n, pair % n
    score = np.rint(arr.score(i, j, weights) * SCALE).astype(np.int64)
    i, j = _sort_by_source_then_score(i, j, score, n)
    rank = np.arange(i.size) - np.searchsorted(i, i, side="left")
    return i[rank < k], j[rank < k]


def _sort_by_source_then_score(i: np.ndarray, j: np.ndarray, score: np.ndarray, n: int):
    """Order by (i, -score, j); one int64 sort of packed keys when they fit."""
    if i.size == 0:
        return i, j
    rel = score.max() - score
    bits_j, bits_s = int(n).bit_length(), int(rel.max()).bit_length()
    if bits_j * 2 + bits_s > 62:
        order = np.lexsort((j, rel, i))
        return i[order], j[order]
    key = np.sort((i << (bits_s + bits_j)) | (rel << bits_j) | j)
    return key >> (bits_s + bits_j), key & ((1 << bits_j) - 1)


def _ragged_take(lo: np.ndarray, length: np.ndarray, start: np.ndarray, cap: int):
    """For each query q take min(cap, length[q]) consecutive slots (mod length)
    of its bucket starting at `start[q]`; returns (query index, slot)."""
    m = np.minimum(length, cap)
    q = np.repeat(np.arange(m.size), m)
    within = np.arange(q.size) - np.repeat(np.cumsum(m) - m, m)
    slot = lo[q] + (start[q] + within) % np.maximum(length[q], 1)
    return q, slot


def _bucket_join(src: np.ndarray, qkey: np.ndarray, bkey: np.ndarray, member: np.ndarray, rng, cap: int):
    """Directed candidates: for each query (src, qkey) up to `cap` random
    members of bucket qkey (bucket entries: bkey -> member)."""
    order = np.lexsort((rng.random(bkey.size), bkey))  # random order inside each bucket
    bkey, member = bkey[order], member[order]
    lo = np.searchsorted(bkey, qkey, side="left")
    length = np.searchsorted(bkey, qkey, side="right") - lo
    start = rng.integers(0, 1 << 30, qkey.size)
    q, slot = _ragged_take(lo, length, start % np.maximum(length, 1), cap)
    return src[q], member[slot]


def _skill_candidates(profs, index, rng, per_key: int, per_skill: int):
    """Inverted-index candidates: two-way keys first, then one-way skills."""
    skills = {s: t for t, s in enumerate(sorted({s for p in profs for s in p.offers | p.wants}))}
    n_sk = max(1, len(skills))
    op, os_ = _entries(profs, skills, "offers")
    wp, ws = _entries(profs, skills, "wants")
    # cartesian (offer, want) per person: supply key = offer*S+want, demand key = want*S+offer
    per_person_wants = np.bincount(wp, minlength=len(profs))
    want_ptr = np.concatenate([[0], np.cumsum(per_person_wants)])
    o_idx, w_idx = _ragged_pairs(op, want_ptr, per_person_wants)
    person = op[o_idx]
    supply = os_[o_idx] * n_sk + ws[w_idx]
    demand = ws[w_idx] * n_sk + os_[o_idx]
    parts = [_bucket_join(person, demand, supply, person, rng, per_key)]
    parts.append(_bucket_join(wp, ws, os_, op, rng, per_skill))  # I want s -> offerers of s
    parts.append(_bucket_join(op, os_, ws, wp, rng, per_skill))  # I offer t -> wanters of t
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _entries(profs, skills, attr: str):
    people, skill = [], []
    for i, p in enumerate(profs):
        for s in sorted(getattr(p, attr)):
            people.append(i)
            skill.append(skills[s])
    return np.asarray(people, np.int64), np.asarray(skill, np.int64)


def _ragged_pairs(op: np.ndarray, want_ptr: np.ndarray, per_person_wants: np.ndarray):
    counts = per_person_wants[op]
    o_idx = np.repeat(np.arange(op.size), counts)
    within = np.arange(o_idx.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return o_idx, want_ptr[op[o_idx]] + within


def _allowed_fallback(arr: ProfileArrays, rng, n: int, excluded: np.ndarray, forbidden: np.ndarray, profs, index):
    """Fallback edges drawn from each person's ALLOWED partners: blocks and
    recent pairs are removed before sampling, so someone who blocks most
    colleagues still gets `FALLBACK_RANDOM` random partners they accept."""
    fi, fj = _drop_excluded(*_fallback_candidates(arr, rng), n, excluded)
    have = np.bincount(fi, minlength=n) + np.bincount(fj, minlength=n)
    short = np.flatnonzero(have < FALLBACK_RANDOM)
    if short.size == 0:
        return fi, fj
    extra_i, extra_j = [fi], [fj]
    everyone = np.arange(n)
    for x in short.tolist():
        keys = _undirected(np.full(n, x), everyone, n)
        ok = everyone[(everyone != x) & ~contains(excluded, keys)]
        if ok.size == 0:  # only recent or no partners: recent fallbacks and the full-graph check handle it
            continue
        pick = rng.choice(ok, size=min(ok.size, FALLBACK_RANDOM), replace=False)
        extra_i.append(np.full(pick.size, x))
        extra_j.append(pick)
    return np.concatenate(extra_i), np.concatenate(extra_j)


def _fallback_candidates(arr: ProfileArrays, rng):
    """Random neighbours plus neighbours in a random experience-sorted order:
    keeps the graph connected and well-matchable whatever the skills."""
    n = arr.member_ids.size
    src = np.repeat(np.arange(n), FALLBACK_RANDOM)
    dst = (src + rng.integers(1, n, src.size)) % n
    order = np.lexsort((rng.random(n), arr.experience))
    near_src, near_dst = [], []
    for step in range(1, FALLBACK_EXPERIENCE + 1):
        near_src.append(order[:-step])
        near_dst.append(order[step:])
    return np.concatenate([src, *near_src]), np.concatenate([dst, *near_dst])
