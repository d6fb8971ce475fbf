"""Bolt listeners of a pairing's journey: goals, session time, dilemmas, check-ins,
feedback, the fit check, a stalled pairing and the retrospective (block actions
and view submissions), plus the `/tandem goals`, `ask` and `experts` commands.

Each listener runs in its frame (handlers/frames.py; bound in handlers/__init__.py):
buttons that open a modal show a loading modal first, a view submission answers with
its field errors or its outcome, and an out-of-date button or form gets a clear
answer (`StaleAction`), never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot import checkins, crypto, feedback, goals, ids, outbox, peers, sessions
from bot.blocks.goals import goals_modal
from bot.blocks.members import answer
from bot.blocks.sessions import (
    checkin_answered,
    dilemma_modal,
    experts_message,
    feedback_modal,
    fit_answered,
    info_modal,
    reschedule_modal,
    retro_modal,
)
from bot.deps import Deps
from bot.home import refresh_home, refresh_homes
from bot.models import Goal
from bot.profiles import EXPERIENCE_LEVELS
from bot.sessions import Seat, StaleAction, parse_ref, seat_of, session_seat
from handlers.frames import Call, Click, Done, FieldErrors, Submission, open_loading, show

log = logging.getLogger(__name__)

NO_PARTNER_TEXT = ("You don't have a partner right now. You'll be paired in the next round; "
                   "meanwhile `/tandem experts <skill>` finds experienced colleagues.")
NO_GOALS_PAIRING_TEXT = ("Goals belong to a pairing: you'll set them with your partner at your kick-off. "
                         "You'll be paired in the next round.")
STALLED_ANSWERS = {
    "continue": ":arrow_forward: Great — your pairing is back on, with the next session re-planned.",
    "repair": ":handshake: Done. This pairing has ended and you'll be first in line in the next round.",
    "stop": ":wave: This pairing has ended. If you'd like a break from Tandem, use `/tandem pause`.",
}
RETRO_THANKS = ":pray: Thank you. Enjoy your next pairing!"


def _goal_rows(rows: list[Goal]) -> list[tuple[int, str, str]]:
    return [(g.id, g.what, g.progress) for g in rows]


def _goals_view(seat: Seat, rows: list[Goal]) -> dict[str, Any]:
    return goals_modal(pairing_id=seat.pairing.id, goals=[goals.view_of(g) for g in rows],
                       shared_intent=seat.pairing.shared_intent)


async def _deliver(deps: Deps, keys: list[str]) -> None:
    if keys:
        await outbox.send_now(deps, keys)


# --- buttons that open a modal (frame: modal_button) ----------------------------------------------------------

async def open_goals(deps: Deps, click: Click) -> None:
    """"Set goals" (introduction, kick-off prompt, App Home) — the goals modal."""
    pairing_id, _ = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        seat = await seat_of(session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id)
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id)
    await click.show(deps, _goals_view(seat, rows))


async def pick_time(deps: Deps, click: Click) -> None:
    """"Pick a session time" — date/time picker for the next session, and the cadence."""
    pairing_id, _ = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        seat = await seat_of(session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id)
        nxt = sessions.next_session(seat.pairing)
        if nxt is None:
            raise StaleAction("All your sessions are behind you, so there's no time left to pick.")
    await click.show(deps, reschedule_modal(
        pairing_id=pairing_id, session_id=nxt.id, sequence=nxt.sequence, initial=nxt.due_at,
        cadence=seat.pairing.cadence, stamp=sessions.due_stamp(nxt)))


async def open_dilemma(deps: Deps, click: Click) -> None:
    """"Write my dilemma" (the mentee's DM) — the dilemma modal."""
    sess_id, _ = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        seat, sess = await session_seat(session, team_id=click.team_id, user_id=click.user_id, session_id=sess_id)
        sessions.check_dilemma_session(seat, sess)
        texts = await crypto.unseal_all(session, sess.mentee_member_id,
                                        [sess.dilemma_situation, sess.dilemma_tried, sess.dilemma_want])
    await click.show(deps, dilemma_modal(
        session_id=sess.id, sequence=sess.sequence, situation=texts[0], tried=texts[1], want=texts[2],
        circle=seat.circle))


async def met(deps: Deps, click: Click) -> None:
    """"We met" on a check-in — the feedback modal for the clicker, a DM to the others."""
    sess_id, stamp = parse_ref(click.value)
    async with deps.sessionmaker.begin() as session:
        seat, sess = await session_seat(session, team_id=click.team_id, user_id=click.user_id,
                                        session_id=sess_id, due_stamp_=stamp, lock=True)
        met_answer = await checkins.answer_met(session, seat, sess, deps.clock())
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id)
    await click.show(deps, feedback_modal(session_id=sess.id, sequence=sess.sequence, goals=_goal_rows(rows)))
    if met_answer.first and click.in_conversation:
        await click.respond(replace_original=True, **checkin_answered(sequence=sess.sequence, user_id=click.user_id,
                                                                      answer="met"))
    await _deliver(deps, met_answer.keys)
    if met_answer.keys:
        await refresh_homes(deps, click.team_id, sessions.slack_ids(seat.pairing))


async def rescheduled(deps: Deps, click: Click) -> None:
    """"Rescheduled" on a check-in — asks for the new date."""
    sess_id, stamp = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        seat, sess = await session_seat(session, team_id=click.team_id, user_id=click.user_id,
                                        session_id=sess_id, due_stamp_=stamp)
        checkins.check_reschedulable(sess)
    initial = max(sess.due_at, deps.clock()) + dt.timedelta(days=2)
    await click.show(deps, reschedule_modal(
        pairing_id=seat.pairing.id, session_id=sess.id, sequence=sess.sequence, initial=initial,
        cadence=seat.pairing.cadence, stamp=sessions.due_stamp(sess)))


async def open_feedback(deps: Deps, click: Click) -> None:
    """"Give feedback" (DM after the partner said you met) — the feedback modal."""
    sess_id, _ = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        seat, sess = await session_seat(session, team_id=click.team_id, user_id=click.user_id, session_id=sess_id)
        feedback.check_feedback_session(sess, deps.clock())
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id)
    await click.show(deps, feedback_modal(session_id=sess.id, sequence=sess.sequence, goals=_goal_rows(rows)))


async def open_retro(deps: Deps, click: Click) -> None:
    """"Answer two questions" (DM after the last session) — the retrospective modal."""
    pairing_id, _ = parse_ref(click.value)
    async with deps.sessionmaker() as session:
        await seat_of(session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id,
                      allow_completed=True)
    await click.show(deps, retro_modal(pairing_id=pairing_id))


# --- buttons that answer in place (frame: button) ----------------------------------------------------------------

async def skipped(deps: Deps, click: Click) -> None:
    """"Skipped" on a check-in — counts towards a stalled pairing."""
    sess_id, stamp = parse_ref(click.value)
    async with deps.sessionmaker.begin() as session:
        seat, sess = await session_seat(session, team_id=click.team_id, user_id=click.user_id,
                                        session_id=sess_id, due_stamp_=stamp, lock=True)
        keys = await checkins.answer_skipped(session, seat, sess, deps.clock())
    if click.in_conversation:
        await click.respond(replace_original=True, **checkin_answered(sequence=sess.sequence, user_id=click.user_id,
                                                                      answer="skipped"))
    await _deliver(deps, keys)


async def _fit(deps: Deps, click: Click, ok: bool) -> None:
    pairing_id, _ = parse_ref(click.value)
    async with deps.sessionmaker.begin() as session:
        seat = await seat_of(session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id, lock=True)
        keys = await checkins.answer_fit(session, seat, ok, deps.clock())
        users = sessions.slack_ids(seat.pairing)
    await click.tell(deps, fit_answered(ok), replace=True)
    await _deliver(deps, keys)
    if keys:
        await refresh_homes(deps, click.team_id, users)


async def fit_yes(deps: Deps, click: Click) -> None:
    """Fit check "yes" (private DM after the kick-off)."""
    await _fit(deps, click, True)


async def fit_no(deps: Deps, click: Click) -> None:
    """Fit check "no" (private DM after the kick-off): the pairing ends quietly."""
    await _fit(deps, click, False)


async def _stalled(deps: Deps, click: Click, choice: str) -> None:
    pairing_id, _ = parse_ref(click.value)
    async with deps.sessionmaker.begin() as session:
        seat = await seat_of(session, team_id=click.team_id, user_id=click.user_id, pairing_id=pairing_id, lock=True)
        keys = await checkins.answer_stalled(session, seat, choice, deps.clock())
        users = sessions.slack_ids(seat.pairing)
    await click.tell(deps, STALLED_ANSWERS[choice], replace=True)
    await _deliver(deps, keys)
    await refresh_homes(deps, click.team_id, users)


async def stalled_continue(deps: Deps, click: Click) -> None:
    """"Continue" on a stalled pairing's DM."""
    await _stalled(deps, click, "continue")


async def stalled_repair(deps: Deps, click: Click) -> None:
    """"Re-pair me" on a stalled pairing's DM."""
    await _stalled(deps, click, "repair")


async def stalled_stop(deps: Deps, click: Click) -> None:
    """"Stop" on a stalled pairing's DM."""
    await _stalled(deps, click, "stop")


async def goal_progress(deps: Deps, click: Click) -> None:
    """Goal progress select (App Home) — value "goal id:progress"; done is celebrated."""
    async with deps.sessionmaker.begin() as session:
        keys = await goals.answer_progress(session, team_id=click.team_id, user_id=click.user_id,
                                           choice=click.value, now=deps.clock())
    await _deliver(deps, keys)
    await refresh_home(deps, click.team_id, click.user_id)


# --- view submissions (frame: view) -------------------------------------------------------------------------------

async def goals_submitted(deps: Deps, sub: Submission) -> Done:
    """Goals modal submitted: field errors, or store and show them to the pair."""
    now = deps.clock()
    parsed, errors = goals.parse_goals(sub.values, now.date())
    if parsed is None:
        raise FieldErrors(errors)
    pairing_id, _ = parse_ref(sub.metadata)
    async with deps.sessionmaker.begin() as session:
        seat = await seat_of(session, team_id=sub.team_id, user_id=sub.user_id, pairing_id=pairing_id, lock=True)
        keys = await goals.save_goals(session, seat.pairing, seat.member.id, sub.user_id, parsed, now)
        users = sessions.slack_ids(seat.pairing)
    return Done(keys=keys, homes=users)


async def dilemma_submitted(deps: Deps, sub: Submission) -> Done:
    """Dilemma modal submitted: posted in the pair's conversation for the partner."""
    parsed, errors = sessions.parse_dilemma(sub.values)
    if parsed is None:
        raise FieldErrors(errors)
    sess_id, _ = parse_ref(sub.metadata)
    async with deps.sessionmaker.begin() as session:
        seat, sess = await session_seat(session, team_id=sub.team_id, user_id=sub.user_id, session_id=sess_id,
                                        lock=True)
        keys = await sessions.save_dilemma(session, seat, sess, situation=parsed.situation, tried=parsed.tried,
                                           want=parsed.want, now=deps.clock())
    return Done(keys=keys)


async def feedback_submitted(deps: Deps, sub: Submission) -> Done:
    """Feedback modal submitted: stored privately; goals marked done are celebrated."""
    parsed, errors = feedback.parse_feedback(sub.values)
    if parsed is None:
        raise FieldErrors(errors)
    sess_id, _ = parse_ref(sub.metadata)
    async with deps.sessionmaker.begin() as session:
        seat, sess = await session_seat(session, team_id=sub.team_id, user_id=sub.user_id, session_id=sess_id,
                                        lock=True)
        keys = await feedback.save_feedback(session, seat, sess, parsed, deps.clock())
    return Done(keys=keys, homes=[sub.user_id])


async def time_submitted(deps: Deps, sub: Submission) -> Done:
    """Session-time modal submitted: the session and the ones after it move; the pair is told."""
    parsed, errors = sessions.parse_new_time(sub.values)
    if parsed is None:
        raise FieldErrors(errors)
    new_due, cadence = parsed
    now = deps.clock()
    _pairing_id, sess_id, stamp = sessions.parse_form_ref(sub.metadata)
    async with deps.sessionmaker.begin() as session:
        seat, sess = await session_seat(session, team_id=sub.team_id, user_id=sub.user_id, session_id=sess_id,
                                        due_stamp_=stamp, lock=True)
        checkins.check_reschedulable(sess)
        problem = sessions.check_new_time(seat.pairing, sess, new_due, now)
        if problem is not None:
            raise FieldErrors({ids.SESSION_TIME[0]: problem})
        keys = await sessions.reschedule(session, seat, sess, new_due, cadence, now)
        users = sessions.slack_ids(seat.pairing)
    return Done(keys=keys, homes=users)


async def retro_submitted(deps: Deps, sub: Submission) -> Done:
    """Retrospective submitted: private to its author."""
    parsed, errors = feedback.parse_retro(sub.values)
    if parsed is None:
        raise FieldErrors(errors)
    pairing_id, _ = parse_ref(sub.metadata)
    async with deps.sessionmaker.begin() as session:
        seat = await seat_of(session, team_id=sub.team_id, user_id=sub.user_id, pairing_id=pairing_id,
                             allow_completed=True)
        await feedback.save_retro(session, seat, parsed)
    return Done(view=info_modal(RETRO_THANKS))


# --- /tandem goals, ask, experts --------------------------------------------------------------------------

async def goals_command(deps: Deps, call: Call) -> None:
    """/tandem goals — the goals modal for the current pairing (a loading modal first)."""
    await call.ack()
    loading = await open_loading(deps, call.trigger_id)
    async with deps.sessionmaker() as session:
        seat = await goals.current_seat(session, team_id=call.team_id, user_id=call.user_id)
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id) if seat is not None else []
    view = _goals_view(seat, rows) if seat is not None else info_modal(NO_GOALS_PAIRING_TEXT)
    if loading is not None:
        await show(deps, view, loading_view_id=loading, trigger_id=call.trigger_id)
    if seat is None:
        await call.respond(**answer(NO_GOALS_PAIRING_TEXT))


async def ask_command(deps: Deps, call: Call) -> None:
    """/tandem ask <text> — posts the question to the partner in the pair's conversation."""
    await call.ack()
    async with deps.sessionmaker.begin() as session:
        asked = await peers.ask_partner(session, team_id=call.team_id, user_id=call.user_id,
                                        text=call.command.arg, request_id=call.trigger_id, now=deps.clock())
    if asked is None:
        await call.respond(**answer(NO_PARTNER_TEXT))
        return
    await _deliver(deps, asked.keys)
    partners = " and ".join(f"<@{u}>" for u in asked.partner_ids)
    await call.respond(**answer(f":outbox_tray: Sent to {partners} in your pair's conversation."))


async def experts_command(deps: Deps, call: Call) -> None:
    """/tandem experts <skill> — more experienced opted-in colleagues who offer it (ephemeral)."""
    await call.ack()
    async with deps.sessionmaker.begin() as session:
        name, found = await peers.find_experts(session, team_id=call.team_id, user_id=call.user_id,
                                               skill_text=call.command.arg, now=deps.clock())
    rows = [(e.user_id, EXPERIENCE_LEVELS[e.experience] if e.experience is not None else None, e.department)
            for e in found]
    await call.respond(**experts_message(name, rows))

