"""`run_due(now)`: the one door through which all scheduled work enters.

The database, not the scheduler's memory, says what is due, so a restart
loses nothing. Each piece of work claims its rows atomically (a conditional
UPDATE, `FOR UPDATE SKIP LOCKED` on PostgreSQL, unique idempotency keys in the
outbox), so two processes running `run_due` at once never do it twice.
APScheduler only supplies the tick.

A round is CPU-heavy (seconds at 10k members): the serving process only checks whether
it is due (`rounds.round_due`, a read) and a worker process runs it, claim included
(`InWorker`, bot/workers.py), so the event loop keeps acknowledging Slack meanwhile.
In the serving process delivery is its own job (`Delivery`), not the tail of a tick: a
tick runs the jobs and wakes the sender, which drains while anything is due. A
100-minute delivery of a large round therefore never holds up the next tick, and the
prompts and check-ins that fall due meanwhile are queued in their minute and sent with
the sender's next batch (each claim takes time-driven messages before a round's bulk,
see `outbox.drain`). `run_due` itself (the `run-due` command, tests) still delivers
what it queued before it returns.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import (
    checkins, events, headsup, installations, job_failures, members, outbox, retention, round_tasks, rounds, sessions,
)
from bot.deps import Deps
from bot.models import Program, Workspace
from bot.ratelimit import SlackPacer

log = logging.getLogger(__name__)

Job = Callable[[AsyncSession, Program, dt.datetime], Awaitable[int]]
"""One piece of scheduled work for one program, inside the transaction `run_due` opened;
it returns how much it did (messages queued, rows changed)."""
TICK_SECONDS = 60
DRAIN_SLICE = dt.timedelta(seconds=30)
"""How long the serving process's sender claims batches before it looks up (a shutdown waits
at most this plus the batch in hand, about 20 s at Tier 3's pace)."""


@dataclass(frozen=True)
class InWorker:
    """A job whose work runs in a worker process: `due` (a Job, in this process, in its own
    transaction) says whether there is any; then `task(sessionmaker, program_id, now) -> int`
    runs in the worker, in the worker's own transaction (bot/workers.py)."""

    due: Job
    task: Callable[..., Awaitable[int]]


JOBS: tuple[tuple[str, Job | InWorker], ...] = (
    ("resume-paused-members", members.resume_paused),
    # Completed and expired pairings end before a round, so their members take part in it.
    ("finish-pairings", checkins.finish_pairings),
    ("start-due-rounds", InWorker(rounds.round_due, round_tasks.due_round)),
    ("round-headsups", headsup.send_headsups),
    ("session-prompts", sessions.send_due_prompts),
    ("dilemma-reminders", sessions.send_due_reminders),
    ("session-checkins", checkins.send_due_checkins),
    ("purge-private-text", retention.purge_private_text),
    ("prune-processed-events", events.prune_processed_events),
)
"""The scheduled jobs, in the order one tick runs them (delivery last)."""


async def run_due(
    deps: Deps, now: dt.datetime, *, pacer: SlackPacer | None = None,
    jobs: Sequence[tuple[str, Job | InWorker]] = JOBS, deliver: bool = True,
) -> dict[str, int]:
    """Do every piece of work due at `now`, then (unless not `deliver`: the ticking
    scheduler's `Delivery` does it) deliver what it queued, at Slack's pace (`pacer`: one
    without intervals suits a fake Slack that has no rate limits).

    Each job runs once per program in its own transaction, opened here: a job that
    raises is logged with its traceback and rolled back, and every other job (and
    the same job for the other programs) still runs; `jobs-failed` counts them."""
    if now.tzinfo is None:
        raise ValueError("run_due needs an aware datetime")
    done: dict[str, int] = {}
    failed = 0
    try:
        done["purge-uninstalled"] = await _purge_uninstalled(deps, now)
    except Exception:
        failed += 1
        log.exception("scheduled job purge-uninstalled failed")
    async with deps.sessionmaker() as session:
        # An uninstalled workspace (bot.installations) gets no scheduled work at all.
        program_ids = list(await session.scalars(
            select(Program.id).join(Workspace, Workspace.id == Program.workspace_id)
            .where(Workspace.uninstalled_at.is_(None)).order_by(Program.id)
        ))
        waiting = await job_failures.failing(session)
    for name, job in jobs:
        done[name] = 0
        for program_id in program_ids:
            retry_at = waiting.get((name, program_id))
            if retry_at is not None and retry_at > now:  # failing: it backs off (bot.job_failures)
                done["jobs-backing-off"] = done.get("jobs-backing-off", 0) + 1
                continue
            try:
                done[name] += await _run(deps, job, program_id, now)
            except Exception as exc:  # one job's failure must not stop the others
                failed += 1
                log.exception("scheduled job %s failed for program %s", name, program_id)
                await _record_failure(deps, name, program_id, now, type(exc).__name__)
                continue
            if retry_at is not None:
                async with deps.sessionmaker.begin() as session:
                    await job_failures.clear(session, name, program_id)
    if deliver:
        report = await outbox.drain(deps, now, pacer=pacer)
        done["messages-sent"] = report.sent
        done["messages-failed"] = report.failed
    if failed:
        done["jobs-failed"] = failed
    if any(done.values()):
        log.info("run_due at %s: %s", now.isoformat(), done)
    return done


async def _run(deps: Deps, job: Job | InWorker, program_id: int, now: dt.datetime) -> int:
    if not isinstance(job, InWorker):
        return await _run_job(deps, job, program_id, now)
    if not await _run_job(deps, job.due, program_id, now):
        return 0
    # No transaction is open here while the worker runs (on SQLite it would hold the lock it needs).
    return int(await deps.workers.run_db(deps.settings, deps.sessionmaker, job.task, program_id, now))


async def _record_failure(deps: Deps, name: str, program_id: int, now: dt.datetime, error: str) -> None:
    """Count the failure (`bot.job_failures`: the second in a row alerts the program's admins,
    TANDEM_ADMINS and the program's own, else the workspace's admins and owners). Never raises: a
    database that is down only leaves the job to be retried at the next tick."""
    try:
        async with deps.sessionmaker() as session:
            program = await session.get(Program, program_id)
            reports = program is not None and await job_failures.reports_next(session, name, program_id)
        if program is None:
            return
        admins = sorted(deps.settings.admin_ids | set(program.admin_user_ids or ())) if reports else []
        if reports and not admins:
            try:
                admins = await outbox.alert_recipients(deps)
            except Exception:  # no token bound (OAuth mode) or Slack is unwell: the log has it
                admins = []
        async with deps.sessionmaker.begin() as session:
            program = await session.get(Program, program_id)
            if program is not None:
                await job_failures.record_failure(session, name, program, now, error, admins)
    except Exception:
        log.exception("could not record the failure of scheduled job %s for program %s", name, program_id)


async def _purge_uninstalled(deps: Deps, now: dt.datetime) -> int:
    async with deps.sessionmaker.begin() as session:
        purged = await installations.purge_uninstalled(session, now, deps.settings.TANDEM_UNINSTALLED_RETENTION_DAYS)
    for team_id in purged:
        log.info("purged workspace %s: uninstalled longer than the retention period", team_id)
    return len(purged)


async def _run_job(deps: Deps, job: Job, program_id: int, now: dt.datetime) -> int:
    async with deps.sessionmaker.begin() as session:
        program = await session.scalar(
            select(Program).join(Workspace, Workspace.id == Program.workspace_id)
            .where(Program.id == program_id, Workspace.uninstalled_at.is_(None))
        )
        if program is None:  # deleted (the workspace was purged) or uninstalled since the tick began
            return 0
        return await job(session, program, now)


class Delivery:
    """The serving process's sender: one drain at a time, woken by every tick, draining in
    `slice_` pieces while anything is due. A wake-up during a drain makes it look again when
    it finishes, so a message queued at its end is not left for the next minute."""

    def __init__(self, deps: Deps, slice_: dt.timedelta = DRAIN_SLICE) -> None:
        self._deps, self._slice = deps, slice_
        self._task: asyncio.Task[None] | None = None
        self._woken = False
        self._stopping = False

    def wake(self) -> None:
        self._woken = True
        if not self._stopping and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._woken and not self._stopping:
            self._woken = False
            try:
                report = await outbox.drain(self._deps, self._deps.clock(), budget=self._slice,
                                            stop=lambda: self._stopping)
            except Exception:  # the next tick wakes it again
                log.exception("outbox delivery failed")
                return
            if report.sent or report.failed:
                log.info("delivered: %s sent, %s failed, %s retried", report.sent, report.failed, report.retried)
            self._woken |= report.unfinished

    async def stop(self, timeout: float) -> None:
        """Claim nothing more; let the batch in hand finish (up to `timeout` seconds; a send cut
        short after that is found in the conversation's history by the next drain, not re-sent)."""
        self._stopping = True
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task], timeout=timeout)


def start_scheduler(deps: Deps, *, seconds: float = TICK_SECONDS,
                    drain_slice: dt.timedelta = DRAIN_SLICE) -> AsyncIOScheduler:
    """Tick `run_due` every minute in this process (one tick at a time), delivery in its own
    task (`Delivery`) so a long delivery never delays the next tick."""
    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
    delivery = _DELIVERIES[scheduler] = Delivery(deps, drain_slice)

    async def tick() -> None:
        _TICKS.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await run_due(deps, deps.clock(), deliver=False)
        except Exception:  # a failed tick must not stop the next one
            log.exception("scheduled run_due failed")
        finally:
            _TICKS.discard(asyncio.current_task())  # type: ignore[arg-type]
            delivery.wake()

    scheduler.add_job(
        tick, "interval", seconds=seconds, id="run_due", max_instances=1, coalesce=True,
        # The tick's own timing is wall-clock time (APScheduler's); `deps.clock` is the domain's.
        next_run_time=dt.datetime.now(dt.timezone.utc),
    )
    scheduler.start()
    return scheduler


_TICKS: set[asyncio.Task[None]] = set()  # ticks in progress in this process
_DELIVERIES: dict[AsyncIOScheduler, Delivery] = {}


async def stop_scheduler(scheduler: AsyncIOScheduler, timeout: float = 30.0) -> None:
    """Stop ticking and let a tick in progress and the batch being delivered finish (up to
    `timeout` seconds), so a shutdown never cancels run_due or a send in the middle of its
    work; APScheduler's own shutdown would cancel it."""
    scheduler.pause()
    delivery = _DELIVERIES.pop(scheduler, None)
    stopping = [delivery.stop(timeout)] if delivery is not None else []
    running = [task for task in _TICKS if not task.done()]
    if running:
        await asyncio.wait(running, timeout=timeout)
    await asyncio.gather(*stopping)
    scheduler.shutdown(wait=False)
