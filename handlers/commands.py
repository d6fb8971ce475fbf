"""`/tandem` slash command: parse the text, acknowledge, dispatch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import ids, outbox, rounds
from bot.blocks.help import help_message
from bot.blocks.rounds import preview_message, round_started_message
from bot.commands import Command, parse
from bot.deps import Deps
from bot.workspaces import ensure_workspace, program_for_update, program_of
from handlers import admin

Handler = Callable[[Deps, Command, dict[str, Any], Any, Any], Awaitable[None]]


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(ids.COMMAND)
    async def tandem_command(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
        """/tandem — every subcommand enters here."""
        parsed = parse(command.get("text"))
        handler = COMMAND_HANDLERS.get(parsed.name)
        if handler is None:
            await ack(**help_message(parsed.problem))
            return
        await handler(deps, parsed, command, ack, respond)


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
