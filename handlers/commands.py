"""`/tandem` slash command: parse the text, acknowledge, dispatch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.blocks.help import help_message
from bot.commands import Command, parse
from bot.deps import Deps

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
