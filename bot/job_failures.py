"""Scheduled jobs that fail: they back off, and the admins hear about it once.

`run_due` (bot/scheduler.py, which opens the transactions) reads which jobs are failing
(`failing`), skips a (job, program) until its `retry_at`, records each failure in a transaction
of its own after the job's rolled back (`record_failure`) and forgets it once the job succeeds
(`clear`). A single failure is retried at the next tick (a restart mid-round, a deadlock: no
alarm); from the second in a row the wait doubles from BACKOFF_FIRST to at most BACKOFF_CAP, so
a broken round is retried, not re-run every minute, and that second failure queues one DM to
each admin; the streak's later failures only log. The alert names the job, the program and the
exception's type, never its message (which may carry what a person wrote)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.models import JobFailure, Program
from bot.sqlutil import insert_ignoring_conflicts

BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)
REPORT_AFTER = 2  # failures in a row before the admins hear of it (once a streak)


async def failing(session: AsyncSession) -> dict[tuple[str, int], dt.datetime]:
    """(job, program id) -> when it may run again, for every job failing now."""
    rows = await session.execute(select(JobFailure.job, JobFailure.program_id, JobFailure.retry_at))
    return {(job, program_id): retry_at for job, program_id, retry_at in rows.all()}


async def reports_next(session: AsyncSession, job: str, program_id: int) -> bool:
    """Whether one more failure of `job` for the program would alert the admins (so that the
    caller looks them up, a Slack call, only then)."""
    found = await session.get(JobFailure, (job, program_id))
    failures, reported = (found.failures, found.reported_at is not None) if found else (0, False)
    return not reported and failures + 1 >= REPORT_AFTER


def backoff(failures: int) -> dt.timedelta:
    """The wait after `failures` failures in a row: none after the first, then 1, 2, 4 … minutes."""
    if failures < REPORT_AFTER:
        return dt.timedelta(0)
    return min(BACKOFF_FIRST * 2 ** min(failures - REPORT_AFTER, 16), BACKOFF_CAP)


async def record_failure(
    session: AsyncSession, job: str, program: Program, now: dt.datetime, error: str, admins: list[str],
) -> list[str]:
    """One more failure of `job` for `program`; returns the outbox keys queued (the alert to
    `admins`, once a streak, at its REPORT_AFTER-th failure). Safe when two processes fail at once."""
    await session.execute(
        insert_ignoring_conflicts(session, JobFailure, ["job", "program_id"]).values(
            job=job, program_id=program.id, failures=0, first_failed_at=now, retry_at=now, error=error[:80])
    )
    found = await session.scalar(
        select(JobFailure).where(JobFailure.job == job, JobFailure.program_id == program.id).with_for_update()
    )
    assert found is not None
    found.failures += 1
    found.retry_at = now + backoff(found.failures)
    found.error = error[:80]
    if found.reported_at is not None or found.failures < REPORT_AFTER:
        return []
    found.reported_at = now
    keys = []
    stamp = int(found.first_failed_at.timestamp())
    for admin in admins:
        key = f"alert:job:{job}:{program.id}:{stamp}:{admin}"
        await outbox.enqueue(session, workspace_id=program.workspace_id, key=key, now=now, users=[admin],
                             payload=alert_text(job, program, error))
        keys.append(key)
    return keys


def alert_text(job: str, program: Program, error: str) -> dict[str, str]:
    return {"text": (
        f":warning: Tandem's scheduled work `{job}` failed for the program *{program.name}* ({error}). "
        "It failed again when retried; it will keep trying, waiting longer each time (up to an hour), "
        "and the server's log has the "
        "details. This is the only message about it until it has worked again."
    )}


async def clear(session: AsyncSession, job: str, program_id: int) -> None:
    """The job worked: its streak is over (a later failure is reported again)."""
    await session.execute(delete(JobFailure).where(JobFailure.job == job, JobFailure.program_id == program_id))
