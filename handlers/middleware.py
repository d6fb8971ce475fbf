"""Cross-cutting request handling: Slack's event retries take effect once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.events import record_event_once

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.middleware
    async def drop_repeated_events(body: dict, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Events API deliveries are recorded by event_id; a repeat is acknowledged and dropped."""
        if body.get("type") != "event_callback" or not body.get("event_id"):
            return await next()
        async with deps.sessionmaker.begin() as session:
            first = await record_event_once(session, body["event_id"], body.get("team_id", ""), deps.clock())
        if not first:
            log.info("dropping repeated event %s", body["event_id"])
            return BoltResponse(status=200, body="")
        return await next()
