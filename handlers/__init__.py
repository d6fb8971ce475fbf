"""Thin Bolt listeners: parse, acknowledge, call `bot/`, render, one Slack call.

`register_listeners` wires every surface, so each id → listener binding can be
read in one place.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import actions, commands, events, middleware, options, sessions, views


def register_listeners(app: AsyncApp, deps: Deps) -> None:
    middleware.register(app, deps)
    commands.register(app, deps)
    events.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    options.register(app, deps)
    sessions.register(app, deps)  # goals, session times, dilemmas, check-ins, feedback
