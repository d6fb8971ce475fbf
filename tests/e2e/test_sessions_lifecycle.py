"""Pairings that stall, don't fit, lose a member or need a quick question; goals and
status; brainstorm pairs and trios; old buttons."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot import ids
from bot.home import refresh_home
from bot.models import Member, Pairing, Session
from bot.scheduler import run_due
from tests.conftest import RunningApp, eventually
from tests.e2e.helpers import (
    PRIVATE_NOTE, assert_each_prompt_once, assert_never_sent, buttons, click, dm, feedback_values,
    goals_values, opened_views, pairing_row, seed_pairing, sessions_of, step, texts,
)


async def _member(app: RunningApp, user_id: str) -> Member:
    async with app.deps.sessionmaker() as session:
        found = await session.scalar(select(Member).where(Member.slack_user_id == user_id))
        assert found is not None
        return found


async def test_three_silent_sessions_pause_the_pairing_and_continue_resumes_it(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")], sessions=6)
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[2].due_at + dt.timedelta(days=4), hours=6)
    pairing = await pairing_row(app, pairing_id)
    assert pairing.state == "paused" and pairing.silent_streak == 3
    assert [s.state for s in await sessions_of(app, pairing_id)][:3] == ["silent"] * 3
    # One reminder per check-in, only because nobody answered.
    assert sum("Still open" in t for t in texts(app, conv)) == 3
    dm_ana, dm_ben = await dm(app, "UANA"), await dm(app, "UBEN")
    assert buttons(app, dm_ana, ids.STALLED_CONTINUE) == [str(pairing_id)]
    assert buttons(app, dm_ben, ids.STALLED_REPAIR) == [str(pairing_id)]
    prompts_before = len(buttons(app, dm_ana, ids.OPEN_DILEMMA)) + len(buttons(app, dm_ben, ids.OPEN_DILEMMA))

    await step(app, app.clock.now + dt.timedelta(days=2), hours=6)  # paused: no prompts
    assert len(buttons(app, dm_ana, ids.OPEN_DILEMMA)) + len(buttons(app, dm_ben, ids.OPEN_DILEMMA)) == prompts_before

    await click(app, "UBEN", ids.STALLED_CONTINUE, str(pairing_id), dm_ben)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "wants to continue" in c.params.get("text", ""))
    resumed = await pairing_row(app, pairing_id)
    assert resumed.state == "active" and resumed.silent_streak == 0
    upcoming = [s for s in await sessions_of(app, pairing_id) if s.state == "planned"]
    assert upcoming[0].due_at > app.clock.now
    # Ana's "Continue" finds it back on already: a clear answer, nothing changes.
    await click(app, "UANA", ids.STALLED_CONTINUE, str(pairing_id), dm_ana)
    await app.slack.wait_for("response_url", predicate=lambda c: "already back on" in json.dumps(c.params))
    assert (await pairing_row(app, pairing_id)).state == "active"
    # And the sessions go on: the next mentee is asked again.
    await step(app, upcoming[0].due_at, hours=6)
    assert len(buttons(app, dm_ana, ids.OPEN_DILEMMA)) + len(buttons(app, dm_ben, ids.OPEN_DILEMMA)) > prompts_before
    assert_each_prompt_once(app)


async def test_skipped_sessions_count_and_repair_ends_the_pairing_with_priority(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")], sessions=6)
    planned = await sessions_of(app, pairing_id)
    for s in planned[:3]:
        await step(app, s.due_at + dt.timedelta(hours=6))
        await click(app, "UANA", ids.CHECKIN_SKIPPED, buttons(app, conv, ids.CHECKIN_SKIPPED)[-1], conv)
        await eventually(lambda s=s: _state_is(app, s.id, "skipped"))
    dm_ben = await dm(app, "UBEN")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: c.response.get("channel") == dm_ben
                             and ids.STALLED_REPAIR in json.dumps(c.params))
    await click(app, "UBEN", ids.STALLED_REPAIR, str(pairing_id), dm_ben)
    await eventually(lambda: _pairing_ended(app, pairing_id))
    ended = await pairing_row(app, pairing_id)
    assert ended.end_reason == "re-pair"
    assert (await _member(app, "UANA")).priority and (await _member(app, "UBEN")).priority
    assert all(s.state != "planned" for s in await sessions_of(app, pairing_id))
    await app.slack.wait_for("chat.postMessage", count=2, predicate=lambda c: "first in line" in json.dumps(c.params))


async def test_a_no_at_the_fit_check_ends_the_pairing_quietly_and_both_go_first(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    dm_ana, dm_ben = await dm(app, "UANA"), await dm(app, "UBEN")
    await click(app, "UANA", ids.FIT_NO, str(pairing_id), dm_ana)
    await eventually(lambda: _pairing_ended(app, pairing_id))
    assert (await pairing_row(app, pairing_id)).end_reason == "fit"
    assert (await _member(app, "UANA")).priority and (await _member(app, "UBEN")).priority
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: c.response.get("channel") == dm_ben
                             and "right fit" in json.dumps(c.params))
    bens = " ".join(texts(app, dm_ben))
    assert "UANA" not in bens.split("right fit")[-1]  # nobody is named as the one who said no
    # Ben's fit buttons are now stale; prompts stop.
    await click(app, "UBEN", ids.FIT_YES, str(pairing_id), dm_ben)
    await app.slack.wait_for("response_url", predicate=lambda c: "has ended" in json.dumps(c.params))
    await step(app, planned[1].due_at + dt.timedelta(hours=6))
    assert buttons(app, dm_ana, ids.OPEN_DILEMMA) == [] and buttons(app, dm_ben, ids.OPEN_DILEMMA) == []


async def test_a_partner_leaving_mid_pairing_stops_the_prompts_and_the_other_is_told(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    status, _, _ = await app.requests.slash_command("UANA", "leave")
    assert status == 200
    await click(app, "UANA", ids.LEAVE_CONFIRM, "leave", await dm(app, "UANA"))
    await eventually(lambda: _pairing_ended(app, pairing_id))
    dm_ben = await dm(app, "UBEN")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: c.response.get("channel") == dm_ben
                             and "first in line" in json.dumps(c.params))
    await click(app, "UBEN", ids.CHECKIN_MET, buttons(app, conv, ids.CHECKIN_MET)[-1], conv)
    await app.slack.wait_for("response_url", predicate=lambda c: "has ended" in json.dumps(c.params))
    await step(app, planned[2].due_at)
    assert buttons(app, await dm(app, "UANA"), ids.OPEN_DILEMMA) == []
    assert buttons(app, dm_ben, ids.OPEN_DILEMMA) == []


async def test_ask_posts_to_the_partner_and_says_so_without_one(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    status, _, _ = await app.requests.slash_command("UANA", "ask How do you run retros? <!here>")
    assert status == 200
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "How do you run retros" in json.dumps(c.params))
    posted = [t for t in texts(app, conv) if "How do you run retros" in t]
    assert len(posted) == 1 and "<@UBEN>" in posted[0] and "<!here>" not in posted[0]
    await app.slack.wait_for("response_url", predicate=lambda c: "Sent to <@UBEN>" in json.dumps(c.params))

    app.slack.add_user("ULONE")
    await app.requests.slash_command("ULONE", "ask anyone there?")
    await app.slack.wait_for("response_url", predicate=lambda c: "don't have a partner" in json.dumps(c.params))


async def test_experts_lists_more_experienced_opted_in_colleagues_best_first(app: RunningApp) -> None:
    from tests import factories

    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "UASK", offers=["Design"], wants=["Negotiation"], experience=1)
        await factories.member(session, ws, "USENIOR", offers=["Negotiation"], wants=["Go"], experience=4,
                               department="Sales")
        await factories.member(session, ws, "UMID", offers=["Negotiation"], wants=["Go"], experience=3)
        await factories.member(session, ws, "UJUNIOR", offers=["Negotiation"], wants=["Go"], experience=0)
        await factories.member(session, ws, "UGONE", offers=["Negotiation"], wants=["Go"], experience=5,
                               status="left")
    status, _, _ = await app.requests.slash_command("UASK", "experts negotiation")
    assert status == 200
    answer = (await app.slack.wait_for("response_url", predicate=lambda c: "Negotiation" in json.dumps(c.params)))[0]
    body = json.dumps(answer.params)
    assert body.index("USENIOR") < body.index("UMID")
    assert "UJUNIOR" not in body and "UGONE" not in body and "UASK" not in body
    assert answer.params.get("response_type", "ephemeral") == "ephemeral"
    await app.requests.slash_command("UASK", "experts underwater basket weaving")
    await app.slack.wait_for("response_url", predicate=lambda c: "Nobody with more experience" in json.dumps(c.params))


async def test_goals_modal_rejects_bad_goals_with_field_errors(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    values = goals_values([("", "Measure without a goal", "2026-06-01", "")])
    status, _, body = await app.requests.view_submission("UANA", ids.GOALS_VIEW, values,
                                                         private_metadata=str(pairing_id))
    assert status == 200 and body["response_action"] == "errors" and "goal1_what" in body["errors"]
    values = goals_values([("Speak at the all-hands", "Done once", "2020-01-01", "Visibility")])
    _, _, body = await app.requests.view_submission("UANA", ids.GOALS_VIEW, values, private_metadata=str(pairing_id))
    assert "goal1_by" in body["errors"]
    # Someone outside the pairing gets a clear answer, and nothing is stored.
    app.slack.add_user("UOUT")
    values = goals_values([("Speak at the all-hands", "Done once", "2026-09-01", "Visibility")])
    _, _, body = await app.requests.view_submission("UOUT", ids.GOALS_VIEW, values, private_metadata=str(pairing_id))
    assert body["response_action"] == "update" and "not part of" in json.dumps(body["view"])
    await app.requests.slash_command("UOUT", "goals")
    await app.slack.wait_for("response_url", predicate=lambda c: "Goals belong to a pairing" in json.dumps(c.params))
    # The member opens the modal with /tandem goals.
    await app.requests.slash_command("UANA", "goals")
    await eventually(lambda: _truthy(opened_views(app, ids.GOALS_VIEW)))


async def test_status_and_home_show_goals_turns_and_history_but_never_private_notes(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await app.requests.view_submission("UANA", ids.GOALS_VIEW,
                                       goals_values([("Lead a planning meeting", "Team agrees", "2026-05-01", "Growth")]),
                                       private_metadata=str(pairing_id))
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "set their goals" in c.params.get("text", ""))
    await step(app, planned[0].due_at + dt.timedelta(hours=6))
    await click(app, "UANA", ids.CHECKIN_MET, buttons(app, conv, ids.CHECKIN_MET)[-1], conv)
    await eventually(lambda: _state_is(app, planned[0].id, "met"))
    await app.requests.view_submission("UANA", ids.FEEDBACK_VIEW, feedback_values("2", note=PRIVATE_NOTE),
                                       private_metadata=str(planned[0].id))
    await app.requests.slash_command("UANA", "status")
    status = await app.slack.wait_for("response_url", predicate=lambda c: "Lead a planning meeting" in json.dumps(c.params))
    shown = json.dumps(status[0].params)
    assert "<@UBEN>" in shown and "<!date^" in shown and "*you*" in shown  # partner, local date, her turn next

    async def home_after_feedback() -> dict | None:  # several publishes race; wait for the newest state
        view = app.slack.home_of("UANA")
        text = json.dumps(view)
        return view if view and ids.GOAL_PROGRESS in text and ids.OPEN_DILEMMA in text else None

    home_view = await eventually(home_after_feedback)

    # Marking a goal done from App Home is celebrated in the pair's conversation.
    goal_value = next(o["value"] for b in home_view["blocks"] if b.get("accessory", {}).get("action_id") == ids.GOAL_PROGRESS
                      for o in b["accessory"]["options"] if o["value"].endswith(":done"))
    await app.requests.block_action("UANA", ids.GOAL_PROGRESS, extra_action_fields={
        "type": "static_select", "selected_option": {"value": goal_value}}, view=home_view)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "reached a goal" in c.params.get("text", ""))

    # After the pairing ends, it appears under past pairings.
    async with app.deps.sessionmaker.begin() as session:
        pairing = await session.get(Pairing, pairing_id)
        assert pairing is not None
        pairing.state, pairing.ended_at, pairing.end_reason = "ended", app.clock.now, "completed"
    await app.requests.slash_command("UBEN", "status")  # no partner now
    await app.slack.wait_for("response_url", predicate=lambda c: "No partner right now" in json.dumps(c.params))
    await refresh_home(app.deps, "T0001", "UBEN")
    assert "Past pairings" in json.dumps(app.slack.home_of("UBEN")) and "<@UANA>" in json.dumps(app.slack.home_of("UBEN"))
    assert_never_sent(app, PRIVATE_NOTE)


async def test_brainstorm_pairs_get_a_shared_problem_prompt_and_trios_rotate(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")], fmt="brainstorm", sessions=3)
    planned = await sessions_of(app, pairing_id)
    await step(app, planned[1].due_at)
    assert any("is a *brainstorm*" in t for t in texts(app, conv))
    assert buttons(app, await dm(app, "UANA"), ids.OPEN_DILEMMA) == []

    trio_id, _ = await seed_pairing(app, [("UCAT", "UTC"), ("UDAN", "UTC"), ("UEVE", "UTC")], sessions=5)
    trio = await sessions_of(app, trio_id)
    ids_by_user = {u: (await _member(app, u)).id for u in ("UCAT", "UDAN", "UEVE")}
    assert [s.mentee_member_id for s in trio] == [None, ids_by_user["UCAT"], ids_by_user["UDAN"],
                                                  ids_by_user["UEVE"], ids_by_user["UCAT"]]


async def test_only_the_mentee_writes_the_dilemma_and_old_buttons_answer_clearly(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    planned = await sessions_of(app, pairing_id)
    await click(app, "UBEN", ids.OPEN_DILEMMA, str(planned[1].id), await dm(app, "UBEN"))
    await app.slack.wait_for("response_url", predicate=lambda c: "you mentor this time" in json.dumps(c.params))
    await click(app, "UBEN", ids.CHECKIN_MET, f"{planned[1].id}:123", conv)
    await app.slack.wait_for("response_url", predicate=lambda c: "was moved" in json.dumps(c.params))
    await click(app, "UBEN", ids.OPEN_GOALS, "not-a-number", conv)
    await app.slack.wait_for("response_url", predicate=lambda c: "out of date" in json.dumps(c.params))
    await click(app, "UBEN", ids.OPEN_FEEDBACK, str(planned[0].id), await dm(app, "UBEN"))
    await app.slack.wait_for("response_url", predicate=lambda c: "no feedback to give" in json.dumps(c.params))
    # From App Home (no response URL) the answer comes in a small modal.
    home = {"type": "home", "blocks": [], "callback_id": ""}
    await app.requests.block_action("UOTHER", ids.OPEN_GOALS, str(pairing_id), view=home)
    await eventually(lambda: _truthy(opened_views(app, ids.INFO_VIEW)))
    assert not [c for c in app.slack.calls if not c.ok and c.method != "users.info"], app.slack.summary()
    await run_due(app.deps, app.clock.now)


async def _state_is(app: RunningApp, session_id: int, state: str) -> bool:
    async with app.deps.sessionmaker() as session:
        row = await session.get(Session, session_id)
        return row is not None and row.state == state


async def _pairing_ended(app: RunningApp, pairing_id: int) -> bool:
    return (await pairing_row(app, pairing_id)).state == "ended"


async def _truthy(value: object) -> object:
    return value


