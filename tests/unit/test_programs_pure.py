"""Pure parts of several programs: the profile modal's program choice, the settings fields
of a program, the heads-up's working-hours timing, the "which program?" message."""

from __future__ import annotations

import datetime as dt

from bot import ids
from bot.blocks.admin import settings_modal
from bot.blocks.profile import ProgramChoices, profile_modal
from bot.blocks.programs import ProgramRef, headsup_message, pick_program_message
from bot.headsup import next_working_time
from bot.localtime import MON_FRI, zone_of
from bot.profiles import picked_programs
from bot.program_settings import read_settings_form
from devtools.blockkit import validate_blocks, validate_view
from tests.unit.test_stats_blocks import DEFAULTS, modal_state

UTC = dt.timezone.utc


def _ticks(*values: str) -> dict:
    return {ids.PROFILE_PROGRAMS[0]: {ids.PROFILE_PROGRAMS[1]: {
        "type": "checkboxes", "selected_options": [{"value": v} for v in values]}}}


def test_the_profile_modal_names_its_program_or_lists_them() -> None:
    assert picked_programs({}, "p:7").ids == [7] and picked_programs({}, "p:7").listed
    assert picked_programs({}, "").listed is False  # a single program: the first
    assert picked_programs(_ticks("3", "9"), "pick").ids == [3, 9]
    assert picked_programs(_ticks(), "pick").problem  # joining: tick one at least
    assert picked_programs(_ticks(), "pick-edit").problem is None  # editing: fine
    assert picked_programs(_ticks("x", "99999999999999999999"), "pick").ids == []  # crafted values


def test_the_profile_modal_with_several_programs_is_valid_block_kit() -> None:
    choices = ProgramChoices([ProgramRef(1, "Engineering peers", "C1"), ProgramRef(2, "New managers", "C2")],
                             ticked=frozenset({2}))
    view = profile_modal(None, joining=False, choices=choices)
    assert validate_view(view) == [] and view["private_metadata"] == "pick-edit"
    assert ids.PROFILE_PROGRAMS[0] in str(view["blocks"])
    one = profile_modal(None, joining=True, program_id=5)
    assert one["private_metadata"] == "p:5" and ids.PROFILE_PROGRAMS[0] not in str(one["blocks"])


def test_program_fields_of_the_settings_form() -> None:
    view = settings_modal(DEFAULTS, program_id=4)
    assert validate_view(view) == [] and view["private_metadata"] == "4"
    good = modal_state(view, **{ids.SETTINGS_NAME[0]: "  New   managers ", ids.SETTINGS_CAP[0]: "2",
                                ids.SETTINGS_HEADSUP[0]: "0"})
    settings, errors = read_settings_form(good)
    assert errors == {} and settings is not None
    assert (settings.name, settings.pairing_cap, settings.headsup_hours) == ("New managers", 2, 0)
    bad = modal_state(view, **{ids.SETTINGS_NAME[0]: "", ids.SETTINGS_CAP[0]: "11", ids.SETTINGS_HEADSUP[0]: "200"})
    _, errors = read_settings_form(bad)
    assert set(errors) == {ids.SETTINGS_NAME[0], ids.SETTINGS_CAP[0], ids.SETTINGS_HEADSUP[0]}
    # A modal from before these fields changes none of them.
    old = {k: v for k, v in good.items() if k not in (ids.SETTINGS_NAME[0], ids.SETTINGS_ADMINS[0],
                                                      ids.SETTINGS_CAP[0], ids.SETTINGS_HEADSUP[0])}
    settings, errors = read_settings_form(old)
    assert errors == {} and settings is not None
    assert settings.absent == {"name", "admin_user_ids", "pairing_cap", "headsup_hours"}


def test_a_heads_up_waits_for_working_hours() -> None:
    london = zone_of("Europe/London")
    sunday_noon = dt.datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert next_working_time(sunday_noon, london, MON_FRI) == dt.datetime(2026, 3, 9, 9, tzinfo=UTC)
    monday_late = dt.datetime(2026, 3, 9, 20, tzinfo=UTC)
    assert next_working_time(monday_late, london, MON_FRI) == dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    tuesday = dt.datetime(2026, 3, 10, 11, tzinfo=UTC)
    assert next_working_time(tuesday, london, MON_FRI) == tuesday
    tokyo = zone_of("Asia/Tokyo")  # 09:00 JST is 00:00 UTC
    assert next_working_time(monday_late, tokyo, MON_FRI) == dt.datetime(2026, 3, 10, 0, tzinfo=UTC)


def test_messages_are_valid_block_kit() -> None:
    programs = [ProgramRef(1, "Engineering peers", "C1"), ProgramRef(2, "New managers <&>", None)]
    assert validate_blocks(pick_program_message("admin stats", programs, rollup=True)["blocks"], "message") == []
    headsup = headsup_message(programs[0], dt.datetime(2026, 3, 9, 10, tzinfo=UTC), "1773050400")
    assert validate_blocks(headsup["blocks"], "message") == []


def test_the_circles_format_and_size_in_the_settings_form() -> None:
    view = settings_modal(DEFAULTS, program_id=4)
    assert validate_view(view) == []
    settings, errors = read_settings_form(modal_state(view, **{ids.SETTINGS_GROUPING[0]: "circles",
                                                               ids.SETTINGS_GROUP_SIZE[0]: "5"}))
    assert errors == {} and settings is not None and (settings.grouping, settings.group_size) == ("circles", 5)
    for size in ("2", "7", "4.5", "", "four"):
        _, errors = read_settings_form(modal_state(view, **{ids.SETTINGS_GROUP_SIZE[0]: size}))
        assert errors == {ids.SETTINGS_GROUP_SIZE[0]: "Enter a circle size from 3 to 6 people."}, size
    _, errors = read_settings_form(modal_state(view, **{ids.SETTINGS_GROUPING[0]: "trios"}))
    assert set(errors) == {ids.SETTINGS_GROUPING[0]}
    defaults, _ = read_settings_form(modal_state(view))
    assert defaults is not None and (defaults.grouping, defaults.group_size) == ("pairs", 4)
