"""Guests, people from other organisations and bots are never invited, never paired,
and get a polite answer when they try to join; a program may let multi-channel
guests in (issue 11, item 9)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.models import Member, Pairing, PairingMember, Program
from bot.workspaces import ensure_workspace, program_of
from tests import factories
from tests.conftest import ADMIN_ID, T0, RunningApp, eventually
from tests.e2e.helpers import member_row

OUTSIDERS: dict[str, dict[str, Any]] = {
    "UMULTI": {"is_restricted": True},
    "USINGLE": {"is_restricted": True, "is_ultra_restricted": True},
    "USTRANGER": {"is_stranger": True, "team_id": "T0OTHER"},
    "UOTHERORG": {"team_id": "T0OTHER"},
    "UROBOT": {"is_bot": True},
    "UAPP": {"is_app_user": True},
}


def _add_outsiders(app: RunningApp) -> None:
    for user_id, flags in OUTSIDERS.items():
        app.slack.add_user(user_id, **flags)


async def _filled_modal(app: RunningApp, count: int) -> dict[str, Any]:
    def not_settings(call: Any) -> bool:  # the settings form is a views.update too
        return call.params["view"].get("callback_id") != ids.SETTINGS_VIEW

    updated = await app.slack.wait_for("views.update", count, predicate=not_settings)
    view = app.slack.view(updated[count - 1].params["view_id"])
    assert view is not None
    return view


async def _set_guests_allowed(app: RunningApp, allowed: bool) -> None:
    """Through the settings modal, as an admin would: every field left as it is but one."""
    before = len([c for c in app.slack.calls_to("views.update") if c.ok])
    await app.requests.slash_command(ADMIN_ID, "admin")  # a loading modal, then the form in its place
    view = (await app.slack.wait_for("views.update", before + 1, predicate=lambda c: c.ok))[-1].params["view"]
    values: dict[str, Any] = {}
    for b in view["blocks"]:
        if b.get("type") != "input":
            continue
        el = b["element"]
        if b["block_id"] == ids.SETTINGS_GUESTS[0]:
            state = {"type": el["type"], "selected_option": {"value": "yes" if allowed else "no"}}
        elif el["type"] in ("static_select", "radio_buttons"):
            state = {"type": el["type"], "selected_option": el.get("initial_option")}
        elif el["type"] == "conversations_select":
            state = {"type": el["type"], "selected_conversation": el.get("initial_conversation")}
        else:
            state = {"type": el["type"], "value": el.get("initial_value")}
        values[b["block_id"]] = {el["action_id"]: state}
    status, text, _ = await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, values)
    assert status == 200 and text == ""


@pytest.mark.parametrize("how", ["command", "button"])
async def test_guests_outsiders_and_bots_are_told_kindly_they_cannot_join(app: RunningApp, how: str) -> None:
    _add_outsiders(app)
    app.slack.add_user("UFULL")
    for n, user_id in enumerate([*OUTSIDERS, "UFULL"], start=1):
        if how == "command":
            await app.requests.slash_command(user_id, "join")
        else:
            await app.requests.block_action(user_id, ids.JOIN, "join")
        view = await _filled_modal(app, n)
        if user_id == "UFULL":
            assert view["callback_id"] == ids.PROFILE_VIEW
        else:
            assert view["callback_id"] == ids.INFO_VIEW, user_id
            assert "can't join" in json.dumps(view), user_id
    # A crafted profile submission opts nobody in.
    from tests.e2e.helpers import submit_profile
    status, _ = await submit_profile(app, "USINGLE", new_offers="Python", new_wants="Go")
    assert status == 200
    await asyncio.sleep(0.3)
    row = await member_row(app, "USINGLE")
    assert row is None or row.status != "active"


async def test_the_setting_lets_multi_channel_guests_join_and_only_them(app: RunningApp) -> None:
    _add_outsiders(app)
    assert (await _program_row(app)).allow_multi_channel_guests is False  # off by default
    await _set_guests_allowed(app, True)
    assert (await _program_row(app)).allow_multi_channel_guests is True
    for n, user_id in enumerate(["UMULTI", "USINGLE", "USTRANGER"], start=1):
        await app.requests.slash_command(user_id, "join")
        view = await _filled_modal(app, n)
        assert view["callback_id"] == (ids.PROFILE_VIEW if user_id == "UMULTI" else ids.INFO_VIEW)


async def _program_row(app: RunningApp) -> Program:
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, "T0001", T0)
        return await program_of(session, ws.id)


async def test_channel_joins_invite_only_people_who_may_take_part(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "mentoring", bot_is_member=True)
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, "T0001", T0)
        (await program_of(session, ws.id)).channel_id = "C0PROG"
    _add_outsiders(app)
    app.slack.add_user("UFULL")
    for n, user_id in enumerate([*OUTSIDERS, "UFULL"]):
        await app.requests.event({"type": "member_joined_channel", "user": user_id, "channel": "C0PROG"},
                                 event_id=f"EvJOIN{n}")
    await app.slack.wait_for("chat.postMessage")
    await asyncio.sleep(0.5)
    invited = [c.params["users"] for c in app.slack.calls_to("conversations.open") if c.ok]
    assert invited == ["UFULL"]
    assert len(app.slack.calls_to("chat.postMessage")) == 1


async def test_rounds_pair_nobody_who_may_not_take_part(app: RunningApp) -> None:
    """Members who became guests (or always were, in a workspace that later disallowed
    them) stay out of rounds; the setting lets multi-channel guests back in."""
    _add_outsiders(app)
    for user_id in ("UFULL1", "UFULL2", "UFULL3"):
        app.slack.add_user(user_id)
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        for user_id in ("UFULL1", "UFULL2", *OUTSIDERS):
            await factories.member(session, ws, user_id, offers=["Python"], wants=["Go"])
    for n, user_id in enumerate(OUTSIDERS):  # Slack tells Tandem what their accounts are
        info = await app.deps.slack.user_info(user_id)
        await app.requests.event({"type": "user_change", "user": info}, event_id=f"EvCHG{n}")
    await eventually(lambda: _all_typed(app))
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("response_url", predicate=lambda c: "Round started" in str(c.params), timeout=15)
    assert await _paired(app) == [{"UFULL1", "UFULL2"}]

    await _set_guests_allowed(app, True)
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, "T0001", T0)
        await factories.member(session, ws, "UFULL3", offers=["Go"], wants=["Python"])
    await app.requests.slash_command(ADMIN_ID, "admin match")
    await app.slack.wait_for("response_url", 2, predicate=lambda c: "Round started" in str(c.params), timeout=15)
    assert sorted(map(sorted, await _paired(app))) == [["UFULL1", "UFULL2"], ["UFULL3", "UMULTI"]]


async def _all_typed(app: RunningApp) -> bool:
    async with app.deps.sessionmaker() as session:
        kinds = dict((await session.execute(select(Member.slack_user_id, Member.account_type))).all())

    return kinds.get("UAPP") == "bot" and all(kinds.get(u) != "full" for u in OUTSIDERS)


async def _paired(app: RunningApp) -> list[set[str]]:
    async with app.deps.sessionmaker() as session:
        rows = (await session.execute(
            select(PairingMember.pairing_id, Member.slack_user_id).join(Member, Member.id == PairingMember.member_id)
            .join(Pairing, Pairing.id == PairingMember.pairing_id).order_by(PairingMember.pairing_id))).all()
    groups: dict[int, set[str]] = {}
    for pairing_id, user_id in rows:
        groups.setdefault(pairing_id, set()).add(user_id)
    return list(groups.values())
