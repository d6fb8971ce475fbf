"""Shortcuts: "Ask my peer" (global) and "Bring to my session" (on a message), `(deps,
click)` listeners in the `shortcut` frame, and the ask modal's submission (`view` frame)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import ids, modal_state, peers
from bot.agenda import bring_to_next_session
from bot.blocks.common import when
from bot.blocks.sessions import ask_modal, info_modal
from bot.deps import Deps
from bot.members import find_member
from bot.models import Program, db_id
from bot.slack import slack_error
from bot.workspaces import ensure_workspace
from handlers.frames import Click, Done, FieldErrors, Submission
from handlers.sessions import NO_PARTNER_TEXT

log = logging.getLogger(__name__)

MAX_QUESTION = 2900
BROUGHT_TEXTS = {
    "no-pairing": "You don't have a partner right now, so there is no session to bring this to.",
    "no-session": "Your pairing has no session coming up whose agenda is still open.",
    "full": "Your next session's agenda is full (10 messages). Talk them through first!",
}


async def ask_peer(deps: Deps, click: Click) -> None:
    """Global shortcut "Ask my peer": a modal that posts the question to the current partner(s)."""
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, click.team_id, now)
        member = await find_member(session, workspace.id, click.user_id)
        pairings = await peers.active_pairings_of(session, member.id) if member is not None else []
        choices = []
        for pairing in pairings:
            program = await session.get(Program, pairing.program_id)
            others = ", ".join(pm.member.display_name or "your partner" for pm in pairing.members
                               if pm.member_id != member.id)  # type: ignore[union-attr]
            choices.append((pairing.id, f"{others} ({program.name if program else 'Tandem'})"))
    await click.show(deps, ask_modal(choices) if choices else info_modal(NO_PARTNER_TEXT))


async def ask_submitted(deps: Deps, sub: Submission) -> Done:
    """"Ask my peer" modal submitted: post to the chosen pairing's conversation."""
    text = modal_state.text(sub.values, ids.ASK_PEER_TEXT)
    if not text or len(text) > MAX_QUESTION:
        raise FieldErrors({ids.ASK_PEER_TEXT[0]: f"Write your question (up to {MAX_QUESTION} characters)."})
    chosen = db_id(modal_state.selected(sub.values, ids.ASK_PEER_PAIRING) or "")
    async with deps.sessionmaker.begin() as session:
        asked = await peers.ask_partner(session, team_id=sub.team_id, user_id=sub.user_id, text=text,
                                        request_id=str(sub.view.get("id") or ""), now=deps.clock(),
                                        pairing_id=chosen)
    if asked is None:
        return Done(view=info_modal(NO_PARTNER_TEXT))
    partners = " and ".join(f"<@{u}>" for u in asked.partner_ids)
    return Done(view=info_modal(f":outbox_tray: Sent to {partners} in your pair's conversation."), keys=asked.keys)


async def bring_to_session(deps: Deps, click: Click) -> None:
    """Message shortcut "Bring to my session": the message's link on the next session's agenda."""
    message = click.body.get("message") if isinstance(click.body.get("message"), dict) else {}
    channel = click.body.get("channel") if isinstance(click.body.get("channel"), dict) else {}
    try:
        link = await deps.slack.permalink(str(channel.get("id")), str(message.get("ts")))
    except SlackApiError as exc:
        log.info("could not get a message's permalink: %s", slack_error(exc))
        await click.tell(deps, "I can't link to that message (is Tandem in this conversation?).")
        return
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, click.team_id, now)
        brought = await bring_to_next_session(session, workspace, click.user_id, link, now)
    if brought.outcome != "added":
        await click.tell(deps, BROUGHT_TEXTS[brought.outcome])
        return
    await click.tell(deps, f":pushpin: Added to the agenda of session {brought.sequence} ({when(brought.due_at)}); "
                           "your pair sees it with that session's prompt.")
