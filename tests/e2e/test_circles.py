"""Circles through Slack (issue 15 items 6, 7): a circles program's round forms the designed
circles and introduces each in one group DM; the facilitator rotates session by session,
is asked for the topic beforehand, and the topic is posted to the circle; check-ins and
feedback work per member."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot import ids
from bot.models import Member, Pairing, PairingMember, Session
from bot.workspaces import program_of
from tests import factories
from tests.conftest import ADMIN_ID, RunningApp, eventually
from tests.e2e.helpers import buttons, click, dilemma_values, dm, opened_views, step, texts

JUNIORS = [  # (user, offers, wants, experience, department): each teaches the next
    ("UJ1", "Python", "Go", 0, "Sales"), ("UJ2", "Go", "SQL", 0, "Data"),
    ("UJ3", "SQL", "UX", 1, "Design"), ("UJ4", "UX", "Python", 1, "Ops"),
]
SENIORS = [
    ("US1", "Kubernetes", "Leadership", 4, "Sales"), ("US2", "Leadership", "Kubernetes", 4, "Data"),
    ("US3", "Kubernetes", "Leadership", 5, "Design"), ("US4", "Leadership", "Kubernetes", 5, "Ops"),
]


async def _seed(app: RunningApp, *, size: int = 4) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        program = await program_of(session, ws.id)
        program.grouping, program.group_size, program.cadence, program.sessions_per_pairing = "circles", size, "weekly", 6
        for user, offers, wants, experience, department in JUNIORS + SENIORS:
            app.slack.add_user(user, real_name=user.title())
            await factories.member(session, ws, user, offers=[offers], wants=[wants], experience=experience,
                                   department=department)


def _opened_groups(app: RunningApp) -> dict[tuple[str, ...], str]:
    return {tuple(sorted(c.params["users"].split(","))): c.response["channel"]["id"]
            for c in app.slack.calls_to("conversations.open") if c.ok and "," in c.params["users"]}


async def _async(value):  # type: ignore[no-untyped-def]
    return value


async def test_a_circles_round_forms_the_designed_circles_in_group_dms(app: RunningApp) -> None:
    await _seed(app)
    status, text, _ = await app.requests.slash_command(ADMIN_ID, "admin match")
    assert status == 200 and "Starting a matching round" in text
    await app.slack.wait_for("chat.postMessage", count=2, timeout=15)
    groups = _opened_groups(app)
    assert sorted(groups) == [tuple(sorted(u for u, *_ in JUNIORS)), tuple(sorted(u for u, *_ in SENIORS))]
    for users, channel in groups.items():
        [intro] = texts(app, channel)
        assert "Meet your Tandem circle" in intro and "facilitator" in intro
        assert all(f"<@{u}>" in intro for u in users)
    async with app.deps.sessionmaker() as session:
        seats = sorted((p, m) for p, m in await session.execute(select(PairingMember.pairing_id, PairingMember.position)))
    assert [pos for _, pos in seats] == [0, 1, 2, 3, 0, 1, 2, 3]


async def test_the_facilitator_rotates_and_brings_the_topic_to_the_circle(app: RunningApp) -> None:
    await _seed(app)
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("chat.postMessage", count=2, timeout=15)
    async with app.deps.sessionmaker() as session:
        pairing = await session.scalar(select(Pairing).order_by(Pairing.id).limit(1))
        assert pairing is not None
        planned = list(await session.scalars(select(Session).where(Session.pairing_id == pairing.id)
                                             .order_by(Session.sequence)))
        order = [pm.member.slack_user_id for pm in
                 await session.scalars(select(PairingMember).where(PairingMember.pairing_id == pairing.id)
                                       .order_by(PairingMember.position))]
    conv = _opened_groups(app)[tuple(sorted(order))]  # the first circle's conversation
    dms = {u: await dm(app, u) for u in order}

    facilitators = []
    for sess in planned[1:5]:  # sessions 2-5: four facilitators in seat order
        await step(app, sess.due_at - dt.timedelta(hours=30))
        asked = [u for u in order if buttons(app, dms[u], ids.OPEN_DILEMMA).count(str(sess.id))]
        assert len(asked) == 1, (sess.sequence, asked)
        facilitator = asked[0]
        facilitators.append(facilitator)
        assert any("your turn to facilitate" in t for t in texts(app, dms[facilitator]))
        # someone else cannot write this session's topic
        other = next(u for u in order if u != facilitator)
        await click(app, other, ids.OPEN_DILEMMA, str(sess.id), dms[other])
        await app.slack.wait_for("response_url", predicate=lambda c: "isn't your turn to facilitate" in json.dumps(c.params))
        await click(app, facilitator, ids.OPEN_DILEMMA, str(sess.id), dms[facilitator])
        await eventually(lambda: _async([v for v in opened_views(app, ids.DILEMMA_VIEW)
                                         if f"session {sess.sequence}" in json.dumps(v)]))
        topic = f"Topic {sess.sequence}: saying no to a senior stakeholder"
        status, _, _ = await app.requests.view_submission(
            facilitator, ids.DILEMMA_VIEW, dilemma_values(topic, "Deferring", "Your stories"),
            private_metadata=str(sess.id))
        assert status == 200
        await app.slack.wait_for("chat.postMessage", predicate=lambda c, t=topic: t in json.dumps(c.params))
        [posted] = [t for t in texts(app, conv) if topic in t]
        assert f"<@{facilitator}> facilitates session {sess.sequence}" in posted

        # After the session: one check-in in the circle; "We met" asks every other member for feedback.
        await step(app, sess.due_at + dt.timedelta(hours=6))
        checkin = buttons(app, conv, ids.CHECKIN_MET)[-1]
        await click(app, facilitator, ids.CHECKIN_MET, checkin, conv)
        for u in order:
            if u != facilitator:
                await app.slack.wait_for("chat.postMessage", predicate=lambda c, u=u: (
                    "How was it" in json.dumps(c.params) and c.params.get("channel") == dms[u]
                    and f"session {sess.sequence}" in json.dumps(c.params)))
    assert facilitators == order  # A, B, C, D
    assert not any("mentee" in t for u in order for t in texts(app, dms[u]) if "facilitate" in t)


async def test_the_preview_of_a_circles_round_counts_circles_and_skill_coverage(app: RunningApp) -> None:
    await _seed(app)
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin match preview")
    assert status == 200
    [answer] = await app.slack.wait_for("response_url", predicate=lambda c: "preview" in str(c.params).lower())
    text = json.dumps(answer.params["blocks"])
    assert "*Circles*\\n2" in text and "*Skill covered in their circle*\\n100%" in text
    assert "<@UJ1> + <@UJ2> + <@UJ3> + <@UJ4>" in text
    assert app.slack.calls_to("conversations.open") == []


async def test_app_home_shows_the_circle_and_the_facilitator_role(app: RunningApp) -> None:
    await _seed(app)
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("chat.postMessage", count=2, timeout=15)
    await app.requests.event({"type": "app_home_opened", "user": "UJ1", "tab": "home"})

    async def published() -> dict | None:
        home = app.slack.home_of("UJ1")
        return home if home and "home_partner" in json.dumps(home) else None

    home = await eventually(published)
    partner = next(b for b in home["blocks"] if b.get("block_id") == "home_partner")["text"]["text"]
    assert "*Your circle*" in partner and all(f"<@{u}>" in partner for u in ("UJ2", "UJ3", "UJ4"))
    assert "*Facilitator this time:*" in partner and "Mentee" not in partner


async def test_a_member_leaving_a_circle_of_four_leaves_three_who_carry_on_without_them(app: RunningApp) -> None:
    """Issue 15 item 7: the circle goes on as three in a new conversation; the facilitator
    turns of the coming sessions rotate among the three; the old conversation, which the
    leaver still reads, gets nothing more."""
    await _seed(app)
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("chat.postMessage", count=2, timeout=15)
    juniors = tuple(sorted(u for u, *_ in JUNIORS))
    old_conv = _opened_groups(app)[juniors]
    async with app.deps.sessionmaker() as session:
        pairing_id = await session.scalar(select(PairingMember.pairing_id).join(Member)
                                          .where(Member.slack_user_id == "UJ3"))
    mark = len(app.slack.calls)
    await app.requests.block_action("UJ3", ids.LEAVE_CONFIRM, "leave")
    [notice] = await app.slack.wait_for("chat.postMessage",
                                        predicate=lambda c: "carry on as a circle" in json.dumps(c.params))
    rest = ("UJ1", "UJ2", "UJ4")
    new_conv = notice.params["channel"]
    assert new_conv != old_conv and set(app.slack.channel(new_conv).members) == set(rest)
    assert all(f"<@{u}>" in json.dumps(notice.params) for u in rest) and "UJ3" not in json.dumps(notice.params)

    async def recorded() -> Pairing | None:  # the outbox records the new conversation after sending
        async with app.deps.sessionmaker() as session:
            found = await session.get(Pairing, pairing_id)
            return found if found is not None and found.conversation_id == new_conv else None

    assert (await eventually(recorded)).state == "active"
    async with app.deps.sessionmaker() as session:
        seats = {m.slack_user_id: pm.left_at for pm, m in await session.execute(
            select(PairingMember, Member).join(Member, Member.id == PairingMember.member_id)
            .where(PairingMember.pairing_id == pairing_id))}
        planned = list(await session.scalars(select(Session).where(Session.pairing_id == pairing_id,
                                                                   Session.state == "planned",
                                                                   Session.mentee_member_id.is_not(None))
                                             .order_by(Session.sequence)))
        facilitators = [(await session.get(Member, s.mentee_member_id)).slack_user_id for s in planned]
    assert seats["UJ3"] is not None and all(seats[u] is None for u in rest)  # the seat is history
    assert len(planned) >= 3 and set(facilitators[:3]) == set(rest)  # three turns, one each
    assert all(a != b for a, b in zip(facilitators, facilitators[1:]))

    # The next session's facilitator is asked for the topic, and it reaches the new conversation only.
    coming = planned[0]
    facilitator = facilitators[0]
    await step(app, coming.due_at - dt.timedelta(hours=30))
    their_dm = await dm(app, facilitator)
    await click(app, facilitator, ids.OPEN_DILEMMA, str(coming.id), their_dm)
    await eventually(lambda: _async(opened_views(app, ids.DILEMMA_VIEW)))
    topic = "Topic: handing over a project you love"
    await app.requests.view_submission(facilitator, ids.DILEMMA_VIEW, dilemma_values(topic, "Holding on", "Stories"),
                                       private_metadata=str(coming.id))
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: topic in json.dumps(c.params))
    assert any(topic in t for t in texts(app, new_conv))
    await step(app, coming.due_at + dt.timedelta(days=1))  # check-in and the next prompts
    for call in app.slack.calls[mark:]:
        assert call.params.get("channel") != old_conv, (call.method, call.params)
    assert not any(topic in t for t in texts(app, old_conv))
    assert buttons(app, new_conv, ids.CHECKIN_MET)
