"""Admin builders and the settings form: pure, no Slack, no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import ids
from bot.blocks.admin import admin_home_blocks, settings_modal, stats_message
from devtools.blockkit import validate_blocks, validate_view
from bot.program_settings import ProgramSettings, read_settings_form, valid_timezone
from bot.stats import AdminOverview, Figure, ProgramStats, Ratio, RoundFigures, SkillGap

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
DEFAULTS = ProgramSettings(
    channel_id="C0PROGRAM", cadence="biweekly", round_weekday=0, round_hour=10, timezone="Europe/Berlin",
    sessions_per_pairing=6, default_format="turns", odd_policy="trio", repeat_window_rounds=3,
    emphasis="balanced", min_group_size=5, session_lead_hours=48,
)


def modal_state(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The `state.values` Slack would send for a modal left at its initial values, with
    `changes` (block_id → raw value) typed in: option values, text or a conversation id."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        el = block["element"]
        kind = el["type"]
        change = changes.get(block["block_id"], ...)
        if kind == "conversations_select":
            state = {"type": kind, "selected_conversation": el.get("initial_conversation") if change is ... else change}
        elif kind in ("static_select", "radio_buttons"):
            chosen = el.get("initial_option") if change is ... else {"value": change, "text": {"type": "plain_text", "text": str(change)}}
            state = {"type": kind, "selected_option": chosen}
        else:
            state = {"type": kind, "value": el.get("initial_value") if change is ... else change}
        values[block["block_id"]] = {el["action_id"]: state}
    return values


def _stats(*, withheld: bool = False, gaps: list[SkillGap] | None = None) -> ProgramStats:
    fig = (lambda v, b: Figure(None, b)) if withheld else (lambda v, b: Figure(v, b))
    ratio = (lambda p, w, b: Ratio(None, None, b)) if withheld else (lambda p, w, b: Ratio(p, w, b))
    return ProgramStats(
        min_group_size=5, opted_in=fig(40, 60), paused=fig(5, 60), left=fig(15, 60),
        with_active_peer=ratio(30, 40, 40), pairings=fig(25, 45), meetings=ratio(60, 80, 45),
        average_rating=fig(4.25, 30), ratings=None if withheld else 70, two_way=ratio(10, 25, 45),
        cross_department=ratio(20, 25, 45), goals=ratio(12, 50, 30), turn_balance=ratio(20, 25, 20),
        skill_gaps=None if withheld else (gaps if gaps is not None else [SkillGap("Public speaking", 9, 0)]),
        skill_base=55,
        rounds=[RoundFigures(1, NOW, None if withheld else 40, None if withheld else 60,
                             None if withheld else 45)],
    )


# --- settings modal and form -------------------------------------------------------------------------

def test_settings_modal_is_valid_and_filled_with_current_settings() -> None:
    view = settings_modal(DEFAULTS)
    assert validate_view(view) == []
    assert view["callback_id"] == ids.SETTINGS_VIEW
    settings, errors = read_settings_form(modal_state(view))
    assert errors == {} and settings == DEFAULTS


def test_settings_form_reads_every_change() -> None:
    view = settings_modal(DEFAULTS)
    settings, errors = read_settings_form(modal_state(view, **{
        ids.SETTINGS_CHANNEL[0]: "C0OTHER", ids.SETTINGS_CADENCE[0]: "monthly", ids.SETTINGS_WEEKDAY[0]: "3",
        ids.SETTINGS_HOUR[0]: "16", ids.SETTINGS_TIMEZONE[0]: " america/new_york ",
        ids.SETTINGS_SESSIONS[0]: "24", ids.SETTINGS_FORMAT[0]: "brainstorm", ids.SETTINGS_ODD[0]: "wait",
        ids.SETTINGS_REPEAT[0]: "0", ids.SETTINGS_EMPHASIS[0]: "cross_department",
        ids.SETTINGS_MIN_GROUP[0]: "3", ids.SETTINGS_LEAD_HOURS[0]: "336", ids.SETTINGS_REPEAT_DAYS[0]: "365",
    }))
    assert errors == {}
    assert settings == ProgramSettings(
        channel_id="C0OTHER", cadence="monthly", round_weekday=3, round_hour=16, timezone="America/New_York",
        sessions_per_pairing=24, default_format="brainstorm", odd_policy="wait", repeat_window_rounds=0,
        emphasis="cross_department", min_group_size=3, session_lead_hours=336, repeat_window_days=365,
    )


def test_clearing_the_channel_is_allowed() -> None:
    settings, errors = read_settings_form(modal_state(settings_modal(DEFAULTS), **{ids.SETTINGS_CHANNEL[0]: None}))
    assert errors == {} and settings is not None and settings.channel_id is None


@pytest.mark.parametrize(("field", "value"), [
    (ids.SETTINGS_TIMEZONE, "Mars/Olympus_Mons"),
    (ids.SETTINGS_TIMEZONE, ""),
    (ids.SETTINGS_TIMEZONE, "../../etc/passwd"),
    (ids.SETTINGS_SESSIONS, "1"),
    (ids.SETTINGS_SESSIONS, "25"),
    (ids.SETTINGS_SESSIONS, "six"),
    (ids.SETTINGS_SESSIONS, "6.5"),
    (ids.SETTINGS_REPEAT, "-1"),
    (ids.SETTINGS_REPEAT, "53"),
    (ids.SETTINGS_REPEAT_DAYS, "-1"),
    (ids.SETTINGS_REPEAT_DAYS, "731"),
    (ids.SETTINGS_REPEAT_DAYS, "half a year"),
    (ids.SETTINGS_MIN_GROUP, "0"),
    (ids.SETTINGS_MIN_GROUP, "2"),  # k >= 3 (issue 11)
    (ids.SETTINGS_MIN_GROUP, "101"),
    (ids.SETTINGS_LEAD_HOURS, "0"),
    (ids.SETTINGS_LEAD_HOURS, "337"),
    (ids.SETTINGS_CADENCE, "daily"),
    (ids.SETTINGS_WEEKDAY, "7"),
    (ids.SETTINGS_HOUR, "24"),
    (ids.SETTINGS_FORMAT, "lecture"),
    (ids.SETTINGS_ODD, "drop"),
    (ids.SETTINGS_EMPHASIS, "0.7"),
    (ids.SETTINGS_CHANNEL, "not a channel"),
])
def test_bad_values_get_a_field_error_on_their_own_block(field: tuple[str, str], value: str) -> None:
    settings, errors = read_settings_form(modal_state(settings_modal(DEFAULTS), **{field[0]: value}))
    assert settings is None
    assert list(errors) == [field[0]] and errors[field[0]]


def test_missing_state_is_an_error_not_a_crash() -> None:
    settings, errors = read_settings_form({})
    assert settings is None and ids.SETTINGS_TIMEZONE[0] in errors and ids.SETTINGS_SESSIONS[0] in errors


def test_timezones_are_iana_names_in_their_canonical_spelling() -> None:
    assert valid_timezone("europe/berlin") == "Europe/Berlin"
    assert valid_timezone("UTC") == "UTC"
    assert valid_timezone("Berlin") is None


# --- figures ---------------------------------------------------------------------------------------------

def test_stats_message_shows_figures_and_the_headline() -> None:
    msg = stats_message(_stats())
    assert validate_blocks(msg["blocks"], "message") == []
    text = str(msg["blocks"])
    assert "*75%* of opted-in members have an active peer (30 of 40)" in text
    assert "75% (60 of 80 due)" in text and "4.2 / 5 (70 ratings)" in text
    assert "Public speaking: 9 / 0 :warning: nobody offers it" in text
    assert "75%" in msg["text"]


def test_withheld_figures_say_too_few_to_show() -> None:
    text = str(stats_message(_stats(withheld=True))["blocks"])
    assert text.count("too few to show") >= 10
    assert "40" not in text.replace("fewer than 5", "")


def test_skill_names_are_escaped() -> None:
    text = str(stats_message(_stats(gaps=[SkillGap("<!channel> & co", 2, 1)]))["blocks"])
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text


def test_admin_home_section_is_valid_and_has_the_admin_buttons() -> None:
    blocks = admin_home_blocks(AdminOverview(_stats(), DEFAULTS, NOW + dt.timedelta(days=7)), NOW)
    assert validate_blocks(blocks, "home") == []
    action_ids = [el["action_id"] for b in blocks if b["type"] == "actions" for el in b["elements"]]
    assert action_ids == [ids.OPEN_SETTINGS, ids.ADMIN_SEND_CHART, ids.ADMIN_SEND_EXPORT]
    text = str(blocks)
    assert "Every two weeks on Monday at 10:00 (Europe/Berlin); next round Mon 09 Mar 2026 10:00" in text
