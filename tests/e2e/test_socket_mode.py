"""Socket Mode: with SLACK_APP_TOKEN the same app answers over Slack's WebSocket."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.deps import Deps
from devtools.fake_slack import FakeSlack
from handlers.server import build_bolt_app
from tests.conftest import BOT_TOKEN, Clock, make_deps

APP_TOKEN = "xapp-1-test"


async def test_help_over_socket_mode(engine, database_url: str, fake_slack: FakeSlack, clock: Clock) -> None:
    from bot.config import load_settings

    settings = load_settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake_slack.url,
                             DATABASE_URL=database_url)
    assert settings.mode == "socket"
    deps: Deps = make_deps(engine, settings, clock)
    handler = AsyncSocketModeHandler(build_bolt_app(deps), APP_TOKEN)
    await handler.connect_async()
    try:
        await fake_slack.wait_for_socket()
        ack = await fake_slack.socket_send(
            "slash_commands",
            {"team_id": "T0001", "user_id": "U1", "command": "/tandem", "text": "help", "channel_id": "C1",
             "trigger_id": "1.2.3", "response_url": fake_slack.response_url("socket")},
            accepts_response_payload=True,
        )
    finally:
        await handler.close_async()
        await deps.slack.close()
    assert "/tandem join" in str(ack["payload"]["blocks"])
    assert fake_slack.calls_to("apps.connections.open")[0].ok
