"""The HTTP surface: health, signature checks, and `/tandem help` end to end."""

from __future__ import annotations

import time
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from bot.db import make_engine, make_sessionmaker
from handlers.server import build_bolt_app, build_web_app
from tests.conftest import RunningApp


async def _get(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        return resp.status, await resp.json()


async def test_healthz_is_200_when_the_database_answers(app: RunningApp) -> None:
    status, body = await _get(f"{app.url}/healthz")
    assert status == 200 and body["database"] == "ok"


async def test_healthz_is_503_when_the_database_is_down(app: RunningApp, on_postgres: bool) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none" if on_postgres else "sqlite:////nonexistent-dir/x/tandem.db"
    engine = make_engine(url)
    deps = replace(app.deps, engine=engine, sessionmaker=make_sessionmaker(engine))
    runner = web.AppRunner(build_web_app(build_bolt_app(deps), deps))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        status, body = await _get(f"http://127.0.0.1:{port}/healthz")
    finally:
        await runner.cleanup()
        await engine.dispose()
    assert status == 503 and body["database"] == "unreachable"


async def test_bad_signature_gets_401_and_no_slack_call(app: RunningApp) -> None:
    body = b"command=%2Ftandem&text=help&user_id=U1&team_id=T0001&trigger_id=1.2.3"
    status, _, _ = await app.requests.post(body, "application/x-www-form-urlencoded", signature="v0=deadbeef")
    assert status == 401
    assert app.slack.calls == []


async def test_stale_timestamp_gets_401_and_no_slack_call(app: RunningApp) -> None:
    body = b"command=%2Ftandem&text=help&user_id=U1&team_id=T0001&trigger_id=1.2.3"
    stale = int(time.time()) - 6 * 60
    status, _, _ = await app.requests.post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert status == 401
    assert app.slack.calls == []


async def test_malformed_body_gets_4xx(app: RunningApp) -> None:
    status, _, _ = await app.requests.post(b"\x00\xff not json", "application/json")
    assert 400 <= status < 500


@pytest.mark.parametrize("text", ["", "help", "no-such-command"])
async def test_tandem_help_answers_ephemerally(app: RunningApp, text: str) -> None:
    status, _, body = await app.requests.slash_command("U1", text)
    assert status == 200
    assert body is not None
    rendered = str(body["blocks"])
    assert "/tandem join" in rendered and "/tandem pause [weeks]" in rendered
    assert body.get("response_type", "ephemeral") == "ephemeral"
    if text == "no-such-command":
        assert "no-such-command" in rendered
