"""`python app.py` as an operator runs it: migrates, serves, answers, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import time
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests
from tests.conftest import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_healthy(url: str, proc: asyncio.subprocess.Process, within: float = 45.0) -> int:
    """Start-up is imports, migrations and a Slack check: seconds, but a loaded 2-core CI machine
    was seen to need over 15 s (dev.py's tests start a second interpreter first)."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise AssertionError("app.py exited early")
            try:
                async with http.get(url) as resp:
                    return resp.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("app.py never answered /healthz")


async def test_serve_answers_health_and_help_then_stops_on_sigterm(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake_slack.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "PORT": str(port), "LOG_LEVEL": "INFO"}
    env.pop("SLACK_APP_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert await _wait_healthy(f"http://127.0.0.1:{port}/healthz", proc) == 200
        requests = SlackRequests(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET,
                                 response_url_for=fake_slack.response_url)
        status, _, body = await requests.slash_command("U1", "help")
        assert status == 200 and body is not None and "/tandem join" in str(body["blocks"])
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0
    log = err.decode()
    assert "shutting down" in log and "Traceback" not in log
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log
