"""Admin flows shared by the `/tandem admin …` commands, the App Home buttons
and the settings modal. The surfaces (handlers/commands.py, actions.py,
views.py) bind ids to these; every flow checks admin rights itself, so a
crafted click or submission from a non-admin changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import ids
from bot.admins import is_admin
from bot.blocks.admin import REFUSAL, refusal_message, settings_modal, stats_message
from bot.chart import render_chart
from bot.commands import Command
from bot.deps import Deps
from bot.export import sessions_csv
from bot.home import refresh_home
from bot.program_settings import apply_settings, read_settings_form, settings_of
from bot.slack import slack_error
from bot.stats import ProgramStats, program_stats
from bot.workspaces import ensure_workspace, program_of

log = logging.getLogger(__name__)

CHART_COMMENT = "Participation and meeting rate per round, and the most wanted skills."
EXPORT_COMMENT = ("One row per session: round, pairing, members' Slack IDs, dates, mentee, state and "
                  "the mean rating. No notes, dilemmas or goals are included.")


# --- the flows ------------------------------------------------------------------------------------


async def open_settings(deps: Deps, *, team_id: str, user_id: str, trigger_id: str) -> bool:
    """Open the settings modal for an admin; returns False (nothing opened) for anyone else."""
    if not await is_admin(deps, user_id):
        log.info("settings refused for a non-admin")
        return False
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, deps.clock())
        view = settings_modal(settings_of(await program_of(session, workspace.id)))
    await deps.slack.open_view(trigger_id, view)
    return True


async def submit_settings(deps: Deps, ack: Any, *, team_id: str, user_id: str, values: dict[str, Any]) -> None:
    """Check rights and fields, store the settings, then close the modal (or show field errors)."""
    if not await is_admin(deps, user_id):
        log.warning("settings submission refused for a non-admin")
        await ack(response_action="errors", errors={ids.SETTINGS_CHANNEL[0]: REFUSAL})
        return
    settings, errors = read_settings_form(values)
    if settings is None:
        await ack(response_action="errors", errors=errors)
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        changed = await apply_settings(session, await program_of(session, workspace.id), settings, now)
    await ack()
    log.info("program settings changed: %s", ", ".join(changed) or "nothing")
    if "channel_id" in changed and settings.channel_id:
        await _join_channel(deps, settings.channel_id)
    await refresh_home(deps, team_id, user_id)  # the admin section shows the new settings


async def _join_channel(deps: Deps, channel_id: str) -> None:
    """Join a public program channel so Tandem hears who joins it; private ones need an /invite."""
    try:
        await deps.slack.join_channel(channel_id)
    except SlackApiError as exc:
        log.info("could not join the program channel: %s", slack_error(exc))


async def _stats(deps: Deps, team_id: str) -> ProgramStats:
    now = deps.clock()
    async with deps.sessionmaker() as session:
        workspace = await ensure_workspace(session, team_id, now)
        stats = await program_stats(session, await program_of(session, workspace.id), now)
        await session.commit()  # keeps a workspace row created on first contact
    return stats


async def send_chart(deps: Deps, user_id: str, stats: ProgramStats) -> None:
    """Draw the chart off the event loop and upload it into the admin's DM."""
    png = await asyncio.to_thread(render_chart, stats)
    dm = await deps.slack.open_conversation([user_id])
    day = deps.clock().date().isoformat()
    await deps.slack.upload_file(dm, f"tandem-figures-{day}.png", png,
                                 title=f"Tandem program figures, {day}", comment=CHART_COMMENT)


async def send_export(deps: Deps, team_id: str, user_id: str) -> None:
    """Upload the sessions CSV into the admin's DM."""
    async with deps.sessionmaker() as session:
        workspace = await ensure_workspace(session, team_id, deps.clock())
        content = await sessions_csv(session, await program_of(session, workspace.id))
        await session.commit()
    dm = await deps.slack.open_conversation([user_id])
    day = deps.clock().date().isoformat()
    await deps.slack.upload_file(dm, f"tandem-sessions-{day}.csv", content,
                                 title=f"Tandem sessions, {day}", comment=EXPORT_COMMENT)


async def send_chart_for(deps: Deps, *, team_id: str, user_id: str) -> bool:
    """The App Home "Send me the chart" button; False for a non-admin."""
    if not await is_admin(deps, user_id):
        log.warning("chart refused for a non-admin")
        return False
    try:
        await send_chart(deps, user_id, await _stats(deps, team_id))
    except SlackApiError as exc:
        log.warning("could not upload the chart: %s", slack_error(exc))
    return True


async def send_export_for(deps: Deps, *, team_id: str, user_id: str) -> bool:
    """The App Home "Export sessions" button; False for a non-admin."""
    if not await is_admin(deps, user_id):
        log.warning("export refused for a non-admin")
        return False
    try:
        await send_export(deps, team_id, user_id)
    except SlackApiError as exc:
        log.warning("could not upload the export: %s", slack_error(exc))
    return True


# --- `/tandem admin …` commands -------------------------------------------------------------------------


async def admin_settings_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin — open the program-settings modal."""
    await ack()
    opened = await open_settings(deps, team_id=payload["team_id"], user_id=payload["user_id"],
                                 trigger_id=payload["trigger_id"])
    if not opened:
        await respond(**refusal_message())


async def admin_stats_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin stats — figures as an ephemeral message, the chart as a file in the admin's DM."""
    await ack()
    user_id = payload["user_id"]
    if not await is_admin(deps, user_id):
        await respond(**refusal_message())
        return
    stats = await _stats(deps, payload["team_id"])
    await respond(**stats_message(stats, chart_note="The chart is on its way to your direct messages."))
    try:
        await send_chart(deps, user_id, stats)
    except SlackApiError as exc:
        await respond(text=f"I couldn't upload the chart ({slack_error(exc)}). Please try again later.")


async def admin_export_command(deps: Deps, command: Command, payload: dict[str, Any], ack: Any, respond: Any) -> None:
    """/tandem admin export — the sessions CSV as a file in the admin's DM."""
    await ack()
    user_id = payload["user_id"]
    if not await is_admin(deps, user_id):
        await respond(**refusal_message())
        return
    try:
        await send_export(deps, payload["team_id"], user_id)
    except SlackApiError as exc:
        await respond(text=f"I couldn't upload the export ({slack_error(exc)}). Please try again later.")
        return
    await respond(text=":page_facing_up: The sessions CSV is in our direct messages.")
