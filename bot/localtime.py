"""Local-time rules: when a prompt may reach a person, when a pair can meet.

Pure functions over aware datetimes. A person's zone comes from Slack
(`users.info` → `Member.tz`, an IANA name, or failing that `Member.tz_offset`).

The rules (README "Timing"):
- *Working hours* are 09:00–18:00 local on the person's *working days*
  (`Member.work_days`, a profile choice; Monday to Friday unless they pick
  others, such as Sunday to Thursday).
- A direct message that is due at night is sent *earlier*, at 17:00 local the
  evening before (so the person never gets less notice than asked for); one due
  on a day off goes at 17:00 on their previous working day.
- A message to the whole pair goes at the first hour, from when it is due,
  that is least uncomfortable for everyone (hours outside 09:00–18:00 summed
  over the members); for a pair in UTC−8 and UTC+9 that is 00:00–02:00 UTC.
- A meeting slot is the hour on a weekday that falls in everyone's
  09:00–17:00 (start) window if one exists, nearest to late morning.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
WORK_START = 9  # local hour
WORK_END = 18  # local hour, exclusive
LAST_MEETING_START = 17
PREFERRED_MEETING_HOUR = 11
SLOT_SEARCH_DAYS = 7
EVENING_SEND_HOUR = 17  # a night-time DM is sent at 17:00 local the evening before

WorkDays = frozenset[int]  # weekday numbers, Monday = 0
MON_FRI: WorkDays = frozenset(range(5))
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_work_days(text: str | None) -> WorkDays:
    """`Member.work_days` ("0,1,2,3,4", Monday = 0) as a set; Monday–Friday when unset or unreadable."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts or not all(p.isdecimal() and int(p) < 7 for p in parts):
        return MON_FRI
    return frozenset(int(p) for p in parts)


def format_work_days(days: WorkDays) -> str:
    return ",".join(str(d) for d in sorted(days))


def is_work_day(moment: dt.datetime, zone: dt.tzinfo, days: WorkDays = MON_FRI) -> bool:
    return moment.astimezone(zone).weekday() in (days or MON_FRI)


def zone_of(tz: str | None, tz_offset: int | None = 0) -> dt.tzinfo:
    """The person's zone: Slack's IANA name when known, else their fixed offset."""
    if tz:
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.timezone(dt.timedelta(seconds=tz_offset or 0))


def local_hour(moment: dt.datetime, zone: dt.tzinfo) -> float:
    loc = moment.astimezone(zone)
    return loc.hour + loc.minute / 60


def in_working_hours(moment: dt.datetime, zone: dt.tzinfo, days: WorkDays = MON_FRI) -> bool:
    return is_work_day(moment, zone, days) and WORK_START <= local_hour(moment, zone) < WORK_END


def no_later_working_time(moment: dt.datetime, zone: dt.tzinfo, days: WorkDays = MON_FRI) -> dt.datetime:
    """`moment` if it is within 09:00–18:00 on a working day; otherwise 17:00 local on the
    last working day before it (the evening before, or the working day before a day off)."""
    days = days or MON_FRI
    loc = moment.astimezone(zone)
    if loc.weekday() in days and WORK_START <= loc.hour < WORK_END:
        return moment
    day = loc.date() if loc.hour >= WORK_END else loc.date() - dt.timedelta(days=1)
    while day.weekday() not in days:
        day -= dt.timedelta(days=1)
    evening = dt.datetime.combine(day, dt.time(EVENING_SEND_HOUR), tzinfo=zone)
    return evening.astimezone(UTC)


def _calendars(zones: list[dt.tzinfo], days_list: list[WorkDays] | None) -> list[tuple[dt.tzinfo, WorkDays]]:
    days_list = list(days_list or [])
    return [(z, days_list[i] if i < len(days_list) else MON_FRI) for i, z in enumerate(zones)]


def before_days_off(moment: dt.datetime, zones: list[dt.tzinfo], days_list: list[WorkDays] | None = None) -> dt.datetime:
    """`moment`, or when it falls on anyone's day off, the latest earlier moment at 17:00
    of a working day for each of them in turn (a message to the pair, sent early)."""
    for _ in range(8 * max(len(zones), 1)):
        off = [(z, d) for z, d in _calendars(zones, days_list) if not is_work_day(moment, z, d)]
        if not off:
            return moment
        moment = no_later_working_time(moment, *off[0])
    return moment


def after_days_off(moment: dt.datetime, zones: list[dt.tzinfo], days_list: list[WorkDays] | None = None) -> dt.datetime:
    """`moment`, or when it falls on anyone's day off, the first later hour on a working
    day for all, inside everyone's working hours when such an hour exists within a week."""
    people = _calendars(zones, days_list)
    if all(is_work_day(moment, z, d) for z, d in people):
        return moment
    candidates = [moment + dt.timedelta(hours=h) for h in range(1, 24 * 8)]
    shared = [c for c in candidates if all(is_work_day(c, z, d) for z, d in people)]
    comfortable = [c for c in shared if all(in_working_hours(c, z, d) for z, d in people)]
    return (comfortable or shared or [moment])[0]


def discomfort(moment: dt.datetime, zones: list[dt.tzinfo], *, last_hour: int = WORK_END) -> float:
    """Hours outside each person's working day, summed over people (0 = fine for all)."""
    total = 0.0
    for zone in zones:
        hour = local_hour(moment, zone)
        if hour < WORK_START:
            total += min(WORK_START - hour, hour + 24 - last_hour)
        elif hour >= last_hour:
            total += min(hour - last_hour + 1, WORK_START + 24 - hour)
    return total


def pair_friendly_time(moment: dt.datetime, zones: list[dt.tzinfo]) -> dt.datetime:
    """The first moment from `moment` on (hourly steps, within a day) that is least
    uncomfortable for all `zones`."""
    candidates = [moment + dt.timedelta(hours=h) for h in range(24)]
    best = min(range(24), key=lambda h: (discomfort(candidates[h], zones), h))
    return candidates[best]


def _is_weekday_for_all(moment: dt.datetime, people: list[tuple[dt.tzinfo, WorkDays]]) -> bool:
    return all(is_work_day(moment, z, d) for z, d in people)


def meeting_slot(day: dt.date, zones: list[dt.tzinfo], days_list: list[WorkDays] | None = None) -> dt.datetime:
    """The meeting time from `day` (a UTC date) on: a working day for everyone, inside
    everyone's 09:00–17:00 start window when possible, the earliest such day, and
    on it the hour nearest to 11:00 local."""
    base = dt.datetime.combine(day, dt.time(0), tzinfo=UTC)
    candidates = [base + dt.timedelta(hours=h) for h in range(24 * SLOT_SEARCH_DAYS)]
    people = _calendars(zones, days_list)
    weekdays = [c for c in candidates if _is_weekday_for_all(c, people)] or candidates
    return min(
        weekdays,
        key=lambda c: (
            discomfort(c, zones, last_hour=LAST_MEETING_START + 1),
            (c - base) // dt.timedelta(days=1),
            sum(abs(local_hour(c, z) - PREFERRED_MEETING_HOUR) for z in zones),
            c,
        ),
    )


def slack_date(moment: dt.datetime, fmt: str = "{date_short_pretty} at {time}") -> str:
    """A `<!date^…>` token: Slack renders it in each reader's own time zone."""
    fallback = moment.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>"
