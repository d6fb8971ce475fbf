"""The heads-up DM's "Pause 4 weeks" button (`ids.HEADSUP_PAUSE`, handlers/actions.py
`headsup_pause`), clicked through Bolt with signed requests: the member who got the heads-up
is paused in that program for the default weeks, told so in place of the heads-up, sees it on
their App Home, and the coming round leaves them out; someone who never joined clicking the
same button changes nothing and is told kindly how to join."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from bot import ids
from bot.blocks.common import when
from bot.blocks.members import NOT_MEMBER_TEXT
from bot.commands import PAUSE_DEFAULT_WEEKS
from bot.models import Member, Membership, Pairing, PairingMember, Program
from tests.conftest import RunningApp
from tests.e2e.helpers import dm, join, step

PEOPLE = (("U1", "Sales"), ("U2", "Ops"), ("U3", "Legal"))


async def _program(app: RunningApp) -> Program:
    async with app.deps.sessionmaker() as session:
        programs = list(await session.scalars(select(Program).order_by(Program.id)))
    assert len(programs) == 1
    assert programs[0].next_round_at is not None
    return programs[0]


async def _membership(app: RunningApp, user_id: str, program_id: int) -> Membership | None:
    async with app.deps.sessionmaker() as session:
        return await session.scalar(
            select(Membership).join(Member, Member.id == Membership.member_id)
            .where(Member.slack_user_id == user_id, Membership.program_id == program_id))


async def _paired(app: RunningApp, program_id: int) -> list[set[str]]:
    async with app.deps.sessionmaker() as session:
        rows = await session.execute(
            select(Pairing.id, Member.slack_user_id).join(PairingMember, PairingMember.pairing_id == Pairing.id)
            .join(Member, Member.id == PairingMember.member_id)
            .where(Pairing.program_id == program_id, Pairing.state == "active"))
        groups: dict[int, set[str]] = {}
        for pairing_id, user_id in rows:
            groups.setdefault(pairing_id, set()).add(user_id)
        return sorted(groups.values(), key=sorted)


async def _members_until_the_headsup(app: RunningApp, people: tuple[tuple[str, str], ...]) -> tuple[Program, dt.datetime]:
    """Join `people` (London, working hours = UTC) and run the scheduler up to half an hour
    before the round, as in test_programs' heads-up test: each of them has had their heads-up."""
    for user_id, department in people:
        app.slack.add_user(user_id, tz="Europe/London")
        await join(app, user_id, department=department)
    program = await _program(app)
    due = program.next_round_at
    assert due is not None
    await step(app, due - dt.timedelta(hours=20), hours=2)
    await step(app, due - dt.timedelta(minutes=30), hours=0.5)
    assert app.clock.now < due
    return program, due


async def _headsup_pause_value(app: RunningApp, user_id: str) -> tuple[str, str]:
    """(DM channel, the Pause button's value) of the one heads-up `user_id` was sent."""
    channel = await dm(app, user_id)
    heads = [c for c in app.slack.calls_to("chat.postMessage")
             if c.ok and c.params.get("channel") == channel and ids.HEADSUP_PAUSE in json.dumps(c.params)]
    assert len(heads) == 1, app.slack.summary()
    values = [e["value"] for b in heads[0].params["blocks"] for e in b.get("elements", [])
              if e.get("action_id") == ids.HEADSUP_PAUSE]
    assert len(values) == 1
    return channel, values[0]


def _answers(app: RunningApp, key: str) -> list[dict[str, Any]]:
    return [c.params for c in app.slack.calls_to("response_url") if c.ok and c.key == key]


def _homes_published(app: RunningApp, user_id: str) -> int:
    return len([c for c in app.slack.calls_to("views.publish") if c.ok and c.params.get("user_id") == user_id])


async def test_headsup_pause_pauses_the_member_so_the_coming_round_leaves_them_out(app: RunningApp) -> None:
    program, due = await _members_until_the_headsup(app, PEOPLE)
    channel, value = await _headsup_pause_value(app, "U1")
    assert value == str(program.id)
    assert (await _membership(app, "U1", program.id)).status == "active"

    before = json.dumps(app.slack.home_of("U1")["blocks"])
    assert "paused" not in before and ids.RESUME not in before
    homes = _homes_published(app, "U1")
    clicked_at = app.clock.now
    status, _, _ = await app.requests.block_action(
        "U1", ids.HEADSUP_PAUSE, value, block_id="headsup_buttons", channel_id=channel,
        response_url=app.slack.response_url("headsup-pause-U1"))
    assert status == 200

    # A polite confirmation in place of the heads-up, naming when the pause ends.
    until = clicked_at + dt.timedelta(weeks=PAUSE_DEFAULT_WEEKS)
    await app.slack.wait_for("response_url", predicate=lambda c: c.key == "headsup-pause-U1")
    [answer] = _answers(app, "headsup-pause-U1")
    said = json.dumps(answer)
    assert answer.get("replace_original") is True
    assert "Paused until" in said and when(until) in said and "won't be included in rounds" in said, said
    assert NOT_MEMBER_TEXT not in said

    # The App Home is republished and shows the pause (with Resume).
    await app.slack.wait_for("views.publish", homes + 1, predicate=lambda c: c.params.get("user_id") == "U1")
    home = json.dumps(app.slack.home_of("U1")["blocks"])
    assert "paused" in home and ids.RESUME in home

    # The database: paused in that program for the default four weeks, past the coming round.
    found = await _membership(app, "U1", program.id)
    assert found is not None and found.status == "paused"
    assert found.paused_until == until and found.paused_until > due
    for other in ("U2", "U3"):
        assert (await _membership(app, other, program.id)).status == "active"

    # The round comes: the other two are paired, the member who paused is not.
    await step(app, due + dt.timedelta(hours=1), hours=2)
    assert await _paired(app, program.id) == [{"U2", "U3"}]
    assert (await _membership(app, "U1", program.id)).status == "paused"


async def test_headsup_pause_clicked_by_someone_who_never_joined_changes_nothing(app: RunningApp) -> None:
    program, due = await _members_until_the_headsup(app, PEOPLE[:2])
    channel, value = await _headsup_pause_value(app, "U1")
    app.slack.add_user("U9")
    homes = _homes_published(app, "U1")

    status, _, _ = await app.requests.block_action(
        "U9", ids.HEADSUP_PAUSE, value, block_id="headsup_buttons", channel_id=channel,
        response_url=app.slack.response_url("headsup-pause-U9"))
    assert status == 200

    # A polite answer (how to join), and no pause confirmation.
    await app.slack.wait_for("response_url", predicate=lambda c: c.key == "headsup-pause-U9")
    [answer] = _answers(app, "headsup-pause-U9")
    said = json.dumps(answer)
    assert NOT_MEMBER_TEXT in said and "/tandem join" in said
    assert "Paused until" not in said
    await app.slack.wait_for("views.publish", predicate=lambda c: c.params.get("user_id") == "U9")

    # Nothing changed: the addressee is still active, the outsider was not enrolled or paused,
    # and the addressee's home was not touched by the click.
    for user_id in ("U1", "U2"):
        found = await _membership(app, user_id, program.id)
        assert found is not None and found.status == "active" and found.paused_until is None
    async with app.deps.sessionmaker() as session:
        assert await session.scalar(select(Member).where(Member.slack_user_id == "U9")) is None
    assert _homes_published(app, "U1") == homes
    assert not _answers(app, "headsup-pause-U1")

    # The round still matches the member who got the heads-up.
    await step(app, due + dt.timedelta(hours=1), hours=2)
    assert await _paired(app, program.id) == [{"U1", "U2"}]
