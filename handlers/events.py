"""Events API listeners. `EVENT_HANDLERS` is what the app subscribes to; the
manifest test checks it against `manifest.yml`'s bot events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps

EventHandler = Callable[[Deps, dict[str, Any], dict[str, Any]], Awaitable[None]]

# event type → handler(deps, event, body)
EVENT_HANDLERS: dict[str, EventHandler] = {}


def register(app: AsyncApp, deps: Deps) -> None:
    for event_type, handler in EVENT_HANDLERS.items():
        app.event(event_type)(_listener(deps, handler))


def _listener(deps: Deps, handler: EventHandler):  # type: ignore[no-untyped-def]
    async def listener(ack, event, body) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await handler(deps, event, body)

    return listener
