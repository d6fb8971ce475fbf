"""Member lifecycle that scheduled work needs: pauses run out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.deps import Deps
from bot.models import Member


async def resume_paused(deps: Deps, now: dt.datetime) -> int:
    """Members whose pause has run out are active again (one atomic UPDATE)."""
    async with deps.sessionmaker.begin() as session:
        result = await session.execute(
            update(Member)
            .where(Member.status == "paused", Member.paused_until <= now)
            .values(status="active", paused_until=None, updated_at=now)
        )
        return int(result.rowcount or 0)
