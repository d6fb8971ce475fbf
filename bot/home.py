"""What a person's App Home (and `/tandem status`) shows: gathered here, rendered by
`bot.blocks.home`.

`HomeData` (in `bot.home_data`, below both this module and the builders) is plain
data, so the builder stays pure. Other helpers extend it by adding fields with
defaults (and filling them in `gather_home`), then a section function in
`bot/blocks/home.py`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admins import is_admin
from bot.blocks.home import home_view
from bot.deps import Deps
from bot.feedback import feedback_due
from bot.home_data import JOINED_STATUSES, HomeData, PairingInfo, ProgramLine
from bot.journey import gather_journey
from bot.members import find_member
from bot.memberships import memberships_of
from bot.models import Pairing, Program, Workspace
from bot.pairings import active_pairing_of, partners_of
from bot.profiles import load_profile
from bot.programs import is_program_admin, programs_of, ref
from bot.slack import slack_error
from bot.stats import admin_overview
from bot.workspaces import ensure_workspace

log = logging.getLogger(__name__)

def pairing_info(pairing: Pairing, member_id: int, now: dt.datetime | None = None, *,
                 circle: bool = False) -> PairingInfo:
    """Partners and the next session not yet held (planned, its time still ahead, no
    check-in sent) of a loaded pairing (see active_pairing_of)."""
    planned = [s for s in pairing.sessions if s.state == "planned" and s.checkin_sent_at is None
               and (now is None or s.due_at > now)]
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
        circle=circle,
    )


async def gather_home(
    session: AsyncSession, workspace: Workspace, user_id: str, now: dt.datetime, is_admin: bool,
    *, programs: Sequence[Program] | None = None,
) -> HomeData:
    """Everything the home tab and `/tandem status` show for one person (`programs`: the
    workspace's, oldest first, when the caller has them already)."""
    programs = list(programs) if programs else await programs_of(session, workspace.id)
    program = programs[0]
    runs = [p for p in programs if is_admin or is_program_admin(p, user_id)]
    several = len(programs) > 1
    admin = await admin_overview(session, program, now) if runs and not several else None
    admin_programs = tuple([(ref(p), await admin_overview(session, p, now)) for p in runs]) if several else ()
    is_admin = is_admin or bool(runs)
    circles = {p.id for p in programs if p.grouping == "circles"}
    member = await find_member(session, workspace.id, user_id)
    if member is None:
        return HomeData(user_id=user_id, now=now, is_admin=is_admin, status="none",
                        next_round_at=program.next_round_at, workspace_id=workspace.id, admin=admin,
                        admin_programs=admin_programs)
    pairing = await active_pairing_of(session, member.id)
    lines: list[ProgramLine] = []
    if several:
        for found, theirs in await memberships_of(session, member.id):
            if found.status not in JOINED_STATUSES:
                continue
            in_it = await active_pairing_of(session, member.id, theirs.id)
            lines.append(ProgramLine(ref(theirs), found.status, found.paused_until, theirs.next_round_at,
                                     pairing_info(in_it, member.id, now, circle=theirs.id in circles)
                                     if in_it is not None else None))
    return HomeData(
        programs=tuple(lines),
        admin_programs=admin_programs,
        user_id=user_id,
        now=now,
        is_admin=is_admin,
        status=member.status,
        member_id=member.id,
        paused_until=member.paused_until,
        priority=member.priority,
        next_round_at=program.next_round_at,
        profile=await load_profile(session, member),
        pairing=pairing_info(pairing, member.id, now, circle=pairing.program_id in circles)
        if pairing is not None else None,
        workspace_id=workspace.id,
        admin=admin,
        journey=await gather_journey(session, member, pairing),
        feedback_due=await feedback_due(session, member.id, now),
    )


async def refresh_home(deps: Deps, team_id: str, user_id: str) -> None:
    """Re-publish one person's App Home. Call it after any change that affects it.

    It lives in `bot/` rather than `handlers/` because scheduled work (rounds,
    sessions in `run_due`) must refresh homes too and `bot/` never imports
    `handlers/`; like the run_due jobs it is an edge helper, so it opens its own
    short transaction and reads the clock. A Slack failure is logged, never
    raised: the home is a view of the database and the next refresh repairs it.
    """
    await refresh_homes(deps, team_id, [user_id])


async def refresh_homes(deps: Deps, team_id: str, user_ids: list[str]) -> None:
    """Re-publish these people's App Homes (see `refresh_home`): read in one short
    transaction (the workspace and its programs once, not once a person), then published."""
    users = [u for u in dict.fromkeys(user_ids) if not u.startswith("forgotten-")]
    if not users:
        return
    admin = {u: await is_admin(deps, u) for u in users}
    now = deps.clock()
    async with deps.sessionmaker.begin() as session:
        workspace = await ensure_workspace(session, team_id, now)
        programs = await programs_of(session, workspace.id)
        views = [(u, home_view(await gather_home(session, workspace, u, now, admin[u], programs=programs)))
                 for u in users]
    for user_id, view in views:
        try:
            await deps.slack.publish_home(user_id, view)
        except SlackApiError as exc:
            log.warning("could not publish the App Home: %s", slack_error(exc))
