"""What a person's App Home (and `/tandem status`) shows: gathered here, rendered by
`bot.blocks.home`.

`HomeData` is plain data, so the builder stays pure. Other helpers extend it by
adding fields with defaults (and filling them in `gather_home`), then a section
function in `bot/blocks/home.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admins import is_admin
from bot.deps import Deps
from bot.journey import Journey, gather_journey
from bot.models import Member, Pairing, Workspace
from bot.pairings import active_pairing_of, partners_of
from bot.profiles import ProfileData, load_profile
from bot.stats import AdminOverview, admin_overview
from bot.slack import slack_error
from bot.workspaces import ensure_workspace, program_of

log = logging.getLogger(__name__)

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
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def joined(self) -> bool:
        return self.status in JOINED_STATUSES


async def member_by_user(session: AsyncSession, workspace_id: int, user_id: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id)
    )


def pairing_info(pairing: Pairing, member_id: int) -> PairingInfo:
    """Partners and the next planned session of a loaded pairing (see active_pairing_of)."""
    planned = [s for s in pairing.sessions if s.state == "planned"]
    nxt = min(planned, key=lambda s: s.sequence) if planned else None
    mentee = None
    if nxt is not None and nxt.mentee_member_id is not None and pairing.format != "brainstorm":
        mentee = next((pm.member.slack_user_id for pm in pairing.members if pm.member_id == nxt.mentee_member_id), None)
    return PairingInfo(
        pairing_id=pairing.id,
        partner_user_ids=[m.slack_user_id for m in partners_of(pairing, member_id) if m.status != "forgotten"],
        format=pairing.format,
        sessions_planned=pairing.sessions_planned,
        conversation_id=pairing.conversation_id,
        next_session_id=nxt.id if nxt else None,
        next_session_sequence=nxt.sequence if nxt else None,
        next_session_due=nxt.due_at if nxt else None,
        next_mentee_user_id=mentee,
    )


async def gather_home(
    session: AsyncSession, workspace: Workspace, user_id: str, now: dt.datetime, is_admin: bool
) -> HomeData:
    """Everything the home tab and `/tandem status` show for one person."""
    program = await program_of(session, workspace.id)
    admin = await admin_overview(session, program, now) if is_admin else None
    member = await member_by_user(session, workspace.id, user_id)
    if member is None:
        return HomeData(user_id=user_id, now=now, is_admin=is_admin, status="none",
                        next_round_at=program.next_round_at, workspace_id=workspace.id, admin=admin)
    pairing = await active_pairing_of(session, member.id)
    return HomeData(
        user_id=user_id,
        now=now,
        is_admin=is_admin,
        status=member.status,
        member_id=member.id,
        paused_until=member.paused_until,
        priority=member.priority,
        next_round_at=program.next_round_at,
        profile=await load_profile(session, member),
        pairing=pairing_info(pairing, member.id) if pairing is not None else None,
        workspace_id=workspace.id,
        admin=admin,
        journey=await gather_journey(session, member, pairing),
    )


async def refresh_home(deps: Deps, team_id: str, user_id: str) -> None:
    """Re-publish one person's App Home. Call it after any change that affects it.

    It lives in `bot/` rather than `handlers/` because scheduled work (rounds,
    sessions in `run_due`) must refresh homes too and `bot/` never imports
    `handlers/`; like the run_due jobs it is an edge helper, so it opens its own
    short transaction and reads the clock. A Slack failure is logged, never
    raised: the home is a view of the database and the next refresh repairs it.
    """
    from bot.blocks.home import home_view

    if user_id.startswith("forgotten-"):
        return
    admin = await is_admin(deps, user_id)
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        data = await gather_home(session, workspace, user_id, now, admin)
    try:
        await deps.slack.publish_home(user_id, home_view(data))
    except SlackApiError as exc:
        log.warning("could not publish the App Home: %s", slack_error(exc))


async def refresh_homes(deps: Deps, team_id: str, user_ids: list[str]) -> None:
    for user_id in dict.fromkeys(user_ids):
        await refresh_home(deps, team_id, user_id)
