"""The Bolt app and the HTTP surface: `POST /slack/events`, `GET /healthz`, and in OAuth mode
`GET /slack/install` and `GET /slack/oauth_redirect`.

In HTTP mode every request to `/slack/events` is verified against the signing
secret. In Socket Mode Slack's requests arrive over the WebSocket, so the HTTP
server serves `GET /healthz` only: no route would accept an unsigned request.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.db import ping
from bot.deps import Deps
from bot.logguard import bolt_logger, guard_logs
from handlers import oauth, payloads, register_listeners

MAX_BODY_BYTES = 1024 * 1024


def build_bolt_app(deps: Deps) -> AsyncApp:
    settings = deps.settings
    guard_logs()
    app = AsyncApp(
        client=deps.slack.client,
        signing_secret=settings.secret("SLACK_SIGNING_SECRET"),
        # OAuth mode: Bolt's install flow and authorize over slack_sdk's stores (handlers/oauth.py).
        oauth_flow=oauth.oauth_flow(deps) if deps.installations is not None else None,
        # Always on: Bolt skips it for Socket Mode envelopes (authenticated by the app
        # token), and in Socket Mode no HTTP route reaches Bolt at all (build_web_app).
        request_verification_enabled=True,
        process_before_response=False,
        logger=bolt_logger(),
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
        if payloads.envelope_problem(_parsed_body(body, request.content_type)) is not None:
            # Bolt would raise on it (500): refuse it here, 401 unless correctly signed.
            signed = _signed(deps.settings.secret("SLACK_SIGNING_SECRET"), body, request.headers)
            return web.json_response({"error": "malformed request" if signed else "invalid signature"},
                                     status=400 if signed else 401)
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        # A task of its own (and so a context of its own): the installation's token bound for
        # this request (handlers/oauth.py) never outlives it on a kept-alive connection.
        bolt_response = await asyncio.get_running_loop().create_task(bolt.async_dispatch(bolt_request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        if await ping(deps.engine):
            return web.json_response({"status": "ok", "database": "ok"})
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)

    async def oauth_page(request: web.Request) -> web.Response:
        """GET /slack/install and /slack/oauth_redirect: Bolt's OAuth flow (handlers/oauth.py)."""
        flow = bolt.oauth_flow
        assert flow is not None
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        if request.path == flow.install_path:
            bolt_response = await flow.handle_installation(bolt_request)
        else:
            bolt_response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    if deps.settings.mode == "http":
        web_app.router.add_post("/slack/events", slack_events)
        if bolt.oauth_flow is not None:
            web_app.router.add_get(bolt.oauth_flow.install_path, oauth_page)
            web_app.router.add_get(bolt.oauth_flow.redirect_uri_path, oauth_page)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def _parsed_body(body: str, content_type: str) -> Any:
    """The request as Bolt will read it: a JSON body, a form's `payload` JSON, or the form.
    Anything unreadable comes back as None (not an object, so `payloads.envelope_problem` refuses it)."""
    try:
        if content_type == "application/json" or body.startswith("{"):
            return json.loads(body)
        form = dict(parse_qsl(body, keep_blank_values=True))
        return json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):
        return None


def _signed(secret: str | None, body: str, headers: Any) -> bool:
    if not secret:
        return False
    try:
        return SignatureVerifier(secret).is_valid_request(body, dict(headers))
    except ValueError:  # a timestamp that is not a number
        return False
