"""Pacing outgoing Web API calls to Slack's published rate limits.

Slack allows chat.postMessage about once a second per conversation (short
bursts tolerated) and conversations.open at Tier 3 (50+ a minute). The pacer
spaces calls so that 429s are the exception; when one comes anyway the outbox
honours its Retry-After. Limits are per process: several replicas share
Slack's budget, so a 429 can still happen and is handled the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEFAULT_INTERVALS = {
    "chat.postMessage": 1.0,  # per conversation
    "conversations.open": 60 / 50,  # Tier 3
}
# Calls a limit lets through back to back before spacing applies.
DEFAULT_BURSTS = {"chat.postMessage": 1, "conversations.open": 5}


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

    async def before(self, method: str, key: str = "") -> None:
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
