"""`/tandem` slash command: parse the text, find the program it means, check admin rights,
dispatch the verb.

The verb → listener table lives in handlers/__init__.py with every other binding;
`dispatcher` turns it into the one Bolt listener of `/tandem`. Commands that act on one
program (pause, resume, leave, every `admin …`) get it here, through
`bot.programs.program_for` (the channel's program, else the only one); where that is
ambiguous the person picks with buttons (`program_picked` re-runs the verb).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from bot import outbox, round_tasks
from bot.admins import is_admin
from bot.blocks.admin import REFUSAL, refusal_message
from bot.blocks.help import help_message
from bot.blocks.programs import pick_program_message
from bot.blocks.rounds import preview_message, round_started_message
from bot.commands import Command, parse
from bot.db import reading
from bot.deps import Deps
from bot.members import JOINED
from bot.programs import admin_choice, channel_program, is_program_admin, member_choice, program_in, ref
from bot.workspaces import workspace_of
from handlers.frames import Call, Click, CommandListener

# Member verbs that act on one program, with the membership states each can act on.
MEMBER_PROGRAM_VERBS = {"pause": JOINED, "resume": ("paused",), "leave": JOINED}


def dispatcher(deps: Deps, verbs: Mapping[str, CommandListener]) -> Callable[..., object]:
    async def tandem_command(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
        """/tandem — every subcommand enters here."""
        parsed = parse(command.get("text"))
        listener = verbs.get(parsed.name)
        if listener is None:
            await ack(**help_message(parsed.problem))
            return
        call = Call(command=parsed, payload=command, ack=ack, respond=respond)
        # Every admin command is refused to people who may not administer the program it
        # means here, BEFORE the ack, so a refusal is the ack itself and no listener runs.
        # `is_admin` remembers answers for a minute and never waits on Slack longer than
        # ADMIN_CHECK_SECONDS (then it refuses: safe side); program admins are read from
        # the program's settings.
        if parsed.is_admin:
            resolved = await _admin_program(deps, call)
        elif parsed.name in MEMBER_PROGRAM_VERBS:
            resolved = await _member_program(deps, call)
        else:
            resolved = call
        if resolved is not None:
            await listener(deps, resolved)

    return tandem_command


async def _admin_program(deps: Deps, call: Call) -> Call | None:
    """The call with its program, or None when it was answered (refused, or "which one?")."""
    workspace_admin = await is_admin(deps, call.user_id)
    async with reading(deps.sessionmaker) as session:  # before the ack: no SQLite write lock
        workspace = await workspace_of(session, call.team_id)
        if workspace is None:  # first contact: the first program, created by the listener
            allowed = workspace_admin
            choice = None
        elif call.command.name == "admin announce":
            # The channel's program: its admins may re-post; a new program: workspace admins only.
            from_channel = await channel_program(session, workspace.id, call.command.channel_id)
            allowed = workspace_admin or (from_channel is not None and is_program_admin(from_channel, call.user_id))
            choice = None
        else:
            choice = await admin_choice(session, workspace, call.user_id, call.channel_id,
                                        workspace_admin=workspace_admin)
            allowed = choice.program is not None or bool(choice.ask)
    if not allowed:
        await call.ack(**refusal_message())
        return None
    if choice is None:  # first contact, or an announcement (its listener finds or creates the program)
        return call
    if choice.program is not None:
        return dataclasses.replace(call, program_id=choice.program.id)
    rollup = workspace_admin and call.command.name == "admin stats"
    await call.ack(**pick_program_message(call.command.text, [ref(p) for p in choice.ask], rollup=rollup))
    return None


async def _member_program(deps: Deps, call: Call) -> Call | None:
    """The call with the program a member's pause/resume/leave means; None when the person
    was asked which (several programs exist and it was typed outside a program's channel)."""
    async with reading(deps.sessionmaker) as session:  # before the ack: no SQLite write lock
        workspace = await workspace_of(session, call.team_id)
        if workspace is None:
            return call
        choice = await member_choice(session, workspace, call.user_id, call.channel_id,
                                     MEMBER_PROGRAM_VERBS[call.command.name])
    if choice.program is not None:
        return dataclasses.replace(call, program_id=choice.program.id)
    if choice.ask:  # several programs, typed outside their channels: ask, even among one
        await call.ack(**pick_program_message(call.command.text, [ref(p) for p in choice.ask]))
        return None
    return call  # in none of them: the listener answers "not a member"


async def program_picked(deps: Deps, click: Click, verbs: Mapping[str, CommandListener]) -> None:
    """A "which program?" button: run the command again on the program picked (rights are
    checked again here: a crafted value buys nothing)."""
    target, _, text = click.value.partition("|")
    parsed: Command = parse(text)
    listener = verbs.get(parsed.name)
    if listener is None or not (parsed.is_admin or parsed.name in MEMBER_PROGRAM_VERBS):
        await click.tell(deps, "That button is no longer valid. Please type the command again.")
        return
    workspace_admin = await is_admin(deps, click.user_id) if parsed.is_admin else False
    async with deps.sessionmaker() as session:
        workspace = await workspace_of(session, click.team_id)
        program = await program_in(session, workspace.id, target) if workspace is not None else None
        allowed = program is not None and (not parsed.is_admin or workspace_admin
                                           or is_program_admin(program, click.user_id))
    if target == "all" and parsed.name == "admin stats" and workspace_admin:
        listener, program_id = verbs["admin stats"], None
        payload_extra: dict[str, Any] = {"rollup": True}
    elif not allowed or program is None:
        await click.tell(deps, REFUSAL if parsed.is_admin else "That program is no longer there.")
        return
    else:
        program_id, payload_extra = program.id, {}

    async def ack(**answer: Any) -> None:
        if answer:
            await click.respond(replace_original=True, **answer)

    async def respond(**answer: Any) -> None:
        await click.respond(replace_original=True, **answer)

    payload = {"team_id": click.team_id, "user_id": click.user_id, "trigger_id": click.trigger_id, **payload_extra}
    await listener(deps, Call(command=parsed, payload=payload, ack=ack, respond=respond, program_id=program_id))


async def admin_match(deps: Deps, call: Call) -> None:
    """/tandem admin match — start the program's round now (in a worker process,
    bot/round_tasks.py), then deliver its introductions."""
    await call.ack(text=":hourglass_flowing_sand: Starting a matching round…")
    started = await deps.workers.run_db(deps.settings, deps.sessionmaker, round_tasks.admin_round,
                                        call.team_id, deps.clock(), call.program_id)
    await call.respond(**round_started_message(started.figures))
    if started.keys:
        await outbox.send_now(deps, started.keys)


async def admin_match_preview(deps: Deps, call: Call) -> None:
    """/tandem admin match preview — the pairs the next round would make (worked out in a worker
    process); nothing stored or sent."""
    await call.ack(text=":mag: Working out the next round…")
    plan, slack_ids = await deps.workers.run_db(deps.settings, deps.sessionmaker, round_tasks.preview,
                                                call.team_id, deps.clock(), call.program_id)
    await call.respond(**preview_message(plan, slack_ids=slack_ids))
