"""The Bolt app and the HTTP surface: `POST /slack/events`, `GET /healthz`."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.db import ping
from bot.deps import Deps
from handlers import register_listeners

MAX_BODY_BYTES = 1024 * 1024


def build_bolt_app(deps: Deps) -> AsyncApp:
    settings = deps.settings
    app = AsyncApp(
        client=deps.slack.client,
        signing_secret=settings.secret("SLACK_SIGNING_SECRET") or None,
        # Socket Mode connections are authenticated by the app token instead.
        request_verification_enabled=settings.mode == "http",
        process_before_response=False,
    )
    register_listeners(app, deps)
    return app


def build_web_app(bolt: AsyncApp, deps: Deps) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        if request.content_type not in ("application/json", "application/x-www-form-urlencoded"):
            return web.json_response({"error": "unsupported content type"}, status=415)
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        if await ping(deps.engine):
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app
