"""`/tandem` member commands end to end: status, pause, resume, leave, forget-me, admin refusal."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot import crypto, ids
from bot.models import (
    Feedback, Goal, Member, MemberBlock, MemberSkill, Pairing, PairingMember, Round, Session,
)
from bot.pairings import create_pairing
from bot.workspaces import program_of
from tests import factories
from tests.conftest import ADMIN_ID, T0, RunningApp
from tests.e2e.helpers import join, member_row, pair


def answer_text(call) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(call.params, ensure_ascii=False)


async def command(app: RunningApp, user_id: str, text: str):  # type: ignore[no-untyped-def]
    """Run a command answered with ack() then respond(); returns the respond() call."""
    before = len(app.slack.calls_to("response_url"))
    status, _, _ = await app.requests.slash_command(user_id, text)
    assert status == 200 and app.requests.last_elapsed < 3
    calls = await app.slack.wait_for("response_url", before + 1)
    return calls[-1]


async def test_status_shows_partner_next_session_and_whose_turn(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    await pair(app, "U1", "U2")
    call = await command(app, "U1", "status")
    text = answer_text(call)
    assert "<@U2>" in text and "Next session" in text and "kick-off" in text and "opted in" in text
    assert call.params.get("response_type", "ephemeral") == "ephemeral"


async def test_status_for_someone_not_joined_offers_join(app: RunningApp) -> None:
    call = await command(app, "U7", "status")
    assert "not joined" in answer_text(call) and ids.JOIN in answer_text(call)


async def test_pause_and_resume(app: RunningApp) -> None:
    app.slack.add_user("U1")
    await join(app, "U1")
    assert "Paused until" in answer_text(await command(app, "U1", "pause 2"))
    member = await member_row(app, "U1")
    assert member.status == "paused" and (member.paused_until - T0).days == 14
    assert "Welcome back" in answer_text(await command(app, "U1", "resume"))
    assert (await member_row(app, "U1")).status == "active"
    assert "nothing to resume" in answer_text(await command(app, "U1", "resume"))
    await command(app, "U1", "pause")
    assert ((await member_row(app, "U1")).paused_until - T0).days == 28  # default 4 weeks


async def test_pausing_mid_pairing_ends_it_and_the_partner_is_repaired_first(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    pairing_id = await pair(app, "U1", "U2")
    text = answer_text(await command(app, "U1", "pause 2"))
    assert "Paused until" in text and "pairing ends" in text
    [dm] = await app.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] != "U1" and "U1" not in json.dumps(dm.params)
    async with app.deps.sessionmaker() as session:
        pairing = await session.get(Pairing, pairing_id)
        assert pairing.state == "ended" and pairing.end_reason == "paused"
    assert (await member_row(app, "U1")).status == "paused"
    assert (await member_row(app, "U2")).priority is True


async def test_pause_for_a_non_member_says_join_first(app: RunningApp) -> None:
    assert "/tandem join" in answer_text(await command(app, "U9", "pause"))
    assert await member_row(app, "U9") is None


async def test_leave_asks_then_ends_the_pairing_and_tells_the_partner_kindly(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    pairing_id = await pair(app, "U1", "U2")
    status, _, body = await app.requests.slash_command("U1", "leave")
    assert ids.LEAVE_CONFIRM in json.dumps(body)
    assert (await member_row(app, "U1")).status == "active"  # nothing happens before the button

    await app.requests.block_action("U1", ids.LEAVE_CONFIRM, "leave")
    reply = await app.slack.wait_for("response_url")
    assert "left Tandem" in answer_text(reply[-1])
    [dm] = await app.slack.wait_for("chat.postMessage")
    assert "first in line" in json.dumps(dm.params["blocks"]) and "U1" not in json.dumps(dm.params)
    await app.slack.wait_for("views.publish", 2)

    async with app.deps.sessionmaker() as session:
        pairing = await session.get(Pairing, pairing_id)
        assert pairing.state == "ended" and pairing.end_reason == "left"
        states = set(await session.scalars(select(Session.state).where(Session.pairing_id == pairing_id)))
        assert states == {"cancelled"}
    assert (await member_row(app, "U1")).status == "left"
    partner = await member_row(app, "U2")
    assert partner.priority is True and partner.status == "active"
    # A stale confirmation button changes nothing more.
    await app.requests.block_action("U1", ids.LEAVE_CONFIRM, "leave")
    reply = await app.slack.wait_for("response_url", 2)
    assert "nothing to leave" in answer_text(reply[-1])


async def test_leaving_a_trio_leaves_a_pair(app: RunningApp) -> None:
    for u in ("U1", "U2", "U3"):
        app.slack.add_user(u)
    pairing_id = await pair(app, "U1", "U2", "U3")
    await app.requests.block_action("U2", ids.LEAVE_CONFIRM, "leave")
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "carry on as a pair" in json.dumps(c.params))
    async with app.deps.sessionmaker() as session:
        pairing = await session.get(Pairing, pairing_id)
        assert pairing.state == "active"
        seats = list(await session.scalars(select(PairingMember.member_id).where(
            PairingMember.pairing_id == pairing_id, PairingMember.left_at.is_(None))))
        mentees = set(await session.scalars(
            select(Session.mentee_member_id).where(Session.pairing_id == pairing_id, Session.sequence > 1)))
    remaining = {(await member_row(app, u)).id for u in ("U1", "U3")}
    assert set(seats) == remaining and mentees == remaining


async def test_cancel_changes_nothing(app: RunningApp) -> None:
    await app.requests.block_action("U1", ids.CANCEL, "forget")
    reply = await app.slack.wait_for("response_url")
    assert "nothing changed" in answer_text(reply[-1])


async def test_forget_me_deletes_personal_data_and_keeps_counts(app: RunningApp) -> None:
    for u in ("U1", "U2"):
        app.slack.add_user(u)
    await join(app, "U1", offers="Python", wants="Go", department="Payments", goals="Lead", dont_pair=["U5"])
    pairing_id = await pair(app, "U1", "U2")
    async with app.deps.sessionmaker.begin() as session:
        me = await session.scalar(select(Member).where(Member.slack_user_id == "U1"))
        partner = await session.scalar(select(Member).where(Member.slack_user_id == "U2"))
        sessions = list(await session.scalars(select(Session).where(Session.pairing_id == pairing_id)
                                              .order_by(Session.sequence)))
        sessions[1].mentee_member_id = me.id
        sessions[1].dilemma_situation = "my secret dilemma"
        sessions[0].state = "met"
        session.add(Goal(pairing_id=pairing_id, member_id=me.id, what="my goal", created_at=T0))
        session.add(Feedback(session_id=sessions[0].id, member_id=me.id, rating=4, takeaway="mine",
                             experiment="try", private_note="secret", created_at=T0))
        session.add(MemberBlock(member_id=partner.id, blocked_user_id="U1",
                                blocked_hash=crypto.keyring_of(session).block_hash("U1")))
        (await session.get(PairingMember, (pairing_id, me.id))).retro_learned = "learned"
        my_id = me.id

    _, _, body = await app.requests.slash_command("U1", "forget-me")
    assert ids.FORGET_CONFIRM in json.dumps(body)
    await app.requests.block_action("U1", ids.FORGET_CONFIRM, "forget")
    reply = await app.slack.wait_for("response_url")
    assert "deleted" in answer_text(reply[-1])
    await app.slack.wait_for("chat.postMessage", 2)  # the partner was told

    async with app.deps.sessionmaker() as session:
        me = await session.get(Member, my_id)
        assert me.slack_user_id == f"forgotten-{my_id}" and me.status == "forgotten"
        assert (me.display_name, me.department, me.career_goals, me.experience, me.tz) == (None,) * 5
        assert await session.scalar(select(func.count()).select_from(MemberSkill).where(MemberSkill.member_id == my_id)) == 0
        # The partner's block stays (keyed hash only), so U1 stays blocked if they return.
        assert [(b.member_id, b.blocked_user_id) for b in await session.scalars(select(MemberBlock))] == [
            (partner.id, None)]
        assert await session.scalar(select(func.count()).select_from(Goal)) == 0
        feedback = await session.scalar(select(Feedback))
        assert (feedback.rating, feedback.takeaway, feedback.experiment, feedback.private_note) == (4, None, None, None)
        assert await session.scalar(select(Session.dilemma_situation).where(Session.sequence == 2)) is None
        assert (await session.get(PairingMember, (pairing_id, my_id))).retro_learned is None
        # Program history keeps its counts.
        assert await session.scalar(select(func.count()).select_from(Pairing)) == 1
        assert await session.scalar(select(func.count()).select_from(Session)) > 0
        assert await session.scalar(select(func.count()).select_from(Member).where(Member.slack_user_id == "U1")) == 0

    again = await command(app, "U1", "status")
    assert "not joined" in answer_text(again)
    await app.requests.block_action("U1", ids.FORGET_CONFIRM, "forget")
    reply = await app.slack.wait_for("response_url", 3)
    assert "no personal data" in answer_text(reply[-1])


@pytest.mark.parametrize("text", ["admin", "admin announce <#C0PROG|mentoring>", "admin match", "admin match preview",
                                  "admin stats", "admin export"])
async def test_non_admins_are_refused_every_admin_command(app: RunningApp, text: str) -> None:
    app.slack.add_user("U1")
    app.slack.add_channel("C0PROG", "mentoring")
    status, _, body = await app.requests.slash_command("U1", text)
    assert status == 200 and "only program admins" in json.dumps(body)
    called = {c.method for c in app.slack.calls} - {"users.info", "auth.test"}
    assert called == set(), app.slack.summary()
    assert app.slack.messages("C0PROG") == []


async def test_admins_named_in_tandem_admins_are_admins(app: RunningApp) -> None:
    from tests.conftest import make_settings
    settings = make_settings(app.deps.settings.DATABASE_URL, app.slack.url, TANDEM_ADMINS="U1")
    assert "U1" in settings.admin_ids
    object.__setattr__(app.deps, "settings", settings)  # Deps is frozen; the running app holds this one
    app.slack.add_user("U1")
    app.slack.add_channel("C0PROG", "mentoring")
    await app.requests.slash_command("U1", "admin announce <#C0PROG>")
    await app.slack.wait_for("chat.postMessage")


async def test_workspace_admin_is_not_refused(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring")
    status, _, body = await app.requests.slash_command(ADMIN_ID, "admin announce <#C0PROG|mentoring>")
    assert "only program admins" not in json.dumps(body)
    await app.slack.wait_for("chat.postMessage")
