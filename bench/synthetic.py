"""Seeded synthetic Slack workspace for benchmarks, tests and demos.

Skills follow a Zipf law over ~200 real tags (a few very popular, a long
tail), departments have unequal sizes, time zones cluster by region, and a
few past rounds provide recent pairs.  Same (n, seed) -> same workspace.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.workforce import (  # noqa: E402 - the catalogs are shared with the demo
    DEPARTMENTS,
    EXPERIENCE_SHARES,
    FIRST_NAMES,
    GOAL_WORDS,
    LAST_NAMES,
    SKILLS,
    TZ_CLUSTERS,
)
from bot.matching import MatchProfile  # noqa: E402


@dataclass(frozen=True, slots=True)
class SyntheticWorkspace:
    profiles: list[MatchProfile]
    recent_pairs: set[frozenset[int]]
    names: dict[int, str]  # member_id -> display name
    skill_names: dict[int, str]  # skill id -> tag
    departments: tuple[str, ...]


def generate_workspace(n: int, seed: int = 0, *, rounds: int = 3, zipf_s: float = 1.0) -> SyntheticWorkspace:
    """`n` synthetic members with `rounds` past rounds of history."""
    rng = np.random.default_rng(seed)
    member_ids = 100_000 + 7 * np.arange(n)  # deliberately not 0..n-1
    skill_p = _zipf(len(SKILLS), zipf_s, rng)
    offers = _sample_sets(rng, n, skill_p, 2, 5)
    wants = _sample_sets(rng, n, skill_p, 1, 4, exclude=offers)
    dept_idx = rng.choice(len(DEPARTMENTS), n, p=_zipf(len(DEPARTMENTS), 0.9, rng))
    no_dept = rng.random(n) < 0.03
    goals = _sample_sets(rng, n, _zipf(len(GOAL_WORDS), 0.8, rng), 0, 4)
    tz_h = np.array([c[0] for c in TZ_CLUSTERS])
    tz_p = np.array([c[1] for c in TZ_CLUSTERS])
    tz = (tz_h[rng.choice(len(tz_h), n, p=tz_p / tz_p.sum())] * 3600).astype(int)
    exp = rng.choice(6, n, p=EXPERIENCE_SHARES)
    priority = rng.random(n) < 0.03
    blocked = _blocked(rng, member_ids)
    profiles = [
        MatchProfile(
            member_id=int(member_ids[i]),
            offers=frozenset(offers[i]),
            wants=frozenset(wants[i]),
            experience=int(exp[i]),
            department=None if no_dept[i] else DEPARTMENTS[dept_idx[i]],
            goal_words=frozenset(GOAL_WORDS[g] for g in goals[i]),
            tz_offset=int(tz[i]),
            blocked=blocked.get(i, frozenset()),
            priority=bool(priority[i]),
        )
        for i in range(n)
    ]
    names = {int(m): f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
             for i, m in enumerate(rng.permutation(member_ids))}
    recent = _history(rng, member_ids, rounds)
    return SyntheticWorkspace(profiles, recent, names, dict(enumerate(SKILLS)), DEPARTMENTS)


def _zipf(k: int, s: float, rng) -> np.ndarray:
    """Zipf weights over k items in a random rank order."""
    p = 1.0 / np.arange(1, k + 1) ** s
    return rng.permutation(p / p.sum())


def _sample_sets(rng, n: int, p: np.ndarray, lo: int, hi: int, exclude: list[list[int]] | None = None):
    """Weighted sampling without replacement, vectorised (Gumbel top-k)."""
    keys = np.log(p)[None, :] + rng.gumbel(size=(n, p.size))
    if exclude is not None:
        rows = np.repeat(np.arange(n), [len(e) for e in exclude])
        keys[rows, np.concatenate([np.asarray(e, int) for e in exclude])] = -np.inf
    sizes = rng.integers(lo, hi + 1, n)
    top = np.argsort(-keys, axis=1)[:, :hi]
    return [sorted(top[i, : sizes[i]].tolist()) for i in range(n)]


def _blocked(rng, member_ids: np.ndarray) -> dict[int, frozenset[int]]:
    """~1% of people block one random colleague."""
    n = member_ids.size
    who = np.flatnonzero(rng.random(n) < 0.01)
    return {int(i): frozenset({int(member_ids[(i + rng.integers(1, n)) % n])}) for i in who}


def _history(rng, member_ids: np.ndarray, rounds: int) -> set[frozenset[int]]:
    """Past rounds: each a random pairing of ~90% of members."""
    recent: set[frozenset[int]] = set()
    for _ in range(rounds):
        active = rng.permutation(member_ids)[: int(member_ids.size * 0.9) // 2 * 2]
        recent.update(frozenset((int(a), int(b))) for a, b in active.reshape(-1, 2))
    return recent
