"""Suggested circles from demand (issue 15 item 8): `admin stats` offers "Start a circle for
⟨skill⟩" where a skill is wanted by at least the minimum group size and offered by few; the
button creates a circles program (no channel) and invites one offerer and the wanters by DM;
nobody is enrolled until they press Join; counts only, never names."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot import ids
from bot.models import Membership, Program
from bot.programs import program_for_channel
from bot.workspaces import ensure_workspace, program_of
from tests import factories
from tests.conftest import ADMIN_ID, TEAM_ID, RunningApp, eventually
from tests.e2e.helpers import buttons, click, dm, opened_views, profile_values

WANTERS = [f"UWANT{i}" for i in range(6)]
RARE = ["URARE0", "URARE1", "URARE2"]  # want a skill below the minimum group size (5)


async def _seed(app: RunningApp) -> int:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        program = await program_of(session, ws.id)
        program.channel_id = "C0PEERS"
        app.slack.add_user("UOFFER", real_name="Offer")
        await factories.member(session, ws, "UOFFER", offers=["Public speaking"], wants=["Excel"])
        for user in WANTERS:
            app.slack.add_user(user, real_name=user.title())
            await factories.member(session, ws, user, offers=["Excel"], wants=["Public speaking"])
        for user in RARE:
            app.slack.add_user(user, real_name=user.title())
            await factories.member(session, ws, user, offers=["Excel"], wants=["Haskell"])
        app.slack.add_user("UHASK", real_name="Hask")
        await factories.member(session, ws, "UHASK", offers=["Haskell"], wants=["Excel"])
        return program.id


async def _stats_answer(app: RunningApp) -> dict:
    before = len(app.slack.calls_to("response_url"))
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin stats")
    assert status == 200
    calls = await app.slack.wait_for("response_url", before + 1,
                                     predicate=lambda c: "Tandem program figures" in json.dumps(c.params))
    return calls[-1].params


async def _program_named(app: RunningApp, name: str) -> Program | None:
    async with app.deps.sessionmaker() as session:
        return await session.scalar(select(Program).where(Program.name == name))


async def test_a_skill_gap_becomes_a_suggested_circle_with_invitations_and_no_enrolment(app: RunningApp) -> None:
    source_id = await _seed(app)
    answer = await _stats_answer(app)
    shown = json.dumps(answer)
    assert "Start a circle for Public speaking" in shown and "wanted by 6, offered by 1" in shown
    assert "Start a circle for Haskell" not in shown  # wanted by 3: below the minimum group size
    assert not any(f"<@{u}>" in shown or u in shown for u in [*WANTERS, "UOFFER", *RARE])  # counts, never names
    [button] = [b["accessory"] for b in answer["blocks"] if b.get("block_id", "").startswith("circle_suggestion_")]
    assert button["action_id"] == ids.START_CIRCLE

    # Someone who is not an admin cannot start it.
    await click(app, "UWANT0", ids.START_CIRCLE, button["value"], "C0PEERS")
    await app.slack.wait_for("response_url", predicate=lambda c: "only program admins can do that" in json.dumps(c.params))
    assert await _program_named(app, "Circle: Public speaking") is None

    await click(app, ADMIN_ID, ids.START_CIRCLE, button["value"], "C0PEERS")
    await app.slack.wait_for("response_url", predicate=lambda c: "invited 7 people" in json.dumps(c.params))
    circle = await _program_named(app, "Circle: Public speaking")
    assert circle is not None and circle.grouping == "circles" and circle.channel_id is None
    assert circle.admin_user_ids == [ADMIN_ID] and 3 <= circle.group_size <= 6
    for user in ["UOFFER", *WANTERS]:
        channel = await dm(app, user)
        await eventually(lambda channel=channel: _async(buttons(app, channel, ids.JOIN)))
        assert buttons(app, channel, ids.JOIN) == [str(circle.id)]
        invite = json.dumps(app.slack.messages(channel))
        assert not any(f"<@{other}>" in invite for other in ["UOFFER", *WANTERS])  # nobody else is named
    for user in RARE + ["UHASK"]:
        assert buttons(app, await dm(app, user), ids.JOIN) == []
    async with app.deps.sessionmaker() as session:
        enrolled = list(await session.scalars(select(Membership).where(Membership.program_id == circle.id)))
    assert enrolled == []  # invited, not enrolled

    # Clicking again starts nothing new and invites nobody twice.
    await click(app, ADMIN_ID, ids.START_CIRCLE, button["value"], "C0PEERS")
    await app.slack.wait_for("response_url", predicate=lambda c: "was started before" in json.dumps(c.params))
    assert len(buttons(app, await dm(app, "UWANT1"), ids.JOIN)) == 1

    # One person presses Join: only they are enrolled, in the circle's program only.
    channel = await dm(app, "UWANT0")
    await click(app, "UWANT0", ids.JOIN, str(circle.id), channel)
    await eventually(lambda: _async(opened_views(app, ids.PROFILE_VIEW)))
    status, _, body = await app.requests.view_submission(
        "UWANT0", ids.PROFILE_VIEW, _profile(), private_metadata=f"p:{circle.id}")
    assert status == 200 and not body, body

    async def enrolled_now() -> list:
        async with app.deps.sessionmaker() as session:
            return list(await session.scalars(select(Membership.member_id).where(Membership.program_id == circle.id)))

    assert len(await eventually(enrolled_now)) == 1
    # A new channel's program is never the suggested circle: announcing claims no channel-less circle.
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, TEAM_ID, app.clock.now)
        other, created = await program_for_channel(session, ws, "C0NEW", "new-peers", app.clock.now)
    assert created and other.id not in (circle.id, source_id)


def _profile() -> dict:
    return profile_values(new_offers="Excel", new_wants="Public speaking")


async def _async(value):  # type: ignore[no-untyped-def]
    return value
