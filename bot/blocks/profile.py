"""The profile modal, its type-ahead options, and the confirmation DM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.common import (
    OPTION_TEXT_MAX, Block, cap, message, modal, option, plain, section,
)
from bot.blocks.common import skill_list, when
from bot.localtime import DAY_NAMES
from bot.models import Skill
from bot.blocks.programs import ProgramRef
from bot.profiles import (
    EXPERIENCE_LEVELS, FORMAT_LABELS, MAX_BLOCKED, MAX_CAREER_GOALS, MAX_DEPARTMENT,
    MAX_OTHER_SKILLS_TEXT, MAX_SKILLS, PICK_EDIT_META, PICK_META, PROGRAM_META, ProfileData, SkillRef,
    option_value_for_new, option_value_for_skill,
)
from bot.skills import MAX_SKILL_NAME, clean_name

EXPERIENCE_HINT = (
    "Years of professional experience: " + ", ".join(EXPERIENCE_LEVELS).lower()
    + ". Tandem pairs peers at a similar stage, so this only needs to be roughly right."
)
MAX_OPTIONS = 100
MAX_PROGRAM_CHOICES = 10  # checkboxes take at most 10 options


@dataclass(frozen=True)
class ProgramChoices:
    """Several programs and no single one meant: the modal lists them to tick."""

    programs: list[ProgramRef]
    ticked: frozenset[int] = frozenset()  # the ones the person is in already


def loading_modal() -> dict[str, Any]:
    """Opened at once with the trigger id; replaced by the real modal when the data is read."""
    return modal("Your Tandem profile", [section(":hourglass_flowing_sand: Loading your profile…")],
                 callback_id=ids.PROFILE_LOADING_VIEW, close="Close")


def _skill_option(skill: SkillRef) -> Block:
    return option(skill.name, option_value_for_skill(skill.id))


def _input(pair: tuple[str, str], label: str, element: Block, *, hint: str | None = None,
           optional: bool = False) -> Block:
    block_id, action_id = pair
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                    "element": {**element, "action_id": action_id}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _skills_select(placeholder: str, chosen: list[SkillRef]) -> Block:
    element: Block = {"type": "multi_external_select", "placeholder": plain(placeholder, 150),
                      "min_query_length": 0, "max_selected_items": MAX_SKILLS}
    if chosen:
        element["initial_options"] = [_skill_option(s) for s in chosen[:MAX_SKILLS]]
    return element


def _text_input(placeholder: str, max_length: int, initial: str | None = None, *, multiline: bool = False) -> Block:
    element: Block = {"type": "plain_text_input", "placeholder": plain(placeholder, 150),
                      "max_length": max_length, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def profile_modal(
    profile: ProfileData | None, *, joining: bool, program_id: int | None = None,
    choices: ProgramChoices | None = None,
) -> dict[str, Any]:
    """The profile modal, filled with what the person gave before (if anything). It joins
    `program_id` (private metadata), or, given several `choices`, the ones ticked."""
    p = profile or ProfileData()
    experience_options = [option(label, str(i)) for i, label in enumerate(EXPERIENCE_LEVELS)]
    experience: Block = {"type": "static_select", "placeholder": plain("Choose", 150), "options": experience_options}
    if p.experience is not None and 0 <= p.experience < len(EXPERIENCE_LEVELS):
        experience["initial_option"] = experience_options[p.experience]
    format_options = [{"text": plain(label, 75), "value": key} for key, label in FORMAT_LABELS.items()]
    session_format: Block = {"type": "radio_buttons", "options": format_options,
                             "initial_option": next((o for o in format_options if o["value"] == p.session_format),
                                                    format_options[0])}
    dont_pair: Block = {"type": "multi_users_select", "placeholder": plain("Choose people", 150),
                        "max_selected_items": MAX_BLOCKED}
    if p.blocked_user_ids:
        dont_pair["initial_users"] = p.blocked_user_ids[:MAX_BLOCKED]
    day_options = [option(name, str(i)) for i, name in enumerate(DAY_NAMES)]
    work_days: Block = {"type": "checkboxes", "options": day_options,
                        "initial_options": [o for i, o in enumerate(day_options) if i in p.work_days]}
    blocks: list[Block] = [
        section("Tell us what you can *offer* (teach) and what you *want* to learn. Tandem pairs you "
                "with a peer so each of you teaches the other."),
        _input(ids.OFFERS, "Skills you can offer (teach)", _skills_select("Type to search or add", p.offered),
               hint=f"Up to {MAX_SKILLS}. Type a skill; if it's not in the list, choose “➕ Add”.", optional=True),
        _input(ids.NEW_OFFERS, "Other skills you can offer",
               _text_input("Comma-separated, e.g. Negotiation, Rust", MAX_OTHER_SKILLS_TEXT), optional=True),
        _input(ids.WANTS, "Skills you want to learn", _skills_select("Type to search or add", p.wanted),
               hint=f"Up to {MAX_SKILLS}.", optional=True),
        _input(ids.NEW_WANTS, "Other skills you want to learn",
               _text_input("Comma-separated, e.g. Public speaking", MAX_OTHER_SKILLS_TEXT), optional=True),
        _input(ids.EXPERIENCE, "Experience", experience, hint=EXPERIENCE_HINT),
        _input(ids.DEPARTMENT, "Department or team",
               _text_input("e.g. Payments engineering", MAX_DEPARTMENT, p.department), optional=True,
               hint="Tandem prefers partners from another part of the organisation."),
        _input(ids.CAREER_GOALS, "Career goals",
               _text_input("Where would you like to be in a year or two?", MAX_CAREER_GOALS, p.career_goals,
                           multiline=True), optional=True),
        _input(ids.SESSION_FORMAT, "Preferred session format", session_format),
        _input(ids.WORK_DAYS, "Days you work", work_days,
               hint="Tandem sends no prompts or reminders on your other days."),
        _input(ids.DONT_PAIR, "Don't pair me with", dont_pair, optional=True,
               hint="Optional and private: these people are never told."),
    ]
    metadata = f"{PROGRAM_META}{program_id}" if program_id is not None else ""
    if choices is not None and len(choices.programs) > 1:
        listed = choices.programs[:MAX_PROGRAM_CHOICES]
        options = [option(p.name, str(p.id)) for p in listed]
        element: Block = {"type": "checkboxes", "options": options}
        ticked = [o for p, o in zip(listed, options) if p.id in choices.ticked]
        if ticked:
            element["initial_options"] = ticked
        blocks.insert(1, _input(ids.PROFILE_PROGRAMS, "Programs to join", element, optional=bool(choices.ticked),
                                hint="Your profile serves every program; each has its own rounds. "
                                     "Leave or pause one with `/tandem leave` or `pause` in its channel."))
        metadata = PICK_EDIT_META if choices.ticked else PICK_META
        joining = joining or not choices.ticked
    return modal("Your Tandem profile", blocks, callback_id=ids.PROFILE_VIEW,
                 submit="Join" if joining else "Save", private_metadata=metadata)


def skill_options(found: list[Skill], typed: str, *, exact: bool) -> list[Block]:
    """Type-ahead options: catalog matches, plus “➕ Add …” for a name that is not there yet."""
    options = [option(s.name, option_value_for_skill(s.id)) for s in found[:MAX_OPTIONS - 1]]
    name = clean_name(typed)
    if name and not exact and len(typed.strip()) <= MAX_SKILL_NAME:
        label = cap(f"➕ Add “{name}”", OPTION_TEXT_MAX)
        options.append(option(label, option_value_for_new(name)))
    return options


def confirmation_message(profile: ProfileData, next_round_at: dt.datetime | None, *, joined_now: bool) -> dict[str, Any]:
    """The DM after a successful submit: what they offer and want, and when the next round is."""
    opening = ":tada: You're in! Welcome to Tandem." if joined_now else ":white_check_mark: Your Tandem profile is saved."
    text = (
        f"{opening}\n*You offer:* {skill_list(profile.offers)}\n*You want to learn:* {skill_list(profile.wants)}\n"
        f"*Next round:* {when(next_round_at)}. You'll get a message introducing your partner then."
    )
    return message("Your Tandem profile is saved." if not joined_now else "You're in Tandem!", [section(text)])
