"""The shortcuts (issue 15, item 10), through signed requests: "Ask my peer" posts to the
partner; "Bring to my session" puts a message's link on the next session's agenda, shown to
the pair with that session's prompt."""

from __future__ import annotations

import json

from bot import ids
from tests.conftest import RunningApp
from tests.e2e.helpers import opened_views, seed_pairing, sessions_of, step, text_value, texts


async def test_ask_my_peer_posts_the_question_in_the_pairs_conversation(app: RunningApp) -> None:
    _, conversation = await seed_pairing(app, [("UANA", "Europe/Berlin"), ("UBEN", "Europe/Berlin")])
    status, _, _ = await app.requests.shortcut("UANA", ids.ASK_PEER_SHORTCUT)
    assert status == 200 and app.requests.last_elapsed < 3
    await app.slack.wait_for("views.open")
    [modal] = opened_views(app, ids.ASK_PEER_VIEW)
    assert ids.ASK_PEER_PAIRING[0] not in json.dumps(modal)  # one pairing: nothing to choose

    empty = {ids.ASK_PEER_TEXT[0]: {ids.ASK_PEER_TEXT[1]: text_value("")}}
    status, _, body = await app.requests.view_submission("UANA", ids.ASK_PEER_VIEW, empty)
    assert body["response_action"] == "errors"
    asked = {ids.ASK_PEER_TEXT[0]: {ids.ASK_PEER_TEXT[1]: text_value("How do you run a retro <remotely>?")}}
    status, _, body = await app.requests.view_submission("UANA", ids.ASK_PEER_VIEW, asked)
    assert status == 200 and body["response_action"] == "update" and "Sent to <@UBEN>" in json.dumps(body)
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: c.params.get("channel") == conversation)
    [posted] = [t for t in texts(app, conversation) if "retro" in t]
    assert "&lt;remotely&gt;" in posted and "<@UANA>" in posted


async def test_ask_my_peer_without_a_partner_says_so(app: RunningApp) -> None:
    app.slack.add_user("ULONE")
    await app.requests.shortcut("ULONE", ids.ASK_PEER_SHORTCUT)
    await app.slack.wait_for("views.open")
    assert opened_views(app, ids.ASK_PEER_VIEW) == []
    assert "don't have a partner" in json.dumps(app.slack.calls_to("views.open")[-1].params)


async def test_bring_to_my_session_puts_the_link_on_the_next_sessions_agenda(app: RunningApp) -> None:
    pairing_id, conversation = await seed_pairing(app, [("UANA", "Europe/Berlin"), ("UBEN", "Europe/Berlin")])
    app.slack.add_channel("C0TEAM", "team", bot_is_member=True)
    status, _, _ = await app.requests.message_shortcut("UANA", ids.BRING_SHORTCUT, channel_id="C0TEAM",
                                                       message_ts="1772442000.000100", text="SECRET-MESSAGE-TEXT")
    assert status == 200 and app.requests.last_elapsed < 3
    [answer] = await app.slack.wait_for("response_url")
    assert "Added to the agenda of session 1" in json.dumps(answer.params)
    # The same message twice is one agenda item.
    await app.requests.message_shortcut("UANA", ids.BRING_SHORTCUT, channel_id="C0TEAM",
                                        message_ts="1772442000.000100")
    await app.slack.wait_for("response_url", 2)

    first = (await sessions_of(app, pairing_id))[0]
    await step(app, first.due_at, hours=3)
    agenda = [t for t in texts(app, conversation) if "On the agenda for session 1" in t]
    assert len(agenda) == 1
    assert "https://fake.slack.test/archives/C0TEAM/p1772442000000100" in agenda[0] and "<@UANA>" in agenda[0]
    assert all("SECRET-MESSAGE-TEXT" not in json.dumps(c.params) for c in app.slack.calls)  # a link, never the text


async def test_bring_to_my_session_without_a_pairing_says_so(app: RunningApp) -> None:
    app.slack.add_user("ULONE")
    app.slack.add_channel("C0TEAM", "team", bot_is_member=True)
    await app.requests.message_shortcut("ULONE", ids.BRING_SHORTCUT, channel_id="C0TEAM", message_ts="1772442000.000200")
    [answer] = await app.slack.wait_for("response_url")
    assert "don't have a partner" in json.dumps(answer.params)
