"""The `/tandem` grammar: text in, a `Command` out. Pure, so it is fuzzed in tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.slacktext import decode

PAUSE_DEFAULT_WEEKS = 4
PAUSE_MAX_WEEKS = 12
MAX_ARG_CHARS = 3000

MEMBER_COMMANDS = (
    "help", "join", "profile", "status", "goals", "ask", "experts",
    "pause", "resume", "leave", "forget-me",
)
ADMIN_COMMANDS = (
    "admin", "admin announce", "admin match", "admin match preview", "admin stats", "admin export",
)

_CHANNEL_REF = re.compile(r"^<#([CG][A-Z0-9]{2,30})(?:\|([^>]*))?>$|^([CG][A-Z0-9]{2,30})$")


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed `/tandem` invocation. `problem` is set when the text did not fit."""

    name: str
    arg: str = ""
    weeks: int | None = None
    channel_id: str | None = None
    problem: str | None = None
    channel_name: str = field(default="", compare=False)  # from "<#C…|name>": a new program's name

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin")

    @property
    def text(self) -> str:
        """The command again as text (a verb and its number of weeks), to re-run it once the
        person picked a program."""
        return f"pause {self.weeks}" if self.name == "pause" and self.weeks else self.name


def parse(text: str | None) -> Command:
    """Parse the text after `/tandem`. Anything not understood becomes help."""
    words = (text or "").strip().split(maxsplit=1)
    if not words:
        return Command("help")
    head = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if head in ("help", "join", "profile", "status", "goals", "resume", "leave", "forget-me") and not rest:
        return Command(head)
    # Free text is decoded from Slack's escaping here, once (bot.slacktext); output escapes once.
    if head == "ask":
        asked = decode(rest).strip()
        return Command("ask", arg=asked[:MAX_ARG_CHARS]) if asked else _help("Tell me what to ask: `/tandem ask <text>`.")
    if head == "experts":
        skill = decode(rest).strip()
        return Command("experts", arg=skill[:100]) if skill else _help("Name a skill: `/tandem experts <skill>`.")
    if head == "pause":
        return _parse_pause(rest)
    if head == "admin":
        return _parse_admin(rest)
    return _help(f"I don't know `{_snippet(decode(text or ''))}`." if head != "help" else None)


def _parse_pause(rest: str) -> Command:
    if not rest:
        return Command("pause", weeks=PAUSE_DEFAULT_WEEKS)
    if rest.isdecimal() and 1 <= int(rest) <= PAUSE_MAX_WEEKS:
        return Command("pause", weeks=int(rest))
    return _help(f"Pause takes a number of weeks from 1 to {PAUSE_MAX_WEEKS}, e.g. `/tandem pause 2`.")


def _parse_admin(rest: str) -> Command:
    words = rest.split()
    lowered = [w.lower() for w in words]
    if not words:
        return Command("admin")
    if lowered[0] == "announce":
        if len(words) == 2 and (m := _CHANNEL_REF.match(words[1])):
            # arg: the channel's name when Slack escaped the mention with it (a new program's name)
            return Command("admin announce", channel_id=m.group(1) or m.group(3), channel_name=(m.group(2) or "")[:80])
        return _help("Name the channel: `/tandem admin announce #channel`.", admin=True)
    if lowered == ["match"]:
        return Command("admin match")
    if lowered == ["match", "preview"]:
        return Command("admin match preview")
    if lowered == ["stats"]:
        return Command("admin stats")
    if lowered == ["export"]:
        return Command("admin export")
    return _help(f"I don't know `admin {_snippet(rest)}`.", admin=True)


def _help(problem: str | None, *, admin: bool = False) -> Command:
    return Command("help", arg="admin" if admin else "", problem=problem)


def _snippet(text: str) -> str:
    """A short, backtick-safe echo of what the person typed."""
    return text.strip().replace("`", "'")[:60]
