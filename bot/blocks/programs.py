"""Messages about several programs: "which program?", the workspace roll-up, the heads-up
before a round."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.common import actions, button, context, message, section, user_text, when

PICK_LIMIT = 40  # programs listed (a message holds 50 blocks)


@dataclass(frozen=True)
class ProgramRef:
    id: int
    name: str
    channel_id: str | None = None


def program_label(program: ProgramRef) -> str:
    """The program's name and channel, for messages (escaped)."""
    where = f" (<#{program.channel_id}>)" if program.channel_id else ""
    return f"*{user_text(program.name, 80)}*{where}"


def pick_program_message(command_text: str, programs: list[ProgramRef], *, rollup: bool = False) -> dict[str, Any]:
    """Ephemeral: the command could mean several programs, so the person picks one (nothing
    is done to all of them silently)."""
    text = f"`/tandem {command_text}`: which program do you mean?"
    # One button per block: an action id may appear once in a block, and every button here
    # is the one PICK_PROGRAM action (its value says which program).
    picks = [section(program_label(p), accessory=button(p.name[:75], ids.PICK_PROGRAM, f"{p.id}|{command_text}"),
                     block_id=f"pick_program_{p.id}") for p in programs[:PICK_LIMIT]]
    if rollup:
        picks.append(section("*All programs* at a glance",
                             accessory=button("All programs", ids.PICK_PROGRAM, f"all|{command_text}"),
                             block_id="pick_program_all"))
    return message(text, [section(text), *picks,
                          context("Typed in a program's channel, a command means that program.")])


@dataclass(frozen=True)
class RollupLine:
    program: ProgramRef
    members: int  # opted in or paused
    active_pairings: int
    rounds: int
    sessions_met: int
    sessions_held: int  # met + skipped + silent


def rollup_message(lines: list[RollupLine], *, min_group: int) -> dict[str, Any]:
    """Workspace admins: every program at a glance (counts under `min_group` people are withheld)."""
    def count(n: int) -> str:
        return str(n) if n >= min_group or n == 0 else f"fewer than {min_group}"

    rows = []
    for line in lines:
        rate = (f"{round(100 * line.sessions_met / line.sessions_held)}% of sessions met"
                if line.sessions_held >= min_group else "meeting rate withheld (few sessions)")
        rows.append(f"{program_label(line.program)}: {count(line.members)} members, "
                    f"{line.active_pairings} active pairings, {line.rounds} rounds, {rate}")
    text = "*All programs*\n" + ("\n".join(rows) if rows else "No programs yet.")
    return message("Tandem: all programs", [section(text)])


def headsup_message(program: ProgramRef, due: dt.datetime, stamp: str) -> dict[str, Any]:
    """The DM before a round: skip it, or pause, before being matched."""
    text = (f":wave: Heads-up from {program_label(program)}: you'll be matched {when(due)} (the next round). "
            "Busy? Skip just this round, or pause for a few weeks.")
    return message("You'll be matched in Tandem's next round.", [
        section(text),
        actions(button("Skip this round", ids.HEADSUP_SKIP, f"{program.id}:{stamp}"),
                button("Pause 4 weeks", ids.HEADSUP_PAUSE, str(program.id)), block_id="headsup_buttons"),
    ])


def skipped_text(program: ProgramRef, due: dt.datetime) -> str:
    return (f":ok_hand: You'll sit out the round of {when(due)} in {program_label(program)}; "
            "you're in the one after as usual.")


def circle_invitation(*, program_id: int, skill: str, offers: bool) -> dict[str, Any]:
    """A DM inviting someone to a suggested circle (issue 15 item 8): it names the skill,
    never the other people; nothing happens until they press Join."""
    name = user_text(skill, 80)
    why = (f"You offer *{name}*, and several colleagues want to learn it. Would you join them in a small "
           f"circle?" if offers else
           f"You want to learn *{name}*, and a colleague who offers it is being invited too. Would you join "
           f"a small circle to learn it together?")
    return message(f"You're invited to a Tandem circle on {skill[:80]}.", [
        section(f":busts_in_silhouette: {why} A circle is 3 to 6 people who meet regularly; each session one "
                f"of you facilitates and brings the topic."),
        actions(button("Join", ids.JOIN, str(program_id), style="primary"), block_id="circle_invite_join"),
        context("You're not enrolled unless you press Join. You can leave any time."),
    ])
