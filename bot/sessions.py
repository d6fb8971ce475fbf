"""A pairing's sessions: the plan, the mentee rotation and the prompts run_due sends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member, Pairing, Session

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 28}
KICKOFF_AFTER = dt.timedelta(days=3)


def session_plan(
    *, cadence: str, count: int, member_ids: list[int], fmt: str, start: dt.datetime
) -> list[dict]:
    """Column values of every planned session (pure; the rounds' bulk insert uses it too).

    1 is the kick-off (goals, how you'll work); then the mentee role rotates
    A, B, A, B… (in a trio A, B, C, A…)."""
    step = dt.timedelta(days=CADENCE_DAYS[cadence])
    first = start + KICKOFF_AFTER
    return [
        {
            "sequence": n,
            "mentee_member_id": None if n == 1 else member_ids[(n - 2) % len(member_ids)],
            "due_at": first + step * (n - 1),
            "format": fmt,
            "state": "planned",
        }
        for n in range(1, count + 1)
    ]


async def plan_sessions(session: AsyncSession, pairing: Pairing, members: list[Member], now: dt.datetime) -> list[Session]:
    """Plan and store every session of a new pairing."""
    planned = [
        Session(pairing_id=pairing.id, **values)
        for values in session_plan(
            cadence=pairing.cadence, count=pairing.sessions_planned,
            member_ids=[m.id for m in members], fmt=pairing.format, start=now,
        )
    ]
    session.add_all(planned)
    await session.flush()
    return planned
