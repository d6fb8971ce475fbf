"""Events API listeners: `(deps, event, body)`, bound by event type in handlers/__init__.py
(the manifest test checks those types against `manifest.yml`'s bot events)."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot import members, outbox
from bot.deps import Deps
from bot.home import refresh_home, refresh_homes
from bot.members import UserFacts
from bot.workspaces import ensure_workspace


async def app_home_opened(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """app_home_opened — publish the person's home tab (the Messages tab needs nothing)."""
    if event.get("tab", "home") == "home" and event.get("user"):
        await refresh_home(deps, body.get("team_id", ""), event["user"])


async def member_joined_channel(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """member_joined_channel — someone joined the program's channel: invite them by DM, once."""
    user_id, channel_id, team_id = event.get("user"), event.get("channel"), body.get("team_id", "")
    bot_ids = {a.get("user_id") for a in body.get("authorizations") or []}
    if not user_id or not channel_id or user_id in bot_ids:
        return
    try:
        info = await deps.slack.user_info(user_id)
    except SlackApiError:
        info = None
    if info is not None and info.get("is_bot"):
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        key = await members.invite_on_channel_join(
            session, workspace.id, user_id, channel_id, now, UserFacts.from_api(info) if info else None
        )
    if key is not None:
        await outbox.send_now(deps, [key])


async def user_change(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """user_change — a deactivated person leaves the program (partner told and re-paired);
    otherwise a known member's name and time zone are kept current."""
    user = event.get("user") or {}
    user_id, team_id = user.get("id"), body.get("team_id", "")
    if not user_id:
        return
    facts = UserFacts.from_api(user)
    now = deps.clock()
    ended = None
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        if facts.deleted:
            ended = await members.deactivate(session, workspace.id, user_id, now)
        else:
            member = await members.find_member(session, workspace.id, user_id)
            if member is not None and member.status != "forgotten":
                await members.ensure_member(session, workspace.id, user_id, now, facts)
    if ended is not None:
        if ended.keys:
            await outbox.send_now(deps, ended.keys)
        await refresh_homes(deps, team_id, ended.notified_user_ids)


async def team_join(deps: Deps, event: dict[str, Any], body: dict[str, Any]) -> None:
    """team_join — record the newcomer (status "invited", no message yet) so the channel
    invitation and the matching know their name and time zone; nobody is DMed unasked."""
    user = event.get("user") or {}
    user_id = user.get("id")
    if not user_id or user.get("is_bot") or user.get("deleted"):
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, body.get("team_id", ""), now)
        await members.ensure_member(session, workspace.id, user_id, now, UserFacts.from_api(user))
