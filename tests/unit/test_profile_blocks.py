"""Whatever people type, the profile modal, home tab and messages are valid Block Kit."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import ids
from bot.blocks.announce import announcement_message, invitation_message
from bot.blocks.home import home_view, status_blocks
from bot.blocks.members import forget_confirm_message, leave_confirm_message, pairing_ended_message
from bot.blocks.profile import confirmation_message, loading_modal, profile_modal, skill_options
from devtools.blockkit import validate_blocks, validate_view
from bot.home import HomeData, PairingInfo
from bot.models import Skill
from bot.profiles import MAX_CAREER_GOALS, MAX_DEPARTMENT, ProfileData, SkillRef, parse_submission

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
HOSTILE = st.one_of(
    st.text(max_size=6000),
    st.sampled_from(["<!channel>", "<@U123>", "&amp; < > &", "🙂" * 3000, "مرحبا" * 1200, "\u202e" * 10, "x" * 5000]),
)
names = st.lists(HOSTILE.map(lambda t: t[:80] or "x"), max_size=10)
settings.register_profile("blocks", max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("blocks")


def profiles() -> st.SearchStrategy[ProfileData]:
    return st.builds(
        ProfileData,
        offered=names.map(lambda ns: [SkillRef(i, n) for i, n in enumerate(ns)]),
        wanted=names.map(lambda ns: [SkillRef(i + 100, n) for i, n in enumerate(ns)]),
        experience=st.one_of(st.none(), st.integers(0, 5)),
        department=st.one_of(st.none(), HOSTILE.map(lambda t: t[:MAX_DEPARTMENT])),
        career_goals=st.one_of(st.none(), HOSTILE.map(lambda t: t[:MAX_CAREER_GOALS])),
        session_format=st.sampled_from(["turns", "brainstorm"]),
        blocked_user_ids=st.lists(st.sampled_from(["U1", "U2", "U3"]), unique=True),
    )


@given(profiles(), st.booleans())
def test_profile_modal_is_valid_for_any_stored_profile(profile: ProfileData, joining: bool) -> None:
    assert validate_view(profile_modal(profile, joining=joining)) == []


@given(profiles(), st.booleans())
def test_confirmation_dm_is_valid_and_never_pings(profile: ProfileData, joined: bool) -> None:
    msg = confirmation_message(profile, NOW, joined_now=joined)
    assert validate_blocks(msg["blocks"], "message") == []
    assert "<!channel>" not in str(msg["blocks"]) and len(msg["text"]) <= 3000


@given(profiles(), st.sampled_from(["none", "invited", "active", "paused", "left"]), st.booleans(),
       st.one_of(st.none(), st.integers(1, 6)))
def test_home_and_status_are_valid(profile: ProfileData, status: str, admin: bool, sequence: int | None) -> None:
    pairing = None if sequence is None else PairingInfo(
        pairing_id=1, partner_user_ids=["U2"], format="turns", sessions_planned=6,
        next_session_sequence=sequence, next_session_due=NOW, next_mentee_user_id="U1" if sequence % 2 else "U2")
    data = HomeData(user_id="U1", now=NOW, is_admin=admin, status=status, profile=profile, pairing=pairing,
                    paused_until=NOW, next_round_at=NOW)
    assert validate_view(home_view(data)) == []
    assert validate_blocks(status_blocks(data)["blocks"], "message") == []


@given(HOSTILE)
def test_skill_options_are_valid_for_any_typed_text(typed: str) -> None:
    found = [Skill(id=1, key="python", name="Python")]
    options = skill_options(found, typed, exact=False)
    element = {"type": "static_select", "action_id": "a", "options": options}
    assert validate_blocks([{"type": "actions", "elements": [element]}], "message") == []


def _state(text: str, other: str, *, exp: str | None = "2") -> dict:
    def value(t: str) -> dict:
        return {"type": "plain_text_input", "value": t}
    return {
        ids.NEW_OFFERS[0]: {ids.NEW_OFFERS[1]: value(text)},
        ids.NEW_WANTS[0]: {ids.NEW_WANTS[1]: value(other)},
        ids.DEPARTMENT[0]: {ids.DEPARTMENT[1]: value(text)},
        ids.CAREER_GOALS[0]: {ids.CAREER_GOALS[1]: value(other)},
        ids.EXPERIENCE[0]: {ids.EXPERIENCE[1]: {"selected_option": {"value": exp} if exp else None}},
        ids.OFFERS[0]: {ids.OFFERS[1]: {"selected_options": [{"value": text[:150]}]}},
    }


@given(HOSTILE, HOSTILE, st.one_of(st.none(), st.text(max_size=3)))
def test_any_submission_is_accepted_within_limits_or_refused_with_field_errors(text: str, other: str, exp: str | None) -> None:
    submission, errors = parse_submission(_state(text, other, exp=exp), user_id="U1")
    assert (submission is None) == bool(errors)
    known = {ids.OFFERS[0], ids.WANTS[0], ids.NEW_OFFERS[0], ids.NEW_WANTS[0], ids.DEPARTMENT[0],
             ids.CAREER_GOALS[0], ids.EXPERIENCE[0], ids.SESSION_FORMAT[0], ids.DONT_PAIR[0]}
    assert set(errors) <= known and all(0 < len(m) <= 150 for m in errors.values())
    if submission is not None:
        assert 1 <= len(submission.offers) <= 8 and 1 <= len(submission.wants) <= 8
        assert len(submission.department or "") <= MAX_DEPARTMENT
        assert len(submission.career_goals or "") <= MAX_CAREER_GOALS


def test_fixed_messages_are_valid() -> None:
    for msg in (announcement_message(), invitation_message("C1"), leave_confirm_message(),
                forget_confirm_message(), pairing_ended_message(NOW), pairing_ended_message(None)):
        assert validate_blocks(msg["blocks"], "message") == []
    assert validate_view(loading_modal()) == []
