"""`/tandem admin announce` and the invitation people get when they join the program's channel."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot import ids
from bot.models import Member, Program
from tests.conftest import ADMIN_ID, T0, RunningApp
from tests.e2e.helpers import join, member_row


async def announce(app: RunningApp, channel: str) -> str:
    status, _, body = await app.requests.slash_command(ADMIN_ID, f"admin announce <#{channel}|mentoring>")
    assert status == 200 and app.requests.last_elapsed < 3
    [reply] = await app.slack.wait_for("response_url")
    return json.dumps(reply.params)


async def program_channel(app: RunningApp) -> str | None:
    async with app.deps.sessionmaker() as session:
        return await session.scalar(select(Program.channel_id))


async def test_announce_joins_a_public_channel_and_posts_with_a_join_button(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring")  # the bot is not in it yet
    reply = await announce(app, "C0PROG")
    assert "Posted the announcement" in reply
    assert app.slack.calls_to("conversations.join")[0].ok
    [post] = app.slack.messages("C0PROG")
    text = json.dumps(post["blocks"])
    assert ids.JOIN in text and "teaches the other" in text
    assert await program_channel(app) == "C0PROG"


async def test_announce_in_a_private_channel_without_the_bot_says_how_to_fix_it(app: RunningApp) -> None:
    app.slack.add_channel("G0PRIV", "secret", is_private=True)
    reply = await announce(app, "G0PRIV")
    assert "/invite @Tandem" in reply
    assert app.slack.messages("G0PRIV") == [] and await program_channel(app) is None


async def test_announce_in_a_private_channel_the_bot_was_invited_to(app: RunningApp) -> None:
    app.slack.add_channel("G0PRIV", "secret", is_private=True, bot_is_member=True)
    assert "Posted" in await announce(app, "G0PRIV")
    assert len(app.slack.messages("G0PRIV")) == 1 and await program_channel(app) == "G0PRIV"


async def test_join_button_on_the_announcement_opens_the_profile_modal(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring")
    await announce(app, "C0PROG")
    app.slack.add_user("U1")
    status, _, _ = await app.requests.block_action("U1", ids.JOIN, "announcement", channel_id="C0PROG")
    assert status == 200 and app.requests.last_elapsed < 3
    [update] = await app.slack.wait_for("views.update")
    assert app.slack.view(update.params["view_id"])["callback_id"] == ids.PROFILE_VIEW


async def test_joining_the_program_channel_brings_one_invitation(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring")
    await announce(app, "C0PROG")
    app.slack.add_user("U1", name="newbie")
    joined = {"type": "member_joined_channel", "user": "U1", "channel": "C0PROG", "channel_type": "C",
              "team": "T0001"}
    await app.requests.event(joined)
    [_, dm] = await app.slack.wait_for("chat.postMessage", 2)
    assert dm.params["channel"].startswith("D") and ids.JOIN in json.dumps(dm.params["blocks"])
    member = await member_row(app, "U1")
    assert member.status == "invited" and member.invited_at == T0 and member.display_name == "newbie"

    # Leaving and re-joining the channel (a new event id) does not invite again.
    await app.requests.event(joined)
    await app.requests.event({**joined, "channel": "C0OTHER"})
    await app.requests.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    await app.slack.wait_for("views.publish")
    await asyncio.sleep(0.3)  # let the work after the acks finish
    assert len(app.slack.calls_to("chat.postMessage")) == 2


async def test_the_bot_joining_or_a_member_joining_brings_no_invitation(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring")
    await announce(app, "C0PROG")
    await app.requests.event({"type": "member_joined_channel", "user": "UBOT", "channel": "C0PROG"})
    app.slack.add_user("U2")
    await join(app, "U2")
    await app.requests.event({"type": "member_joined_channel", "user": "U2", "channel": "C0PROG"})
    await app.requests.event({"type": "app_home_opened", "user": "U2", "channel": "D1", "tab": "home"})
    await app.slack.wait_for("views.publish", 2)
    await asyncio.sleep(0.3)
    async with app.deps.sessionmaker() as session:
        assert await session.scalar(select(Member.invited_at).where(Member.slack_user_id == "U2")) is None
    assert len(app.slack.calls_to("chat.postMessage")) == 2  # announcement + U2's confirmation
