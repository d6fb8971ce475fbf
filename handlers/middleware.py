"""Cross-cutting request handling: malformed requests stop here; an undeliverable mark clears.

Nothing here touches the database before the ack: Slack's event retries are settled in
the `event` frame after its ack (handlers/frames.py), and the mark is cleared in a task
of its own, writing only when a read (which takes no write lock) found one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.db import reading
from bot.deps import Deps
from bot.members import clear_undeliverable, is_undeliverable
from handlers import payloads

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.middleware
    async def reject_malformed(body: dict, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """A request Slack would not send (handlers/payloads.py) is acknowledged with an empty
        200 and goes no further: no listener, no other middleware, no database."""
        found = payloads.problem(body)
        if found is not None:
            log.info("ignoring a malformed request")
            log.debug("malformed request: %s", found)
            return BoltResponse(status=200, body="")
        return await next()

    @app.middleware
    async def clear_undeliverable_mark(body: dict, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Someone who uses Tandem is reachable: their undeliverable mark goes (type-ahead excluded).
        In its own task, beside the request, and with a read first (no write lock) so that
        the usual request, whose sender is not marked, writes nothing."""
        user_id = _acting_user(body)
        if user_id and body.get("type") != "block_suggestion":
            team_id = body.get("team_id") or (body.get("team") or {}).get("id") or ""
            task = asyncio.get_running_loop().create_task(_clear_mark(deps, str(team_id), user_id))
            _background.add(task)
            task.add_done_callback(_background.discard)
        return await next()


_background: set[asyncio.Task[None]] = set()  # strong references until each clear is done


async def _clear_mark(deps: Deps, team_id: str, user_id: str) -> None:
    """Nearly nobody is marked: a read without the write lock decides, the write is rare."""
    try:
        async with reading(deps.sessionmaker) as session:
            marked = await is_undeliverable(session, team_id, user_id)
        if not marked:
            return
        async with deps.sessionmaker.begin() as session:
            await clear_undeliverable(session, team_id, user_id, deps.clock())
    except Exception:  # a missed clear only waits for the person's next click
        log.exception("clearing an undeliverable mark failed")


def _acting_user(body: dict) -> str | None:
    """Who acted: a command's user_id, an interaction's user, an app_home_opened or message event's user."""
    if body.get("user_id"):
        return str(body["user_id"])
    if isinstance(body.get("user"), dict):
        return body["user"].get("id")
    event = body.get("event") or {}
    if event.get("type") in ("app_home_opened", "message") and isinstance(event.get("user"), str):
        return event["user"]
    return None
