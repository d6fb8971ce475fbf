"""What the edges (handlers, jobs, CLI) hand to `bot/`: built once in app.py."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.ratelimit import SlackPacer
from bot.installations import TandemInstallationStore
from bot.slack import SlackGateway
from bot.workers import WorkerPool, shared_pool


ADMIN_CACHE_SECONDS = 60.0


class AdminCache:
    """Admin rights by user id, remembered for ADMIN_CACHE_SECONDS (in process, on the wall
    clock: a cache's age, not a domain decision). A failed lookup is not kept, so
    a Slack hiccup costs one refusal, not a minute of them."""

    def __init__(self, ttl: float = ADMIN_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._clock = ttl, clock
        self._known: dict[str, tuple[float, bool]] = {}

    def get(self, user_id: str) -> bool | None:
        found = self._known.get(user_id)
        if found is None or self._clock() - found[0] > self._ttl:
            return None
        return found[1]

    def put(self, user_id: str, admin: bool) -> None:
        self._known[user_id] = (self._clock(), admin)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    slack: SlackGateway
    clock: Callable[[], dt.datetime] = utc_now
    admins: AdminCache = field(default_factory=AdminCache)  # `bot.admins.is_admin`'s short memory
    workers: WorkerPool = field(default_factory=shared_pool)  # rounds, previews, charts (bot/workers.py)
    # The outbox's pacer when a caller names none (handlers' `send_now`, `run_due`). None:
    # Slack's limits, shared by every process through the database (`SharedPacer`). The demo
    # passes one without intervals: its fake Slack has no limits and its clock is not the wall's.
    pacer: SlackPacer | None = None
    # OAuth mode: every workspace's token comes from here (bot/installations.py); None in
    # single-token mode, whose one token is the gateway's own.
    installations: TandemInstallationStore | None = None
