"""The profile modal end to end: opening it, type-ahead, validation, submitting, App Home."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.devtools.blockkit import validate_view
from bot.models import Member, MemberBlock, MemberSkill, OutboxMessage, Program, Skill
from tests.conftest import T0, RunningApp


def profile_values(
    *, offers: list[str] = (), wants: list[str] = (), new_offers: str = "", new_wants: str = "",  # type: ignore[assignment]
    experience: str | None = "2", department: str = "", goals: str = "", fmt: str = "turns",
    dont_pair: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The `view.state.values` Slack sends for the profile modal (option values as given)."""

    def options(values: list[str]) -> list[dict[str, Any]]:
        return [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]

    return {
        ids.OFFERS[0]: {ids.OFFERS[1]: {"type": "multi_external_select", "selected_options": options(offers)}},
        ids.NEW_OFFERS[0]: {ids.NEW_OFFERS[1]: {"type": "plain_text_input", "value": new_offers or None}},
        ids.WANTS[0]: {ids.WANTS[1]: {"type": "multi_external_select", "selected_options": options(wants)}},
        ids.NEW_WANTS[0]: {ids.NEW_WANTS[1]: {"type": "plain_text_input", "value": new_wants or None}},
        ids.EXPERIENCE[0]: {ids.EXPERIENCE[1]: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": experience} if experience else None}},
        ids.DEPARTMENT[0]: {ids.DEPARTMENT[1]: {"type": "plain_text_input", "value": department or None}},
        ids.CAREER_GOALS[0]: {ids.CAREER_GOALS[1]: {"type": "plain_text_input", "value": goals or None}},
        ids.SESSION_FORMAT[0]: {ids.SESSION_FORMAT[1]: {
            "type": "radio_buttons", "selected_option": {"text": {"type": "plain_text", "text": fmt}, "value": fmt}}},
        ids.DONT_PAIR[0]: {ids.DONT_PAIR[1]: {"type": "multi_users_select", "selected_users": list(dont_pair)}},
    }


async def submit_profile(app: RunningApp, user_id: str, **values: Any) -> tuple[int, Any]:
    status, _, body = await app.requests.view_submission(user_id, ids.PROFILE_VIEW, profile_values(**values))
    return status, body


async def join(app: RunningApp, user_id: str, *, offers: str = "Python", wants: str = "Go", **values: Any) -> None:
    """Opt a person in through the modal and wait for their confirmation DM."""
    def mine(call: Any) -> bool:
        return call.params.get("user_id") == user_id

    before = len(app.slack.calls_to("chat.postMessage"))
    homes = len([c for c in app.slack.calls_to("views.publish") if c.ok and mine(c)])
    status, body = await submit_profile(app, user_id, new_offers=offers, new_wants=wants, **values)
    assert status == 200 and not body, body
    await app.slack.wait_for("chat.postMessage", before + 1)
    await app.slack.wait_for("views.publish", homes + 1, predicate=mine)


async def member_row(app: RunningApp, user_id: str) -> Member | None:
    async with app.deps.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.slack_user_id == user_id))


async def skills_of(app: RunningApp, user_id: str) -> dict[str, set[str]]:
    async with app.deps.sessionmaker() as session:
        rows = (await session.execute(
            select(MemberSkill.kind, Skill.name).join(Skill).join(Member).where(Member.slack_user_id == user_id)
        )).all()
    out: dict[str, set[str]] = {"offer": set(), "want": set()}
    for kind, name in rows:
        out[kind].add(name)
    return out


async def open_modal(app: RunningApp, user_id: str, text: str = "join") -> dict[str, Any]:
    """/tandem join|profile → the loading modal at once, then the filled modal; returns it."""
    before = len(app.slack.calls_to("views.update"))
    status, _, body = await app.requests.slash_command(user_id, text)
    assert status == 200 and app.requests.last_elapsed < 3
    opened = await app.slack.wait_for("views.open")
    assert opened[-1].params["view"]["callback_id"] == ids.PROFILE_LOADING_VIEW
    updated = await app.slack.wait_for("views.update", before + 1)
    view = app.slack.view(updated[-1].params["view_id"])
    assert view is not None and view["callback_id"] == ids.PROFILE_VIEW
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


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
