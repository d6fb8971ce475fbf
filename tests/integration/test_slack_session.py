"""One HTTP session for Slack: a process's Web API calls share kept-alive connections."""

from __future__ import annotations

import asyncio

from bot.slack import make_client, make_gateway
from devtools.fake_slack import FakeSlack
from tests.conftest import BOT_TOKEN


async def test_many_calls_share_one_connection(fake_slack: FakeSlack) -> None:
    gateway = make_gateway(BOT_TOKEN, fake_slack.url)
    try:
        for _ in range(10):
            await gateway.user_info(fake_slack.bot_user_id)
        assert fake_slack.connections == 1
        await asyncio.gather(*(gateway.token_works() for _ in range(5)))  # the delivery client, at once
    finally:
        await gateway.close()
    assert len(fake_slack.calls) == 15
    # one kept-alive connection for the sequential calls, at most five more for the concurrent ones
    assert fake_slack.connections <= 6


async def test_without_a_session_every_call_opens_a_connection(fake_slack: FakeSlack) -> None:
    """What slack_sdk does with no `session=` (what make_client alone still does): the
    fake Slack sees a connection per call, so the count above measures something."""
    client = make_client(BOT_TOKEN, fake_slack.url)
    for _ in range(5):
        await client.auth_test()
    assert fake_slack.connections == 5


async def test_closing_the_gateway_closes_its_session_and_calls_still_work(fake_slack: FakeSlack) -> None:
    gateway = make_gateway(BOT_TOKEN, fake_slack.url)
    await gateway.token_works()
    await gateway.close()
    await gateway.close()  # idempotent
    assert gateway.http is not None and gateway.http.closed
    assert await gateway.token_works()  # a late call falls back to a session of its own
