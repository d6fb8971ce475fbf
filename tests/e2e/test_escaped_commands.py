"""Slack escapes `/tandem` text (`should_escape: true`): Tandem decodes it once on the
way in and escapes once on the way out (issue 11, item 10)."""

from __future__ import annotations

import json

from tests import factories
from tests.conftest import RunningApp
from tests.e2e.helpers import seed_pairing, texts


async def test_an_escaped_question_reaches_the_partner_escaped_once(app: RunningApp) -> None:
    pairing_id, conv = await seed_pairing(app, [("UANA", "UTC"), ("UBEN", "UTC")])
    # What Slack sends for: R&D <3 — ask @ben about @channel, @leads and a literal "<!here>"
    sent = "ask R&amp;D &lt;3 — ask <@UBEN|ben> about <!channel>, <!subteam^S0001|@leads> and &lt;!here&gt;"
    status, _, _ = await app.requests.slash_command("UANA", sent)
    assert status == 200
    await app.slack.wait_for("chat.postMessage", predicate=lambda c: "R&amp;D" in json.dumps(c.params))
    posted = [t for t in texts(app, conv) if "R&amp;D" in t]
    assert len(posted) == 1
    question = json.loads(posted[0][: posted[0].rindex("]") + 1])[0]["text"]["text"].split("\n", 1)[1]
    assert question == ">R&amp;D &lt;3 — ask <@UBEN> about @channel, @leads and &lt;!here&gt;"
    assert "&amp;amp;" not in posted[0] and "&amp;lt;" not in posted[0]
    assert "<!" not in posted[0] and "|ben" not in posted[0]


async def test_experts_finds_a_skill_with_an_ampersand(app: RunningApp) -> None:
    async with app.deps.sessionmaker.begin() as session:
        ws = await factories.workspace(session)
        await factories.member(session, ws, "UASK", offers=["Design"], wants=["R&D"], experience=1)
        await factories.member(session, ws, "USENIOR", offers=["R&D"], wants=["Go"], experience=4)
    await app.requests.slash_command("UASK", "experts R&amp;D")
    answer = (await app.slack.wait_for("response_url", predicate=lambda c: "USENIOR" in json.dumps(c.params)
                                       or "Nobody" in json.dumps(c.params)))[0]
    body = json.dumps(answer.params)
    assert "USENIOR" in body and "R&amp;D" in body and "&amp;amp;" not in body
