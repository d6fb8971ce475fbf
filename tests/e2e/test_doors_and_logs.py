"""Issue 11 items 1 and 2: the HTTP door in each mode, and nothing a person wrote in the logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

import handlers.commands as command_handlers
from bot.config import load_settings
from bot.db import make_engine
from devtools.fake_slack import FakeSlack
from bot.models import Member
from handlers.server import build_bolt_app, build_web_app
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, Clock, RunningApp, make_deps

MARKER = "zebracredit7731"


def _unsigned_join_form(user_id: str = "UVICTIM") -> bytes:
    return urlencode({
        "team_id": TEAM_ID, "user_id": user_id, "command": "/tandem", "text": f"join {MARKER}",
        "channel_id": "C1", "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/x",
    }).encode()


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _post(url: str, body: bytes) -> int:
    async with aiohttp.ClientSession() as http, http.post(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as resp:
        return resp.status


async def _members(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Member)) or 0)


async def test_socket_mode_serves_healthz_only(engine, database_url: str, fake_slack: FakeSlack,
                                               clock: Clock) -> None:
    settings = load_settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-test",
                             SLACK_API_URL=fake_slack.url, DATABASE_URL=database_url)
    deps = make_deps(engine, settings, clock)
    try:
        async for url in _serve(build_web_app(build_bolt_app(deps), deps)):
            status = await _post(f"{url}/slack/events", _unsigned_join_form())
            async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
                health = resp.status
    finally:
        await deps.slack.close()
    assert status in (404, 405)
    assert health == 200
    assert await _members(engine) == 0
    assert fake_slack.calls == []


async def test_http_mode_refuses_an_unsigned_request(app: RunningApp) -> None:
    status = await _post(f"{app.url}/slack/events", _unsigned_join_form())
    assert status == 401
    assert await _members(app.deps.engine) == 0
    assert app.slack.calls == []


async def test_no_marker_in_logs_at_info(app: RunningApp, caplog: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO)
    # As in production: logging is configured at INFO before the app is built.
    async for url in _serve(build_web_app(build_bolt_app(app.deps), app.deps)):
        app.requests.base_url = f"{url}/slack/events"
        await _logged_requests(app, monkeypatch)
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if r.levelno >= logging.INFO)
    assert "Invalid request signature" in logged
    assert "Traceback" in logged, "the failing handler was not logged"
    assert MARKER not in logged


async def _logged_requests(app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    form = _unsigned_join_form("U1")
    # 1. a wrong signature (the commonest setup slip)
    status, _, _ = await app.requests.post(form, "application/x-www-form-urlencoded", signature="v0=deadbeef")
    assert status == 401
    # 2. a good signature
    status, _, _ = await app.requests.slash_command("U1", f"profile {MARKER}")
    assert status == 200
    # 3. a failing handler whose error repeats what the person wrote
    def boom(text: str | None):  # type: ignore[no-untyped-def]
        raise ValueError(f"cannot parse {text!r}")

    monkeypatch.setattr(command_handlers, "parse", boom)
    await app.requests.slash_command("U1", f"ask {MARKER}")


async def test_sqlalchemy_errors_hide_parameters(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(Exception) as caught:
                await conn.execute(select(func.nosuchfunction(MARKER)))
    finally:
        await engine.dispose()
    assert MARKER not in str(caught.value)
