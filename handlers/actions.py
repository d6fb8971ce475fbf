"""Block actions (button clicks) of membership and admin: Join, Edit profile, Pause,
Resume, Leave, Forget me, Cancel, and the App Home admin buttons. Each is a
`(deps, click)` listener in the `button` frame (handlers/frames.py)."""

from __future__ import annotations

from bot.blocks.members import CANCELLED_TEXT, answer
from bot.blocks.programs import skipped_text
from bot.headsup import skip_round
from bot.members import find_member
from bot.models import db_id
from bot.programs import program_in, ref
from bot.sessions import StaleAction
from bot.workspaces import ensure_workspace
from bot.commands import PAUSE_DEFAULT_WEEKS, PAUSE_MAX_WEEKS
from bot.deps import Deps
from bot.home import refresh_home
from handlers import admin
from handlers.frames import Click
from handlers.member_commands import after_departure, change_member
from handlers.views import open_profile


async def _reply(click: Click, text: str) -> None:
    """Replace the ephemeral message the button was on; a home-tab button has nowhere to
    reply, and its refreshed home shows the outcome instead."""
    if click.in_conversation:
        await click.respond(replace_original=True, **answer(text))


def program_of_value(value: str) -> int | None:
    """The program a button carries: its value, or the part after ":" ("4:12" → 12); None
    for the older values ("home", "leave", "4"), which mean the first program."""
    return db_id(value.rpartition(":")[2]) if ":" in value else db_id(value)


def _channel(click: Click) -> str | None:
    channel = click.body.get("channel") if isinstance(click.body.get("channel"), dict) else {}
    container = click.body.get("container") if isinstance(click.body.get("container"), dict) else {}
    return str(channel.get("id") or container.get("channel_id") or "") or None


async def open_settings(deps: Deps, click: Click) -> None:
    """App Home "Program settings" button (admins; its value is the program)."""
    await admin.open_settings(deps, team_id=click.team_id, user_id=click.user_id, trigger_id=click.trigger_id,
                              program_id=program_of_value(click.value))


async def send_chart(deps: Deps, click: Click) -> None:
    """App Home "Send me the chart" button (admins)."""
    await admin.send_chart_for(deps, team_id=click.team_id, user_id=click.user_id,
                               program_id=program_of_value(click.value))


async def send_export(deps: Deps, click: Click) -> None:
    """App Home "Export sessions (CSV)" button (admins)."""
    await admin.send_export_for(deps, team_id=click.team_id, user_id=click.user_id,
                                program_id=program_of_value(click.value))


async def open_profile_button(deps: Deps, click: Click) -> None:
    """Join / Edit profile buttons (announcement, invitation, App Home) — the profile modal;
    a Join button carries its program (an announcement's means its channel's program)."""
    await open_profile(deps, click.team_id, click.user_id, click.trigger_id,
                       channel_id=_channel(click) if click.value == "announcement" else None,
                       program_id=db_id(click.value))


async def pause_button(deps: Deps, click: Click) -> None:
    """Pause button (App Home) — pause for the weeks in its value ("4", or "4:<program id>")."""
    value = click.value.partition(":")[0]
    weeks = int(value) if value.isdecimal() and 1 <= int(value) <= PAUSE_MAX_WEEKS else PAUSE_DEFAULT_WEEKS
    program_id = db_id(click.value.partition(":")[2]) if ":" in click.value else None
    text, ended = await change_member(deps, click.team_id, click.user_id, "pause", weeks=weeks, program_id=program_id)
    await _reply(click, text)
    await after_departure(deps, click.team_id, click.user_id, ended)


async def resume_button(deps: Deps, click: Click) -> None:
    """Resume button (App Home; its value is the program)."""
    text, _ = await change_member(deps, click.team_id, click.user_id, "resume", program_id=db_id(click.value))
    await _reply(click, text)
    await refresh_home(deps, click.team_id, click.user_id)


async def leave_confirmed(deps: Deps, click: Click) -> None:
    """Leave confirmed (ephemeral message or App Home's confirm dialog; its value is the program)."""
    text, ended = await change_member(deps, click.team_id, click.user_id, "leave", program_id=db_id(click.value))
    await _reply(click, text)
    await after_departure(deps, click.team_id, click.user_id, ended)


async def forget_confirmed(deps: Deps, click: Click) -> None:
    """Forget-me confirmed: personal data deleted or anonymised."""
    text, ended = await change_member(deps, click.team_id, click.user_id, "forget")
    await _reply(click, text)
    await after_departure(deps, click.team_id, click.user_id, ended)


async def cancelled(deps: Deps, click: Click) -> None:
    """Cancel on a confirmation message."""
    await _reply(click, CANCELLED_TEXT)


async def headsup_skip(deps: Deps, click: Click) -> None:
    """Heads-up DM "Skip this round" — left out of that round only (value "<program>:<round stamp>")."""
    program_text, _, stamp = click.value.partition(":")
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, click.team_id, now)
        program = await program_in(session, workspace.id, program_text)
        member = await find_member(session, workspace.id, click.user_id)
        due = await skip_round(session, program, member, stamp, now) if program and member else None
        named = ref(program) if program is not None else None
    if due is None or named is None:
        raise StaleAction("That round has already started (or you're not in it), so there's nothing to skip.")
    await _reply(click, skipped_text(named, due))


async def headsup_pause(deps: Deps, click: Click) -> None:
    """Heads-up DM "Pause" — pause in that program for the default weeks."""
    text, ended = await change_member(deps, click.team_id, click.user_id, "pause", weeks=PAUSE_DEFAULT_WEEKS,
                                      program_id=db_id(click.value))
    await _reply(click, text)
    await after_departure(deps, click.team_id, click.user_id, ended)
