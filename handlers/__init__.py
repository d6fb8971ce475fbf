"""Every binding of a Slack id to its listener, in one table (as Slack's starter template
keeps `listeners/__init__.py`).

A row is (kind, id, listener). The kind names the frame the listener runs in
(handlers/frames.py) and so its signature:

    button        (deps, click)        ack, who clicked, stale-action answer
    modal_button  (deps, click)        the same, with a loading modal opened first
    view          (deps, submission)   field errors, stale answer, ack, deliver, refresh
    command       (deps, call)         a `/tandem` verb (handlers/commands.py dispatches)
    event         (deps, event, body)  an Events API type
    options       (deps, body)         a type-ahead (block_suggestion) by action id
    shortcut      (deps, click)        a global or message shortcut by callback id

`register_listeners(app, deps)` wires the table; nothing else calls `app.action`,
`app.view`, `app.command`, `app.event` or `app.options`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.deps import Deps
from handlers import (
    actions, admin, commands, events, frames, member_commands, middleware, oauth, options, sessions, shortcuts,
    views,
)


class Binding(NamedTuple):
    kind: str
    id: str
    listener: Callable[..., Any]


BINDINGS: tuple[Binding, ...] = (
    # membership (handlers/actions.py)
    Binding("button", ids.JOIN, actions.open_profile_button),
    Binding("button", ids.EDIT_PROFILE, actions.open_profile_button),
    Binding("button", ids.PAUSE, actions.pause_button),
    Binding("button", ids.RESUME, actions.resume_button),
    Binding("button", ids.LEAVE_CONFIRM, actions.leave_confirmed),
    Binding("button", ids.FORGET_CONFIRM, actions.forget_confirmed),
    Binding("button", ids.CANCEL, actions.cancelled),
    # "which program?" (handlers/commands.py): re-runs a `/tandem` verb on the program picked
    Binding("button", ids.PICK_PROGRAM, commands.program_picked),
    # the heads-up DM before a round (handlers/actions.py)
    Binding("button", ids.HEADSUP_SKIP, actions.headsup_skip),
    Binding("button", ids.HEADSUP_PAUSE, actions.headsup_pause),
    # admin buttons in App Home (handlers/actions.py → handlers/admin.py)
    Binding("button", ids.OPEN_SETTINGS, actions.open_settings),
    Binding("button", ids.ADMIN_SEND_CHART, actions.send_chart),
    Binding("button", ids.ADMIN_SEND_EXPORT, actions.send_export),
    Binding("button", ids.START_CIRCLE, admin.start_circle_button),  # under `admin stats`
    # a pairing's journey (handlers/sessions.py)
    Binding("modal_button", ids.OPEN_GOALS, sessions.open_goals),
    Binding("modal_button", ids.PICK_SESSION_TIME, sessions.pick_time),
    Binding("modal_button", ids.OPEN_DILEMMA, sessions.open_dilemma),
    Binding("modal_button", ids.CHECKIN_MET, sessions.met),
    Binding("modal_button", ids.CHECKIN_RESCHEDULED, sessions.rescheduled),
    Binding("modal_button", ids.OPEN_FEEDBACK, sessions.open_feedback),
    Binding("modal_button", ids.OPEN_RETRO, sessions.open_retro),
    Binding("button", ids.CHECKIN_SKIPPED, sessions.skipped),
    Binding("button", ids.FIT_YES, sessions.fit_yes),
    Binding("button", ids.FIT_NO, sessions.fit_no),
    Binding("button", ids.STALLED_CONTINUE, sessions.stalled_continue),
    Binding("button", ids.STALLED_REPAIR, sessions.stalled_repair),
    Binding("button", ids.STALLED_STOP, sessions.stalled_stop),
    Binding("button", ids.GOAL_PROGRESS, sessions.goal_progress),
    # modals submitted
    Binding("view", ids.PROFILE_VIEW, views.profile_submitted),
    Binding("view", ids.PROFILE_LOADING_VIEW, views.loading_submitted),
    Binding("view", ids.LOADING_VIEW, views.loading_submitted),
    Binding("view", ids.SETTINGS_VIEW, admin.settings_submitted),
    Binding("view", ids.GOALS_VIEW, sessions.goals_submitted),
    Binding("view", ids.DILEMMA_VIEW, sessions.dilemma_submitted),
    Binding("view", ids.FEEDBACK_VIEW, sessions.feedback_submitted),
    Binding("view", ids.RESCHEDULE_VIEW, sessions.time_submitted),
    Binding("view", ids.RETRO_VIEW, sessions.retro_submitted),
    Binding("view", ids.ASK_PEER_VIEW, shortcuts.ask_submitted),
    # shortcuts (handlers/shortcuts.py); manifest.yml lists exactly these
    Binding("shortcut", ids.ASK_PEER_SHORTCUT, shortcuts.ask_peer),
    Binding("shortcut", ids.BRING_SHORTCUT, shortcuts.bring_to_session),
    # `/tandem <verb>`; a verb not listed answers with help
    Binding("command", "join", member_commands.join),
    Binding("command", "profile", member_commands.join),
    Binding("command", "status", member_commands.status),
    Binding("command", "pause", member_commands.pause),
    Binding("command", "resume", member_commands.resume),
    Binding("command", "leave", member_commands.leave),
    Binding("command", "forget-me", member_commands.forget_me),
    Binding("command", "goals", sessions.goals_command),
    Binding("command", "ask", sessions.ask_command),
    Binding("command", "experts", sessions.experts_command),
    Binding("command", "admin", admin.admin_settings_command),
    Binding("command", "admin announce", member_commands.admin_announce),
    Binding("command", "admin match", commands.admin_match),
    Binding("command", "admin match preview", commands.admin_match_preview),
    Binding("command", "admin stats", admin.admin_stats_command),
    Binding("command", "admin export", admin.admin_export_command),
    # Events API (handlers/events.py); the manifest subscribes to exactly these
    Binding("event", "app_home_opened", events.app_home_opened),
    Binding("event", "member_joined_channel", events.member_joined_channel),
    Binding("event", "user_change", events.user_change),
    Binding("event", "team_join", events.team_join),
    Binding("event", "app_uninstalled", oauth.app_uninstalled),
    Binding("event", "tokens_revoked", oauth.tokens_revoked),
    # type-ahead (handlers/options.py)
    Binding("options", ids.OFFERS[1], options.suggest_skills),
    Binding("options", ids.WANTS[1], options.suggest_skills),
)


def bound(kind: str) -> dict[str, Callable[..., Any]]:
    """The ids of one kind and their listeners (e.g. `bound("event")` for the manifest test)."""
    return {b.id: b.listener for b in BINDINGS if b.kind == kind}


def register_listeners(app: AsyncApp, deps: Deps) -> None:
    middleware.register(app, deps)
    oauth.register(app, deps)
    verbs = bound("command")
    # Bolt tries listeners in the order they were registered, running each one's matchers
    # (with its keyword injection) until one matches: type-ahead comes with every keystroke,
    # so its listeners go first (kinds never overlap, so the order decides nothing else).
    for binding in sorted(BINDINGS, key=lambda b: b.kind != "options"):
        if binding.listener is commands.program_picked:  # the one button that needs the verb table
            app.action(binding.id)(frames.button(deps, _with_verbs(binding.listener, verbs)))
        elif binding.kind == "button":
            app.action(binding.id)(frames.button(deps, binding.listener))
        elif binding.kind == "modal_button":
            app.action(binding.id)(frames.modal_button(deps, binding.listener))
        elif binding.kind == "view":
            app.view(binding.id)(frames.view(deps, binding.listener))
        elif binding.kind == "event":
            app.event(binding.id)(frames.event(deps, binding.listener))
        elif binding.kind == "options":
            app.options(binding.id)(frames.options(deps, binding.listener))
        elif binding.kind == "shortcut":
            app.shortcut(binding.id)(frames.shortcut(deps, binding.listener))
        elif binding.kind != "command":
            raise ValueError(f"unknown binding kind {binding.kind!r}")
    app.command(ids.COMMAND)(commands.dispatcher(deps, verbs))


def _with_verbs(listener: Callable[..., Any], verbs: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    async def with_verbs(deps: Deps, click: frames.Click) -> None:
        await listener(deps, click, verbs)

    with_verbs.__name__ = with_verbs.__qualname__ = listener.__name__
    with_verbs.__doc__ = listener.__doc__
    return with_verbs
