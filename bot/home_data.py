"""The plain values the App Home is built from: gathered by `bot.home`, rendered by
`bot.blocks.home` (this module sits below both, so neither imports the other's layer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.blocks.programs import ProgramRef
from bot.journey import Journey
from bot.profiles import ProfileData
from bot.stats import AdminOverview

JOINED_STATUSES = ("active", "paused")


@dataclass(frozen=True)
class PairingInfo:
    """The person's current pairing and its next planned session."""

    pairing_id: int
    partner_user_ids: list[str]
    format: str
    sessions_planned: int
    conversation_id: str | None = None
    next_session_id: int | None = None
    next_session_sequence: int | None = None
    next_session_due: dt.datetime | None = None
    next_mentee_user_id: str | None = None  # None: kick-off, brainstorm or unknown
    circle: bool = False  # a circle (its program's format): "Circle" and "Facilitator" in App Home


@dataclass(frozen=True)
class ProgramLine:
    """One of several programs the person is in: their status there and their pairing in it."""

    program: ProgramRef
    status: str  # a membership status: active, paused
    paused_until: dt.datetime | None = None
    next_round_at: dt.datetime | None = None
    pairing: PairingInfo | None = None


@dataclass(frozen=True)
class HomeData:
    user_id: str
    now: dt.datetime
    is_admin: bool
    status: str  # a Member status, or "none" when Tandem has no row for the person
    member_id: int | None = None
    paused_until: dt.datetime | None = None
    priority: bool = False
    next_round_at: dt.datetime | None = None
    profile: ProfileData | None = None
    pairing: PairingInfo | None = None
    workspace_id: int | None = None
    admin: AdminOverview | None = None  # program figures and settings, admins only
    journey: Journey | None = None  # goals, next steps, past pairings (bot.journey)
    feedback_due: list[tuple[int, int]] = field(default_factory=list)  # (session id, sequence), bot.feedback
    extras: dict[str, object] = field(default_factory=dict)
    # Several programs in the workspace: the person's (one line each) and, for admins, the
    # ones they run. Empty with a single program, whose home is as it always was.
    programs: tuple[ProgramLine, ...] = ()
    admin_programs: tuple[tuple[ProgramRef, AdminOverview], ...] = ()

    @property
    def joined(self) -> bool:
        return self.status in JOINED_STATUSES
