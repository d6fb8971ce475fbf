"""After each session: "did you meet?", silence, the fit check, stalled pairings and the
end of a pairing.

Timing (README "Timing"):
- 2 hours after a session's time, at the first hour that suits the pair, its
  conversation gets "Did you meet?" (Met / Rescheduled / Skipped). After the
  kick-off each member also gets a private fit check.
- Nobody answered after 24 hours: one reminder. Still nothing 48 hours later:
  the session counts as silent.
- Three skipped or silent sessions in a row pause the pairing and ask each
  member: continue, re-pair or stop. Nobody answers within 7 days: it ends and
  both get priority in the next round.
- 3 days after the last session the pairing is complete: it ends, each member
  gets a short retrospective, and both are in the next round as usual.

Due rows are claimed as in `bot.sessions` (row locks with SKIP LOCKED, a
timestamp or state change in the same transaction as the keyed outbox message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import memberships, outbox
from bot.blocks.sessions import (
    checkin_message, feedback_ask, fit_check, pairing_closed, resumed_message, retro_prompt, stalled_prompt,
)
from bot.localtime import after_days_off, meeting_slot, pair_friendly_time
from bot.models import Pairing, Program, Session
from bot.sessions import (
    KICKOFF_AFTER, Seat, StaleAction, due_sessions, due_stamp, ended_text, pair_destination,
    pairing_days, pairing_zones, session_dates, slack_ids, with_people,
)

CHECKIN_AFTER = dt.timedelta(hours=2)
CHECKIN_REMINDER_AFTER = dt.timedelta(hours=24)
SILENT_AFTER = dt.timedelta(hours=48)
STALL_AFTER = 3  # skipped or silent sessions in a row
STALLED_EXPIRY = dt.timedelta(days=7)
RETRO_AFTER = dt.timedelta(days=3)


def checkin_at(sess: Session, pairing: Pairing) -> dt.datetime:
    """"Did you meet?": the friendliest hour after the session, on a working day for everyone
    (a check-in that would land on someone's day off waits for the next shared working day)."""
    zones = pairing_zones(pairing)
    return after_days_off(pair_friendly_time(sess.due_at + CHECKIN_AFTER, zones), zones, pairing_days(pairing))


def checkin_reminder_at(sess: Session, pairing: Pairing) -> dt.datetime:
    assert sess.checkin_sent_at is not None
    zones = pairing_zones(pairing)
    return after_days_off(pair_friendly_time(sess.checkin_sent_at + CHECKIN_REMINDER_AFTER, zones), zones,
                          pairing_days(pairing))


# --- due work -----------------------------------------------------------------------------------------------

async def send_due_checkins(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Check-ins after sessions, one reminder when nobody answered, then silence."""
    done = 0
    for sess in await due_sessions(session, program.id, Session.due_at <= now - CHECKIN_AFTER):
        done += await _checkin_step(session, program.workspace_id, sess, now)
    return done


async def _checkin_step(session: AsyncSession, workspace_id: int, sess: Session, now: dt.datetime) -> int:
    pairing = sess.pairing
    dest = pair_destination(pairing)
    if sess.checkin_sent_at is None:
        if checkin_at(sess, pairing) > now:
            return 0
        sess.checkin_sent_at = now
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"checkin:{sess.id}:{due_stamp(sess)}", now=now,
                             pairing_id=pairing.id, **dest,
                             payload=checkin_message(session_id=sess.id, sequence=sess.sequence, due=sess.due_at,
                                                     reminder=False))
        if sess.sequence == 1:
            await _send_fit_checks(session, workspace_id, pairing, now)
        return 1
    if sess.checkin_reminder_sent_at is None:
        if checkin_reminder_at(sess, pairing) > now:
            return 0
        sess.checkin_reminder_sent_at = now
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"checkin-reminder:{sess.id}:{due_stamp(sess)}",
                             now=now, pairing_id=pairing.id, **dest,
                             payload=checkin_message(session_id=sess.id, sequence=sess.sequence, due=sess.due_at,
                                                     reminder=True))
        return 1
    if now - sess.checkin_reminder_sent_at < SILENT_AFTER:
        return 0
    sess.state = "silent"
    await _count_missed(session, workspace_id, pairing, sess, now)
    return 1


async def _send_fit_checks(session: AsyncSession, workspace_id: int, pairing: Pairing, now: dt.datetime) -> None:
    for pm in pairing.members:
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"fit:{pairing.id}:{pm.member_id}", now=now,
                             users=[pm.member.slack_user_id], member_id=pm.member_id,
                             payload=fit_check(pairing_id=pairing.id,
                                               partner_ids=slack_ids(pairing, except_member=pm.member_id)))


async def _count_missed(
    session: AsyncSession, workspace_id: int, pairing: Pairing, sess: Session, now: dt.datetime
) -> list[str]:
    """One more skipped or silent session in a row (atomic); the third pauses the pairing."""
    streak = await session.scalar(
        update(Pairing).where(Pairing.id == pairing.id).values(silent_streak=Pairing.silent_streak + 1)
        .returning(Pairing.silent_streak).execution_options(synchronize_session=False)
    )
    pairing.silent_streak = int(streak or 0)
    if pairing.silent_streak < STALL_AFTER or pairing.state != "active":
        return []
    pairing.state = "paused"
    keys = []
    for pm in pairing.members:
        key = f"stalled:{pairing.id}:{sess.id}:{pm.member_id}"
        await outbox.enqueue(session, workspace_id=workspace_id, key=key, now=now, users=[pm.member.slack_user_id],
                             member_id=pm.member_id,
                             payload=stalled_prompt(pairing_id=pairing.id,
                                                    partner_ids=slack_ids(pairing, except_member=pm.member_id)))
        keys.append(key)
    return keys


async def finish_pairings(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """Complete pairings whose last session is behind them (retrospective), and end
    stalled pairings nobody answered for a week."""
    done = 0
    last_due = (select(func.max(Session.due_at))
                .where(Session.pairing_id == Pairing.id, Session.state != "cancelled").scalar_subquery())
    pairings = await session.scalars(
        select(Pairing)
        .where(Pairing.program_id == program.id, Pairing.state.in_(("active", "paused")),
               or_(Pairing.state == "paused", last_due <= now - RETRO_AFTER))
        .with_for_update(skip_locked=True, of=Pairing)
        .options(with_people(), selectinload(Pairing.sessions))
    )
    for pairing in pairings:
        done += await _finish_one(session, program.workspace_id, pairing, now)
    return done


async def _finish_one(session: AsyncSession, workspace_id: int, pairing: Pairing, now: dt.datetime) -> int:
    live = [s for s in pairing.sessions if s.state != "cancelled"]
    if pairing.state == "paused":
        since = stalled_since(pairing)
        if since is not None and now - since >= STALLED_EXPIRY:
            await close_pairing(session, workspace_id, pairing, now, reason="stalled",
                                priority_member_ids={pm.member_id for pm in pairing.members})
            return 1
        return 0
    if not live or now - max(s.due_at for s in live) < RETRO_AFTER:
        return 0
    pairing.state, pairing.ended_at, pairing.end_reason = "ended", now, "completed"
    for s in pairing.sessions:
        if s.state == "planned":
            s.state = "silent"
    for pm in pairing.members:
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"retro:{pairing.id}:{pm.member_id}", now=now,
                             users=[pm.member.slack_user_id], member_id=pm.member_id,
                             payload=retro_prompt(pairing_id=pairing.id, sessions=len(live),
                                                  partner_ids=slack_ids(pairing, except_member=pm.member_id)))
    return 1


def stalled_since(pairing: Pairing) -> dt.datetime | None:
    """When the pairing stalled: the latest skip (its answer) or silence (its deadline)."""
    moments = [s.answered_at for s in pairing.sessions if s.state == "skipped" and s.answered_at]
    moments += [s.checkin_reminder_sent_at + SILENT_AFTER for s in pairing.sessions
                if s.state == "silent" and s.checkin_reminder_sent_at]
    return max(moments) if moments else None


async def close_pairing(
    session: AsyncSession, workspace_id: int, pairing: Pairing, now: dt.datetime, *, reason: str,
    priority_member_ids: set[int],
) -> list[str]:
    """End a pairing that did not work out, kindly and without blame: planned sessions
    are cancelled, each member is told, and `priority_member_ids` go first next round.
    (A member *leaving* goes through `bot.pairings.end_pairing` instead.)"""
    pairing.state, pairing.ended_at, pairing.end_reason = "ended", now, reason[:32]
    for s in pairing.sessions:
        if s.state == "planned":
            s.state = "cancelled"
    keys = []
    await memberships.set_priority(session, pairing.program_id,
                                   [pm.member_id for pm in pairing.members if pm.member_id in priority_member_ids], True)
    for pm in pairing.members:
        first = pm.member_id in priority_member_ids
        if first:
            pm.member.priority = True
            pm.member.updated_at = now
        key = f"pairing-closed:{pairing.id}:{pm.member_id}"
        await outbox.enqueue(session, workspace_id=workspace_id, key=key, now=now, users=[pm.member.slack_user_id],
                             member_id=pm.member_id, payload=pairing_closed(reason=reason, priority=first))
        keys.append(key)
    await session.flush()
    return keys


# --- answers to buttons -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetAnswer:
    """What "We met" did: `first` when this click recorded the meeting (a later click
    by the partner only opens their feedback modal); `keys` of the queued messages."""

    first: bool
    keys: list[str]


async def answer_met(session: AsyncSession, seat: Seat, sess: Session, now: dt.datetime) -> MetAnswer:
    """"We met": the session counts, the streak resets, and every member gets a feedback
    button by DM (it stays usable for a week; App Home lists it too until answered).
    The clicker also gets the feedback modal at once (opened by the handler)."""
    if sess.state == "met":
        return MetAnswer(first=False, keys=[])
    if sess.state == "cancelled":
        raise StaleAction(f"Session {sess.sequence} was cancelled, so this no longer applies.")
    sess.state, sess.answered_at = "met", now
    seat.pairing.silent_streak = 0
    keys = []
    for pm in seat.pairing.members:  # the clicker too: the modal may be closed, or never open
        key = f"feedback-ask:{sess.id}:{pm.member_id}"
        await outbox.enqueue(session, workspace_id=seat.workspace_id, key=key, now=now,
                             users=[pm.member.slack_user_id], member_id=pm.member_id,
                             payload=feedback_ask(session_id=sess.id, sequence=sess.sequence,
                                                  user_id=seat.member.slack_user_id,
                                                  own=pm.member_id == seat.member.id))
        keys.append(key)
    return MetAnswer(first=True, keys=keys)


async def answer_skipped(session: AsyncSession, seat: Seat, sess: Session, now: dt.datetime) -> list[str]:
    if sess.state != "planned":
        raise StaleAction(f"Session {sess.sequence} was already marked as {sess.state}.")
    sess.state, sess.answered_at = "skipped", now
    return await _count_missed(session, seat.workspace_id, seat.pairing, sess, now)


def check_reschedulable(sess: Session) -> None:
    if sess.state != "planned":
        raise StaleAction(f"Session {sess.sequence} was already marked as {sess.state}.")


async def answer_fit(session: AsyncSession, seat: Seat, ok: bool, now: dt.datetime) -> list[str]:
    """The private fit check: a "no" from anyone ends the pairing quietly, both first next round."""
    if seat.pairing.state == "ended":
        raise StaleAction(ended_text(seat.pairing))
    pm = next(pm for pm in seat.pairing.members if pm.member_id == seat.member.id)
    pm.fit_ok = ok
    if ok:
        return []
    return await close_pairing(session, seat.workspace_id, seat.pairing, now, reason="fit",
                               priority_member_ids={p.member_id for p in seat.pairing.members})


async def answer_stalled(session: AsyncSession, seat: Seat, choice: str, now: dt.datetime) -> list[str]:
    """Continue (the pairing resumes with its next session re-planned), re-pair or stop (the
    pairing ends kindly; everyone goes first next round).

    Continuing needs everyone: a "Stop" or "Re-pair" from any member ends the pairing,
    even after another member's "Continue" has put it back on."""
    pairing = seat.pairing
    resumed = pairing.state == "active" and stalled_since(pairing) is not None
    if pairing.state != "paused" and not (resumed and choice != "continue"):
        raise StaleAction("Your pairing is already back on." if pairing.state == "active" else ended_text(pairing))
    if choice == "continue":
        return await _resume(session, seat, now)
    everyone = {pm.member_id for pm in pairing.members}
    return await close_pairing(session, seat.workspace_id, pairing, now, reason="re-pair" if choice == "repair"
                               else "stopped", priority_member_ids=everyone)


async def _resume(session: AsyncSession, seat: Seat, now: dt.datetime) -> list[str]:
    pairing = seat.pairing
    pairing.state, pairing.silent_streak = "active", 0
    upcoming = sorted((s for s in pairing.sessions if s.state == "planned"), key=lambda s: s.sequence)
    due = None
    if upcoming:
        zones = pairing_zones(pairing)
        first = meeting_slot((now + KICKOFF_AFTER).date(), zones, pairing_days(pairing))
        for s, new_due in zip(upcoming, session_dates(cadence=pairing.cadence, count=len(upcoming), first=first,
                                                      zones=zones), strict=True):
            s.due_at = new_due
            s.prompt_sent_at = s.reminder_sent_at = s.checkin_sent_at = s.checkin_reminder_sent_at = None
        due = upcoming[0].due_at
    key = f"resumed:{pairing.id}:{int(now.timestamp())}"
    await outbox.enqueue(session, workspace_id=seat.workspace_id, key=key, now=now, pairing_id=pairing.id,
                         payload=resumed_message(user_id=seat.member.slack_user_id, due=due),
                         **pair_destination(pairing))
    return [key]

