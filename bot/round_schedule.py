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
# Every-two-weeks rounds fall in the weeks an even number of weeks after this Monday
# (a fixed anchor, so the rhythm survives restarts and never depends on ISO week
# numbers, whose 53-week years would leave a three-week gap).
BIWEEKLY_ANCHOR = dt.date(2024, 1, 1)


def next_round_at(program: Program, after: dt.datetime) -> dt.datetime:
    """The first round time strictly after `after` for the program's cadence.

    weekly: every week on the weekday and hour; biweekly: every 14 days, in the
    weeks an even number of weeks after `BIWEEKLY_ANCHOR` (local dates, so the
    hour holds across daylight-saving changes); monthly: the first such weekday
    of each month.
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
        while ((candidate.date() - BIWEEKLY_ANCHOR).days // 7) % 2:
            candidate = trigger.get_next_fire_time(candidate, candidate + dt.timedelta(seconds=1))
            assert candidate is not None
    return candidate.astimezone(dt.timezone.utc)
