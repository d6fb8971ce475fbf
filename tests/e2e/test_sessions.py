"""A pairing's journey through Slack with a controlled clock: kick-off, goals, dilemmas
taking turns, check-ins, feedback, rescheduling, silence, the fit check and the end."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from bot import crypto, ids
from bot.models import Feedback, Goal, Member, Pairing, PairingMember, Round, Session
from bot.pairings import create_pairing
from bot.scheduler import run_due
from bot.workspaces import ensure_workspace, program_of
from tests.conftest import T0, TEAM_ID, RunningApp, eventually
from tests.e2e.helpers import (
    EXPERIMENT, PRIVATE_NOTE, assert_each_prompt_once, assert_never_sent, buttons, click, dilemma_values, dm,
    feedback_values, goals_values, opened_views, pairing_row, seed_pairing, sessions_of, step, text_value,
    texts, time_values,
)




# --- the journey ----------------------------------------------------------------------------------------------

async def test_a_full_pairing_takes_turns_from_kickoff_to_retrospective(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    dm_ana, dm_ben = await dm(app, "UANA"), await dm(app, "UBEN")
    planned = await sessions_of(app, pairing_id)
    assert [s.mentee_member_id is None for s in planned] == [True, False, False, False]
    assert [s.due_at.weekday() < 5 and 9 <= s.due_at.hour < 17 for s in planned] == [True] * 4

    # Kick-off prompt in the pair's conversation, with the goals button.
    await step(app, planned[0].due_at - dt.timedelta(hours=36))
    assert any("kick-off" in t for t in texts(app, conv))
    assert buttons(app, conv, ids.OPEN_GOALS) == [str(pairing_id)]
    await click(app, "UANA", ids.OPEN_GOALS, str(pairing_id), conv)
    await eventually(lambda: _async(opened_views(app, ids.GOALS_VIEW)))
    status, _, _ = await app.requests.view_submission(
        "UANA", ids.GOALS_VIEW, goals_values([("Run a design review", "Lead signs off", "2026-06-01", "Growth")],
                                             intent="Honest outside views"),
        private_metadata=str(pairing_id))
    assert status == 200
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "set their goals" in c.params.get("text", ""))
    assert any("Run a design review" in t and "Honest outside views" in t for t in texts(app, conv))

    # After the kick-off: check-in in the conversation, a private fit check each.
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    checkins = buttons(app, conv, ids.CHECKIN_MET)
    assert len(checkins) == 1
    assert buttons(app, dm_ana, ids.FIT_YES) == [str(pairing_id)] and buttons(app, dm_ben, ids.FIT_YES) == [str(pairing_id)]
    await click(app, "UANA", ids.FIT_YES, str(pairing_id), dm_ana)
    await click(app, "UBEN", ids.FIT_YES, str(pairing_id), dm_ben)

    await click(app, "UANA", ids.CHECKIN_MET, checkins[0], conv)
    await eventually(lambda: _async(opened_views(app, ids.FEEDBACK_VIEW)))
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "How was it" in json.dumps(c.params))
    assert buttons(app, dm_ben, ids.OPEN_FEEDBACK) == [str(planned[0].id)]
    async with app.deps.sessionmaker() as session:
        goal = await session.scalar(select(Goal))
    assert goal is not None
    status, _, _ = await app.requests.view_submission(
        "UANA", ids.FEEDBACK_VIEW, feedback_values("5", experiment=EXPERIMENT, note=PRIVATE_NOTE,
                                                   goals={goal.id: "done"}),
        private_metadata=str(planned[0].id))
    assert status == 200
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "reached a goal" in c.params.get("text", ""))
    await click(app, "UBEN", ids.OPEN_FEEDBACK, str(planned[0].id), dm_ben)
    await app.requests.view_submission("UBEN", ids.FEEDBACK_VIEW, feedback_values("3"),
                                       private_metadata=str(planned[0].id))

    # Session 2: Ana is the mentee; her experiment comes back to her in the prompt.
    await step(app, planned[1].due_at - dt.timedelta(hours=30))
    dilemma_buttons = buttons(app, dm_ana, ids.OPEN_DILEMMA)
    assert dilemma_buttons == [str(planned[1].id)]
    assert any(EXPERIMENT in t for t in texts(app, dm_ana))
    assert buttons(app, dm_ben, ids.OPEN_DILEMMA) == []
    await click(app, "UANA", ids.OPEN_DILEMMA, dilemma_buttons[0], dm_ana)
    await eventually(lambda: _async(opened_views(app, ids.DILEMMA_VIEW)))
    await app.requests.view_submission("UANA", ids.DILEMMA_VIEW,
                                       dilemma_values("My team <!channel> ignores reviews", "Reminders", "Questions"),
                                       private_metadata=dilemma_buttons[0])
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "ignores reviews" in json.dumps(c.params))
    posted = [t for t in texts(app, conv) if "ignores reviews" in t]
    assert len(posted) == 1 and "<!channel>" not in posted[0] and "&lt;!channel&gt;" in posted[0]
    await step(app, planned[1].due_at + dt.timedelta(hours=6))
    assert sum("Reminder" in t for t in texts(app, dm_ana)) == 0  # she answered: no reminder
    await click(app, "UBEN", ids.CHECKIN_MET, buttons(app, conv, ids.CHECKIN_MET)[-1], conv)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "How was it" in json.dumps(c.params) and "UBEN" in json.dumps(c.params))

    # Session 3: Ben's turn; he stays silent → one reminder, then a brainstorm.
    await step(app, planned[2].due_at + dt.timedelta(hours=1))
    assert buttons(app, dm_ben, ids.OPEN_DILEMMA) == [str(planned[2].id)] * 2  # prompt + one reminder
    assert sum("Reminder" in t for t in texts(app, dm_ben)) == 1
    assert any("No dilemma was written for session 3" in t for t in texts(app, conv))

    # It was moved: the old check-in button becomes stale, a new one follows the new date.
    await step(app, planned[2].due_at + dt.timedelta(hours=6))
    old_checkin = buttons(app, conv, ids.CHECKIN_MET)[-1]
    await click(app, "UANA", ids.CHECKIN_RESCHEDULED, old_checkin, conv)
    await eventually(lambda: _async(opened_views(app, ids.RESCHEDULE_VIEW)))
    new_time = planned[2].due_at + dt.timedelta(days=1)  # a Friday: its check-in is not on a day off
    status, _, body = await app.requests.view_submission(
        "UANA", ids.RESCHEDULE_VIEW, time_values(app.clock.now - dt.timedelta(hours=1)),
        private_metadata=f"{pairing_id}:{planned[2].id}")
    assert body["response_action"] == "errors" and ids.SESSION_TIME[0] in body["errors"]
    await app.requests.view_submission("UANA", ids.RESCHEDULE_VIEW, time_values(new_time),
                                       private_metadata=f"{pairing_id}:{planned[2].id}")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "set session 3" in c.params.get("text", "") + json.dumps(c.params))
    await click(app, "UBEN", ids.CHECKIN_MET, old_checkin, conv)
    await app.slack.wait_for("response_url", predicate=lambda c: "was moved" in json.dumps(c.params))
    await step(app, new_time + dt.timedelta(hours=6))
    new_checkin = buttons(app, conv, ids.CHECKIN_MET)[-1]
    assert new_checkin != old_checkin
    await click(app, "UBEN", ids.CHECKIN_MET, new_checkin, conv)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "How was it" in json.dumps(c.params) and "session 3" in json.dumps(c.params))

    # Session 4: Ana again (A, B, A); then the retrospective and the end.
    moved = await sessions_of(app, pairing_id)
    assert moved[3].due_at == new_time + dt.timedelta(days=7)
    await step(app, moved[3].due_at + dt.timedelta(days=4), hours=6)
    assert buttons(app, dm_ana, ids.OPEN_DILEMMA) == [str(planned[1].id)] + [str(planned[3].id)] * 2
    assert buttons(app, dm_ana, ids.OPEN_RETRO) == [str(pairing_id)]
    assert buttons(app, dm_ben, ids.OPEN_RETRO) == [str(pairing_id)]
    ended = await pairing_row(app, pairing_id)
    assert ended.state == "ended" and ended.end_reason == "completed"
    await click(app, "UANA", ids.OPEN_RETRO, str(pairing_id), dm_ana)
    await eventually(lambda: _async(opened_views(app, ids.RETRO_VIEW)))
    status, _, _ = await app.requests.view_submission(
        "UANA", ids.RETRO_VIEW, {ids.RETRO_LEARNED[0]: {ids.RETRO_LEARNED[1]: text_value("Ask more")},
                                 ids.RETRO_AGAIN[0]: {ids.RETRO_AGAIN[1]: {"type": "radio_buttons",
                                                                          "selected_option": {"value": "yes"}}}},
        private_metadata=str(pairing_id))
    assert status == 200
    async with app.deps.sessionmaker() as session:
        seat = await session.scalar(select(PairingMember).where(PairingMember.pairing_id == pairing_id,
                                                                PairingMember.retro_learned.is_not(None)))
        notes = [await crypto.unseal(session, f.member_id, f.private_note)  # sealed at rest (bot/crypto.py)
                 for f in await session.scalars(select(Feedback).where(Feedback.private_note.is_not(None)))]
        assert all(crypto.is_sealed(f.private_note) for f in await session.scalars(
            select(Feedback).where(Feedback.private_note.is_not(None))))
    assert seat is not None and seat.retro_again is True
    assert notes == [PRIVATE_NOTE]

    # A button from the ended pairing gets a clear answer, never an error.
    await click(app, "UBEN", ids.PICK_SESSION_TIME, str(pairing_id), conv)
    await app.slack.wait_for("response_url", predicate=lambda c: "finished all its sessions" in json.dumps(c.params))

    # Running the scheduler again sends nothing twice; the private note never left the database.
    before = len(app.slack.calls_to("chat.postMessage"))
    await run_due(app.deps, app.clock.now)
    await run_due(app.deps, app.clock.now)
    assert len(app.slack.calls_to("chat.postMessage")) == before
    assert_each_prompt_once(app)
    assert_never_sent(app, PRIVATE_NOTE)
    assert not [c for c in app.slack.calls if not c.ok and c.method != "response_url"], app.slack.summary()


async def _async(value: Any) -> Any:
    return value
