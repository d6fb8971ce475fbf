"""`/tandem` member subcommands and `admin announce`, merged into `handlers.commands.COMMAND_HANDLERS`.

Kept in their own module so the shared dispatcher stays small. Each answers
ephemerally: `ack()` first (Slack's 3 seconds), then the work, then `respond()`.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot import members, outbox
from bot.admins import is_admin
from bot.blocks.announce import announce_result_text, announcement_message
from bot.blocks.home import status_blocks
from bot.blocks.members import (
    NOT_MEMBER_TEXT, NOT_PAUSED_TEXT, RESUMED_TEXT, answer, forget_confirm_message,
    leave_confirm_message, paused_text,
)
from bot.commands import PAUSE_DEFAULT_WEEKS, Command
from bot.deps import Deps
from bot.home import gather_home, refresh_home, refresh_homes
from bot.pairings import PairingEnd
from bot.slack import slack_error
from bot.workspaces import ensure_workspace, program_of
from handlers.views import open_profile


async def join(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem join and /tandem profile — open the profile modal."""
    await ack()
    await open_profile(deps, payload["team_id"], payload["user_id"], payload["trigger_id"])


async def status(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem status — partner, next session, whose turn, paused or active."""
    await ack()
    admin = await is_admin(deps, payload["user_id"])
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, payload["team_id"], now)
        data = await gather_home(session, workspace, payload["user_id"], now, admin)
    await respond(**status_blocks(data))


async def pause(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem pause [weeks] — skip rounds for a while."""
    await ack()
    text, ended = await pause_member(deps, payload["team_id"], payload["user_id"], command.weeks or PAUSE_DEFAULT_WEEKS)
    await respond(**answer(text))
    await after_departure(deps, payload["team_id"], payload["user_id"], ended)


async def after_departure(deps: Deps, team_id: str, user_id: str, ended: PairingEnd) -> None:
    """Deliver the partners' messages, then refresh the homes that changed."""
    if ended.keys:
        await outbox.send_now(deps, ended.keys)
    await refresh_homes(deps, team_id, [user_id, *ended.notified_user_ids])


async def pause_member(deps: Deps, team_id: str, user_id: str, weeks: int) -> tuple[str, PairingEnd]:
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        member = await members.find_member(session, workspace.id, user_id)
        if member is None or member.status not in members.JOINED:
            return NOT_MEMBER_TEXT, PairingEnd()
        ended = await members.pause(session, member, weeks, now)
        return paused_text(member.paused_until, ended_pairing=bool(ended.keys)), ended


async def resume(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem resume — come back after a pause."""
    await ack()
    text = await resume_member(deps, payload["team_id"], payload["user_id"])
    await respond(**answer(text))
    await refresh_home(deps, payload["team_id"], payload["user_id"])


async def resume_member(deps: Deps, team_id: str, user_id: str) -> str:
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        member = await members.find_member(session, workspace.id, user_id)
        if member is None or member.status not in members.JOINED:
            return NOT_MEMBER_TEXT
        return RESUMED_TEXT if members.resume(member, now) else NOT_PAUSED_TEXT


async def leave(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem leave — asks for confirmation (a button) first."""
    await ack(**leave_confirm_message())


async def forget_me(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem forget-me — asks for confirmation (a button) first."""
    await ack(**forget_confirm_message())


async def admin_announce(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin announce #channel — post the opt-in announcement there (admin rights checked by dispatch)."""
    assert command.channel_id is not None
    channel = command.channel_id
    await ack(text=f":mega: Posting the announcement in <#{channel}>…")
    error = await _join_and_post(deps, channel)
    if error is None:
        now = deps.clock()
        async with deps.sessionmaker.begin() as session:
            workspace = await ensure_workspace(session, payload["team_id"], now)
            program = await program_of(session, workspace.id)
            program.channel_id = channel
            program.updated_at = now
    await respond(**answer(announce_result_text(channel, error)))


async def _join_and_post(deps: Deps, channel: str) -> str | None:
    """Join a public channel if needed, then post; the Slack error that stopped us, or None."""
    try:
        await deps.slack.join_channel(channel)
    except SlackApiError as exc:
        if slack_error(exc) != "method_not_supported_for_channel_type":
            return slack_error(exc)
        # A private channel: the bot can't join by itself, but posting works if it was invited.
    announcement = announcement_message()
    try:
        await deps.slack.post_message(channel, announcement["text"], announcement["blocks"])
    except SlackApiError as exc:
        return slack_error(exc)
    return None


HANDLERS = {
    "join": join,
    "profile": join,
    "status": status,
    "pause": pause,
    "resume": resume,
    "leave": leave,
    "forget-me": forget_me,
    "admin announce": admin_announce,
}
