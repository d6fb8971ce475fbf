"""Mentoring circles: groups of 3–6 that maximise the program's score (pure: no DB, no Slack).

The score of a circle G (points, higher is better), per member m of G:

    cover   · [someone else in G offers a skill m wants]      (skill coverage; `Weights.two_way`)
  + bonus   · [m waited last round]                           (`Weights.priority_bonus`)
  + ½ · mean over the others o of rest(m, o)

minus `RECENT_PENALTY` per pair inside G that met recently. `rest` is the pair score's
non-exchange part (`score.py`'s terms: experience close or apart, more than `PEER_BAND`
apart costs another `cover`, different departments, shared goals, shared working hours).
Summed, the pair part is Σ_{a<b} rest(a, b) / (|G| - 1): a circle of 5 is not worth more
than one of 4 only because it has more pairs.

Hard constraints, for every two members of a circle: `is_allowed` (not blocked either way,
at most `MAX_PAIR_GAP` experience levels apart). Recent partners are penalised, never
forbidden, exactly as for pairs: they share a circle only when that places more people.

Sizes: the program's group size g gives K = n // g circles; with odd policy "trio" the
n % g leftovers each join a different circle (size g + 1, never above 6), with "wait"
they wait (with priority, like pairs). Cardinality first: as many members placed as the
hard constraints allow, then the best score.

Solvers:
* ``exact`` (n <= `EXACT_MAX_MEMBERS`): set partitioning over every allowed circle with
  scipy's `milp` (HiGHS), two stages: most members placed, then the best score among those.
* ``local`` (any n): greedy circles grown along the candidate graph (`graph.py`), then
  swap / move local search within a time budget.

Bounds, to measure ``local`` honestly (`bench/circles.py`): `lp_bound` (the set partition's
LP relaxation, small cohorts) and `star_bound` (any size: each member's best possible share,
from every allowed partner, not only the candidate graph's).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix

from .graph import RECENT_PENALTY, build_candidate_graph
from .solve import MatchResult, cohort_figures
from .score import MAX_PAIR_GAP, PEER_BAND, WORK_DAY_H, MatchProfile, Weights, overlap_hours, working_hours_overlap

MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 3, 6, 4
EXACT_MAX_MEMBERS = 14  # every circle of 4 or 5 from 14 people: 3,003 columns, about a second
EXACT_SECONDS = 20.0  # HiGHS's limit; past it the local search answers
PLACE = 1e5  # points per member placed in the exact objective (cardinality first)
NEIGHBOURS = 12  # candidate partners per member that seed and steer the local search
MAX_RESTARTS = 200  # greedy + local search runs at most (each from a new random order)
SCAN_SAMPLE = 300  # members scanned when a circle's candidates run out
LEFTOVER = "trio"  # the program's odd policy value for "leftovers join a group"
_UNSEEN = object()


def local_budget(n: int) -> float:
    """Seconds of local search for a cohort of n (1k: 3.5 s, 10k: 27 s)."""
    return min(30.0, 1.0 + n / 400)


@dataclass(frozen=True, slots=True)
class CircleResult:
    groups: list[tuple[int, ...]]  # member ids, each circle sorted, circles sorted
    group_scores: list[float]  # `circle_score` of each circle (recent pairs penalised)
    waiting: list[int]  # member ids not placed this round
    method: str  # "exact" or "local"
    total_score: float
    repeats: list[tuple[int, int]]  # recent pairs inside circles (only when nothing else placed them)


class _Cohort:
    """Index-aligned plain-Python view of the profiles (ints as bitsets) with a pair cache."""

    def __init__(self, profiles: Sequence[MatchProfile], weights: Weights, recent: Iterable[frozenset[int]]):
        self.profiles = tuple(sorted(profiles, key=lambda p: p.member_id))
        ids = [p.member_id for p in self.profiles]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate member_id in cohort")
        self.ids = ids
        self.index = {m: i for i, m in enumerate(ids)}
        self.n = len(ids)
        skills = {s: b for b, s in enumerate(sorted({s for p in self.profiles for s in p.offers | p.wants}))}
        goals = {g: b for b, g in enumerate(sorted({g for p in self.profiles for g in p.goal_words}))}
        depts = {d: i for i, d in enumerate(sorted({p.department for p in self.profiles if p.department}))}
        self.offers = [_mask(p.offers, skills) for p in self.profiles]
        self.wants = [_mask(p.wants, skills) for p in self.profiles]
        self.goals = [_mask(p.goal_words, goals) for p in self.profiles]
        self.exp = [p.experience for p in self.profiles]
        self.dept = [depts.get(p.department, -1) if p.department else -1 for p in self.profiles]
        self.tz = [p.tz_offset for p in self.profiles]
        self.prio = [p.priority for p in self.profiles]
        self.blocked = [frozenset(self.index[b] for b in p.blocked if b in self.index) for p in self.profiles]
        for i, theirs in enumerate(list(self.blocked)):  # both directions
            for j in theirs:
                if i not in self.blocked[j]:
                    self.blocked[j] = self.blocked[j] | {i}
        self.recent = {
            (min(a, b), max(a, b))
            for pair in recent if len(pair) == 2
            for a, b in [tuple(self.index.get(m, -1) for m in pair)] if a >= 0 and b >= 0
        }
        n = len(ids)
        self.recent_keys = {a * n + b for a, b in self.recent}
        self.w = weights
        self._rest: dict[int, float | None] = {}  # pair key a * n + b (a < b) -> rest, None: forbidden
        self._tz: dict[tuple[int, int], float] = {}

    def allowed(self, a: int, b: int) -> bool:
        return a != b and abs(self.exp[a] - self.exp[b]) <= MAX_PAIR_GAP and b not in self.blocked[a]

    def _pair_points(self, a: int, b: int) -> float:
        w = self.w
        gap = abs(self.exp[a] - self.exp[b])
        s = w.experience_close if gap <= 1 else -w.experience_gap_penalty * (gap - 1)
        if gap > PEER_BAND:
            s -= w.two_way
        da, db = self.dept[a], self.dept[b]
        if da >= 0 and db >= 0:
            s += -w.same_department_penalty if da == db else w.cross_department
        s += w.shared_goal * min((self.goals[a] & self.goals[b]).bit_count(), w.shared_goal_cap)
        tz_key = (self.tz[a], self.tz[b])
        hours = self._tz.get(tz_key)
        if hours is None:
            hours = self._tz[tz_key] = working_hours_overlap(*tz_key)
        s += w.timezone_overlap * hours / WORK_DAY_H
        return s

    def score(self, group: Sequence[int], size: int | None = None) -> float | None:
        """`circle_score` on indices; `size` normalises a partial circle as the finished one."""
        k = len(group)
        norm = (size or k) - 1
        w = self.w
        if norm <= 0:
            return w.priority_bonus * sum(self.prio[m] for m in group)
        rest, n, recent = self._rest, self.n, self.recent_keys
        pair_part = 0.0
        repeats = 0
        for x in range(k):
            a = group[x]
            for y in range(x + 1, k):
                b = group[y]
                key = a * n + b if a < b else b * n + a
                r = rest.get(key, _UNSEEN)
                if r is _UNSEEN:
                    r = rest[key] = self._pair_points(a, b) if self.allowed(a, b) else None
                if r is None:
                    return None
                pair_part += r  # type: ignore[operator]
                if recent and key in recent:
                    repeats += 1
        offers, wants, prio = self.offers, self.wants, self.prio
        total = pair_part / norm - RECENT_PENALTY * repeats
        for x in range(k):
            m = group[x]
            others = 0
            for y in range(k):
                if y != x:
                    others |= offers[group[y]]
            if wants[m] & others:
                total += w.two_way
            if prio[m]:
                total += w.priority_bonus
        return total


def _mask(items: Iterable, vocab: dict) -> int:
    out = 0
    for item in items:
        out |= 1 << vocab[item]
    return out


def circle_score(members: Sequence[MatchProfile], weights: Weights = Weights(),
                 recent_pairs: Iterable[frozenset[int]] = frozenset()) -> float | None:
    """The score of one circle (see the module docstring); None when a hard constraint forbids it."""
    return _Cohort(members, weights, recent_pairs).score(list(range(len(members))))


def check_size(group_size: int) -> int:
    if not MIN_SIZE <= group_size <= MAX_SIZE:
        raise ValueError(f"circle size must be {MIN_SIZE} to {MAX_SIZE}, not {group_size}")
    return group_size


def form_circles(
    profiles: Sequence[MatchProfile],
    weights: Weights = Weights(),
    *,
    group_size: int = DEFAULT_SIZE,
    recent_pairs: Iterable[frozenset[int]] = frozenset(),
    odd_policy: str = LEFTOVER,
    method: str = "auto",
    time_limit: float | None = None,
    seed: int = 0,
) -> CircleResult:
    """Group the whole cohort into circles of `group_size` (see the module docstring).

    method: "auto" (exact up to `EXACT_MAX_MEMBERS`, else local), "exact" or "local"."""
    check_size(group_size)
    if odd_policy not in ("trio", "wait"):
        raise ValueError(f"unknown odd_policy {odd_policy!r}")
    recent_pairs = set(recent_pairs)
    cohort = _Cohort(profiles, weights, recent_pairs)
    join = odd_policy == LEFTOVER and group_size < MAX_SIZE
    if method == "auto":
        method = "exact" if cohort.n <= EXACT_MAX_MEMBERS else "local"
    groups = _exact(cohort, group_size, join) if method == "exact" else None
    if method == "exact" and groups is None:
        method = "local"
    if method == "local":
        budget = local_budget(cohort.n) if time_limit is None else time_limit
        groups = _local(cohort, profiles, weights, recent_pairs, group_size, join, budget, seed)
    elif method != "exact":
        raise ValueError(f"unknown method {method!r}")
    assert groups is not None
    return _result(cohort, groups, method)


def _result(cohort: _Cohort, groups: list[list[int]], method: str) -> CircleResult:
    ids = cohort.ids
    placed = {m for g in groups for m in g}
    scored = sorted(((tuple(sorted(ids[m] for m in g)), cohort.score(g)) for g in groups), key=lambda t: t[0])
    assert all(s is not None for _, s in scored), "a circle broke a hard constraint"
    repeats = sorted((ids[a], ids[b]) for g in groups for a, b in itertools.combinations(sorted(g), 2)
                     if (a, b) in cohort.recent)
    return CircleResult(
        groups=[g for g, _ in scored],
        group_scores=[float(s) for _, s in scored],  # type: ignore[arg-type]
        waiting=[ids[m] for m in range(cohort.n) if m not in placed],
        method=method,
        total_score=float(sum(s for _, s in scored)),  # type: ignore[misc]
        repeats=repeats,
    )


# --- exact: set partitioning with milp --------------------------------------------------------------------


def _columns(cohort: _Cohort, group_size: int, join: bool):
    """Every allowed circle of the sizes a round may form, with its score."""
    sizes = (group_size, group_size + 1) if join else (group_size,)
    groups, scores = [], []
    for size in sizes:
        for combo in itertools.combinations(range(cohort.n), size):
            s = cohort.score(combo)
            if s is not None:
                groups.append(combo)
                scores.append(s)
    return groups, np.asarray(scores, float)


def _partition_problem(cohort: _Cohort, group_size: int, join: bool):
    groups, scores = _columns(cohort, group_size, join)
    if not groups:
        return groups, scores, None, None
    rows = np.fromiter((m for g in groups for m in g), np.int64)
    cols = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    a = csc_matrix((np.ones(rows.size), (rows, cols)), shape=(cohort.n, len(groups)))
    sizes = np.asarray([len(g) for g in groups], float)
    cap = np.ones((1, len(groups)))
    constraints = [LinearConstraint(a, 0, 1), LinearConstraint(cap, 0, cohort.n // group_size)]
    return groups, scores, sizes, constraints


def _exact(cohort: _Cohort, group_size: int, join: bool) -> list[list[int]] | None:
    """The optimum, or None when HiGHS did not prove one within `EXACT_SECONDS`."""
    groups, scores, sizes, constraints = _partition_problem(cohort, group_size, join)
    if not groups:
        return []
    # Cardinality first: PLACE per member placed dwarfs any score a cohort this small can reach.
    found = milp(-(scores + PLACE * sizes), constraints=constraints, integrality=np.ones(len(groups)),
                 bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-9, "time_limit": EXACT_SECONDS})
    if found.status != 0 or found.x is None:
        return None
    return [list(groups[c]) for c in np.flatnonzero(found.x > 0.5)]


def lp_bound(profiles: Sequence[MatchProfile], weights: Weights = Weights(), *, placed: int,
             group_size: int = DEFAULT_SIZE, recent_pairs: Iterable[frozenset[int]] = frozenset(),
             odd_policy: str = LEFTOVER) -> float:
    """An upper bound on the score of ANY grouping that places at least `placed` members: the
    set partition's LP relaxation over every allowed circle (small cohorts only: it lists them)."""
    cohort = _Cohort(profiles, weights, recent_pairs)
    join = odd_policy == LEFTOVER and group_size < MAX_SIZE
    groups, scores, sizes, constraints = _partition_problem(cohort, group_size, join)
    if not groups:
        return 0.0
    relaxed = milp(-scores, bounds=Bounds(0, 1),
                   constraints=[*constraints, LinearConstraint(sizes[None, :], placed, np.inf)])
    if relaxed.status != 0:
        raise ValueError(f"no grouping places {placed} members")
    return float(-relaxed.fun)


def star_bound(profiles: Sequence[MatchProfile], weights: Weights = Weights(), *,
               group_size: int = DEFAULT_SIZE, chunk: int = 512) -> float:
    """An upper bound on the total score of ANY grouping into circles of `group_size` or
    `group_size + 1`: each member's best possible share (covered if anyone allowed offers a
    skill they want, their bonus, ½ the mean of their `group_size - 1` best `rest` values over
    every partner within `MAX_PAIR_GAP`), never below 0 (a waiting member scores 0). Blocks
    and recent pairs only lower real scores, so ignoring them keeps it a bound. O(n²) numpy."""
    profs = sorted(profiles, key=lambda p: p.member_id)
    n = len(profs)
    if n < group_size:
        return 0.0
    w = weights
    exp = np.asarray([p.experience for p in profs], np.int64)
    depts = {d: i for i, d in enumerate(sorted({p.department for p in profs if p.department}))}
    dept = np.asarray([depts.get(p.department, -1) if p.department else -1 for p in profs], np.int64)
    tz = np.asarray([p.tz_offset for p in profs], np.int64)
    vocab = {g: b for b, g in enumerate(sorted({g for p in profs for g in p.goal_words}))}
    words = max(1, (len(vocab) + 63) // 64)
    goals = np.zeros((n, words), np.uint64)
    for i, p in enumerate(profs):
        for g in p.goal_words:
            goals[i, vocab[g] // 64] |= np.uint64(1) << np.uint64(vocab[g] % 64)
    # coverage: an offerer of a wanted skill within MAX_PAIR_GAP levels (not oneself)
    offer_levels: dict[int, np.ndarray] = {}
    for p in profs:
        for s in p.offers:
            offer_levels.setdefault(s, np.zeros(6 + 1, np.int64))[min(p.experience, 6)] += 1
    covered = np.zeros(n, bool)
    for i, p in enumerate(profs):
        lo, hi = max(0, p.experience - MAX_PAIR_GAP), min(6, p.experience + MAX_PAIR_GAP)
        for s in p.wants:
            counts = offer_levels.get(s)
            if counts is not None and counts[lo:hi + 1].sum() - (s in p.offers) > 0:
                covered[i] = True
                break
    top = group_size - 1
    best_rest = np.empty(n)
    cols = np.arange(n)
    for start in range(0, n, chunk):
        rows = np.arange(start, min(n, start + chunk))
        gap = np.abs(exp[rows, None] - exp[None, :])
        s = np.where(gap <= 1, w.experience_close, -w.experience_gap_penalty * (gap - 1)).astype(float)
        s -= np.where(gap > PEER_BAND, w.two_way, 0.0)
        di, dj = dept[rows, None], dept[None, :]
        s += np.where((di >= 0) & (dj >= 0), np.where(di == dj, -w.same_department_penalty, w.cross_department), 0.0)
        shared = np.bitwise_count(goals[rows][:, None, :] & goals[None, :, :]).sum(axis=2, dtype=np.int64)
        s += w.shared_goal * np.minimum(shared, w.shared_goal_cap)
        s += w.timezone_overlap * overlap_hours(tz[rows, None], tz[None, :]) / WORK_DAY_H
        s[(gap > MAX_PAIR_GAP) | (rows[:, None] == cols[None, :])] = -np.inf
        part = -np.partition(-s, top - 1, axis=1)[:, :top]
        best_rest[rows] = np.where(np.isfinite(part).all(axis=1), part.mean(axis=1), -np.inf)
    prio = np.asarray([p.priority for p in profs], float)
    share = w.two_way * covered + w.priority_bonus * prio + 0.5 * best_rest
    return float(np.maximum(share, 0.0).sum())


# --- local: greedy circles, then local search ------------------------------------------------------------


def _neighbours(cohort: _Cohort, profiles, weights, recent_pairs, k: int) -> list[list[int]]:
    """Each member's best candidates from the pair engine's candidate graph (skill-driven,
    with fallbacks), best first, as cohort indices."""
    graph = build_candidate_graph(profiles, weights, recent_pairs=recent_pairs, k=k)
    # graph nodes are profiles sorted by member id: the same indices as the cohort's
    adj: list[list[tuple[int, int]]] = [[] for _ in range(cohort.n)]
    for u, v, wt in zip(graph.u.tolist(), graph.v.tolist(), graph.weight.tolist()):
        adj[u].append((wt, v))
        adj[v].append((wt, u))
    return [[v for _, v in sorted(row, reverse=True)[:k]] for row in adj]


def _local(cohort: _Cohort, profiles, weights, recent_pairs, g: int, join: bool, budget: float,
           seed: int) -> list[list[int]]:
    """Greedy circles plus local search, restarted from new random orders while the budget
    lasts (a small cohort converges in milliseconds); the best by (placed, score) wins."""
    started = time.perf_counter()
    deadline = started + budget
    rng = random.Random(seed)
    if cohort.n < g:
        return []
    neigh = _neighbours(cohort, profiles, weights, recent_pairs, NEIGHBOURS)
    best: tuple[int, float] | None = None
    best_groups: list[list[int]] = []
    for attempt in range(MAX_RESTARTS):
        groups, where = _greedy(cohort, neigh, g, rng, shuffled=attempt > 0)
        if join:
            _place_leftovers(cohort, neigh, groups, where, g, rng)
        _improve(cohort, neigh, groups, where, g, join, deadline, rng)
        value = (sum(len(grp) for grp in groups), sum(cohort.score(grp) for grp in groups))  # type: ignore[misc]
        if best is None or value > best:
            best, best_groups = value, [list(grp) for grp in groups]
        if time.perf_counter() >= deadline:
            break
    return best_groups


def _greedy(cohort: _Cohort, neigh: list[list[int]], g: int, rng: random.Random, *, shuffled: bool = False):
    """Circles grown one by one from the hardest-to-place free member: each time the free
    candidate (of anyone in the circle) that adds most, allowed with everyone in it."""
    n = cohort.n
    where = [-1] * n
    groups: list[list[int]] = []
    if shuffled:  # a restart: any order, so the search starts from elsewhere
        order = rng.sample(range(n), n)
    else:
        order = sorted(range(n), key=lambda m: (not cohort.prio[m], -len(cohort.blocked[m]), len(neigh[m]), rng.random()))
    free_count = n
    stuck: set[int] = set()
    free_list = list(range(n))
    for s in order:
        if where[s] != -1 or s in stuck or free_count - len(stuck) < g:
            continue
        group = [s]
        while len(group) < g:
            pool = {c for m in group for c in neigh[m] if where[c] == -1 and c not in group}
            pick = _best_addition(cohort, group, pool, g)
            if pick is None:
                sample = [c for c in rng.sample(free_list, min(len(free_list), SCAN_SAMPLE))
                          if where[c] == -1 and c not in group]
                pick = _best_addition(cohort, group, sample, g)
            if pick is None:
                pick = _best_addition(cohort, group, [c for c in range(n) if where[c] == -1 and c not in group], g)
            if pick is None:
                break
            group.append(pick)
        if len(group) < g:
            stuck.add(s)
            continue
        for m in group:
            where[m] = len(groups)
        groups.append(group)
        free_count -= g
        if len(free_list) > 4 * free_count + 16:
            free_list = [m for m in free_list if where[m] == -1]
    return groups, where


def _best_addition(cohort: _Cohort, group: list[int], pool, g: int) -> int | None:
    best, best_score = None, -np.inf
    for c in pool:
        s = cohort.score([*group, c], g)
        if s is not None and s > best_score:
            best, best_score = c, s
    return best


def _place_leftovers(cohort: _Cohort, neigh, groups, where, g: int, rng: random.Random) -> None:
    """Each free member (waiting first) joins the circle of size g where they add most."""
    free = sorted((m for m in range(cohort.n) if where[m] == -1), key=lambda m: (not cohort.prio[m], rng.random()))
    for x in free:
        options = {where[c] for c in neigh[x] if where[c] >= 0 and len(groups[where[c]]) == g}
        best = _best_join(cohort, groups, x, options)
        if best is None:
            best = _best_join(cohort, groups, x, [i for i, grp in enumerate(groups) if len(grp) == g])
        if best is not None:
            groups[best].append(x)
            where[x] = best


def _best_join(cohort: _Cohort, groups, x: int, options) -> int | None:
    best, best_gain = None, -np.inf
    for gi in options:
        before, after = cohort.score(groups[gi]), cohort.score([*groups[gi], x])
        if after is not None and before is not None and after - before > best_gain:
            best, best_gain = gi, after - before
    return best


def _improve(cohort: _Cohort, neigh, groups, where, g: int, join: bool, deadline: float, rng) -> None:
    """First-improvement local search until no move helps or the deadline: a member changes
    places with someone in a candidate's circle (or a waiting member takes a seat), and a
    member of a circle of g + 1 moves to a candidate's circle of g."""
    scores = [cohort.score(grp) for grp in groups]
    members = list(range(cohort.n))
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        rng.shuffle(members)
        for count, a in enumerate(members):
            if count % 64 == 0 and time.perf_counter() >= deadline:
                return
            ga = where[a]
            targets = {where[b] for b in neigh[a] if where[b] >= 0 and where[b] != ga}
            for gb in targets:
                if _try_swap(cohort, groups, where, scores, a, ga, gb) or (
                        join and ga >= 0 and _try_move(cohort, groups, where, scores, a, ga, gb, g)):
                    improved = True
                    break


def _try_swap(cohort: _Cohort, groups, where, scores, a: int, ga: int, gb: int) -> bool:
    old = (scores[ga] if ga >= 0 else 0.0) + scores[gb]
    base_a = [m for m in groups[ga] if m != a] if ga >= 0 else None
    best, best_gain = None, 1e-9
    for c in groups[gb]:
        new_b = [m if m != c else a for m in groups[gb]]
        sb = cohort.score(new_b)
        if sb is None:
            continue
        if base_a is None:
            gain = sb - old  # a waiting member takes c's seat; c waits
        else:
            sa = cohort.score([*base_a, c])
            if sa is None:
                continue
            gain = sa + sb - old
        if gain > best_gain:
            best, best_gain = c, gain
    if best is None:
        return False
    c = best
    groups[gb] = [m if m != c else a for m in groups[gb]]
    scores[gb] = cohort.score(groups[gb])
    where[a], where[c] = gb, ga
    if ga >= 0:
        groups[ga] = [m if m != a else c for m in groups[ga]]
        scores[ga] = cohort.score(groups[ga])
    return True


def _try_move(cohort: _Cohort, groups, where, scores, a: int, ga: int, gb: int, g: int) -> bool:
    if len(groups[ga]) != g + 1 or len(groups[gb]) != g:
        return False
    new_a = [m for m in groups[ga] if m != a]
    new_b = [*groups[gb], a]
    sa, sb = cohort.score(new_a), cohort.score(new_b)
    if sa is None or sb is None or sa + sb - scores[ga] - scores[gb] <= 1e-9:
        return False
    groups[ga], groups[gb] = new_a, new_b
    scores[ga], scores[gb] = sa, sb
    where[a] = gb
    return True


def match_circles(
    profiles: Sequence[MatchProfile], weights: Weights = Weights(), *, group_size: int = DEFAULT_SIZE,
    recent_pairs: Iterable[frozenset[int]] = frozenset(), odd_policy: str = LEFTOVER,
) -> MatchResult:
    """`form_circles` as the round's `MatchResult` (what `bot.rounds.plan_round` stores for pairs)."""
    found = form_circles(profiles, weights, group_size=group_size, recent_pairs=recent_pairs, odd_policy=odd_policy)
    return MatchResult(
        groups=found.groups, group_scores=found.group_scores, waiting=found.waiting, method=f"circles-{found.method}",
        total_score=found.total_score, repeats=found.repeats, figures=cohort_figures(profiles, found.groups),
    )


def coverage_share(profiles: Sequence[MatchProfile], groups: Sequence[Sequence[int]]) -> float:
    """Of the members placed in circles, the share for whom someone else in their circle
    offers a skill they want."""
    by_id = {p.member_id: p for p in profiles}
    placed = covered = 0
    for group in groups:
        for m in group:
            placed += 1
            covered += any(not by_id[o].offers.isdisjoint(by_id[m].wants) for o in group if o != m)
    return covered / placed if placed else 0.0
