"""`run_due(now)`: the one door through which all scheduled work enters.

The database, not the scheduler's memory, says what is due, so a restart
loses nothing. Each piece of work claims its rows atomically (a conditional
UPDATE, `FOR UPDATE SKIP LOCKED` on PostgreSQL, unique idempotency keys in the
outbox), so two processes running `run_due` at once never do it twice.
APScheduler only supplies the tick.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import outbox
from bot.deps import Deps
from bot.ratelimit import SlackPacer

log = logging.getLogger(__name__)

DueWork = Callable[[Deps, dt.datetime], Awaitable[int]]
TICK_SECONDS = 60


def due_work() -> list[tuple[str, DueWork]]:
    """The scheduled jobs, in the order one tick runs them (delivery last)."""
    from bot import checkins, members, rounds, sessions  # noqa: PLC0415 - domain modules import Deps from here

    return [
        ("resume-paused-members", members.resume_paused),
        # Completed and expired pairings end before a round, so their members take part in it.
        ("finish-pairings", checkins.finish_pairings),
        ("start-due-rounds", rounds.start_due_rounds),
        ("session-prompts", sessions.send_due_prompts),
        ("dilemma-reminders", sessions.send_due_reminders),
        ("session-checkins", checkins.send_due_checkins),
    ]


async def run_due(deps: Deps, now: dt.datetime, *, pacer: SlackPacer | None = None) -> dict[str, int]:
    """Do every piece of work due at `now`, then deliver what it queued, at Slack's pace
    (`pacer`: one without intervals suits a fake Slack that has no rate limits)."""
    if now.tzinfo is None:
        raise ValueError("run_due needs an aware datetime")
    done: dict[str, int] = {}
    for name, work in due_work():
        done[name] = await work(deps, now)
    report = await outbox.drain(deps, now, pacer=pacer)
    done["messages-sent"] = report.sent
    done["messages-failed"] = report.failed
    if any(done.values()):
        log.info("run_due at %s: %s", now.isoformat(), done)
    return done


def start_scheduler(deps: Deps) -> AsyncIOScheduler:
    """Tick `run_due` every minute in this process (one tick at a time)."""
    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)

    async def tick() -> None:
        try:
            await run_due(deps, deps.clock())
        except Exception:  # a failed tick must not stop the next one
            log.exception("scheduled run_due failed")

    scheduler.add_job(
        tick, "interval", seconds=TICK_SECONDS, id="run_due", max_instances=1, coalesce=True,
        next_run_time=deps.clock(),
    )
    scheduler.start()
    return scheduler
