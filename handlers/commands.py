"""`/tandem` slash command: parse the text, acknowledge, dispatch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import ids, outbox, rounds
from bot.admins import is_admin
from bot.blocks.admin import refusal_message
from bot.blocks.help import help_message
from bot.blocks.rounds import preview_message, round_started_message
from bot.commands import Command, parse
from bot.deps import Deps
from bot.workspaces import ensure_workspace, program_for_update, program_of
from handlers import admin, member_commands, sessions

Handler = Callable[[Deps, Command, dict[str, Any], Any, Any], Awaitable[None]]


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(ids.COMMAND)
    async def tandem_command(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
        """/tandem — every subcommand enters here."""
        parsed = parse(command.get("text"))
        if parsed.is_admin and not await _admin_within_ack_time(deps, command["user_id"]):
            await ack(**refusal_message())  # nothing else happens
            return
        handler = COMMAND_HANDLERS.get(parsed.name)
        if handler is None:
            await ack(**help_message(parsed.problem))
            return
        await handler(deps, parsed, command, ack, respond)


ADMIN_CHECK_SECONDS = 1.5


async def _admin_within_ack_time(deps: Deps, user_id: str) -> bool:
    """Every admin command is refused to non-admins here, BEFORE the ack, so a refusal is the
    ack itself and no handler ever runs. users.info answers in well under a second; if Slack
    is slower than ADMIN_CHECK_SECONDS we refuse (safe side) rather than miss the 3-second ack."""
    try:
        return await asyncio.wait_for(is_admin(deps, user_id), ADMIN_CHECK_SECONDS)
    except asyncio.TimeoutError:
        return False


# name → handler; commands not listed here answer with help.
COMMAND_HANDLERS: dict[str, Handler] = {}


async def admin_match(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin match — start a round now, then deliver its introductions."""
    await ack(text=":hourglass_flowing_sand: Starting a matching round…")
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        program = await program_for_update(session, payload["team_id"], now)
        round_ = await rounds.run_round(session, program, now)
        keys = await rounds.round_message_keys(session, round_) if round_ else []
        figures = dict(round_.figures) if round_ else None
    await respond(**round_started_message(figures))
    if keys:
        await outbox.send_now(deps, keys)


async def admin_match_preview(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin match preview — the pairs the next round would make; nothing stored or sent."""
    await ack(text=":mag: Working out the next round…")
    async with deps.sessionmaker() as session:
        workspace = await ensure_workspace(session, payload["team_id"], deps.clock())
        program = await program_of(session, workspace.id)
        plan, cohort = await rounds.preview_round(session, program)
        await session.rollback()  # a preview stores nothing, not even a new workspace row
    await respond(**preview_message(plan, slack_ids=cohort.slack_ids))


COMMAND_HANDLERS["admin match"] = admin_match
COMMAND_HANDLERS["admin match preview"] = admin_match_preview
COMMAND_HANDLERS["admin"] = admin.admin_settings_command
COMMAND_HANDLERS["admin stats"] = admin.admin_stats_command
COMMAND_HANDLERS["admin export"] = admin.admin_export_command

# Member commands and `admin announce` live in handlers/member_commands.py.
COMMAND_HANDLERS.update(member_commands.HANDLERS)

# `goals`, `ask`, `experts` live in handlers/sessions.py.
COMMAND_HANDLERS.update(sessions.COMMANDS)
