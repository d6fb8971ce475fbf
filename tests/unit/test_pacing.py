"""The pacer's schedule against Slack's published tiers (as the fake Slack models them)."""

from __future__ import annotations

import asyncio
import random

from bot import ratelimit
from bot.ratelimit import DEFAULT_INTERVALS, JITTER_RESERVE, SlackPacer, pacer_burst
from devtools.fake_slack import RATE_LIMITS, _Bucket


def _slots(n: int, interval: float, burst: int) -> list[float]:
    """When the pacer lets n back-to-back conversations.open calls leave, on a clock that
    moves only by the pacer's own sleeps."""
    now = [0.0]
    pacer = SlackPacer(intervals={"conversations.open": interval}, bursts={"conversations.open": burst},
                       clock=lambda: now[0])

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def run() -> list[float]:
        slots = []
        real_sleep, ratelimit.asyncio.sleep = ratelimit.asyncio.sleep, sleep  # type: ignore[assignment]
        try:
            for _ in range(n):
                await pacer.before("conversations.open")
                slots.append(now[0])
        finally:
            ratelimit.asyncio.sleep = real_sleep  # type: ignore[assignment]
        return slots

    return asyncio.run(run())


def _late_arrivals(slots: list[float], lateness: float) -> list[list[float]]:
    """Ways calls can arrive when each is at most `lateness` late: held back and released
    together at the end of windows of that length (the worst bunching), at several phases,
    and at random."""
    patterns = []
    for phase in range(10):
        offset = lateness * phase / 10
        patterns.append([offset + (int((s - offset) // lateness) + 1) * lateness - 1e-9 if s >= offset else s
                         for s in slots])
    rng = random.Random(1)
    patterns += [[s + rng.uniform(0, lateness) for s in slots] for _ in range(10)]
    return patterns


def _refused(arrivals: list[float]) -> int:
    """How many calls arriving at these times Tier 3 (the fake's bucket) would answer with a 429."""
    limit = RATE_LIMITS["conversations.open"]
    bucket = _Bucket(tokens=limit.burst, updated=0.0)
    return sum(bucket.take(limit, t) > 0 for t in sorted(arrivals))


def test_conversations_open_is_paced_at_tier3_published_rate() -> None:
    """50 a minute, Slack's published Tier 3 (no rate margin: see the reserve below)."""
    assert abs(DEFAULT_INTERVALS["conversations.open"] - 1 / RATE_LIMITS["conversations.open"].per_second) < 1e-9


def test_late_calls_within_the_reserve_are_never_refused() -> None:
    """Calls leave on their slot but arrive up to JITTER_RESERVE intervals late, in any order:
    Slack still takes every one, however long the run."""
    limit = RATE_LIMITS["conversations.open"]
    interval = DEFAULT_INTERVALS["conversations.open"]
    slots = _slots(400, interval, pacer_burst(limit.burst))
    for late in _late_arrivals(slots, (JITTER_RESERVE - 0.1) * interval):
        assert _refused(late) == 0
    # and the schedule is as fast as the tier allows, less the reserve: no rate margin
    expected = (400 - pacer_burst(limit.burst)) * interval
    assert abs(slots[-1] - expected) < 1e-6


def test_a_rate_margin_without_a_reserve_is_refused_right_after_the_burst() -> None:
    """Why a reserve and not a slower rate: 5 % slower but spending the whole burst, calls
    held back and released together meet a bucket Slack has capped at its burst."""
    limit = RATE_LIMITS["conversations.open"]
    slots = _slots(400, DEFAULT_INTERVALS["conversations.open"] * 1.05, limit.burst)
    lateness = (JITTER_RESERVE - 0.1) * DEFAULT_INTERVALS["conversations.open"]
    assert sum(_refused(late) for late in _late_arrivals(slots, lateness)) > 0
