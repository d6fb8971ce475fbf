"""`/tandem` member subcommands and `admin announce`: `(deps, call)` listeners, bound
in handlers/__init__.py. Each answers ephemerally: `ack()` first (Slack's 3 seconds),
then the work, then `respond()`.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import members, outbox
from bot.admins import is_admin
from bot.blocks.announce import announce_result_text, announcement_message
from bot.blocks.home import status_blocks
from bot.blocks.members import answer, change_text, forget_confirm_message, leave_confirm_message
from bot.commands import PAUSE_DEFAULT_WEEKS
from bot.deps import Deps
from bot.home import gather_home, refresh_home, refresh_homes
from bot.pairings import PairingEnd
from bot.slack import slack_error
from bot.blocks.programs import program_label
from bot.programs import channel_program, program_for_channel, programs_of, ref
from bot.workspaces import ensure_workspace
from handlers.frames import Call
from handlers.views import open_profile

log = logging.getLogger(__name__)


async def join(deps: Deps, call: Call) -> None:
    """/tandem join and /tandem profile — open the profile modal (in a program's channel,
    for that program)."""
    await call.ack()
    await open_profile(deps, call.team_id, call.user_id, call.trigger_id, channel_id=call.channel_id)


async def status(deps: Deps, call: Call) -> None:
    """/tandem status — partner, next session, whose turn, paused or active."""
    await call.ack()
    admin = await is_admin(deps, call.user_id)
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, call.team_id, now)
        data = await gather_home(session, workspace, call.user_id, now, admin)
    await call.respond(**status_blocks(data))


async def pause(deps: Deps, call: Call) -> None:
    """/tandem pause [weeks] — skip rounds for a while."""
    await call.ack()
    weeks = call.command.weeks or PAUSE_DEFAULT_WEEKS
    text, ended = await change_member(deps, call.team_id, call.user_id, "pause", weeks=weeks,
                                      program_id=call.program_id)
    await call.respond(**answer(text))
    await after_departure(deps, call.team_id, call.user_id, ended)


async def resume(deps: Deps, call: Call) -> None:
    """/tandem resume — come back after a pause."""
    await call.ack()
    text, _ = await change_member(deps, call.team_id, call.user_id, "resume", program_id=call.program_id)
    await call.respond(**answer(text))
    await refresh_home(deps, call.team_id, call.user_id)


async def change_member(
    deps: Deps, team_id: str, user_id: str, what: str, *, weeks: int = 0, program_id: int | None = None,
) -> tuple[str, PairingEnd]:
    """One transaction around `bot.members.change_requested`; the answer's words and the ended
    pairing. With several programs the answer names the program it acted on."""
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        change = await members.change_requested(session, team_id, user_id, what, now, weeks=weeks,
                                                program_id=program_id)
        workspace = await ensure_workspace(session, team_id, now)
        programs = await programs_of(session, workspace.id)
        named = next((p for p in programs if p.id == program_id), programs[0] if programs else None)
    text = change_text(what, change.outcome, paused_until=change.paused_until, ended_pairing=bool(change.ended.keys))
    if len(programs) > 1 and named is not None and what != "forget":
        text = f"{program_label(ref(named))}: {text}"
    return text, change.ended


async def after_departure(deps: Deps, team_id: str, user_id: str, ended: PairingEnd) -> None:
    """Deliver the partners' messages, then refresh the homes that changed."""
    if ended.keys:
        await outbox.send_now(deps, ended.keys)
    await refresh_homes(deps, team_id, [user_id, *ended.notified_user_ids])


async def leave(deps: Deps, call: Call) -> None:
    """/tandem leave — asks for confirmation (a button) first."""
    await call.ack(**leave_confirm_message(call.program_id))


async def forget_me(deps: Deps, call: Call) -> None:
    """/tandem forget-me — asks for confirmation (a button) first."""
    await call.ack(**forget_confirm_message())


async def admin_announce(deps: Deps, call: Call) -> None:
    """/tandem admin announce #channel — post the channel's program's announcement there; a
    channel without a program gets one, named after it (admin rights checked by dispatch).
    The program is stored only once the announcement is posted."""
    assert call.command.channel_id is not None
    channel = call.command.channel_id
    await call.ack(text=f":mega: Posting the announcement in <#{channel}>…")
    now = deps.clock()
    async with deps.sessionmaker() as session:  # which program, without storing anything yet
        workspace = await ensure_workspace(session, call.team_id, now)
        existing = await channel_program(session, workspace.id, channel)
        program_id = existing.id if existing is not None else None
        await session.commit()  # keeps a workspace row created on first contact
    error = await _join_and_post(deps, channel, program_id)
    created = False
    if error is None and program_id is None:
        name = call.command.channel_name or await _channel_name(deps, channel)
        async with deps.sessionmaker.begin() as session:
            workspace = await ensure_workspace(session, call.team_id, now)
            program, created = await program_for_channel(session, workspace, channel, name, now)
            program_id = program.id
        # The announcement went out before the program existed: its Join button means "this
        # channel's program" (`bot.programs.program_for`), so it already works.
    await call.respond(**answer(announce_result_text(channel, error, created=created)))


async def _channel_name(deps: Deps, channel: str) -> str:
    """The channel's name when the command's mention did not carry it ("" when Slack won't say)."""
    try:
        return await deps.slack.channel_name(channel) or ""
    except SlackApiError as exc:
        log.info("could not read the channel's name: %s", slack_error(exc))
        return ""


async def _join_and_post(deps: Deps, channel: str, program_id: int | None) -> str | None:
    """Join a public channel if needed, then post; the Slack error that stopped us, or None."""
    try:
        await deps.slack.join_channel(channel)
    except SlackApiError as exc:
        if slack_error(exc) != "method_not_supported_for_channel_type":
            return slack_error(exc)
        # A private channel: the bot can't join by itself, but posting works if it was invited.
    announcement = announcement_message(program_id)
    try:
        await deps.slack.post_message(channel, announcement["text"], announcement["blocks"])
    except SlackApiError as exc:
        return slack_error(exc)
    return None
