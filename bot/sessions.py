"""A pairing's sessions: the plan, the mentee rotation, rescheduling, dilemmas and
the prompts `run_due` sends before each session.

Timing (README "Timing"; local-time rules in `bot.localtime`):
- Session 1, the kick-off, is 3 days after the pairing starts; the others follow
  the pairing's cadence. Each falls on a weekday at an hour inside everyone's
  working day when one exists.
- `Program.session_lead_hours` (default 48) before a session, the mentee gets a
  DM asking for their dilemma (at 17:00 local the evening before if that moment
  is at night for them). Brainstorm sessions get a shared-problem prompt in the
  pair's conversation instead; the kick-off gets a goals prompt there.
- 24 hours before the session, a mentee who has not written a dilemma gets one
  reminder (only during their working hours, at least 12 hours after the prompt).
- 4 hours before the session (or later, up to its start, at the first hour
  that suits the whole pair), still no dilemma: the session becomes a
  brainstorm and the pair's conversation is told.

Claiming due work across processes: each job selects its due rows with
`FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers with
`BEGIN IMMEDIATE`), stamps the row's timestamp (`prompt_sent_at`, …) and
enqueues the outbox message under a deterministic key in the same
transaction. A second process either skips the locked row or sees the stamp;
the unique key is the last guard, so every prompt is sent once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import DAILY, rrule
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import crypto, ids, modal_state, outbox
from bot.blocks.sessions import (
    agenda_message, brainstorm_prompt, dilemma_posted, dilemma_prompt, experiment_reminder, kickoff_prompt,
    schedule_changed,
)
from bot.localtime import (
    LAST_MEETING_START, UTC, WorkDays, before_days_off, discomfort, in_working_hours, meeting_slot,
    no_later_working_time, pair_friendly_time, parse_work_days, slack_date, zone_of,
)
from bot.models import AgendaItem, Feedback, Member, Pairing, PairingMember, Program, Session, Workspace, db_id

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 28}
KICKOFF_AFTER = dt.timedelta(days=3)
REMINDER_BEFORE = dt.timedelta(hours=24)
MIN_PROMPT_GAP = dt.timedelta(hours=12)
DILEMMA_DEADLINE = dt.timedelta(hours=4)  # no dilemma this close to the session: brainstorm
FALLBACK_AFTER_PROMPT = dt.timedelta(hours=3)  # the mentee always gets a few hours to write
LATE_FALLBACK = dt.timedelta(hours=1)
EARLIEST_NEW_TIME = dt.timedelta(hours=1)
LATEST_NEW_TIME = dt.timedelta(days=120)


class StaleAction(Exception):
    """A button or modal that no longer applies; its text is the ephemeral answer."""


# --- planning ---------------------------------------------------------------------------------------------

def member_zone(member: Member) -> dt.tzinfo:
    return zone_of(member.tz, member.tz_offset)


def member_days(member: Member) -> WorkDays:
    return parse_work_days(member.work_days)


def pairing_zones(pairing: Pairing) -> list[dt.tzinfo]:
    return [member_zone(pm.member) for pm in pairing.members] or [UTC]


def pairing_days(pairing: Pairing) -> list[WorkDays]:
    """The members' working days, in the order of `pairing_zones`."""
    return [member_days(pm.member) for pm in pairing.members]


def session_dates(
    *, cadence: str, count: int, first: dt.datetime, zones: list[dt.tzinfo] | None = None,
) -> list[dt.datetime]:
    """`count` meeting times from `first` on, one cadence step apart in *wall-clock* time
    in the pair's anchor zone (the first member's), so each session keeps the local
    weekday and hour of the first across daylight-saving changes (`dateutil.rrule`
    steps local dates, `zoneinfo` gives each its offset). When a change elsewhere
    pushes that hour out of someone's working day, the nearest hour that day that
    is as comfortable for everyone as the first session was is taken instead."""
    zones = zones or [UTC]
    anchor = zones[0]
    local_first = first.astimezone(anchor).replace(tzinfo=None)
    baseline = discomfort(first, zones, last_hour=LAST_MEETING_START + 1)
    out = []
    for local in rrule(DAILY, interval=CADENCE_DAYS[cadence], dtstart=local_first, count=count):
        moment = local.replace(tzinfo=anchor).astimezone(UTC)
        if discomfort(moment, zones, last_hour=LAST_MEETING_START + 1) > baseline:
            nearby = [moment + dt.timedelta(hours=h) for h in range(-6, 7)]
            moment = min(nearby, key=lambda c: (discomfort(c, zones, last_hour=LAST_MEETING_START + 1),
                                                abs(c - moment), c))
        out.append(moment)
    return out


def session_plan(
    *, cadence: str, count: int, member_ids: list[int], fmt: str, start: dt.datetime,
    zones: list[dt.tzinfo] | None = None, days: list[WorkDays] | None = None,
) -> list[dict[str, Any]]:
    """Column values of every planned session (pure; the rounds' bulk insert uses it too).

    1 is the kick-off (goals, how you'll work); then the mentee role rotates
    A, B, A, B… (in a trio A, B, C, A…). `zones` are the members' time zones
    (UTC when not given), `days` their working days (Monday–Friday when not given)."""
    zones = zones or [UTC]
    first = meeting_slot((start + KICKOFF_AFTER).astimezone(UTC).date(), zones, days)
    dates = session_dates(cadence=cadence, count=count, first=first, zones=zones)
    return [
        {
            "sequence": n,
            "mentee_member_id": None if n == 1 else member_ids[(n - 2) % len(member_ids)],
            "due_at": dates[n - 1],
            "format": fmt,
            "state": "planned",
        }
        for n in range(1, count + 1)
    ]


async def plan_sessions(session: AsyncSession, pairing: Pairing, members: list[Member], now: dt.datetime) -> list[Session]:
    """Plan and store every session of a new pairing, at hours that suit its members."""
    planned = [
        Session(pairing_id=pairing.id, **values)
        for values in session_plan(
            cadence=pairing.cadence, count=pairing.sessions_planned,
            member_ids=[m.id for m in members], fmt=pairing.format, start=now,
            zones=[member_zone(m) for m in members], days=[member_days(m) for m in members],
        )
    ]
    session.add_all(planned)
    await session.flush()
    return planned


# --- when things are due ------------------------------------------------------------------------------

def prompt_at(sess: Session, lead_hours: int, zone: dt.tzinfo, days: WorkDays | None = None) -> dt.datetime:
    """When the mentee is asked for a dilemma: lead hours before, never at night, and on a
    day off at 17:00 of their previous working day."""
    return no_later_working_time(sess.due_at - dt.timedelta(hours=lead_hours), zone, days or parse_work_days(None))


def pair_prompt_at(
    sess: Session, lead_hours: int, zones: list[dt.tzinfo], days: list[WorkDays] | None = None,
) -> dt.datetime:
    """When a pair-conversation prompt (kick-off, brainstorm) goes out: the hour around
    lead hours before the session (±12 h) that suits the pair best, moved earlier to
    a working day when it falls on anyone's day off."""
    best = pair_friendly_time(sess.due_at - dt.timedelta(hours=lead_hours + 12), zones)
    return before_days_off(min(best, sess.due_at - dt.timedelta(hours=lead_hours)), zones, days)


def fallback_at(sess: Session, zones: list[dt.tzinfo]) -> dt.datetime:
    """When a missing dilemma turns the session into a brainstorm (the pair is told): the
    first hour from 4 hours before the session that suits the pair, at the latest its start,
    and never sooner than `FALLBACK_AFTER_PROMPT` after the dilemma prompt went out."""
    start = sess.due_at - DILEMMA_DEADLINE
    if sess.prompt_sent_at is not None:
        start = min(max(start, sess.prompt_sent_at + FALLBACK_AFTER_PROMPT), sess.due_at)
    hours = int((sess.due_at - start) / dt.timedelta(hours=1))
    candidates = [start + dt.timedelta(hours=h) for h in range(hours + 1)]
    return min(candidates, key=lambda c: (discomfort(c, zones), c))


def reminder_due(sess: Session, zone: dt.tzinfo, now: dt.datetime, days: WorkDays | None = None) -> bool:
    """One dilemma reminder the day before: not at night, not on a day off, not right after
    the prompt."""
    assert sess.prompt_sent_at is not None
    days = days or parse_work_days(None)
    return (
        now >= no_later_working_time(sess.due_at - REMINDER_BEFORE, zone, days)
        and now - sess.prompt_sent_at >= MIN_PROMPT_GAP
        and in_working_hours(now, zone, days)
        and now < sess.due_at - DILEMMA_DEADLINE
    )


# --- helpers shared with the other session modules ---------------------------------------------------------

def pair_destination(pairing: Pairing) -> dict[str, Any]:
    """Outbox destination of the pair's conversation (opened from the user ids until known)."""
    if pairing.conversation_id:
        return {"channel": pairing.conversation_id}
    return {"users": [pm.member.slack_user_id for pm in pairing.members]}


async def workspace_id_of(session: AsyncSession, pairing: Pairing) -> int:
    workspace_id = await session.scalar(select(Program.workspace_id).where(Program.id == pairing.program_id))
    assert workspace_id is not None
    return workspace_id


def due_stamp(sess: Session) -> int:
    """Part of every date-dependent key and button: a moved session gets fresh ones."""
    return int(sess.due_at.timestamp())


def slack_ids(pairing: Pairing, *, except_member: int | None = None) -> list[str]:
    return [pm.member.slack_user_id for pm in pairing.members if pm.member_id != except_member]


def with_people() -> Any:
    return selectinload(Pairing.members).joinedload(PairingMember.member)


async def load_pairing(session: AsyncSession, pairing_id: int, *, lock: bool = False) -> Pairing | None:
    """A pairing with its people and sessions; `lock` row-locks it (and its sessions) for a
    change, so two people answering the same question at once are settled one by one."""
    stmt = (select(Pairing).where(Pairing.id == pairing_id)
            .options(with_people(), selectinload(Pairing.sessions)).execution_options(populate_existing=True))
    if lock:
        stmt = stmt.with_for_update(of=Pairing)
    return await session.scalar(stmt)


@dataclass
class Seat:
    """A person's place in a pairing, found from a button or modal."""

    pairing: Pairing
    member: Member
    workspace_id: int
    circle: bool = False  # the pairing is a circle (its program's format): facilitator wording


def ended_text(pairing: Pairing) -> str:
    if pairing.end_reason == "completed":
        return "This pairing has finished all its sessions, so this no longer applies."
    return "This pairing has ended, so this no longer applies. You'll be in the next round."


async def seat_of(
    session: AsyncSession, *, team_id: str, user_id: str, pairing_id: int, allow_completed: bool = False,
    lock: bool = False,
) -> Seat:
    """The clicker's seat in a pairing, or StaleAction with a clear answer."""
    pairing = await load_pairing(session, pairing_id, lock=lock)
    found = (await session.execute(
        select(Workspace.id, Program.grouping).join(Program, Program.workspace_id == Workspace.id)
        .where(Program.id == (pairing.program_id if pairing else -1), Workspace.team_id == team_id)
    )).first()
    workspace_id, grouping = found if found else (None, None)
    if pairing is None or workspace_id is None:
        raise StaleAction("That pairing no longer exists.")
    member = next((pm.member for pm in pairing.members if pm.member.slack_user_id == user_id), None)
    if member is None:
        raise StaleAction("This belongs to a pairing you're not part of.")
    if pairing.state == "ended" and not (allow_completed and pairing.end_reason == "completed"):
        raise StaleAction(ended_text(pairing))
    return Seat(pairing, member, workspace_id, circle=grouping == "circles")


async def session_seat(
    session: AsyncSession, *, team_id: str, user_id: str, session_id: int, due_stamp_: int | None = None,
    lock: bool = False,
) -> tuple[Seat, Session]:
    """The clicker's seat and the session a button is about; StaleAction when it moved or ended.
    With `lock`, the pairing row is locked first, then the session re-read under it."""
    pairing_id = await session.scalar(select(Session.pairing_id).where(Session.id == session_id))
    if pairing_id is None:
        raise StaleAction("That session no longer exists.")
    seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id,
                         allow_completed=True, lock=lock)
    sess = next((s for s in seat.pairing.sessions if s.id == session_id), None)
    if sess is None:
        raise StaleAction("That session no longer exists.")
    if sess.state == "cancelled":
        raise StaleAction(f"Session {sess.sequence} was cancelled, so this no longer applies.")
    if due_stamp_ is not None and due_stamp_ != due_stamp(sess):
        raise StaleAction(f"Session {sess.sequence} was moved to {slack_date(sess.due_at)}, so this button is "
                          f"out of date. I'll check in again after the new date.")
    return seat, sess


def parse_ref(value: str | None) -> tuple[int, int | None]:
    """A button value "id" or "id:due-stamp"."""
    head, _, tail = (value if isinstance(value, str) else "").partition(":")
    ref, stamp = db_id(head), db_id(tail) if tail else None
    if ref is None or (tail and stamp is None):
        raise StaleAction("That button is out of date.")
    return ref, stamp


def parse_form_ref(value: str | None) -> tuple[int, int, int | None]:
    """A session-time form's private metadata "pairing id:session id[:due stamp]"."""
    parts = [db_id(p) for p in (value if isinstance(value, str) else "").split(":")]
    if len(parts) not in (2, 3) or None in parts:
        raise StaleAction("That form is out of date.")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None  # type: ignore[return-value]


# --- choosing a session time -----------------------------------------------------------------------------

def next_session(pairing: Pairing) -> Session | None:
    """The session a "pick a time" button is about: the first that has not happened yet."""
    upcoming = [s for s in pairing.sessions if s.state == "planned" and s.checkin_sent_at is None]
    return min(upcoming, key=lambda s: s.sequence) if upcoming else None


def check_new_time(pairing: Pairing, sess: Session, new_due: dt.datetime, now: dt.datetime) -> str | None:
    """Why `new_due` cannot be the session's time, or None when it can."""
    if new_due < now + EARLIEST_NEW_TIME:
        return "Pick a time at least an hour from now."
    if new_due > now + LATEST_NEW_TIME:
        return "Pick a time within the next four months."
    earlier = [s for s in pairing.sessions if s.sequence < sess.sequence and s.state != "cancelled"]
    if earlier and new_due <= max(s.due_at for s in earlier):
        return f"Pick a time after session {sess.sequence - 1} ({slack_date(max(s.due_at for s in earlier))})."
    return None


def parse_new_time(values: dict[str, Any]) -> tuple[tuple[dt.datetime, str] | None, dict[str, str]]:
    """The session-time modal's state: (new time, cadence), or field errors (block_id → message)."""
    picked = modal_state.date_time(values, ids.SESSION_TIME)
    if picked is None:
        return None, {ids.SESSION_TIME[0]: "Pick a date and a time."}
    cadence = modal_state.selected(values, ids.SESSION_CADENCE)
    if cadence not in CADENCE_DAYS:
        return None, {ids.SESSION_CADENCE[0]: "Choose how often you meet."}
    return (dt.datetime.fromtimestamp(int(picked), tz=dt.timezone.utc), cadence), {}


async def reschedule(
    session: AsyncSession, seat: Seat, sess: Session, new_due: dt.datetime, cadence: str, now: dt.datetime,
) -> list[str]:
    """Move a session (and the planned ones after it, one cadence step apart) and tell the pair.

    The session's check-in and reminder start afresh (their keys and buttons carry
    the date, so old buttons become stale); a dilemma already written is kept.
    """
    pairing = seat.pairing
    pairing.cadence = cadence
    sess.due_at = new_due
    sess.reminder_sent_at = sess.checkin_sent_at = sess.checkin_reminder_sent_at = sess.answered_at = None
    sess.state = "planned"
    later = sorted((s for s in pairing.sessions if s.sequence > sess.sequence and s.state == "planned"),
                   key=lambda s: s.sequence)
    dates = session_dates(cadence=cadence, count=len(later) + 1, first=new_due, zones=pairing_zones(pairing))
    for s, due in zip(later, dates[1:], strict=True):
        if s.due_at != due:
            s.due_at = due
            s.reminder_sent_at = s.checkin_sent_at = s.checkin_reminder_sent_at = None
    key = f"schedule:{sess.id}:{due_stamp(sess)}:{cadence}"
    await outbox.enqueue(
        session, workspace_id=seat.workspace_id, key=key, now=now, pairing_id=pairing.id,
        payload=schedule_changed(user_id=seat.member.slack_user_id, sequence=sess.sequence, due=new_due,
                                 cadence=cadence, later=len(later)),
        **pair_destination(pairing),
    )
    return [key]


# --- dilemmas --------------------------------------------------------------------------------------------

def check_dilemma_session(seat: Seat, sess: Session) -> None:
    """Only the session's mentee writes its dilemma, and only before it happens."""
    if sess.mentee_member_id != seat.member.id:
        if seat.circle:
            raise StaleAction(f"Session {sess.sequence} isn't your turn to facilitate — someone else in your "
                              f"circle brings the topic this time.")
        raise StaleAction(f"Session {sess.sequence} isn't your turn to bring a dilemma — you mentor this time.")
    if sess.state != "planned" or sess.checkin_sent_at is not None:
        raise StaleAction(f"Session {sess.sequence} has already taken place.")


@dataclass(frozen=True)
class DilemmaSubmission:
    situation: str
    tried: str | None
    want: str


def parse_dilemma(values: dict[str, Any]) -> tuple[DilemmaSubmission | None, dict[str, str]]:
    """The dilemma modal's state as plain values (cut to their stored lengths), or field errors."""
    situation = modal_state.text(values, ids.DILEMMA_SITUATION)
    tried = modal_state.text(values, ids.DILEMMA_TRIED)
    want = modal_state.text(values, ids.DILEMMA_WANT)
    errors = {}
    if not situation:
        errors[ids.DILEMMA_SITUATION[0]] = "Describe the situation in a sentence or two."
    if not want:
        errors[ids.DILEMMA_WANT[0]] = "Say what would help you most from your partner."
    if errors:
        return None, errors
    return DilemmaSubmission(situation[:2500], tried[:2500] or None, want[:1500]), {}


async def save_dilemma(
    session: AsyncSession, seat: Seat, sess: Session, *, situation: str, tried: str | None, want: str,
    now: dt.datetime,
) -> list[str]:
    """Store the mentee's dilemma and post it in the pair's conversation for the partner."""
    check_dilemma_session(seat, sess)
    mentee = seat.member.id
    sess.dilemma_situation, sess.dilemma_tried, sess.dilemma_want = await crypto.seal_all(
        session, mentee, [situation, tried, want])
    sess.dilemma_at = now
    sess.format = "turns"  # a late dilemma still turns a fallback brainstorm back
    digest = hashlib.sha1(repr((situation, tried, want)).encode()).hexdigest()[:12]
    key = f"dilemma:{sess.id}:{digest}"
    await outbox.enqueue(
        session, workspace_id=seat.workspace_id, key=key, now=now, pairing_id=seat.pairing.id,
        payload=dilemma_posted(mentee_id=seat.member.slack_user_id,
                               mentor_ids=slack_ids(seat.pairing, except_member=seat.member.id),
                               sequence=sess.sequence, due=sess.due_at, situation=situation, tried=tried,
                               want=want, circle=seat.circle),
        **pair_destination(seat.pairing),
    )
    return [key]


# --- due work: prompts before sessions ----------------------------------------------------------------------

async def due_sessions(session: AsyncSession, program_id: int, *conditions: Any) -> list[Session]:
    """Planned sessions of the program's active pairings, row-locked with their pairing
    (skipping rows another process or a button click holds: the next tick takes them),
    with their pairing and people loaded. Locking the pairing too keeps one lock
    order with the handlers, which lock the pairing first."""
    rows = await session.scalars(
        select(Session)
        .join(Pairing, Session.pairing_id == Pairing.id)
        .where(Pairing.program_id == program_id, Pairing.state == "active", Session.state == "planned", *conditions)
        .order_by(Session.due_at, Session.id)
        .with_for_update(skip_locked=True, of=(Session, Pairing))
        .options(selectinload(Session.pairing).options(with_people(), selectinload(Pairing.sessions)))
    )
    return list(rows)


async def send_due_prompts(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Before each session: the kick-off prompt, the mentee's dilemma DM (with
    last time's experiments back to their authors), or the brainstorm prompt."""
    sent = 0
    lead_hours = program.session_lead_hours
    horizon = now + dt.timedelta(hours=lead_hours + 24)
    for sess in await due_sessions(session, program.id, Session.prompt_sent_at.is_(None),
                                   Session.due_at > now, Session.due_at <= horizon):
        sent += await _prompt(session, program.workspace_id, lead_hours, sess, now,
                              circle=program.grouping == "circles")
    return sent


async def _prompt(session: AsyncSession, workspace_id: int, lead_hours: int, sess: Session, now: dt.datetime,
                  *, circle: bool = False) -> int:
    pairing = sess.pairing
    mentee = next((pm.member for pm in pairing.members if pm.member_id == sess.mentee_member_id), None)
    turns = sess.sequence > 1 and sess.format == "turns" and mentee is not None
    zones = pairing_zones(pairing)
    at = (prompt_at(sess, lead_hours, member_zone(mentee), member_days(mentee)) if turns and mentee
          else pair_prompt_at(sess, lead_hours, zones, pairing_days(pairing)))
    if at > now:
        return 0
    sess.prompt_sent_at = now
    experiments = await _last_experiments(session, pairing, sess)
    if sess.sequence == 1:
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"kickoff-prompt:{sess.id}:{due_stamp(sess)}", now=now,
                             pairing_id=pairing.id, **pair_destination(pairing),
                             payload=kickoff_prompt(pairing_id=pairing.id, due=sess.due_at,
                                                    user_ids=slack_ids(pairing)))
    elif turns and mentee is not None:
        await outbox.enqueue(
            session, workspace_id=workspace_id, key=f"dilemma-prompt:{sess.id}:{due_stamp(sess)}", now=now, users=[mentee.slack_user_id],
            member_id=mentee.id,
            payload=dilemma_prompt(session_id=sess.id, sequence=sess.sequence, due=sess.due_at,
                                   partner_ids=slack_ids(pairing, except_member=mentee.id),
                                   experiment=experiments.pop(mentee.id, None), circle=circle),
        )
    else:
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"brainstorm-prompt:{sess.id}:{due_stamp(sess)}", now=now,
                             pairing_id=pairing.id, **pair_destination(pairing),
                             payload=brainstorm_prompt(sequence=sess.sequence, due=sess.due_at, fallback=False))
    await queue_agenda(session, workspace_id, pairing, sess, now)
    for member_id, experiment in experiments.items():
        member = next(pm.member for pm in pairing.members if pm.member_id == member_id)
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"experiment:{sess.id}:{member_id}:{due_stamp(sess)}", now=now,
                             users=[member.slack_user_id], member_id=member_id,
                             payload=experiment_reminder(sequence=sess.sequence, due=sess.due_at,
                                                         experiment=experiment))
    return 1


async def queue_agenda(session: AsyncSession, workspace_id: int, pairing: Pairing, sess: Session, now: dt.datetime) -> int:
    """With a session's prompt: the messages its members brought to it ("Bring this to my next
    session", bot.agenda), to the pair's conversation (1 when queued)."""
    rows = (await session.execute(
        select(AgendaItem.permalink, AgendaItem.member_id).where(AgendaItem.session_id == sess.id)
        .order_by(AgendaItem.created_at, AgendaItem.id)
    )).all()
    if not rows:
        return 0
    by_member = {pm.member_id: pm.member.slack_user_id for pm in pairing.members}
    items = [(link, by_member.get(member_id)) for link, member_id in rows]
    await outbox.enqueue(session, workspace_id=workspace_id, key=f"agenda:{sess.id}:{due_stamp(sess)}", now=now,
                         pairing_id=pairing.id, **pair_destination(pairing),
                         payload=agenda_message(sequence=sess.sequence, due=sess.due_at, items=items))
    return 1


async def _last_experiments(session: AsyncSession, pairing: Pairing, sess: Session) -> dict[int, str]:
    """Experiments written in the previous session's feedback, by author (still in the pairing)."""
    previous = [s for s in pairing.sessions if s.sequence == sess.sequence - 1]
    if not previous:
        return {}
    seated = {pm.member_id for pm in pairing.members}
    rows = await session.execute(
        select(Feedback.member_id, Feedback.experiment)
        .where(Feedback.session_id == previous[0].id, Feedback.experiment.is_not(None))
    )
    found = {member_id: await crypto.unseal(session, member_id, text)
             for member_id, text in rows.all() if member_id in seated}
    return {member_id: text for member_id, text in found.items() if text}


async def send_due_reminders(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """The day before: one reminder to a silent mentee. Hours before: no dilemma
    means the session goes ahead as a brainstorm (the pair is told)."""
    done = 0
    for sess in await due_sessions(
        session, program.id, Session.format == "turns", Session.sequence > 1,
        Session.prompt_sent_at.is_not(None), Session.dilemma_at.is_(None), Session.due_at > now - LATE_FALLBACK,
        Session.due_at <= now + REMINDER_BEFORE + dt.timedelta(hours=24),
    ):
        done += await _remind_or_fall_back(session, program.workspace_id, sess, now,
                                           circle=program.grouping == "circles")
    return done


async def _remind_or_fall_back(session: AsyncSession, workspace_id: int, sess: Session, now: dt.datetime,
                               *, circle: bool = False) -> int:
    pairing = sess.pairing
    mentee = next((pm.member for pm in pairing.members if pm.member_id == sess.mentee_member_id), None)
    if mentee is None:
        return 0
    if now >= fallback_at(sess, pairing_zones(pairing)):
        sess.format = "brainstorm"
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"dilemma-missing:{sess.id}:{due_stamp(sess)}",
                             now=now, pairing_id=pairing.id, **pair_destination(pairing),
                             payload=brainstorm_prompt(sequence=sess.sequence, due=sess.due_at, fallback=True))
        return 1
    if sess.reminder_sent_at is None and reminder_due(sess, member_zone(mentee), now, member_days(mentee)):
        sess.reminder_sent_at = now
        await outbox.enqueue(
            session, workspace_id=workspace_id, key=f"dilemma-reminder:{sess.id}:{due_stamp(sess)}", now=now,
            users=[mentee.slack_user_id], member_id=mentee.id,
            payload=dilemma_prompt(session_id=sess.id, sequence=sess.sequence, due=sess.due_at,
                                   partner_ids=slack_ids(pairing, except_member=mentee.id), experiment=None,
                                   reminder=True, circle=circle),
        )
        return 1
    return 0
