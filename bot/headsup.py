"""The heads-up before a round: members who would be matched get a DM with "Skip this
round" and "Pause", `Program.headsup_hours` before the round (0: none), once per member per
round, in their working hours.

A skip is stored on the membership (`skip_round_at` = the round's due time), so it holds
for that round only: `bot.rounds.load_cohort` leaves the member out of the round due at that
time and of no other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.blocks.programs import ProgramRef, headsup_message
from bot.localtime import WORK_START, in_working_hours
from bot.members import eligible_accounts
from bot.models import Member, MemberSkill, Membership, OutboxMessage, Pairing, PairingMember, Program
from bot.sessions import member_days, member_zone

KEY = "headsup"


def round_stamp(due: dt.datetime) -> str:
    return str(int(due.timestamp()))


def headsup_key(program_id: int, due: dt.datetime, member_id: int) -> str:
    return f"{KEY}:{program_id}:{round_stamp(due)}:{member_id}"


def next_working_time(moment: dt.datetime, zone: dt.tzinfo, days: frozenset[int]) -> dt.datetime:
    """`moment` if it is in the person's working hours, else the start of their next working
    hours (09:00 local on their next working day)."""
    if in_working_hours(moment, zone, days):
        return moment
    local = moment.astimezone(zone)
    day = local.date() if local.hour < WORK_START else local.date() + dt.timedelta(days=1)
    for _ in range(8):
        start = dt.datetime.combine(day, dt.time(WORK_START), tzinfo=zone)
        if day.weekday() in (days or range(5)) and start.astimezone(dt.timezone.utc) >= moment:
            return start.astimezone(dt.timezone.utc)
        day += dt.timedelta(days=1)
    return moment  # nobody works no day at all; don't hold the message forever


async def send_headsups(session: AsyncSession, program: Program, now: dt.datetime) -> int:
    """A `run_due` job: queue the heads-up for everyone the coming round would match who has
    not had it, timed for their working hours before the round (none when no working hour
    is left before it). Returns how many were queued.

    One read a tick inside the window, of only the people still to tell (`_still_to_tell`):
    the first tick reads the cohort, every later one those who joined, came back or became
    free since, plus the few whose working hours are over before the round."""
    due = program.next_round_at
    if not program.headsup_hours or due is None or not due - dt.timedelta(hours=program.headsup_hours) <= now < due:
        return 0
    prefix = f"{KEY}:{program.id}:{round_stamp(due)}:"
    messages = []
    for row in await _still_to_tell(session, program, due, prefix):
        when = next_working_time(now, member_zone(row), member_days(row))
        if when >= due:
            continue  # no working hour left before the round: no message at night
        messages.append({"key": prefix + str(row.id), "member_id": row.id, "slack_id": row.slack_user_id,
                         "not_before": when})
    ref = ProgramRef(program.id, program.name, program.channel_id)
    for m in messages:
        await outbox.enqueue(session, workspace_id=program.workspace_id, key=m["key"], now=now,
                             users=[m["slack_id"]], member_id=m["member_id"], not_before=m["not_before"],
                             payload=headsup_message(ref, due, round_stamp(due)))
    return len(messages)


async def _still_to_tell(session: AsyncSession, program: Program, due: dt.datetime, prefix: str) -> list[Any]:
    """The members the round due at `due` would take (`bot.rounds.load_cohort`'s rule: active
    in the program, reachable, free, under the cap, not skipping it, offering and wanting a
    skill) whose heads-up is not queued yet (its key is looked up in the outbox's unique
    index, in the same query), as plain rows with what the timing needs."""
    live = (Pairing.state.in_(("active", "paused")), PairingMember.left_at.is_(None))
    busy = select(PairingMember.member_id).join(Pairing).where(Pairing.program_id == program.id, *live)
    limits = []
    if program.pairing_cap:
        at_cap = (select(PairingMember.member_id).join(Pairing).where(*live)
                  .group_by(PairingMember.member_id).having(func.count() >= program.pairing_cap))
        limits.append(Member.id.not_in(at_cap))

    def has(kind: str) -> Any:
        return exists().where(MemberSkill.member_id == Member.id, MemberSkill.kind == kind)

    told = exists().where(
        OutboxMessage.workspace_id == program.workspace_id,
        OutboxMessage.idempotency_key == literal(prefix, String) + cast(Member.id, String),
    )
    return list(await session.execute(
        select(Member.id, Member.slack_user_id, Member.tz, Member.tz_offset, Member.work_days)
        .join(Membership, and_(Membership.member_id == Member.id, Membership.program_id == program.id))
        .where(
            Member.workspace_id == program.workspace_id,
            Membership.status == "active",
            Member.status == "active",
            Member.account_type.in_(eligible_accounts(program)),
            Member.joined_at.is_not(None),
            Member.undeliverable_at.is_(None),
            Member.id.not_in(busy),
            or_(Membership.skip_round_at.is_(None), Membership.skip_round_at != due),
            has("offer"), has("want"), ~told,
            *limits,
        )
        .order_by(Member.id)
    ))


async def skip_round(
    session: AsyncSession, program: Program, member: Member, stamp: str, now: dt.datetime,
) -> dt.datetime | None:
    """Leave the member out of the round due at `stamp` (only while it is still the next
    round); the round's time, or None when that round is no longer ahead."""
    due = program.next_round_at
    if due is None or round_stamp(due) != stamp or due <= now:
        return None
    found = await session.get(Membership, (program.id, member.id))
    if found is None or found.status != "active":
        return None
    found.skip_round_at = due
    found.updated_at = now
    return due

