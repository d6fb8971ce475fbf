"""Admin flows shared by the `/tandem admin …` commands, the App Home buttons
and the settings modal (bound in handlers/__init__.py). Every flow acts on one
program (`program_id`; None: the first) and checks the rights on it itself
(`may_admin`: workspace admins, `TANDEM_ADMINS`, or the program's own admins), so a
crafted click or submission from anyone else changes nothing.
"""

from __future__ import annotations

import logging
from slack_sdk.errors import SlackApiError

from bot import ids, outbox
from bot.blocks.members import answer
from bot.circle_suggestions import start_circle
from bot.sessions import StaleAction
from bot.models import db_id
from bot.admins import is_admin
from bot.blocks.admin import REFUSAL, refusal_message, settings_modal, stats_message
from bot.blocks.common import user_text
from bot.chart import render_chart
from bot.deps import Deps
from bot.export import sessions_csv
from bot.home import refresh_home
from bot.program_settings import apply_settings, read_settings_form, settings_of
from bot.slack import slack_error
from bot.blocks.programs import rollup_message
from bot.models import Program
from bot.programs import channel_program, is_program_admin, program_in, programs_of, rollup
from bot.stats import ProgramStats, program_stats
from bot.workspaces import ensure_workspace, program_of, workspace_of
from handlers.frames import Call, Click, Done, FieldErrors, Submission, open_loading, show

log = logging.getLogger(__name__)

CHART_COMMENT = "Participation and meeting rate per round, and the most wanted skills."
EXPORT_COMMENT = ("One row per session: round, pairing, members' Slack IDs, dates, mentee, state and "
                  "the mean rating. No notes, dilemmas or goals are included.")


# --- rights and the program ----------------------------------------------------------------------


async def _program(session, team_id: str, program_id: int | None, now) -> Program:  # type: ignore[no-untyped-def]
    """The program `program_id` of the team (the first program when None or not theirs)."""
    workspace = await ensure_workspace(session, team_id, now)
    return await program_in(session, workspace.id, program_id) or await program_of(session, workspace.id)


async def may_admin(deps: Deps, team_id: str, user_id: str, program_id: int | None) -> bool:
    """Workspace admins and TANDEM_ADMINS administer every program; a program's own admins
    (named in its settings) that program only."""
    if await is_admin(deps, user_id):
        return True
    async with deps.sessionmaker() as session:
        workspace = await workspace_of(session, team_id)
        if workspace is None:
            return False
        program = await program_in(session, workspace.id, program_id) or await program_of(session, workspace.id)
        return is_program_admin(program, user_id)


# --- the flows ------------------------------------------------------------------------------------


async def open_settings(deps: Deps, *, team_id: str, user_id: str, trigger_id: str,
                        program_id: int | None = None) -> bool:
    """Open the program's settings modal for its admins; returns False (nothing opened) for
    anyone else. The rights check is bounded (`is_admin`), then a loading modal opens with
    the trigger id before the program is read, and the form replaces it."""
    if not await may_admin(deps, team_id, user_id, program_id):
        log.info("settings refused for a non-admin")
        return False
    loading = await open_loading(deps, trigger_id)
    if loading is None:
        return True
    async with deps.sessionmaker.begin() as session:
        program = await _program(session, team_id, program_id, deps.clock())
        view = settings_modal(settings_of(program), program_id=program.id)
    await show(deps, view, loading_view_id=loading, trigger_id=trigger_id)
    return True


async def settings_submitted(deps: Deps, sub: Submission) -> Done:
    """Program-settings modal submitted (admins): rights (from `is_admin`'s memory of the
    open, bounded otherwise) and fields first, then one short write before the ack so the
    admin sees an error if it fails; joining the channel and the home refresh come after."""
    program_id = db_id(sub.metadata)
    if not await may_admin(deps, sub.team_id, sub.user_id, program_id):
        log.warning("settings submission refused for a non-admin")
        raise FieldErrors({ids.SETTINGS_CHANNEL[0]: REFUSAL})
    settings, errors = read_settings_form(sub.values)
    if settings is None:
        raise FieldErrors(errors)
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        program = await _program(session, sub.team_id, program_id, now)
        if settings.channel_id:
            owner = await channel_program(session, program.workspace_id, settings.channel_id)
            if owner is not None and owner.id != program.id:
                raise FieldErrors({ids.SETTINGS_CHANNEL[0]: "That channel already has its own program."})
        changed = await apply_settings(session, program, settings, now)
    log.info("program settings changed: %s", ", ".join(changed) or "nothing")

    async def after() -> None:
        if "channel_id" in changed and settings.channel_id:
            await _join_channel(deps, settings.channel_id)
        await refresh_home(deps, sub.team_id, sub.user_id)  # the admin section shows the new settings

    return Done(then=after)


async def _join_channel(deps: Deps, channel_id: str) -> None:
    """Join a public program channel so Tandem hears who joins it; private ones need an /invite."""
    try:
        await deps.slack.join_channel(channel_id)
    except SlackApiError as exc:
        log.info("could not join the program channel: %s", slack_error(exc))


async def _stats(deps: Deps, team_id: str, program_id: int | None = None) -> ProgramStats:
    now = deps.clock()
    async with deps.sessionmaker() as session:
        stats = await program_stats(session, await _program(session, team_id, program_id, now), now)
        await session.commit()  # keeps a workspace row created on first contact
    return stats


async def send_chart(deps: Deps, user_id: str, stats: ProgramStats) -> None:
    """Draw the chart in a worker process (matplotlib holds the GIL) and upload it into the admin's DM."""
    png = await deps.workers.compute(render_chart, stats)
    dm = await deps.slack.open_conversation([user_id])
    day = deps.clock().date().isoformat()
    await deps.slack.upload_file(dm, f"tandem-figures-{day}.png", png,
                                 title=f"Tandem program figures, {day}", comment=CHART_COMMENT)


async def send_export(deps: Deps, team_id: str, user_id: str, program_id: int | None = None) -> None:
    """Upload the program's sessions CSV into the admin's DM."""
    async with deps.sessionmaker() as session:
        content = await sessions_csv(session, await _program(session, team_id, program_id, deps.clock()))
        await session.commit()
    dm = await deps.slack.open_conversation([user_id])
    day = deps.clock().date().isoformat()
    await deps.slack.upload_file(dm, f"tandem-sessions-{day}.csv", content,
                                 title=f"Tandem sessions, {day}", comment=EXPORT_COMMENT)


async def send_chart_for(deps: Deps, *, team_id: str, user_id: str, program_id: int | None = None) -> bool:
    """The App Home "Send me the chart" button; False for a non-admin."""
    if not await may_admin(deps, team_id, user_id, program_id):
        log.warning("chart refused for a non-admin")
        return False
    try:
        await send_chart(deps, user_id, await _stats(deps, team_id, program_id))
    except SlackApiError as exc:
        log.warning("could not upload the chart: %s", slack_error(exc))
    return True


async def send_export_for(deps: Deps, *, team_id: str, user_id: str, program_id: int | None = None) -> bool:
    """The App Home "Export sessions" button; False for a non-admin."""
    if not await may_admin(deps, team_id, user_id, program_id):
        log.warning("export refused for a non-admin")
        return False
    try:
        await send_export(deps, team_id, user_id, program_id)
    except SlackApiError as exc:
        log.warning("could not upload the export: %s", slack_error(exc))
    return True


# --- `/tandem admin …` commands -------------------------------------------------------------------------


async def admin_settings_command(deps: Deps, call: Call) -> None:
    """/tandem admin — open the program-settings modal."""
    await call.ack()
    opened = await open_settings(deps, team_id=call.team_id, user_id=call.user_id, trigger_id=call.trigger_id,
                                 program_id=call.program_id)
    if not opened:
        await call.respond(**refusal_message())


async def admin_stats_command(deps: Deps, call: Call) -> None:
    """/tandem admin stats — figures as an ephemeral message, the chart as a file in the admin's DM."""
    await call.ack()
    user_id = call.user_id
    if call.payload.get("rollup"):  # "All programs", offered to workspace admins only
        if not await is_admin(deps, user_id):
            await call.respond(**refusal_message())
            return
        async with deps.sessionmaker() as session:
            workspace = await ensure_workspace(session, call.team_id, deps.clock())
            lines = await rollup(session, workspace.id)
            k = min((p.min_group_size for p in await programs_of(session, workspace.id)), default=5)
        await call.respond(**rollup_message(lines, min_group=k))
        return
    if not await may_admin(deps, call.team_id, user_id, call.program_id):
        await call.respond(**refusal_message())
        return
    stats = await _stats(deps, call.team_id, call.program_id)
    await call.respond(**stats_message(stats, chart_note="The chart is on its way to your direct messages."))
    try:
        await send_chart(deps, user_id, stats)
    except SlackApiError as exc:
        await call.respond(text=f"I couldn't upload the chart ({slack_error(exc)}). Please try again later.")


async def admin_export_command(deps: Deps, call: Call) -> None:
    """/tandem admin export — the sessions CSV as a file in the admin's DM."""
    await call.ack()
    user_id = call.user_id
    if not await may_admin(deps, call.team_id, user_id, call.program_id):
        await call.respond(**refusal_message())
        return
    try:
        await send_export(deps, call.team_id, user_id, call.program_id)
    except SlackApiError as exc:
        await call.respond(text=f"I couldn't upload the export ({slack_error(exc)}). Please try again later.")
        return
    await call.respond(text=":page_facing_up: The sessions CSV is in our direct messages.")


async def start_circle_button(deps: Deps, click: Click) -> None:
    """"Start a circle for <skill>" under `admin stats` (value "program id:skill id"): the
    program's admins create the circles program and its invitations go out at once."""
    head, _, tail = click.value.partition(":")
    program_id, skill_id = db_id(head), db_id(tail)
    if program_id is None or skill_id is None:
        raise StaleAction("That button is out of date.")
    if not await may_admin(deps, click.team_id, click.user_id, program_id):
        await click.respond(replace_original=False, **refusal_message())
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        source = await _program(session, click.team_id, program_id, now)
        if source.id != program_id:
            raise StaleAction("That program no longer exists.")
        started = await start_circle(session, source, skill_id, click.user_id, now)
        name = started.program.name
    if started.created:
        text = (f":busts_in_silhouette: Started *{user_text(name, 80)}*, a circles program, and invited "
                f"{started.invited} people by direct message: one who offers the skill and those who want it. "
                "Nobody is enrolled until they press Join. It has no channel yet; give it one in its settings "
                "(`/tandem admin`, then pick the program) if you want newcomers to a channel invited too.")
    else:
        text = f"*{user_text(name, 80)}* was started before; its invitations went out then."
    await click.respond(replace_original=False, **answer(text))
    if started.keys:
        await outbox.send_now(deps, started.keys)
