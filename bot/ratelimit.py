"""Pacing outgoing Web API calls to Slack's published rate limits.

Slack allows chat.postMessage about once a second per conversation (short
bursts tolerated) and conversations.open at Tier 3 (50+ a minute). The pacer
spaces calls so that 429s are the exception; when one comes anyway the outbox
honours its Retry-After.

Slack's tiers are per workspace (and app), not per process: `SharedPacer`, the
outbox's default, keeps the workspace-wide buckets (conversations.open, Tier 3)
in the database, one row per workspace and bucket, whose next free slot every
process claims with a single `UPDATE … RETURNING`, so the serving process, a
`run-due` from cron and any number of replicas together stay within the tier.
chat.postMessage's limit is per conversation and each outbox row is held by one
sender at a time, so it is paced in the process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import case, update

from bot.db import writing
from bot.models import SlackPace
from bot.sqlutil import insert_ignoring_conflicts

DEFAULT_INTERVALS = {
    "chat.postMessage": 1.0,  # per conversation
    "conversations.open": 60 / 50,  # Tier 3: 50 a minute, Slack's published floor
}
# Calls the pacer lets through back to back before spacing applies: fewer than Slack's own
# burst (Tier 3 "allows a good amount of burst behavior"), and the difference is the margin.
# Calls leave on their slot but arrive with some jitter (a slow sender, a busy event loop);
# pacing at the tier's exact rate while leaving JITTER_RESERVE calls of Slack's burst
# unspent absorbs up to JITTER_RESERVE intervals of lateness at any point of a long run.
# (A rate margin instead, e.g. 5 % slower, costs 5 % of every run and protects nothing at the
# moment it matters most: right after the burst, when Slack's bucket is empty.)
DEFAULT_BURSTS = {"chat.postMessage": 1, "conversations.open": 5}
JITTER_RESERVE = 5


def pacer_burst(slack_burst: int) -> int:
    """What the pacer may spend of a limit whose burst Slack allows `slack_burst` calls."""
    return max(1, slack_burst - JITTER_RESERVE)


class SlackPacer:
    """Per (method, conversation) spacing of calls, as a token bucket."""

    def __init__(
        self,
        intervals: dict[str, float] | None = None,
        bursts: dict[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.intervals = dict(DEFAULT_INTERVALS if intervals is None else intervals)
        self.bursts = dict(DEFAULT_BURSTS if bursts is None else bursts)
        self._clock = clock
        self._next_free: dict[tuple[str, str], float] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def before(self, method: str, key: str = "", *, workspace_id: int | None = None) -> None:
        """Wait until a call to `method` (for conversation `key`) is within the limit."""
        interval = self.intervals.get(method)
        if not interval:
            return
        slot = (method, key)
        lock = self._locks.setdefault(slot, asyncio.Lock())
        async with lock:
            now = self._clock()
            burst_window = interval * max(self.bursts.get(method, 1) - 1, 0)
            next_free = max(self._next_free.get(slot, now - burst_window), now - burst_window)
            wait = next_free - now
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_free[slot] = next_free + interval


# Limits that are per workspace (whatever the conversation): shared through the database.
SHARED_METHODS = frozenset({"conversations.open"})


class SharedPacer(SlackPacer):
    """Workspace-wide buckets claimed in the database (see the module docstring); the
    others as `SlackPacer`. `clock` is Unix time: every process must read the same one."""

    def __init__(self, sessionmaker: Any, intervals: dict[str, float] | None = None,
                 bursts: dict[str, int] | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(intervals, bursts, clock)
        self._sessionmaker = sessionmaker

    async def before(self, method: str, key: str = "", *, workspace_id: int | None = None) -> None:
        interval = self.intervals.get(method)
        if not interval or method not in SHARED_METHODS or workspace_id is None:
            return await super().before(method, key)
        wait = await self._claim(method, workspace_id, interval)
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    async def _claim(self, method: str, workspace_id: int, interval: float) -> float:
        """Take the bucket's next slot: seconds to wait for it."""
        burst_window = interval * max(self.bursts.get(method, 1) - 1, 0)
        for _ in range(2):
            now = self._clock()
            floor = now - burst_window
            async with writing(self._sessionmaker) as session:
                claimed = await session.scalar(
                    update(SlackPace)
                    .where(SlackPace.workspace_id == workspace_id, SlackPace.bucket == method)
                    .values(next_free=case((SlackPace.next_free > floor, SlackPace.next_free), else_=floor) + interval)
                    .returning(SlackPace.next_free)
                )
                if claimed is None:  # first use of the bucket: create it, then claim
                    await session.execute(
                        insert_ignoring_conflicts(session, SlackPace, ["workspace_id", "bucket"])
                        .values(workspace_id=workspace_id, bucket=method, next_free=floor)
                    )
                    continue
            return float(claimed) - interval - now
        raise AssertionError("pacing row vanished")
