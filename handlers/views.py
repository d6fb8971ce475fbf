"""View submissions (modals) — one listener per callback id; also opening the profile
modal, shared by commands and buttons."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import ids, outbox
from bot.blocks.profile import confirmation_message, loading_modal, profile_modal
from bot.deps import Deps
from bot.home import refresh_home
from bot.members import JOINED, UserFacts, ensure_member, ensure_next_round, find_member, opt_in
from bot.profiles import load_profile, parse_submission, save_profile
from bot.skills import ensure_catalog
from bot.slack import slack_error
from bot.workspaces import ensure_workspace
from handlers import admin

log = logging.getLogger(__name__)


async def open_profile(deps: Deps, team_id: str, user_id: str, trigger_id: str) -> None:
    """Open the profile modal at once (a "loading" modal, since trigger ids expire in 3 s
    and the database may be busy), then fill it in with views.update."""
    try:
        opened = await deps.slack.open_view(trigger_id, loading_modal())
    except SlackApiError as exc:
        log.warning("could not open the profile modal: %s", slack_error(exc))
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        await ensure_catalog(session, workspace.id, now)
        member = await find_member(session, workspace.id, user_id)
        profile = await load_profile(session, member) if member is not None else None
        joining = member is None or member.status not in JOINED
    try:
        await deps.slack.update_view(opened["id"], profile_modal(profile, joining=joining))
    except SlackApiError as exc:  # e.g. the person closed the loading modal already
        log.warning("could not fill in the profile modal: %s", slack_error(exc))


async def _user_facts(deps: Deps, user_id: str) -> UserFacts | None:
    try:
        return UserFacts.from_api(await deps.slack.user_info(user_id))
    except SlackApiError:
        return None


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.SETTINGS_VIEW)
    async def settings_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Program-settings modal submitted (admins)."""
        await admin.submit_settings(deps, ack, team_id=body["team"]["id"], user_id=body["user"]["id"],
                                    values=view["state"]["values"])

    @app.view(ids.PROFILE_VIEW)
    async def profile_submitted(ack, body, view) -> None:  # type: ignore[no-untyped-def]
        """Profile modal submitted: field errors in the modal, or store, opt in, confirm by DM."""
        user_id = body["user"]["id"]
        team_id = (body.get("team") or {}).get("id") or view.get("team_id", "")
        submission, errors = parse_submission(view.get("state", {}).get("values", {}), user_id=user_id)
        if submission is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        facts = await _user_facts(deps, user_id)
        now = deps.clock()
        async with deps.sessionmaker.begin() as session:
            workspace = await ensure_workspace(session, team_id, now)
            member = await ensure_member(session, workspace.id, user_id, now, facts)
            profile = await save_profile(session, member, submission, now)
            joined_now = opt_in(member, now)
            next_round = await ensure_next_round(session, workspace.id, now)
            key = f"profile-saved:{member.id}:{view['id']}"
            await outbox.enqueue(session, workspace_id=workspace.id, key=key, now=now, users=[user_id],
                                 member_id=member.id,
                                 payload=confirmation_message(profile, next_round, joined_now=joined_now))
        await outbox.send_now(deps, [key])
        await refresh_home(deps, team_id, user_id)

    @app.view(ids.PROFILE_LOADING_VIEW)
    async def loading_submitted(ack) -> None:  # type: ignore[no-untyped-def]
        """The loading modal has no submit button; acknowledge anything that arrives anyway."""
        await ack()
