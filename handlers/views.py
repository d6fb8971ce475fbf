"""The profile modal: opening it (shared by commands and buttons) and its submission,
a `(deps, submission)` listener in the `view` frame (handlers/frames.py)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import outbox
from bot.blocks.profile import confirmation_message, loading_modal, profile_modal
from bot.deps import Deps
from bot.home import refresh_home
from bot.blocks.sessions import info_modal
from bot import ids, memberships
from bot.blocks.profile import ProgramChoices
from bot.members import JOINED, UserFacts, ensure_member, ensure_next_round, find_member, join_refusal
from bot.memberships import joined_programs
from bot.profiles import picked_programs
from bot.programs import program_for, program_in, programs_of, ref
from bot.profiles import load_profile, parse_submission, save_profile, tell_profile_not_saved
from bot.sqlutil import in_transaction
from bot.skills import ensure_catalog
from bot.slack import slack_error
from bot.workspaces import ensure_workspace, program_of
from handlers.frames import Done, FieldErrors, Submission

log = logging.getLogger(__name__)


async def open_profile(
    deps: Deps, team_id: str, user_id: str, trigger_id: str, *, channel_id: str | None = None,
    program_id: int | None = None,
) -> None:
    """Open the profile modal at once (a "loading" modal, since trigger ids expire in 3 s
    and the database may be busy), then fill it in with views.update. It joins the
    program `program_id` (a Join button's) or the channel's; with several programs and
    neither, it lists them to tick."""
    try:
        opened = await deps.slack.open_view(trigger_id, loading_modal())
    except SlackApiError as exc:
        log.warning("could not open the profile modal: %s", slack_error(exc))
        return
    facts = await _user_facts(deps, user_id)
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        target = await program_in(session, workspace.id, program_id) or await program_for(session, workspace, channel_id)
        refusal = await join_refusal(session, workspace, facts, target)  # guests, other organisations, bots
        await ensure_catalog(session, workspace.id, now)
        member = await find_member(session, workspace.id, user_id)
        profile = await load_profile(session, member) if member is not None else None
        theirs = {p.id for p in await joined_programs(session, member.id)} if member is not None else set()
        joining = member is None or member.status not in JOINED or (target is not None and target.id not in theirs)
        choices = None if target is not None else ProgramChoices(
            [ref(p) for p in await programs_of(session, workspace.id)], ticked=frozenset(theirs))
    try:
        await deps.slack.update_view(opened["id"], info_modal(refusal) if refusal else
                                     profile_modal(profile, joining=joining, program_id=target.id if target else None,
                                                   choices=choices))
    except SlackApiError as exc:  # e.g. the person closed the loading modal already
        log.warning("could not fill in the profile modal: %s", slack_error(exc))


async def _user_facts(deps: Deps, user_id: str) -> UserFacts | None:
    try:
        return UserFacts.from_api(await deps.slack.user_info(user_id))
    except SlackApiError:
        return None


async def profile_submitted(deps: Deps, sub: Submission) -> Done:
    """Profile modal submitted: field errors in the modal, or (after the ack) store, opt in, confirm by DM."""
    submission, errors = parse_submission(sub.values, user_id=sub.user_id)
    picked = picked_programs(sub.values, sub.metadata)
    if picked.problem:
        errors = {**errors, ids.PROFILE_PROGRAMS[0]: picked.problem}
    if submission is None or picked.problem:
        raise FieldErrors(errors)

    async def store_after_ack() -> None:
        facts = await _user_facts(deps, sub.user_id)
        now = deps.clock()

        async def store(session):  # type: ignore[no-untyped-def]
            workspace = await ensure_workspace(session, sub.team_id, now)
            programs = [p for p in [await program_in(session, workspace.id, i) for i in picked.ids] if p is not None]
            if not picked.listed:  # the form named no program (a single one): the first program
                programs = [await program_of(session, workspace.id)]
            allowed = [p for p in programs if not await join_refusal(session, workspace, facts, p)]
            if (programs or picked.ids) and not allowed:
                return None  # nobody who may not take part is opted in, however the submission came
            if not programs and await find_member(session, workspace.id, sub.user_id) is None:
                return None  # an edit that joins nothing, by someone Tandem does not know
            member = await ensure_member(session, workspace.id, sub.user_id, now, facts)
            profile = await save_profile(session, member, submission, now)
            joined_now = False
            for program in allowed:
                joined_now = await memberships.join(session, program, member, now) or joined_now
            next_round = await ensure_next_round(session, workspace.id, now, allowed[0] if allowed else None)
            key = f"profile-saved:{member.id}:{sub.view.get('id')}"
            await outbox.enqueue(session, workspace_id=workspace.id, key=key, now=now, users=[sub.user_id],
                                 member_id=member.id,
                                 payload=confirmation_message(profile, next_round, joined_now=joined_now))
            return key

        try:  # the modal closed on the ack: a deadlock is retried, a failure is told, never silent
            key = await in_transaction(deps.sessionmaker, store)
        except Exception:
            log.exception("profile save failed after the ack")
            await tell_profile_not_saved(deps, sub.user_id)
            return
        if key is None:
            return
        await outbox.send_now(deps, [key])
        await refresh_home(deps, sub.team_id, sub.user_id)

    return Done(then=store_after_ack)


async def loading_submitted(deps: Deps, sub: Submission) -> None:
    """A loading modal has no submit button; acknowledge anything that arrives anyway."""
