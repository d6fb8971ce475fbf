"""Bolt listeners of a pairing's journey: goals, session time, dilemmas, check-ins,
feedback, the fit check, a stalled pairing and the retrospective (block actions
and view submissions), plus the `/tandem goals`, `ask` and `experts` commands.

Every listener acks first (a view submission acks with its field errors), opens
a modal straight away when there is one, and answers an out-of-date button with
a clear ephemeral message (`StaleAction`), never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import checkins, feedback, goals, ids, outbox, peers, sessions
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
from bot.commands import Command
from bot.deps import Deps
from bot.home import refresh_home, refresh_homes
from bot.models import Goal
from bot.pairings import active_pairing_of
from bot.profiles import EXPERIENCE_LEVELS
from bot.sessions import Seat, StaleAction, parse_ref, seat_of, session_seat
from bot.slack import slack_error
from handlers.payloads import who

log = logging.getLogger(__name__)

# (body, respond, team id, user id) of a button click
ButtonHandler = Callable[[dict[str, Any], Any, str, str], Awaitable[None]]

NO_PARTNER_TEXT = ("You don't have a partner right now. You'll be paired in the next round; "
                   "meanwhile `/tandem experts <skill>` finds experienced colleagues.")
NO_GOALS_PAIRING_TEXT = ("Goals belong to a pairing: you'll set them with your partner at your kick-off. "
                         "You'll be paired in the next round.")
STALLED_ANSWERS = {
    "continue": ":arrow_forward: Great — your pairing is back on, with the next session re-planned.",
    "repair": ":handshake: Done. This pairing has ended and you'll be first in line in the next round.",
    "stop": ":wave: This pairing has ended. If you'd like a break from Tandem, use `/tandem pause`.",
}



def _value(body: dict[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    return str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")


async def _tell(deps: Deps, body: dict[str, Any], respond: Any, text: str, *, replace: bool = False) -> None:
    """An ephemeral answer to a button: in the conversation it was clicked in, or (App Home,
    a modal) in a small modal, since those have nowhere to post an ephemeral message."""
    if body.get("response_url"):
        await respond(response_type="ephemeral", replace_original=replace, **answer(text))
        return
    await _open(deps, body["trigger_id"], info_modal(text))


async def _open(deps: Deps, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        await deps.slack.open_view(trigger_id, view)
    except SlackApiError as exc:
        log.warning("could not open a modal: %s", slack_error(exc))


async def _deliver(deps: Deps, keys: list[str]) -> None:
    if keys:
        await outbox.send_now(deps, keys)


def _goal_rows(rows: list[Goal]) -> list[tuple[int, str, str]]:
    return [(g.id, g.what, g.progress) for g in rows]


# --- modals opened from buttons and commands ---------------------------------------------------------------

async def goals_view_for(deps: Deps, seat: Seat) -> dict[str, Any]:
    async with deps.sessionmaker() as session:
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id)
    return goals_modal(pairing_id=seat.pairing.id, goals=[goals.view_of(g) for g in rows],
                       shared_intent=seat.pairing.shared_intent)


async def _feedback_view(deps: Deps, seat: Seat, sess_id: int, sequence: int) -> dict[str, Any]:
    async with deps.sessionmaker() as session:
        rows = await goals.goals_of(session, seat.pairing.id, seat.member.id)
    return feedback_modal(session_id=sess_id, sequence=sequence, goals=_goal_rows(rows))


def register(app: AsyncApp, deps: Deps) -> None:  # noqa: C901 - one listener per id, read top to bottom
    def button(action_id: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register a button listener: ack at once, read who clicked, and answer a
        button that no longer applies (`StaleAction`) with a clear ephemeral message."""
        def wrap(handler: ButtonHandler) -> ButtonHandler:
            async def listener(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
                await ack()
                team_id, user_id = who(body)
                try:
                    await handler(body, respond, team_id, user_id)
                except StaleAction as stale:
                    await _tell(deps, body, respond, str(stale))

            listener.__doc__ = handler.__doc__
            app.action(action_id)(listener)
            return handler
        return wrap

    @button(ids.OPEN_GOALS)
    async def open_goals(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Set goals" (introduction, kick-off prompt, App Home) — the goals modal."""
        pairing_id, _ = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
        await _open(deps, body["trigger_id"], await goals_view_for(deps, seat))

    @button(ids.PICK_SESSION_TIME)
    async def pick_time(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Pick a session time" — date/time picker for the next session, and the cadence."""
        pairing_id, _ = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
            nxt = sessions.next_session(seat.pairing)
            if nxt is None:
                raise StaleAction("All your sessions are behind you, so there's no time left to pick.")
        await _open(deps, body["trigger_id"], reschedule_modal(
            pairing_id=pairing_id, session_id=nxt.id, sequence=nxt.sequence, initial=nxt.due_at,
            cadence=seat.pairing.cadence))

    @button(ids.OPEN_DILEMMA)
    async def open_dilemma(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Write my dilemma" (the mentee's DM) — the dilemma modal."""
        sess_id, _ = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id)
            sessions.check_dilemma_session(seat, sess)
        await _open(deps, body["trigger_id"], dilemma_modal(
            session_id=sess.id, sequence=sess.sequence, situation=sess.dilemma_situation,
            tried=sess.dilemma_tried, want=sess.dilemma_want))

    @button(ids.CHECKIN_MET)
    async def met(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"We met" on a check-in — the feedback modal for the clicker, a DM to the others."""
        sess_id, stamp = parse_ref(_value(body))
        async with deps.sessionmaker.begin() as session:
            seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                            due_stamp_=stamp, lock=True)
            first = sess.state != "met"
            keys = await checkins.answer_met(session, seat, sess, deps.clock())
        await _open(deps, body["trigger_id"], await _feedback_view(deps, seat, sess.id, sess.sequence))
        if first and body.get("response_url"):
            await respond(replace_original=True, **checkin_answered(sequence=sess.sequence, user_id=user_id,
                                                                    answer="met"))
        await _deliver(deps, keys)

    @button(ids.CHECKIN_SKIPPED)
    async def skipped(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Skipped" on a check-in — counts towards a stalled pairing."""
        sess_id, stamp = parse_ref(_value(body))
        async with deps.sessionmaker.begin() as session:
            seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                            due_stamp_=stamp, lock=True)
            keys = await checkins.answer_skipped(session, seat, sess, deps.clock())
        if body.get("response_url"):
            await respond(replace_original=True, **checkin_answered(sequence=sess.sequence, user_id=user_id,
                                                                    answer="skipped"))
        await _deliver(deps, keys)

    @button(ids.CHECKIN_RESCHEDULED)
    async def rescheduled(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Rescheduled" on a check-in — asks for the new date."""
        sess_id, stamp = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                            due_stamp_=stamp)
            checkins.check_reschedulable(sess)
        initial = max(sess.due_at, deps.clock()) + dt.timedelta(days=2)
        await _open(deps, body["trigger_id"], reschedule_modal(
            pairing_id=seat.pairing.id, session_id=sess.id, sequence=sess.sequence, initial=initial,
            cadence=seat.pairing.cadence))

    @button(ids.OPEN_FEEDBACK)
    async def open_feedback(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Give feedback" (DM after the partner said you met) — the feedback modal."""
        sess_id, _ = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id)
            feedback.check_feedback_session(sess)
        await _open(deps, body["trigger_id"], await _feedback_view(deps, seat, sess.id, sess.sequence))

    def fit_listener(ok: bool) -> ButtonHandler:
        async def fit(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
            """Fit-check buttons (private DM after the kick-off)."""
            pairing_id, _ = parse_ref(_value(body))
            async with deps.sessionmaker.begin() as session:
                seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, lock=True)
                keys = await checkins.answer_fit(session, seat, ok, deps.clock())
                users = sessions.slack_ids(seat.pairing)
            await _tell(deps, body, respond, fit_answered(ok), replace=True)
            await _deliver(deps, keys)
            if keys:
                await refresh_homes(deps, team_id, users)
        return fit

    button(ids.FIT_YES)(fit_listener(True))
    button(ids.FIT_NO)(fit_listener(False))

    def stalled_listener(choice: str) -> ButtonHandler:
        async def stalled(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
            """Continue / re-pair / stop buttons on a stalled pairing's DM."""
            pairing_id, _ = parse_ref(_value(body))
            async with deps.sessionmaker.begin() as session:
                seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, lock=True)
                keys = await checkins.answer_stalled(session, seat, choice, deps.clock())
                users = sessions.slack_ids(seat.pairing)
            await _tell(deps, body, respond, STALLED_ANSWERS[choice], replace=True)
            await _deliver(deps, keys)
            await refresh_homes(deps, team_id, users)
        return stalled

    button(ids.STALLED_CONTINUE)(stalled_listener("continue"))
    button(ids.STALLED_REPAIR)(stalled_listener("repair"))
    button(ids.STALLED_STOP)(stalled_listener("stop"))

    @button(ids.OPEN_RETRO)
    async def open_retro(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """"Answer two questions" (DM after the last session) — the retrospective modal."""
        pairing_id, _ = parse_ref(_value(body))
        async with deps.sessionmaker() as session:
            await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id,
                          allow_completed=True)
        await _open(deps, body["trigger_id"], retro_modal(pairing_id=pairing_id))

    @button(ids.GOAL_PROGRESS)
    async def goal_progress(body: dict[str, Any], respond: Any, team_id: str, user_id: str) -> None:
        """Goal progress select (App Home) — value "goal id:progress"; done is celebrated."""
        goal_id, _, progress = _value(body).partition(":")
        if not goal_id.isdecimal() or progress not in ("not_started", "in_progress", "done"):
            raise StaleAction("That choice is out of date.")
        async with deps.sessionmaker.begin() as session:
            goal = await session.get(Goal, int(goal_id))
            if goal is None or goal.pairing_id is None:
                raise StaleAction("That goal no longer exists.")
            seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=goal.pairing_id, lock=True)
            if goal.member_id != seat.member.id:
                raise StaleAction("You can only update your own goals.")
            keys = await goals.set_progress(session, seat.pairing, goal, user_id, progress, deps.clock())
        await _deliver(deps, keys)
        await refresh_home(deps, team_id, user_id)

    # --- view submissions -------------------------------------------------------------------------------

    @app.view(ids.GOALS_VIEW)
    async def goals_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Goals modal submitted: field errors, or store and show them to the pair."""
        team_id, user_id = who(body)
        now = deps.clock()
        parsed, errors = goals.parse_goals(view["state"]["values"], now.date())
        if parsed is None:
            await ack(response_action="errors", errors=errors)
            return
        try:
            pairing_id, _ = parse_ref(view.get("private_metadata"))
            async with deps.sessionmaker.begin() as session:
                seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id, lock=True)
                keys = await goals.save_goals(session, seat.pairing, seat.member.id, user_id, parsed, now)
                users = sessions.slack_ids(seat.pairing)
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await ack()
        await _deliver(deps, keys)
        await refresh_homes(deps, team_id, users)

    @app.view(ids.DILEMMA_VIEW)
    async def dilemma_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Dilemma modal submitted: posted in the pair's conversation for the partner."""
        team_id, user_id = who(body)
        values = view["state"]["values"]

        def text(pair: tuple[str, str]) -> str:
            return (((values.get(pair[0]) or {}).get(pair[1]) or {}).get("value") or "").strip()

        situation, tried, want = text(ids.DILEMMA_SITUATION), text(ids.DILEMMA_TRIED), text(ids.DILEMMA_WANT)
        errors = {}
        if not situation:
            errors[ids.DILEMMA_SITUATION[0]] = "Describe the situation in a sentence or two."
        if not want:
            errors[ids.DILEMMA_WANT[0]] = "Say what would help you most from your partner."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        try:
            sess_id, _ = parse_ref(view.get("private_metadata"))
            async with deps.sessionmaker.begin() as session:
                seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                                lock=True)
                keys = await sessions.save_dilemma(session, seat, sess, situation=situation[:2500],
                                                   tried=tried[:2500] or None, want=want[:1500], now=deps.clock())
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await ack()
        await _deliver(deps, keys)

    @app.view(ids.FEEDBACK_VIEW)
    async def feedback_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Feedback modal submitted: stored privately; goals marked done are celebrated."""
        team_id, user_id = who(body)
        parsed, errors = feedback.parse_feedback(view["state"]["values"])
        if parsed is None:
            await ack(response_action="errors", errors=errors)
            return
        try:
            sess_id, _ = parse_ref(view.get("private_metadata"))
            async with deps.sessionmaker.begin() as session:
                seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                                lock=True)
                keys = await feedback.save_feedback(session, seat, sess, parsed, deps.clock())
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await ack()
        await _deliver(deps, keys)
        await refresh_home(deps, team_id, user_id)

    @app.view(ids.RESCHEDULE_VIEW)
    async def time_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Session-time modal submitted: the session and the ones after it move; the pair is told."""
        team_id, user_id = who(body)
        values = view["state"]["values"]
        picked = ((values.get(ids.SESSION_TIME[0]) or {}).get(ids.SESSION_TIME[1]) or {}).get("selected_date_time")
        cadence = ((((values.get(ids.SESSION_CADENCE[0]) or {}).get(ids.SESSION_CADENCE[1]) or {})
                    .get("selected_option") or {}).get("value"))
        if not isinstance(picked, int | str) or not str(picked).isdecimal():
            await ack(response_action="errors", errors={ids.SESSION_TIME[0]: "Pick a date and a time."})
            return
        if cadence not in sessions.CADENCE_DAYS:
            await ack(response_action="errors", errors={ids.SESSION_CADENCE[0]: "Choose how often you meet."})
            return
        new_due = dt.datetime.fromtimestamp(int(picked), tz=dt.timezone.utc)
        now = deps.clock()
        try:
            _pairing_id, sess_id = parse_ref(view.get("private_metadata"))
            if sess_id is None:
                raise StaleAction("That form is out of date.")
            async with deps.sessionmaker.begin() as session:
                seat, sess = await session_seat(session, team_id=team_id, user_id=user_id, session_id=sess_id,
                                                lock=True)
                checkins.check_reschedulable(sess)
                problem = sessions.check_new_time(seat.pairing, sess, new_due, now)
                if problem is not None:
                    await ack(response_action="errors", errors={ids.SESSION_TIME[0]: problem})
                    return
                keys = await sessions.reschedule(session, seat, sess, new_due, cadence, now)
                users = sessions.slack_ids(seat.pairing)
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await ack()
        await _deliver(deps, keys)
        await refresh_homes(deps, team_id, users)

    @app.view(ids.RETRO_VIEW)
    async def retro_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Retrospective submitted: private to its author."""
        team_id, user_id = who(body)
        parsed, errors = feedback.parse_retro(view["state"]["values"])
        if parsed is None:
            await ack(response_action="errors", errors=errors)
            return
        try:
            pairing_id, _ = parse_ref(view.get("private_metadata"))
            async with deps.sessionmaker.begin() as session:
                seat = await seat_of(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id,
                                     allow_completed=True)
                feedback.save_retro(seat, parsed)
        except StaleAction as stale:
            await ack(response_action="update", view=info_modal(str(stale)))
            return
        await ack(response_action="update", view=info_modal(":pray: Thank you. Enjoy your next pairing!"))


# --- /tandem goals, ask, experts --------------------------------------------------------------------------

async def goals_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem goals — the goals modal for the current pairing."""
    await ack()
    now = deps.clock()
    async with deps.sessionmaker() as session:
        member = await peers.find_member(session, payload["team_id"], payload["user_id"], now)
        pairing = await active_pairing_of(session, member.id) if member is not None else None
        seat = None
        if member is not None and pairing is not None:
            seat = await seat_of(session, team_id=payload["team_id"], user_id=payload["user_id"],
                                 pairing_id=pairing.id)
    if seat is None:
        await respond(**answer(NO_GOALS_PAIRING_TEXT))
        return
    await _open(deps, payload["trigger_id"], await goals_view_for(deps, seat))


async def ask_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem ask <text> — posts the question to the partner in the pair's conversation."""
    await ack()
    async with deps.sessionmaker.begin() as session:
        asked = await peers.ask_partner(session, team_id=payload["team_id"], user_id=payload["user_id"],
                                        text=command.arg, request_id=payload.get("trigger_id") or "", now=deps.clock())
    if asked is None:
        await respond(**answer(NO_PARTNER_TEXT))
        return
    await _deliver(deps, asked.keys)
    partners = " and ".join(f"<@{u}>" for u in asked.partner_ids)
    await respond(**answer(f":outbox_tray: Sent to {partners} in your pair's conversation."))


async def experts_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem experts <skill> — more experienced opted-in colleagues who offer it (ephemeral)."""
    await ack()
    async with deps.sessionmaker.begin() as session:
        name, found = await peers.find_experts(session, team_id=payload["team_id"], user_id=payload["user_id"],
                                               skill_text=command.arg, now=deps.clock())
    rows = [(e.user_id, EXPERIENCE_LEVELS[e.experience] if e.experience is not None else None, e.department)
            for e in found]
    await respond(**experts_message(name, rows))


COMMANDS = {"goals": goals_command, "ask": ask_command, "experts": experts_command}
