"""Who was seen lately without an undeliverable mark, per database: a process-local cache.

Every request's sender is checked for an undeliverable mark (`bot.members.is_undeliverable`,
called by the middleware) so that using Tandem clears it. Nearly nobody is marked, so a person
seen unmarked is not read again for SEEN_FOR seconds: one read transaction fewer per request.
A mark set in this process (`bot.outbox`) forgets the database's entries at once; a mark set by
another replica is cleared at the person's first request after SEEN_FOR, as a missed clear
always was (it only waits for their next click)."""

from __future__ import annotations

import time
import weakref
from typing import Any

SEEN_FOR = 600.0  # seconds
MAX_ENTRIES = 100_000  # past it the cache starts again (a few MB at most)

_seen: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], float]] = weakref.WeakKeyDictionary()


def _key(bind: Any) -> Any:
    """The connection pool: shared by an engine and its read-only variant, new with each engine."""
    return bind.sync_engine.pool


def seen_unmarked(bind: Any, team_id: str, user_id: str) -> bool:
    at = _seen.get(_key(bind), {}).get((team_id, user_id))
    return at is not None and time.monotonic() - at < SEEN_FOR


def remember_unmarked(bind: Any, team_id: str, user_id: str) -> None:
    entries = _seen.setdefault(_key(bind), {})
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[(team_id, user_id)] = time.monotonic()


def forget_all(bind: Any) -> None:
    """Someone was just marked: every entry of this database may be wrong now."""
    _seen.pop(_key(bind), None)
