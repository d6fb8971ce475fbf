"""A pairing's sessions: the plan, the mentee rotation and the prompts run_due sends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member, Pairing, Session

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 28}
KICKOFF_AFTER = dt.timedelta(days=3)


async def plan_sessions(session: AsyncSession, pairing: Pairing, members: list[Member], now: dt.datetime) -> list[Session]:
    """Plan every session: 1 is the kick-off (goals, how you'll work), then the mentee
    role rotates A, B, A, B… (in a trio A, B, C, A…)."""
    step = dt.timedelta(days=CADENCE_DAYS[pairing.cadence])
    first = now + KICKOFF_AFTER
    planned = [
        Session(
            pairing_id=pairing.id,
            sequence=n,
            mentee_member_id=None if n == 1 else members[(n - 2) % len(members)].id,
            due_at=first + step * (n - 1),
            format=pairing.format,
            state="planned",
        )
        for n in range(1, pairing.sessions_planned + 1)
    ]
    session.add_all(planned)
    await session.flush()
    return planned
