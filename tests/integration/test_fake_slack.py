"""FakeSlack answers a real AsyncWebClient like Slack; SlackRequests signs like Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from devtools.fake_slack import FakeSlack
from devtools.slack_requests import SlackRequests, compute_signature

TOKEN = "xoxb-fake-token"
SECRET = "s3cr3t-signing"

SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello *there*"}}]
HOME = {"type": "home", "blocks": SECTION}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Join"}, "blocks": SECTION}


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user("U1", name="ada", real_name="Ada Lovelace")
        server.add_user("U2", name="grace", tz="America/New_York")
        server.add_user("U3", name="alan")
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    web_client = AsyncWebClient(token=TOKEN, base_url=fake.url)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


# ---------------------------------------------------------------------- Web API
@pytest.mark.asyncio
async def test_post_message_is_recorded_and_stored(fake: FakeSlack, client: AsyncWebClient) -> None:
    metadata = {"event_type": "pair_created", "event_payload": {"pair_id": 7}}
    first = await client.chat_postMessage(channel="C1", text="hi", blocks=SECTION, metadata=metadata)
    second = await client.chat_postMessage(channel="C1", text="again")

    assert first["ok"] and first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    call = fake.calls_to("chat.postMessage")[0]
    assert call.ok and call.status == 200
    assert call.params["blocks"] == SECTION and call.params["metadata"] == metadata
    assert "token" not in call.params

    history = await client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["again", "hi"]
    assert history["messages"][1]["metadata"] == metadata
    plain = await client.conversations_history(channel="C1", limit=1)
    assert "metadata" not in plain["messages"][0] and plain["has_more"] is True


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_requires_text_and_membership(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("CPUB", "general")
    fake.add_channel("CPRIV", "secret", is_private=True)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="CPUB", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"

    joined = await client.conversations_join(channel="CPUB")
    assert joined["channel"]["is_member"] is True
    assert (await client.chat_postMessage(channel="CPUB", text="hi"))["ok"]
    with pytest.raises(SlackApiError) as err:
        await client.conversations_join(channel="CPRIV")
    assert err.value.response["error"] == "method_not_supported_for_channel_type"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_join(channel="CNOPE")
    assert err.value.response["error"] == "channel_not_found"


@pytest.mark.asyncio
async def test_form_encoded_bodies_are_decoded(fake: FakeSlack) -> None:
    client = AsyncWebClient(base_url=fake.url)
    form = {"token": TOKEN, "channel": "C1", "text": "form", "blocks": json.dumps(SECTION)}
    assert (await client.api_call("chat.postMessage", data=form))["ok"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.params == {"channel": "C1", "text": "form", "blocks": SECTION}


@pytest.mark.asyncio
async def test_invalid_blocks_are_rejected_like_slack(fake: FakeSlack, client: AsyncWebClient) -> None:
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="fallback", blocks=too_long)
    assert err.value.response["error"] == "invalid_blocks"
    assert "[json-pointer:/blocks/0/text/text]" in err.value.response["errors"][0]
    assert fake.messages("C1") == []
    assert fake.calls_to("chat.postMessage")[0].ok is False


@pytest.mark.asyncio
async def test_conversations_open_is_stable_per_user_set(fake: FakeSlack, client: AsyncWebClient) -> None:
    dm = await client.conversations_open(users="U1")
    assert dm["channel"]["id"].startswith("D")
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == dm["channel"]["id"]

    group = await client.conversations_open(users=["U1", "U2", "U3"])
    reordered = await client.conversations_open(users="U3,U1,U2")
    assert group["channel"]["id"].startswith("G")
    assert reordered["channel"]["id"] == group["channel"]["id"]
    assert reordered["already_open"] is True
    assert (await client.conversations_open(users="U1,U2"))["channel"]["id"] != group["channel"]["id"]

    fake.set_user("U3", deleted=True)
    with pytest.raises(SlackApiError) as err:
        await client.conversations_open(users="U1,U3")
    assert err.value.response["error"] == "user_disabled"
    with pytest.raises(SlackApiError) as err:
        await client.conversations_open(users="UNKNOWN")
    assert err.value.response["error"] == "user_not_found"


@pytest.mark.asyncio
async def test_users_info_and_auth_test(fake: FakeSlack, client: AsyncWebClient) -> None:
    user = (await client.users_info(user="U1"))["user"]
    assert user["id"] == "U1" and user["real_name"] == "Ada Lovelace"
    assert user["tz"] == "America/Los_Angeles" and user["tz_offset"] == -28800
    assert user["profile"]["display_name"] == "ada" and user["is_bot"] is False
    assert (await client.users_info(user="U2"))["user"]["tz_offset"] == -18000

    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="UNOPE")
    assert err.value.response["error"] == "user_not_found"

    auth = await client.auth_test()
    assert auth["user_id"] == "UBOT" and auth["team_id"] == "T0001"


@pytest.mark.asyncio
async def test_auth_and_unknown_method(fake: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=fake.url)
    with pytest.raises(SlackApiError) as err:
        await anonymous.auth_test()
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        await AsyncWebClient(token=TOKEN, base_url=fake.url).api_call("chat.nope")
    assert err.value.response["error"] == "unknown_method"


@pytest.mark.asyncio
async def test_views_publish_open_and_update(fake: FakeSlack, client: AsyncWebClient) -> None:
    published = await client.views_publish(user_id="U1", view=HOME)
    assert published["view"]["id"].startswith("V")
    assert fake.home_of("U1")["blocks"] == SECTION and fake.home_of("U2") is None

    with pytest.raises(SlackApiError) as err:
        await client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}] * 101})
    assert err.value.response["error"] == "invalid_arguments"
    assert err.value.response["response_metadata"]["messages"][0].startswith("[ERROR]")

    opened = await client.views_open(trigger_id="1.2.abc", view=MODAL)
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="1.2.abc", view=MODAL)
    assert err.value.response["error"] == "exchanged_trigger_id"
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id="1.2.def", view=long_title)
    assert "/view/title/text" in err.value.response["response_metadata"]["messages"][0]

    updated = await client.views_update(view_id=opened["view"]["id"], view={**MODAL, "callback_id": "v2"})
    assert updated["view"]["id"] == opened["view"]["id"] and updated["view"]["callback_id"] == "v2"


@pytest.mark.asyncio
async def test_files_upload_v2_round_trip(fake: FakeSlack, client: AsyncWebClient) -> None:
    content = b"name,partner\nada,grace\n" * 100
    result = await client.files_upload_v2(channel="C1", filename="pairs.csv", title="Pairs",
                                          content=content, initial_comment="This month's pairs")
    assert result["file"]["name"] == "pairs.csv" and result["file"]["size"] == len(content)

    (uploaded,) = fake.uploaded_files
    assert uploaded.filename == "pairs.csv" and uploaded.title == "Pairs"
    assert uploaded.content == content and uploaded.channel_id == "C1"
    assert fake.messages("C1")[0]["text"] == "This month's pairs"
    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


@pytest.mark.asyncio
async def test_upload_url_accepts_multipart(fake: FakeSlack, client: AsyncWebClient) -> None:
    ticket = await client.files_getUploadURLExternal(filename="notes.txt", length=5)
    form = aiohttp.FormData()
    form.add_field("file", b"hello", filename="notes.txt")
    async with aiohttp.ClientSession() as session, session.post(ticket["upload_url"], data=form) as resp:
        assert resp.status == 200 and await resp.text() == "OK - 5"
    done = await client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Notes"}])
    assert done["files"][0]["title"] == "Notes"
    assert fake.uploaded_files[0].content == b"hello" and fake.uploaded_files[0].channel_id is None


# ---------------------------------------------------------------------- faults & rate limits
@pytest.mark.asyncio
async def test_429_is_retried_by_slack_sdk_and_stored_once(fake: FakeSlack) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=fake.url, retry_handlers=[AsyncRateLimitErrorRetryHandler()])
    fake.fail_next("chat.postMessage", status=429, retry_after=1)

    started = time.monotonic()
    result = await client.chat_postMessage(channel="C1", text="hello")

    assert result["ok"] and time.monotonic() - started >= 1
    assert [(c.status, c.ok) for c in fake.calls_to("chat.postMessage")] == [(429, False), (200, True)]
    assert fake.calls[0].response == {"ok": False, "error": "ratelimited"}
    assert len(fake.messages("C1")) == 1 and fake.ratelimited_count == 1


@pytest.mark.asyncio
async def test_500_is_retried_by_server_error_handler(fake: FakeSlack) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=fake.url, retry_handlers=[AsyncServerErrorRetryHandler()])
    fake.fail_next("users.info", status=500)
    assert (await client.users_info(user="U1"))["user"]["id"] == "U1"
    assert [c.status for c in fake.calls] == [500, 200]

    fake.fail_next("users.info", status=503, count=2)
    with pytest.raises(SlackApiError):
        await client.users_info(user="U1")
    assert [c.status for c in fake.calls[2:]] == [503, 503]


@pytest.mark.asyncio
async def test_error_next_and_delay(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.error_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "channel_not_found"
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]

    slow = AsyncWebClient(token=TOKEN, base_url=fake.url, timeout=1)
    fake.delay("chat.postMessage", 1.5)
    with pytest.raises(asyncio.TimeoutError):
        await slow.chat_postMessage(channel="C1", text="slow")
    # Like Slack, the request is still processed after the client gave up.
    calls = await fake.wait_for("chat.postMessage", count=2, predicate=lambda c: c.params["text"] != "")
    assert calls[-1].params["text"] == "slow"


@pytest.mark.asyncio
async def test_rate_limits_per_channel() -> None:
    async with FakeSlack(rate_limits=True) as fake:
        client = AsyncWebClient(token=TOKEN, base_url=fake.url)
        statuses = []
        for i in range(6):
            try:
                await client.chat_postMessage(channel="C1", text=str(i))
                statuses.append(200)
            except SlackApiError as err:
                statuses.append(err.response.status_code)
                assert int(err.response.headers["Retry-After"]) >= 1
        assert statuses[0] == 200 and 429 in statuses
        assert fake.ratelimited_count == statuses.count(429)
        assert (await client.chat_postMessage(channel="C2", text="other channel"))["ok"]

        for i in range(50):
            fake.add_user(f"UR{i}")
            await client.conversations_open(users=f"UR{i}")
        with pytest.raises(SlackApiError) as err:
            await client.conversations_open(users="UR0")
        assert err.value.response.status_code == 429
        # Tier 3: 50/minute refills a token every 1.2 s, so "2" when the 50 calls took under 0.2 s,
        # "1" on a loaded machine where part of a token had refilled meanwhile.
        assert err.value.response.headers["Retry-After"] in ("1", "2")


@pytest.mark.asyncio
async def test_wait_for_waits_and_reports_on_timeout(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0.1)
        await client.chat_postMessage(channel="C1", text="later")

    task = asyncio.create_task(post_later())
    calls = await fake.wait_for("chat.postMessage", timeout=2)
    await task
    assert calls[0].params["text"] == "later"

    with pytest.raises(AssertionError, match=r"chat.postMessage \[200 ok\]"):
        await fake.wait_for("views.publish", timeout=0.2)
    fake.reset_calls()
    assert fake.calls == []


@pytest.mark.asyncio
async def test_response_url_records_json_posts(fake: FakeSlack) -> None:
    webhook = AsyncWebhookClient(fake.response_url("cmd-1"))
    response = await webhook.send(text="Only you can see this", response_type="ephemeral")
    assert response.status_code == 200
    (call,) = fake.calls_to("response_url")
    assert call.key == "cmd-1" and call.params["text"] == "Only you can see this"


# ---------------------------------------------------------------------- signed requests
@pytest_asyncio.fixture
async def echo_url() -> AsyncIterator[tuple[str, list[tuple[dict, bytes]]]]:
    """An HTTP server that keeps (headers, body) of each request it receives."""
    seen: list[tuple[dict, bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", seen
    await runner.cleanup()


@pytest.mark.asyncio
async def test_signatures_are_accepted_by_slack_sdk_verifier(echo_url: tuple) -> None:
    url, seen = echo_url
    requests = SlackRequests(url, SECRET)
    await requests.slash_command("U1", "join python")
    await requests.block_action("U1", "met", "pair-1")
    await requests.view_submission("U1", "signup", {"goal": {"value": {"type": "plain_text_input", "value": "x"}}})
    await requests.block_suggestion("U1", "team", "eng")
    await requests.event({"type": "app_home_opened", "user": "U1", "tab": "home"}, retry_num=1)
    await requests.url_verification("challenge-abc")

    verifier, wrong = SignatureVerifier(SECRET), SignatureVerifier("not-the-secret")
    for headers, body in seen:
        assert verifier.is_valid_request(body, headers), headers
        assert not wrong.is_valid_request(body, headers)

    command = parse_qs(seen[0][1].decode())
    assert command["command"] == ["/tandem"] and command["text"] == ["join python"]
    action = json.loads(parse_qs(seen[1][1].decode())["payload"][0])
    submission = json.loads(parse_qs(seen[2][1].decode())["payload"][0])
    assert action["trigger_id"] != submission["trigger_id"]
    assert action["actions"][0]["value"] == "pair-1"
    assert submission["view"]["state"]["values"]["goal"]["value"]["value"] == "x"
    assert seen[4][0]["X-Slack-Retry-Num"] == "1" and seen[4][0]["X-Slack-Retry-Reason"] == "http_timeout"
    assert json.loads(seen[4][1])["type"] == "event_callback"


@pytest.mark.asyncio
async def test_raw_post_can_send_stale_or_forged_requests(echo_url: tuple) -> None:
    url, seen = echo_url
    requests = SlackRequests(url, SECRET)
    stale = int(time.time()) - 600
    await requests.post(b"{}", "application/json", timestamp=stale)
    await requests.post(b"{}", "application/json", signature="v0=" + "0" * 64)
    verifier = SignatureVerifier(SECRET)
    assert seen[0][0]["X-Slack-Signature"] == compute_signature(SECRET, stale, b"{}")
    assert not verifier.is_valid_request(seen[0][1], seen[0][0])  # too old
    assert not verifier.is_valid_request(seen[1][1], seen[1][0])  # forged


@pytest.mark.asyncio
async def test_bolt_app_end_to_end(fake: FakeSlack) -> None:
    """A real Bolt AsyncApp, driven by SlackRequests, talking to FakeSlack."""
    bolt = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=fake.url), signing_secret=SECRET)

    @bolt.command("/tandem")
    async def tandem(ack, respond, client, command) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await respond(f"Got: {command['text']}")
        await client.chat_postMessage(channel=command["user_id"], text="Welcome!")

    runner = web.AppRunner(bolt.web_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        requests = SlackRequests(url, SECRET, response_url_for=fake.response_url)
        status, _, _ = await requests.slash_command("U1", "hello")
        assert status == 200
        (reply,) = await fake.wait_for("response_url")
        assert reply.params["text"] == "Got: hello"
        (dm,) = await fake.wait_for("chat.postMessage")
        assert dm.response["channel"].startswith("D")

        forged = SlackRequests(url, "wrong-secret")
        status, _, _ = await forged.slash_command("U1", "hello")
        assert status == 401
        status, _, body = await requests.url_verification("xyz")
        assert status == 200 and body == {"challenge": "xyz"}
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_client_session_is_not_required(fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token=TOKEN, base_url=fake.url, session=session)
        assert (await client.chat_postMessage(channel="U1", text="dm by user id"))["channel"].startswith("D")


@pytest.mark.asyncio
async def test_trigger_ids_expire_after_three_seconds(fake: FakeSlack, client: AsyncWebClient) -> None:
    """As in Slack: a views.open more than 3 s after the interaction answers expired_trigger_id."""
    import time

    from devtools.slack_requests import SlackRequests

    requests = SlackRequests("http://127.0.0.1:9/slack/events", "secret")
    fresh = requests.new_trigger_id()
    assert (await client.views_open(trigger_id=fresh, view=MODAL))["ok"]
    stale = f"7.{int((time.time() - 3.5) * 1000)}.abc"
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id=stale, view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"
    with pytest.raises(SlackApiError) as err:
        await client.views_push(trigger_id=f"8.{int((time.time() - 3.5) * 1000)}.abc", view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"
