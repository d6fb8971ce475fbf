"""A trio that loses a member (leave or pause) goes on as a pair in a new group
conversation without them; the old conversation, which the departed person still
reads, gets nothing more (issue 11, item 5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids, outbox
from bot.models import Member, OutboxMessage, PairingMember
from tests.conftest import T0, RunningApp, eventually
from tests.e2e.helpers import (
    buttons, click, dilemma_values, dm, opened_views, pairing_row, seed_pairing, sessions_of, step, texts,
)


async def _opened(app: RunningApp) -> list:
    return opened_views(app, ids.DILEMMA_VIEW)


@pytest.mark.parametrize("departure", ["leave", "pause"])
async def test_the_rest_of_a_trio_moves_to_a_conversation_without_the_leaver(app: RunningApp, departure: str) -> None:
    pairing_id, old_conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC"), ("UCAT", "UTC")], sessions=4)
    assert set(app.slack.channel(old_conv).members) == {"UANA", "UBEN", "UCAT"}
    mark = len(app.slack.calls)
    if departure == "leave":
        await app.requests.block_action("UCAT", ids.LEAVE_CONFIRM, "leave")
    else:
        await app.requests.slash_command("UCAT", "pause 2")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "carry on as a pair" in json.dumps(c.params))

    async def moved():  # type: ignore[no-untyped-def]
        found = await pairing_row(app, pairing_id)
        return found if found.conversation_id not in (None, old_conv) else None

    pairing = await eventually(moved)
    new_conv = pairing.conversation_id
    assert pairing.state == "active" and new_conv not in (None, old_conv)
    assert set(app.slack.channel(new_conv).members) == {"UANA", "UBEN"}
    async with app.deps.sessionmaker() as session:
        seats = {m.slack_user_id: pm.left_at for pm, m in await session.execute(
            select(PairingMember, Member).join(Member, Member.id == PairingMember.member_id)
            .where(PairingMember.pairing_id == pairing_id))}
    assert set(seats) == {"UANA", "UBEN", "UCAT"}  # the departed seat is history, not deleted
    assert seats["UCAT"] is not None and seats["UANA"] is None and seats["UBEN"] is None

    await app.requests.slash_command("UANA", "ask How do you say no to a VP?")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "say no to a VP" in json.dumps(c.params))
    assert any("say no to a VP" in t for t in texts(app, new_conv))

    planned = await sessions_of(app, pairing_id)
    async with app.deps.sessionmaker() as session:
        mentee_user = (await session.get(Member, planned[1].mentee_member_id)).slack_user_id
    assert mentee_user in ("UANA", "UBEN")
    await step(app, planned[1].due_at - dt.timedelta(hours=30))
    mentee_dm = await dm(app, mentee_user)
    dilemma_button = buttons(app, mentee_dm, ids.OPEN_DILEMMA)[-1]
    await click(app, mentee_user, ids.OPEN_DILEMMA, dilemma_button, mentee_dm)
    await eventually(lambda: _opened(app))
    await app.requests.view_submission(mentee_user, ids.DILEMMA_VIEW,
                                       dilemma_values("My manager takes credit", "Talking", "Words"),
                                       private_metadata=dilemma_button)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "takes credit" in json.dumps(c.params))
    assert any("takes credit" in t for t in texts(app, new_conv))
    await step(app, planned[2].due_at + dt.timedelta(days=1))  # check-ins, prompts, reminders

    after = app.slack.calls[mark:]
    assert after
    for call in after:
        assert call.params.get("channel") != old_conv, (call.method, call.params)
        if call.method == "conversations.open":
            assert "UCAT" not in str(call.params.get("users")).split(",") or call.params.get("users") == "UCAT"
    assert not any("say no to a VP" in t or "takes credit" in t for t in texts(app, old_conv))


@pytest.mark.parametrize("how", ["forget-me", "leave, then forget-me"])
async def test_forget_me_keeps_what_is_queued_for_the_rest_of_the_trio(app: RunningApp, how: str) -> None:
    """Forget-me by a trio member removes only their text and addressing: messages queued for
    the two who carry on are still delivered, in their new conversation."""
    pairing_id, old_conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC"), ("UCAT", "UTC")], sessions=4)
    later = T0 + dt.timedelta(days=3)
    async with app.deps.sessionmaker.begin() as session:
        workspace_id = (await session.scalar(select(Member).where(Member.slack_user_id == "UANA"))).workspace_id
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"for-the-pair:{pairing_id}", now=T0,
                             not_before=later, pairing_id=pairing_id, channel=old_conv,
                             payload={"text": "Bring your notes on delegation"})
        await outbox.enqueue(session, workspace_id=workspace_id, key=f"about-cat:{pairing_id}", now=T0,
                             not_before=later, pairing_id=pairing_id, channel=old_conv,
                             payload={"text": "<@UCAT> wrote: catsecret"})
    if how.startswith("leave"):
        await app.requests.block_action("UCAT", ids.LEAVE_CONFIRM, "leave")
        await app.slack.wait_for("chat.postMessage", predicate=lambda c: "carry on as a pair" in json.dumps(c.params))
    await app.requests.slash_command("UCAT", "forget-me")
    await app.requests.block_action("UCAT", ids.FORGET_CONFIRM, "forget")
    await app.slack.wait_for("response_url", predicate=lambda c: "deleted" in json.dumps(c.params))
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "carry on as a pair" in json.dumps(c.params))

    await step(app, later + dt.timedelta(hours=1))
    notes = [c for c in app.slack.calls if c.method == "chat.postMessage" and "delegation" in json.dumps(c.params)]
    assert len(notes) == 1, "the message queued for the two who carry on was not delivered"
    new_conv = notes[0].params["channel"]
    assert new_conv != old_conv and set(app.slack.channel(new_conv).members) == {"UANA", "UBEN"}
    assert not any("catsecret" in json.dumps(c.params) for c in app.slack.calls)
    async with app.deps.sessionmaker() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.pairing_id == pairing_id)))
    assert not any("catsecret" in json.dumps(r.payload) or "UCAT" in (r.users or "") for r in rows)
    assert {r.idempotency_key: r.state for r in rows}[f"for-the-pair:{pairing_id}"] == "sent"
