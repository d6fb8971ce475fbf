"""When the next matching round is due, from the program's cadence.

APScheduler's cron trigger does the calendar arithmetic (weekday, hour, the
program's time zone, daylight-saving changes); the result is stored in
`Program.next_round_at`, which is what `run_due` reads.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.models import Program

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_round_at(program: Program, after: dt.datetime) -> dt.datetime:
    """The first round time strictly after `after` for the program's cadence.

    weekly: every week on the weekday and hour; biweekly: every second such
    week (counted from the ISO week number, so the rhythm survives restarts);
    monthly: the first such weekday of each month.
    """
    tz = ZoneInfo(program.timezone)
    day = WEEKDAYS[program.round_weekday]
    if program.cadence == "monthly":
        trigger = CronTrigger(day=f"1st {day}", hour=program.round_hour, minute=0, timezone=tz)
    else:
        trigger = CronTrigger(day_of_week=day, hour=program.round_hour, minute=0, timezone=tz)
    candidate = trigger.get_next_fire_time(None, after + dt.timedelta(seconds=1))
    assert candidate is not None
    if program.cadence == "biweekly":
        while candidate.isocalendar().week % 2:
            candidate = trigger.get_next_fire_time(candidate, candidate + dt.timedelta(seconds=1))
            assert candidate is not None
    return candidate.astimezone(dt.timezone.utc)
