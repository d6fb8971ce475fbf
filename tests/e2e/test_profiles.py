"""The profile modal end to end: opening it, type-ahead, validation, submitting, App Home."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import ids, skills
from devtools.blockkit import validate_view
from bot.models import Member, MemberBlock, MemberSkill, OutboxMessage, Program, Skill
from tests.conftest import T0, RunningApp
from tests.e2e.helpers import block, join, member_row, open_modal, skills_of, submit_profile


async def test_join_opens_the_profile_modal_with_offer_and_want_inputs(app: RunningApp) -> None:
    app.slack.add_user("U1", name="bea")
    view = await open_modal(app, "U1")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert any("offer" in label for label in labels) and any("want" in label for label in labels)
    assert block(view, ids.OFFERS[0])["element"]["type"] == "multi_external_select"
    assert block(view, ids.DONT_PAIR[0])["element"]["type"] == "multi_users_select"
    assert "15+" in block(view, ids.EXPERIENCE[0])["hint"]["text"]
    assert view["submit"]["text"] == "Join"


async def test_type_ahead_offers_catalog_skills_and_adding_a_new_one(app: RunningApp) -> None:
    status, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "pyt", block_id=ids.OFFERS[0])
    assert status == 200
    texts = [o["text"]["text"] for o in body["options"]]
    assert "Python" in texts
    assert any("Add" in t and "pyt" in t for t in texts)
    # The starter catalog was seeded on first use.
    async with app.deps.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Skill)) > 20

    _, _, body = await app.requests.block_suggestion("U1", ids.WANTS[1], "python", block_id=ids.WANTS[0])
    assert [o["text"]["text"] for o in body["options"]] == ["Python"]  # exact: nothing to add

    _, _, body = await app.requests.block_suggestion("U1", ids.WANTS[1], "Pyhton", block_id=ids.WANTS[0])
    assert [o["text"]["text"] for o in body["options"]] == ["Python"]  # a typo finds the existing skill

    _, _, body = await app.requests.block_suggestion("U1", ids.WANTS[1], "Quantum knitting", block_id=ids.WANTS[0])
    [added] = body["options"]
    assert added["value"] == "new:Quantum knitting"


async def test_submitting_opts_in_stores_profile_and_confirms_by_dm(app: RunningApp) -> None:
    app.slack.add_user("U1", name="bea", tz="Europe/Berlin")
    app.slack.add_user("U2", name="cy")
    _, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "python", block_id=ids.OFFERS[0])
    python_value = body["options"][0]["value"]
    status, body = await submit_profile(
        app, "U1", offers=[python_value, "new:Quantum knitting"], new_offers="PYTHON , k8s",
        wants=["new:Pyhton"], new_wants="ML; public speaking", experience="3", department="Payments",
        goals="Lead a team", fmt="brainstorm", dont_pair=["U2", "U1"],
    )
    assert status == 200 and not body
    [dm] = await app.slack.wait_for("chat.postMessage")
    text = json.dumps(dm.params["blocks"])
    assert "Quantum knitting" in text and "Kubernetes" in text and "Machine learning" in text
    assert "Next round" in text
    await app.slack.wait_for("views.publish")  # after the DM was marked sent

    member = await member_row(app, "U1")
    assert member is not None and member.status == "active" and member.joined_at == T0
    assert (member.experience, member.department, member.career_goals, member.session_format) == (
        3, "Payments", "Lead a team", "brainstorm")
    assert member.tz == "Europe/Berlin"
    assert await skills_of(app, "U1") == {
        "offer": {"Python", "Quantum knitting", "Kubernetes"},
        "want": {"Python", "Machine learning", "Public speaking"},
    }
    async with app.deps.sessionmaker() as session:
        blocked = list(await session.scalars(select(MemberBlock.blocked_user_id)))
        program = await session.scalar(select(Program))
        outbox = list(await session.scalars(select(OutboxMessage)))
    assert blocked == ["U2"]  # never yourself
    assert program.next_round_at is not None and program.next_round_at > T0
    assert [o.state for o in outbox] == ["sent"]
    home = app.slack.home_of("U1")
    assert "opted in" in json.dumps(home["blocks"])


async def test_reopening_the_modal_shows_what_was_given_before(app: RunningApp) -> None:
    app.slack.add_user("U1")
    await join(app, "U1", offers="Python, Rust", wants="Go", department="Payments & <Risk>", goals="Grow",
               experience="4", fmt="brainstorm", dont_pair=["U9"])
    view = await open_modal(app, "U1", "profile")
    offers = block(view, ids.OFFERS[0])["element"]["initial_options"]
    assert sorted(o["text"]["text"] for o in offers) == ["Python", "Rust"]
    assert [o["text"]["text"] for o in block(view, ids.WANTS[0])["element"]["initial_options"]] == ["Go"]
    assert block(view, ids.EXPERIENCE[0])["element"]["initial_option"]["value"] == "4"
    assert block(view, ids.DEPARTMENT[0])["element"]["initial_value"] == "Payments & <Risk>"
    assert block(view, ids.CAREER_GOALS[0])["element"]["initial_value"] == "Grow"
    assert block(view, ids.SESSION_FORMAT[0])["element"]["initial_option"]["value"] == "brainstorm"
    assert block(view, ids.DONT_PAIR[0])["element"]["initial_users"] == ["U9"]
    assert view["submit"]["text"] == "Save"

    # Saving again with the initial options keeps the same skills (values are catalog ids).
    kept = [o["value"] for o in offers]
    status, body = await submit_profile(app, "U1", offers=kept, new_wants="Go")
    assert status == 200 and not body
    await app.slack.wait_for("chat.postMessage", 2)
    assert await skills_of(app, "U1") == {"offer": {"Python", "Rust"}, "want": {"Go"}}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"new_wants": "Go"}, ids.OFFERS[0]),
        ({"new_offers": "Go"}, ids.WANTS[0]),
        ({"new_offers": ", ;  ,", "new_wants": "Go"}, ids.OFFERS[0]),
        ({"new_offers": ",".join(f"Skill {c}" for c in "ABCDEFGHI"), "new_wants": "Go"}, ids.NEW_OFFERS[0]),
        ({"new_offers": "Go", "wants": [f"new:Skill {c}" for c in "ABCDEFGHI"]}, ids.WANTS[0]),
        ({"new_offers": "Go", "new_wants": "x" * 61}, ids.NEW_WANTS[0]),
        ({"new_offers": "Go", "new_wants": "Rust", "department": "d" * 101}, ids.DEPARTMENT[0]),
        ({"new_offers": "Go", "new_wants": "Rust", "goals": "g" * 5000}, ids.CAREER_GOALS[0]),
        ({"new_offers": "Go", "new_wants": "Rust", "experience": None}, ids.EXPERIENCE[0]),
        ({"new_offers": "Go", "new_wants": "Rust", "experience": "9"}, ids.EXPERIENCE[0]),
        ({"new_offers": "Go", "new_wants": "Rust", "fmt": "chaos"}, ids.SESSION_FORMAT[0]),
    ],
)
async def test_invalid_submission_returns_field_errors_and_stores_nothing(
    app: RunningApp, values: dict[str, Any], field: str
) -> None:
    status, body = await submit_profile(app, "U1", **values)
    assert status == 200
    assert body["response_action"] == "errors"
    assert field in body["errors"] and body["errors"][field]
    assert await member_row(app, "U1") is None
    assert app.slack.calls_to("chat.postMessage") == []


async def test_hostile_text_never_breaks_block_kit(app: RunningApp) -> None:
    """5,000 characters, Slack's control characters, a channel ping, emoji and RTL text."""
    app.slack.add_user("U1")
    nasty = "<!channel> & <@U2> <https://evil|click> :boom: 🙂 مرحبا بالعالم שלום"
    await join(app, "U1", offers=f"{nasty[:50]}, Python", wants="Go", department=nasty[:100], goals=nasty)
    [dm] = app.slack.calls_to("chat.postMessage")
    rendered = json.dumps(dm.params["blocks"], ensure_ascii=False)
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    home = app.slack.home_of("U1")
    assert validate_view({"type": "home", "blocks": home["blocks"]}) == []
    assert "<!channel>" not in json.dumps(home["blocks"], ensure_ascii=False)
    view = await open_modal(app, "U1", "profile")
    assert block(view, ids.CAREER_GOALS[0])["element"]["initial_value"] == nasty

    # 5,000 characters into every text field: field errors, never invalid Block Kit.
    status, body = await submit_profile(app, "U1", new_offers="a" * 5000, new_wants="b" * 5000,
                                        department="c" * 5000, goals="<" * 5000)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) >= {ids.NEW_OFFERS[0], ids.NEW_WANTS[0], ids.DEPARTMENT[0], ids.CAREER_GOALS[0]}
    _, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "<!here>" * 700, block_id=ids.OFFERS[0])
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in body["options"])
    assert not [c for c in app.slack.calls if not c.ok], app.slack.summary()


async def test_app_home_before_and_after_joining(app: RunningApp) -> None:
    app.slack.add_user("U1")
    await app.requests.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    await app.slack.wait_for("views.publish")
    before = json.dumps(app.slack.home_of("U1")["blocks"])
    assert "not joined" in before and ids.JOIN in before and "Peer mentoring" in before
    assert ids.EDIT_PROFILE not in before

    await join(app, "U1", offers="Python", wants="Rust", department="Design")
    after = json.dumps(app.slack.home_of("U1")["blocks"])
    assert "opted in" in after and "Python" in after and "Rust" in after and "Design" in after
    assert ids.EDIT_PROFILE in after and ids.PAUSE in after and ids.LEAVE_CONFIRM in after
    assert "No partner right now" in after


async def test_home_buttons_open_the_modal_and_pause_and_resume(app: RunningApp) -> None:
    app.slack.add_user("U1")
    await join(app, "U1")
    home_view = {"id": "VHOME", "type": "home", "blocks": []}
    await app.requests.block_action("U1", ids.EDIT_PROFILE, "home", view=home_view)
    await app.slack.wait_for("views.update")

    publishes = len(app.slack.calls_to("views.publish"))
    await app.requests.block_action("U1", ids.PAUSE, "4", view=home_view)
    await app.slack.wait_for("views.publish", publishes + 1)
    assert "paused" in json.dumps(app.slack.home_of("U1")["blocks"])
    member = await member_row(app, "U1")
    assert member.status == "paused" and (member.paused_until - T0).days == 28

    await app.requests.block_action("U1", ids.RESUME, "home", view=home_view)
    await app.slack.wait_for("views.publish", publishes + 2)
    assert (await member_row(app, "U1")).status == "active"


async def test_type_ahead_answers_while_another_transaction_holds_the_write_lock(app: RunningApp, on_postgres) -> None:
    """Options loads only read, from the in-memory catalog index: a long write elsewhere
    (a round being stored) does not hold up anyone's keystrokes."""
    import asyncio
    import time

    from sqlalchemy import text

    if on_postgres:
        pytest.skip("SQLite's single writer is what a write per keystroke waited on")
    _, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "pyt", block_id=ids.OFFERS[0])
    assert "Python" in [o["text"]["text"] for o in body["options"]]
    async with app.deps.engine.connect() as conn:
        await conn.execute(text("UPDATE workspaces SET name = 'busy'"))  # BEGIN IMMEDIATE: the write lock
        started = time.perf_counter()
        _, _, body = await asyncio.wait_for(
            app.requests.block_suggestion("U2", ids.OFFERS[1], "pyt", block_id=ids.OFFERS[0]), 10)
        elapsed = time.perf_counter() - started
        await conn.rollback()
    assert "Python" in [o["text"]["text"] for o in body["options"]]
    assert elapsed < 1.0


async def test_a_skill_added_by_a_profile_shows_in_type_ahead(app: RunningApp) -> None:
    """The index is refreshed when the catalog changes."""
    from bot.workspaces import ensure_workspace

    _, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "knit", block_id=ids.OFFERS[0])
    assert [o["value"] for o in body["options"]] == ["new:knit"]
    async with app.deps.sessionmaker.begin() as session:
        ws = await ensure_workspace(session, "T0001", T0)
        resolved = skills.resolve("Knitting", await skills.catalog_of(session, ws.id))
        await skills.get_or_create(session, ws.id, resolved, T0)
    _, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], "knit", block_id=ids.OFFERS[0])
    assert "Knitting" in [o["text"]["text"] for o in body["options"]]


async def test_new_skills_are_added_in_one_order_whatever_order_they_were_typed(app: RunningApp) -> None:
    """Two people adding the same new skills in opposite order lock them in the same order
    (key order), so their saves cannot deadlock each other."""
    app.slack.add_user("U1")
    await join(app, "U1", offers="Zither, Accordion", wants="Yodelling, Banjo")
    async with app.deps.sessionmaker() as session:
        added = list(await session.scalars(
            select(Skill.key).where(Skill.key.in_(["zither", "accordion", "yodelling", "banjo"])).order_by(Skill.id)))
    assert added == sorted(added)


async def test_a_save_that_fails_after_the_ack_is_retried_then_told_by_dm(app: RunningApp, monkeypatch) -> None:
    """The modal closed on the ack: a deadlocked save is retried; one that still fails is
    not silent, the person hears by DM that it was not stored."""
    from sqlalchemy.exc import OperationalError

    from bot import profiles

    real = profiles.save_profile
    failures = {"left": 1}

    async def deadlocking(*args, **kwargs):  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("INSERT INTO skills", {}, Exception("deadlock detected"))
        return await real(*args, **kwargs)

    monkeypatch.setattr("handlers.views.save_profile", deadlocking)
    app.slack.add_user("U1")
    await join(app, "U1")  # retried: stored and confirmed
    assert (await member_row(app, "U1")).status == "active"

    failures["left"] = 100
    app.slack.add_user("U2")
    before = len(app.slack.calls_to("chat.postMessage"))
    status, body = await submit_profile(app, "U2", new_offers="Python", new_wants="Go")
    [dm] = (await app.slack.wait_for("chat.postMessage", before + 1))[before:]
    assert "not saved" in dm.params["text"].lower()
    assert await member_row(app, "U2") is None or (await member_row(app, "U2")).status != "active"
