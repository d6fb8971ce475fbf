"""Sessions in real calendars, through Bolt (issue 12): days off, everyone's feedback,
"next session" after a session, Stop after Continue, and a stale reschedule form."""

from __future__ import annotations

from typing import Any

import datetime as dt
import json

from sqlalchemy import select

from bot import ids
from bot.models import Member, Session
from bot.scheduler import run_due
from tests.conftest import RunningApp, eventually
from tests.e2e.helpers import (
    buttons, click, dm, feedback_values, open_modal, opened_views, pairing_row, profile_values, seed_pairing,
    sessions_of, step, time_values,
)


async def _async(value: Any) -> Any:
    return value


async def _member(app: RunningApp, user_id: str) -> Member:
    async with app.deps.sessionmaker() as session:
        found = await session.scalar(select(Member).where(Member.slack_user_id == user_id))
        assert found is not None
        return found


def _home_of(app: RunningApp, user_id: str) -> str:
    published = [c for c in app.slack.calls_to("views.publish") if c.ok and c.params.get("user_id") == user_id]
    return json.dumps(published[-1].params["view"]) if published else ""


# --- 2. days off ----------------------------------------------------------------------------------------

async def test_working_days_are_a_profile_choice(app: RunningApp) -> None:
    app.slack.add_user("UDANA", real_name="Dana", tz="Asia/Jerusalem")
    view = await open_modal(app, "UDANA")
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.WORK_DAYS[0])
    assert [o["value"] for o in block["element"]["initial_options"]] == ["0", "1", "2", "3", "4"]
    values = profile_values(new_offers="Python", new_wants="Go")
    values[ids.WORK_DAYS[0]] = {ids.WORK_DAYS[1]: {"type": "checkboxes", "selected_options": [
        {"text": {"type": "plain_text", "text": d}, "value": d} for d in ("6", "0", "1", "2", "3")]}}
    before = len(app.slack.calls_to("chat.postMessage"))
    status, _, body = await app.requests.view_submission("UDANA", ids.PROFILE_VIEW, values)
    assert status == 200 and not body, body
    await app.slack.wait_for("chat.postMessage", before + 1)  # the confirmation: saved
    async with app.deps.sessionmaker() as session:
        dana = await session.scalar(select(Member).where(Member.slack_user_id == "UDANA"))
    assert dana is not None and dana.work_days == "0,1,2,3,6"
    values[ids.WORK_DAYS[0]][ids.WORK_DAYS[1]]["selected_options"] = []
    status, _, body = await app.requests.view_submission("UDANA", ids.PROFILE_VIEW, values)
    assert body["response_action"] == "errors" and ids.WORK_DAYS[0] in body["errors"]


async def test_no_prompt_reminder_or_checkin_arrives_on_a_weekend(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")], sessions=3)
    async with app.deps.sessionmaker.begin() as session:  # every session on a Monday (or Friday) morning
        rows = list(await session.scalars(select(Session).where(Session.pairing_id == pairing_id)
                                           .order_by(Session.sequence)))
        monday = dt.datetime(2026, 3, 9, 10, tzinfo=dt.timezone.utc)
        for n, s in enumerate(rows):
            s.due_at = monday + dt.timedelta(days=7 * n) + (dt.timedelta(days=4, hours=6) if n == 2 else dt.timedelta())
    sent: list[dt.datetime] = []
    seen = 0
    while app.clock.now < rows[-1].due_at + dt.timedelta(days=3):
        app.clock.advance(hours=2)
        await run_due(app.deps, app.clock.now)
        calls = [c for c in app.slack.calls_to("chat.postMessage") if c.ok]
        sent += [app.clock.now for _ in calls[seen:]]
        seen = len(calls)
    assert len(buttons(app, await dm(app, "UANA"), ids.OPEN_DILEMMA)) >= 1
    assert sent and all(when.weekday() < 5 for when in sent), [w for w in sent if w.weekday() >= 5]


# --- 4. everyone gets to give feedback --------------------------------------------------------------------

async def test_the_clicker_who_closes_the_feedback_modal_can_still_give_feedback(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    await click(app, "UANA", ids.CHECKIN_MET, buttons(app, conv, ids.CHECKIN_MET)[-1], conv)
    await eventually(lambda: _async(opened_views(app, ids.FEEDBACK_VIEW)))
    # Ana closes the modal without sending it. Both still have a button, in a DM and on App Home.
    dm_ana, dm_ben = await dm(app, "UANA"), await dm(app, "UBEN")
    await eventually(lambda: _async(buttons(app, dm_ana, ids.OPEN_FEEDBACK)))
    await eventually(lambda: _async(buttons(app, dm_ben, ids.OPEN_FEEDBACK)))
    assert buttons(app, dm_ana, ids.OPEN_FEEDBACK) == [str(planned[0].id)]
    assert buttons(app, dm_ben, ids.OPEN_FEEDBACK) == [str(planned[0].id)]
    for user in ("UANA", "UBEN"):
        await eventually(lambda user=user: _async(ids.OPEN_FEEDBACK in _home_of(app, user)))
    await click(app, "UANA", ids.OPEN_FEEDBACK, str(planned[0].id), dm_ana)
    await eventually(lambda: _async(len(opened_views(app, ids.FEEDBACK_VIEW)) == 2))
    status, _, _ = await app.requests.view_submission("UANA", ids.FEEDBACK_VIEW, feedback_values("4"),
                                                      private_metadata=str(planned[0].id))
    assert status == 200
    await eventually(lambda: _async(ids.OPEN_FEEDBACK not in _home_of(app, "UANA")))
    # A week later Ben's button has expired, with a clear answer.
    app.clock.advance(days=8)
    await click(app, "UBEN", ids.OPEN_FEEDBACK, str(planned[0].id), dm_ben)
    await app.slack.wait_for("response_url", predicate=lambda c: "more than a week" in json.dumps(c.params))


# --- 5. "next session" is the next one not yet held ---------------------------------------------------------

async def test_status_after_a_session_shows_the_next_one(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[0].due_at + dt.timedelta(hours=3))  # held, nobody answered the check-in yet
    status, _, _ = await app.requests.slash_command("UANA", "status")
    assert status == 200
    call = await app.slack.wait_for("response_url", predicate=lambda c: "Next session" in json.dumps(c.params))
    assert "(2 of 4)" in json.dumps(call[-1].params), json.dumps(call[-1].params)[:2000]


# --- 6. decisions need everyone ---------------------------------------------------------------------------

async def test_a_stop_after_a_continue_ends_the_pairing_kindly(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")], sessions=6)
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[2].due_at + dt.timedelta(days=4), hours=6)
    assert (await pairing_row(app, pairing_id)).state == "paused"
    dm_ana, dm_ben = await dm(app, "UANA"), await dm(app, "UBEN")
    await click(app, "UBEN", ids.STALLED_CONTINUE, str(pairing_id), dm_ben)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "wants to continue" in c.params.get("text", ""))
    assert (await pairing_row(app, pairing_id)).state == "active"
    await click(app, "UANA", ids.STALLED_STOP, str(pairing_id), dm_ana)
    await app.slack.wait_for("response_url", predicate=lambda c: "has ended" in json.dumps(c.params))
    ended = await pairing_row(app, pairing_id)
    assert ended.state == "ended" and ended.end_reason == "stopped"
    assert (await _member(app, "UANA")).priority and (await _member(app, "UBEN")).priority
    assert all(s.state != "planned" for s in await sessions_of(app, pairing_id))


async def test_a_stale_reschedule_form_is_refused_with_the_current_time(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await click(app, "UANA", ids.PICK_SESSION_TIME, str(pairing_id), conv)
    await click(app, "UBEN", ids.PICK_SESSION_TIME, str(pairing_id), conv)
    await eventually(lambda: _async(len(opened_views(app, ids.RESCHEDULE_VIEW)) == 2))
    ana_form, ben_form = opened_views(app, ids.RESCHEDULE_VIEW)
    assert ana_form["private_metadata"] == f"{pairing_id}:{planned[0].id}:{int(planned[0].due_at.timestamp())}"
    first = planned[0].due_at + dt.timedelta(days=1)
    status, _, body = await app.requests.view_submission("UANA", ids.RESCHEDULE_VIEW, time_values(first),
                                                         private_metadata=ana_form["private_metadata"])
    assert status == 200 and not body, body
    later = planned[0].due_at + dt.timedelta(days=2)
    status, _, body = await app.requests.view_submission("UBEN", ids.RESCHEDULE_VIEW, time_values(later),
                                                         private_metadata=ben_form["private_metadata"])
    assert body["response_action"] == "update"
    assert f"<!date^{int(first.timestamp())}^" in json.dumps(body["view"])
    assert (await sessions_of(app, pairing_id))[0].due_at == first
