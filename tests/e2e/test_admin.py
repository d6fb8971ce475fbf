"""Program admin through Slack: the settings modal, figures with a chart, the CSV
export, the admin section of App Home — and nothing at all for a non-admin."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json

from sqlalchemy import select

from bot import ids
from bot.models import Program
from bot.program_settings import settings_of
from bot.round_schedule import next_round_at
from tests.conftest import ADMIN_ID, RunningApp
from tests.integration.test_stats import PAIRINGS, PRIVATE_TEXTS, seed_history
from tests.integration.test_stats_chart import assert_sensible_png
from tests.integration.test_stats_export import assert_matches_database
from tests.unit.test_stats_blocks import modal_state

BOB = "UBOB"  # an ordinary member of the workspace


async def _program(app: RunningApp) -> Program:
    async with app.deps.sessionmaker() as session:
        program = await session.scalar(select(Program))
        assert program is not None
        return program


async def _open_settings(app: RunningApp) -> dict:
    """/tandem admin → a loading modal at once, then the settings form in its place; returns the form."""
    before = len([c for c in app.slack.calls_to("views.update") if c.ok])
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin")
    assert status == 200
    opened = await app.slack.wait_for("views.open")
    assert opened[-1].params["view"]["callback_id"] == ids.LOADING_VIEW
    updated = await app.slack.wait_for("views.update", before + 1, predicate=lambda c: c.ok)
    return updated[-1].params["view"]


def _dm_of(app: RunningApp, user_id: str) -> str:
    opens = [c for c in app.slack.calls_to("conversations.open") if c.ok and c.params.get("users") == user_id]
    assert opens, app.slack.summary()
    return opens[-1].response["channel"]["id"]


# --- settings ----------------------------------------------------------------------------------------

async def test_admin_command_opens_the_settings_modal_filled_in(app: RunningApp) -> None:
    view = await _open_settings(app)
    assert view["callback_id"] == ids.SETTINGS_VIEW
    program = await _program(app)
    state = modal_state(view)
    assert state[ids.SETTINGS_TIMEZONE[0]][ids.SETTINGS_TIMEZONE[1]]["value"] == program.timezone
    labels = str(view["blocks"])
    for words in ("Every two weeks", "Skill exchange", "Across departments", "Joins a pair as a trio"):
        assert words in labels


async def test_settings_round_trip_with_field_errors_then_saved(app: RunningApp) -> None:
    app.slack.add_channel("C0PROG", "peer-mentoring")
    view = await _open_settings(app)
    before = await _program(app)

    bad = modal_state(view, **{ids.SETTINGS_TIMEZONE[0]: "Atlantis/Central", ids.SETTINGS_SESSIONS[0]: "30",
                               ids.SETTINGS_CADENCE[0]: "weekly"})
    status, _, body = await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, bad)
    assert status == 200 and body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.SETTINGS_TIMEZONE[0], ids.SETTINGS_SESSIONS[0]}
    assert "IANA" in body["errors"][ids.SETTINGS_TIMEZONE[0]]
    assert "2 to 24" in body["errors"][ids.SETTINGS_SESSIONS[0]]
    assert settings_of(await _program(app)) == settings_of(before)  # nothing stored

    good = modal_state(view, **{
        ids.SETTINGS_CHANNEL[0]: "C0PROG", ids.SETTINGS_CADENCE[0]: "weekly", ids.SETTINGS_WEEKDAY[0]: "2",
        ids.SETTINGS_HOUR[0]: "14", ids.SETTINGS_TIMEZONE[0]: "Asia/Tokyo", ids.SETTINGS_SESSIONS[0]: "8",
        ids.SETTINGS_ODD[0]: "wait", ids.SETTINGS_EMPHASIS[0]: "timezones", ids.SETTINGS_MIN_GROUP[0]: "3",
        ids.SETTINGS_LEAD_HOURS[0]: "24", ids.SETTINGS_REPEAT[0]: "6", ids.SETTINGS_FORMAT[0]: "brainstorm",
        ids.SETTINGS_REPEAT_DAYS[0]: "90",
    })
    status, text, _ = await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, good)
    assert status == 200 and text == ""  # the modal closes
    after = await _program(app)
    assert settings_of(after) == dataclasses.replace(
        settings_of(before), channel_id="C0PROG", cadence="weekly", round_weekday=2, round_hour=14,
        timezone="Asia/Tokyo", sessions_per_pairing=8, odd_policy="wait", emphasis="timezones",
        min_group_size=3, session_lead_hours=24, repeat_window_rounds=6, default_format="brainstorm",
        repeat_window_days=90,
    )
    # The next round moved to the new schedule: a Wednesday, 14:00 in Tokyo.
    assert after.next_round_at == next_round_at(after, app.clock.now)
    assert after.next_round_at.weekday() == 2 and after.next_round_at.hour == 5  # 14:00 JST is 05:00 UTC
    # Tandem joins the new channel and the admin's home shows the new settings.
    await app.slack.wait_for("conversations.join", predicate=lambda c: c.params.get("channel") == "C0PROG")
    await app.slack.wait_for("views.publish", predicate=lambda c: "Asia/Tokyo" in json.dumps(c.params))
    # Reopened, the modal shows what was saved.
    reopened = await _open_settings(app)
    assert modal_state(reopened)[ids.SETTINGS_TIMEZONE[0]][ids.SETTINGS_TIMEZONE[1]]["value"] == "Asia/Tokyo"


async def test_saving_without_schedule_changes_keeps_the_next_round(app: RunningApp) -> None:
    view = await _open_settings(app)
    first = modal_state(view, **{ids.SETTINGS_CADENCE[0]: "monthly"})
    await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, first)
    due = (await _program(app)).next_round_at
    assert due is not None
    app.clock.advance(days=3)
    second = modal_state(view, **{ids.SETTINGS_CADENCE[0]: "monthly", ids.SETTINGS_MIN_GROUP[0]: "7"})
    await app.requests.view_submission(ADMIN_ID, ids.SETTINGS_VIEW, second)
    program = await _program(app)
    assert program.min_group_size == 7 and program.next_round_at == due


# --- figures, chart, export --------------------------------------------------------------------------------

async def test_admin_stats_answers_with_figures_and_uploads_a_png_chart(app: RunningApp) -> None:
    await seed_history(app.deps, min_group_size=1)
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin stats")
    assert status == 200
    answer = await app.slack.wait_for("response_url", predicate=lambda c: "active peer" in json.dumps(c.params))
    rendered = json.dumps(answer[0].params)
    assert "80%" in rendered and "(4 of 5)" in rendered  # the headline
    assert "67% (6 of 9 due)" in rendered and "Public speaking" in rendered
    for secret in PRIVATE_TEXTS:
        assert secret not in rendered

    await app.slack.wait_for("files.completeUploadExternal", timeout=20)
    assert [c.method for c in app.slack.calls if c.method.startswith(("files.", "upload"))] == [
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    (chart,) = app.slack.uploaded_files
    assert chart.filename.endswith(".png") and chart.channel_id == _dm_of(app, ADMIN_ID)
    assert_sensible_png(chart.content)


async def test_a_failed_chart_upload_is_reported_to_the_admin(app: RunningApp) -> None:
    await seed_history(app.deps, min_group_size=1)
    app.slack.error_next("files.completeUploadExternal", "not_in_channel")
    await app.requests.slash_command(ADMIN_ID, "admin stats")
    await app.slack.wait_for("response_url", predicate=lambda c: "couldn't upload" in json.dumps(c.params),
                             timeout=20)
    assert app.slack.uploaded_files == []


async def test_admin_export_sends_a_csv_matching_the_database(app: RunningApp) -> None:
    await seed_history(app.deps, min_group_size=1)
    status, _, _ = await app.requests.slash_command(ADMIN_ID, "admin export")
    assert status == 200
    await app.slack.wait_for("files.completeUploadExternal", timeout=10)
    (upload,) = app.slack.uploaded_files
    assert upload.filename.endswith(".csv") and upload.channel_id == _dm_of(app, ADMIN_ID)
    text = upload.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == sum(len(p.sessions) for p in PAIRINGS)
    await assert_matches_database(app.deps, rows)
    for secret in PRIVATE_TEXTS:
        assert secret not in text
    await app.slack.wait_for("response_url", predicate=lambda c: "CSV" in json.dumps(c.params))


# --- App Home ------------------------------------------------------------------------------------------------

async def test_admin_home_shows_figures_and_its_buttons_work(app: RunningApp) -> None:
    await seed_history(app.deps, min_group_size=1)
    await app.requests.event({"type": "app_home_opened", "user": ADMIN_ID, "channel": "D0ADMIN", "tab": "home"})
    await app.slack.wait_for("views.publish")
    home = app.slack.home_of(ADMIN_ID)
    assert home is not None
    text = json.dumps(home["blocks"])
    assert "Program (admins only)" in text and "(4 of 5)" in text
    for action_id in (ids.OPEN_SETTINGS, ids.ADMIN_SEND_CHART, ids.ADMIN_SEND_EXPORT):
        assert action_id in text

    await app.requests.block_action(ADMIN_ID, ids.OPEN_SETTINGS, view=home)
    shown = await app.slack.wait_for("views.update")  # in place of the loading modal
    assert shown[0].params["view"]["callback_id"] == ids.SETTINGS_VIEW

    await app.requests.block_action(ADMIN_ID, ids.ADMIN_SEND_CHART, view=home)
    await app.slack.wait_for("files.completeUploadExternal", timeout=20)
    await app.requests.block_action(ADMIN_ID, ids.ADMIN_SEND_EXPORT, view=home)
    await app.slack.wait_for("files.completeUploadExternal", count=2, timeout=10)
    names = sorted(f.filename.rsplit(".", 1)[1] for f in app.slack.uploaded_files)
    assert names == ["csv", "png"]
    assert_sensible_png(next(f.content for f in app.slack.uploaded_files if f.filename.endswith(".png")))


async def test_members_home_has_no_admin_section(app: RunningApp) -> None:
    app.slack.add_user(BOB)
    await seed_history(app.deps, min_group_size=1)
    await app.requests.event({"type": "app_home_opened", "user": BOB, "channel": "D0BOB", "tab": "home"})
    await app.slack.wait_for("views.publish")
    text = json.dumps(app.slack.home_of(BOB))
    assert "admins only" not in text and ids.OPEN_SETTINGS not in text


# --- non-admins ---------------------------------------------------------------------------------------------------

async def _nothing_more_happens(app: RunningApp) -> None:
    """Let any background work after the ack finish, then check nothing admin-like was done."""
    await app.slack.wait_for("users.info", predicate=lambda c: c.params.get("user") == BOB)
    await asyncio.sleep(0.5)
    done = {c.method for c in app.slack.calls if c.ok}
    assert not done & {"views.open", "files.getUploadURLExternal", "files.completeUploadExternal",
                       "conversations.open", "conversations.join"}, app.slack.summary()
    assert app.slack.uploaded_files == []


async def test_non_admin_commands_are_refused_and_change_nothing(app: RunningApp) -> None:
    app.slack.add_user(BOB)
    await seed_history(app.deps, min_group_size=1)
    for text in ("admin", "admin stats", "admin export"):
        status, body, _ = await app.requests.slash_command(BOB, text)
        assert status == 200 and "only program admins" in body
    await _nothing_more_happens(app)


async def test_non_admin_button_clicks_do_nothing(app: RunningApp) -> None:
    app.slack.add_user(BOB)
    await seed_history(app.deps, min_group_size=1)
    fake_home = {"type": "home", "blocks": [], "id": "VFAKEHOME"}
    for action_id in (ids.OPEN_SETTINGS, ids.ADMIN_SEND_CHART, ids.ADMIN_SEND_EXPORT):
        status, _, _ = await app.requests.block_action(BOB, action_id, view=fake_home)
        assert status == 200
    await _nothing_more_happens(app)


async def test_forged_settings_submission_from_a_non_admin_changes_nothing(app: RunningApp) -> None:
    app.slack.add_user(BOB)
    view = await _open_settings(app)  # the admin's modal, as a template for the forgery
    before = await _program(app)
    forged = modal_state(view, **{ids.SETTINGS_MIN_GROUP[0]: "1", ids.SETTINGS_CADENCE[0]: "weekly",
                                  ids.SETTINGS_CHANNEL[0]: "C0EVIL"})
    status, _, body = await app.requests.view_submission(BOB, ids.SETTINGS_VIEW, forged)
    assert status == 200 and body["response_action"] == "errors"
    assert "only program admins" in json.dumps(body["errors"])
    after = await _program(app)
    assert settings_of(after) == settings_of(before) and after.next_round_at == before.next_round_at
    assert after.updated_at == before.updated_at
    assert not app.slack.calls_to("conversations.join")
