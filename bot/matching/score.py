"""Pair scoring: the single, documented definition of a "good pair".

`score_pair` is the reference implementation (pure Python, one pair).
`ProfileArrays.score` is the vectorised twin used to score millions of
candidate pairs; tests check that both agree.  Hard constraints (self,
"don't pair me with", recent rounds) are *not* part of the score: they live
in `is_allowed` and in the candidate graph, so a score is always a plain
preference. Pairs more than `MAX_PAIR_GAP` levels apart are such a hard constraint too
(the graph never holds them: `bot.matching.graph`'s `_assemble`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

WORK_START_H = 9.0
WORK_END_H = 17.0
WORK_DAY_H = WORK_END_H - WORK_START_H

SCORE_CHUNK = 1 << 17  # pairs scored per vectorised chunk
PEER_BAND = 2  # experience levels apart that still count as peers
MAX_PAIR_GAP = 3  # more levels apart than this is mentoring, not peer mentoring: never paired
MAX_LEVEL_GAP = 5

Exchange = Literal["two_way", "one_way", "none"]


@dataclass(frozen=True, slots=True)
class MatchProfile:
    """Everything the matcher knows about one member (no DB, no Slack)."""

    member_id: int
    offers: frozenset[int]  # skill ids this person can teach
    wants: frozenset[int]  # skill ids this person wants to learn
    experience: int  # 0: <1y, 1: 1-2y, 2: 3-5y, 3: 6-9y, 4: 10-14y, 5: 15+y
    department: str | None
    goal_words: frozenset[str]  # normalised career-goal keywords
    tz_offset: int  # seconds east of UTC (Slack users.info tz_offset)
    blocked: frozenset[int] = frozenset()  # member ids never to pair with
    priority: bool = False  # waited last round: prefer to match this time


@dataclass(frozen=True, slots=True)
class Weights:
    """Program settings for `score_pair` (points; higher is better).

    two_way: both can teach the other something they want. It dwarfs every
        other term so reciprocity is the first thing the matcher optimises.
    one_way: only one side can teach. Worth clearly more than "no exchange"
        but much less than two-way (30 vs 100).
    experience_close: bonus when levels differ by at most one (peers learn
        best from near-peers).
    experience_gap_penalty: per level of gap beyond one (a 15-year veteran
        and a new joiner is mentoring, not peer mentoring).
    cross_department: different known departments (new network, new view).
    same_department_penalty: same department (people already know each other).
    shared_goal / shared_goal_cap: per shared career-goal word, capped so a
        long goal text cannot outweigh the skill exchange.
    timezone_overlap: scaled by shared 9:00-17:00 local working hours / 8.
    priority_bonus: per member of the pair who waited last round. In a
        perfect matching it adds the same constant whatever the pairing, so
        it never changes *who pairs with whom*; it only decides *who waits*
        when someone must (odd cohort, constraints). 25 keeps it below the
        two-way/one-way gap, so it never buys a worse exchange for others.

    Tiers (see `tiers`): `two_way` and `one_way` are lifted where needed so
    that, whatever the weights, inside the peer band (experience at most
    `PEER_BAND` levels apart) every two-way pair scores above every one-way
    pair, and every one-way pair above every pair with no exchange; pairs
    outside the band score below every pair inside it (a last resort, used
    only when it lets more people be paired).
    """

    two_way: float = 100.0
    one_way: float = 30.0
    experience_close: float = 15.0
    experience_gap_penalty: float = 8.0
    cross_department: float = 12.0
    same_department_penalty: float = 10.0
    shared_goal: float = 4.0
    shared_goal_cap: int = 3
    timezone_overlap: float = 10.0
    priority_bonus: float = 25.0


@dataclass(frozen=True, slots=True)
class Tiers:
    """Effective exchange points and the out-of-band penalty for some weights."""

    two_way: float
    one_way: float
    out_of_band: float


def _span(values) -> float:
    values = list(values)
    return max(values) - min(values)


def tiers(w: Weights) -> Tiers:
    """Exchange points lifted above the spread of every other term.

    `spread` is the most the other terms (experience inside the band,
    department, goals, time zones, priority of both) can differ between two
    pairs; each tier sits more than `spread` above the next one."""
    band = [_experience_term(g, w) for g in range(PEER_BAND + 1)]
    every_gap = [_experience_term(g, w) for g in range(MAX_LEVEL_GAP + 1)]
    rest = (
        _span([0.0, w.cross_department, -w.same_department_penalty])
        + abs(w.shared_goal) * max(0, w.shared_goal_cap)
        + abs(w.timezone_overlap)
        + 2 * abs(w.priority_bonus)
    )
    step = _span(band) + rest + 1.0
    one = max(w.one_way, step)
    # 2 * one: one two-way pair plus one pair with no exchange must beat two
    # one-way pairs, or the matching would trade a swap for two one-way pairs.
    two = max(w.two_way, 2 * one + step)
    return Tiers(two_way=two, one_way=one, out_of_band=two + _span(every_gap) + rest + 1.0)


def working_hours_overlap(tz_a: int, tz_b: int) -> float:
    """Hours (0..8) both people are inside their local 9:00-17:00 at once."""
    shift_h = ((tz_b - tz_a) / 3600.0) % 24.0
    gap = min(shift_h, 24.0 - shift_h)  # circular distance in hours, 0..12
    return max(0.0, WORK_DAY_H - gap)


def exchange_kind(a: MatchProfile, b: MatchProfile) -> Exchange:
    """Two-way (both teach), one-way (one teaches) or none."""
    a_teaches = not a.offers.isdisjoint(b.wants)
    b_teaches = not b.offers.isdisjoint(a.wants)
    if a_teaches and b_teaches:
        return "two_way"
    return "one_way" if (a_teaches or b_teaches) else "none"


def is_two_way(a: MatchProfile, b: MatchProfile) -> bool:
    """A offers something B wants and B offers something A wants."""
    return exchange_kind(a, b) == "two_way"


def is_allowed(a: MatchProfile, b: MatchProfile) -> bool:
    """Hard constraints that hold even as a fallback: not self, not blocked, not more than
    `MAX_PAIR_GAP` experience levels apart ("10-14 y" with "<1 y" is never a peer pair: such
    a person waits, with priority, rather than be paired far outside the peer band)."""
    if a.member_id == b.member_id or abs(a.experience - b.experience) > MAX_PAIR_GAP:
        return False
    return a.member_id not in b.blocked and b.member_id not in a.blocked


def score_pair(a: MatchProfile, b: MatchProfile, w: Weights) -> float:
    """Symmetric preference score of pairing `a` with `b` (see `Weights`)."""
    kind = exchange_kind(a, b)
    t = tiers(w)
    score = t.two_way if kind == "two_way" else t.one_way if kind == "one_way" else 0.0
    gap = abs(a.experience - b.experience)
    score += _experience_term(gap, w) - (t.out_of_band if gap > PEER_BAND else 0.0)
    if a.department is not None and b.department is not None:
        same = a.department == b.department
        score += -w.same_department_penalty if same else w.cross_department
    shared = min(len(a.goal_words & b.goal_words), w.shared_goal_cap)
    score += w.shared_goal * shared
    score += w.timezone_overlap * working_hours_overlap(a.tz_offset, b.tz_offset) / WORK_DAY_H
    score += w.priority_bonus * (int(a.priority) + int(b.priority))
    return float(score)


def _experience_term(gap: int, w: Weights) -> float:
    if gap <= 1:
        return w.experience_close
    return -w.experience_gap_penalty * (gap - 1)


def _bitsets(sets: Sequence[frozenset], vocab: dict) -> np.ndarray:
    """Pack each set into a row of uint64 words (vocab maps item -> bit)."""
    words = max(1, (len(vocab) + 63) // 64)
    out = np.zeros((len(sets), words), dtype=np.uint64)
    rows, bits = [], []
    for row, items in enumerate(sets):
        for item in items:
            rows.append(row)
            bits.append(vocab[item])
    if rows:
        r = np.asarray(rows, dtype=np.int64)
        b = np.asarray(bits, dtype=np.int64)
        np.bitwise_or.at(out, (r, b // 64), np.left_shift(np.uint64(1), (b % 64).astype(np.uint64)))
    return out


def _any_common(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.any((x & y) != 0, axis=1)


@dataclass(frozen=True, slots=True)
class ProfileArrays:
    """Column-wise, index-aligned view of a cohort for vectorised scoring."""

    member_ids: np.ndarray  # int64, sorted ascending
    offers: np.ndarray  # (n, words) uint64 skill bitsets
    wants: np.ndarray
    goals: np.ndarray  # (n, words) uint64 goal-word bitsets
    experience: np.ndarray  # int64
    department: np.ndarray  # int64 code, -1 = unknown
    tz_offset: np.ndarray  # int64 seconds
    priority: np.ndarray  # bool

    @classmethod
    def from_profiles(cls, profiles: Sequence[MatchProfile]) -> ProfileArrays:
        skills = sorted({s for p in profiles for s in p.offers | p.wants})
        skill_bit = {s: i for i, s in enumerate(skills)}
        goal_bit = {g: i for i, g in enumerate(sorted({g for p in profiles for g in p.goal_words}))}
        depts = {d: i for i, d in enumerate(sorted({p.department for p in profiles if p.department is not None}))}
        return cls(
            member_ids=np.fromiter((p.member_id for p in profiles), np.int64, len(profiles)),
            offers=_bitsets([p.offers for p in profiles], skill_bit),
            wants=_bitsets([p.wants for p in profiles], skill_bit),
            goals=_bitsets([p.goal_words for p in profiles], goal_bit),
            experience=np.fromiter((p.experience for p in profiles), np.int64, len(profiles)),
            department=np.fromiter((depts.get(p.department, -1) for p in profiles), np.int64, len(profiles)),
            tz_offset=np.fromiter((p.tz_offset for p in profiles), np.int64, len(profiles)),
            priority=np.fromiter((p.priority for p in profiles), bool, len(profiles)),
        )

    def two_way(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return _any_common(self.offers[i], self.wants[j]) & _any_common(self.offers[j], self.wants[i])

    def score(self, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
        """`score_pair` for index arrays `i`, `j` (same formula, vectorised),
        in chunks so temporaries stay small (bounded memory, cache-friendly)."""
        if i.size <= SCORE_CHUNK:
            return self._score(i, j, w)
        return np.concatenate([
            self._score(i[s:s + SCORE_CHUNK], j[s:s + SCORE_CHUNK], w) for s in range(0, i.size, SCORE_CHUNK)
        ])

    def _score(self, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
        a_teaches = _any_common(self.offers[i], self.wants[j])
        b_teaches = _any_common(self.offers[j], self.wants[i])
        t = tiers(w)
        s = np.where(a_teaches & b_teaches, t.two_way, np.where(a_teaches | b_teaches, t.one_way, 0.0))
        shared = np.bitwise_count(self.goals[i] & self.goals[j]).sum(axis=1, dtype=np.int64)
        return s + self._terms(i, j, w, shared)

    def two_way_ceiling(self, i: np.ndarray, j: np.ndarray, w: Weights) -> np.ndarray:
        """An upper bound on `score` for pairs known to be two-way, without their bitsets:
        every term exact but the shared goals, taken as the smaller goal count (column
        generation prices millions of two-way pairs; most fail on this bound alone)."""
        if w.shared_goal < 0:  # sharing lowers the score: none shared is the most it can be
            shared = np.zeros(i.size, np.int64)
        else:
            goal_count = self.goal_counts()
            shared = np.minimum(goal_count[i], goal_count[j])
        return tiers(w).two_way + self._terms(i, j, w, shared)

    def goal_counts(self) -> np.ndarray:
        return np.bitwise_count(self.goals).sum(axis=1, dtype=np.int64)

    def _terms(self, i: np.ndarray, j: np.ndarray, w: Weights, shared: np.ndarray) -> np.ndarray:
        """Every term of the score but the exchange tier; `shared`: goal words in common."""
        t = tiers(w)
        gap = np.abs(self.experience[i] - self.experience[j])
        s = np.where(gap <= 1, w.experience_close, -w.experience_gap_penalty * (gap - 1))
        s -= np.where(gap > PEER_BAND, t.out_of_band, 0.0)
        di, dj = self.department[i], self.department[j]
        known = (di >= 0) & (dj >= 0)
        s += np.where(known, np.where(di == dj, -w.same_department_penalty, w.cross_department), 0.0)
        s += w.shared_goal * np.minimum(shared, w.shared_goal_cap)
        s += w.timezone_overlap * overlap_hours(self.tz_offset[i], self.tz_offset[j]) / WORK_DAY_H
        s += w.priority_bonus * (self.priority[i].astype(np.int64) + self.priority[j])
        return s


def overlap_hours(tz_a: np.ndarray, tz_b: np.ndarray) -> np.ndarray:
    """Vectorised `working_hours_overlap`."""
    shift_h = ((tz_b - tz_a) / 3600.0) % 24.0
    gap = np.minimum(shift_h, 24.0 - shift_h)
    return np.maximum(0.0, WORK_DAY_H - gap)
