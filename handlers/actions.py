"""Block actions (button clicks, selects) — one listener per action id: admin buttons;
Join, Edit profile, Pause, Resume, Leave, Forget me, Cancel."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import ids, members
from bot.blocks.members import (
    CANCELLED_TEXT,
    FORGOTTEN_TEXT,
    LEFT_TEXT,
    NOT_LEFT_TEXT,
    NOTHING_TO_FORGET_TEXT,
    answer,
)
from bot.commands import PAUSE_DEFAULT_WEEKS, PAUSE_MAX_WEEKS
from bot.deps import Deps
from bot.home import refresh_home
from bot.pairings import PairingEnd
from bot.workspaces import ensure_workspace
from handlers import admin
from handlers.member_commands import after_departure, pause_member, resume_member
from handlers.payloads import who
from handlers.views import open_profile


async def _reply(body: dict[str, Any], respond: Any, text: str) -> None:
    """Replace the ephemeral message the button was on; a home-tab button has nowhere to
    reply, and its refreshed home shows the outcome instead."""
    if body.get("response_url"):
        await respond(replace_original=True, **answer(text))


async def leave_member(deps: Deps, team_id: str, user_id: str) -> tuple[str, PairingEnd]:
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        member = await members.find_member(session, workspace.id, user_id)
        if member is None or member.status not in members.JOINED:
            return NOT_LEFT_TEXT, PairingEnd()
        ended = await members.leave(session, member, now)
    return LEFT_TEXT, ended


async def forget_member(deps: Deps, team_id: str, user_id: str) -> tuple[str, PairingEnd]:
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        ended = await members.forget(session, workspace.id, user_id, now)
    return (NOTHING_TO_FORGET_TEXT, PairingEnd()) if ended is None else (FORGOTTEN_TEXT, ended)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.OPEN_SETTINGS)
    async def open_settings(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Program settings" button (admins)."""
        await ack()
        await admin.open_settings(deps, team_id=body["team"]["id"], user_id=body["user"]["id"],
                                  trigger_id=body["trigger_id"])

    @app.action(ids.ADMIN_SEND_CHART)
    async def send_chart(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Send me the chart" button (admins)."""
        await ack()
        await admin.send_chart_for(deps, team_id=body["team"]["id"], user_id=body["user"]["id"])

    @app.action(ids.ADMIN_SEND_EXPORT)
    async def send_export(ack, body) -> None:  # type: ignore[no-untyped-def]
        """App Home "Export sessions (CSV)" button (admins)."""
        await ack()
        await admin.send_export_for(deps, team_id=body["team"]["id"], user_id=body["user"]["id"])

    @app.action(ids.JOIN)
    @app.action(ids.EDIT_PROFILE)
    async def open_profile_button(ack, body) -> None:  # type: ignore[no-untyped-def]
        """Join / Edit profile buttons (announcement, invitation, App Home) — the profile modal."""
        await ack()
        team_id, user_id = who(body)
        await open_profile(deps, team_id, user_id, body["trigger_id"])

    @app.action(ids.PAUSE)
    async def pause_button(ack, body, action, respond) -> None:  # type: ignore[no-untyped-def]
        """Pause button (App Home) — pause for the weeks in its value."""
        await ack()
        team_id, user_id = who(body)
        value = str(action.get("value") or "")
        weeks = int(value) if value.isdecimal() and 1 <= int(value) <= PAUSE_MAX_WEEKS else PAUSE_DEFAULT_WEEKS
        text, ended = await pause_member(deps, team_id, user_id, weeks)
        await _reply(body, respond, text)
        await after_departure(deps, team_id, user_id, ended)

    @app.action(ids.RESUME)
    async def resume_button(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        """Resume button (App Home)."""
        await ack()
        team_id, user_id = who(body)
        await _reply(body, respond, await resume_member(deps, team_id, user_id))
        await refresh_home(deps, team_id, user_id)

    @app.action(ids.LEAVE_CONFIRM)
    async def leave_confirmed(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        """Leave confirmed (ephemeral message or App Home's confirm dialog)."""
        await ack()
        team_id, user_id = who(body)
        text, ended = await leave_member(deps, team_id, user_id)
        await _reply(body, respond, text)
        await after_departure(deps, team_id, user_id, ended)

    @app.action(ids.FORGET_CONFIRM)
    async def forget_confirmed(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        """Forget-me confirmed: personal data deleted or anonymised."""
        await ack()
        team_id, user_id = who(body)
        text, ended = await forget_member(deps, team_id, user_id)
        await _reply(body, respond, text)
        await after_departure(deps, team_id, user_id, ended)

    @app.action(ids.CANCEL)
    async def cancelled(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        """Cancel on a confirmation message."""
        await ack()
        await _reply(body, respond, CANCELLED_TEXT)
