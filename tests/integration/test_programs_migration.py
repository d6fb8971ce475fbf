"""The data migration 20261203_programs: the single program of each workspace becomes its
first program and every member who joined gets a membership of it; every row is kept, up
and down, on SQLite and PostgreSQL (the test database of the run)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.migrate import downgrade, upgrade

BEFORE = "20261202_trio"
T = dt.datetime(2026, 3, 2, 9, 0)
TABLES = ("workspaces", "programs", "members", "rounds", "pairings", "pairing_members")
MEMBERS = [  # (slack id, status, paused_until, priority)
    ("UACTIVE", "active", None, True),
    ("UPAUSED", "paused", T + dt.timedelta(weeks=2), False),
    ("ULEFT", "left", None, False),
    ("UGONE", "deactivated", None, False),
    ("UINVITED", "invited", None, False),
]


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {t: int((await conn.execute(text(f"SELECT COUNT(*) FROM {t}"))).scalar_one()) for t in TABLES}


async def _seed_old_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T1', :t)"), {"t": T})
        await conn.execute(text(
            "INSERT INTO programs (id, workspace_id, channel_id, cadence, round_weekday, round_hour, timezone, "
            "sessions_per_pairing, default_format, odd_policy, repeat_window_rounds, repeat_window_days, emphasis, "
            "min_group_size, session_lead_hours, private_text_retention_days, allow_multi_channel_guests, "
            "created_at, updated_at) VALUES (1, 1, 'C0PROG', 'weekly', 0, 10, 'UTC', 6, 'turns', 'trio', 3, 180, "
            "'balanced', 5, 48, 365, false, :t, :t)"), {"t": T})
        for i, (uid, status, until, priority) in enumerate(MEMBERS, start=1):
            await conn.execute(text(
                "INSERT INTO members (id, workspace_id, slack_user_id, tz_offset, session_format, work_days, status, "
                "account_type, paused_until, priority, joined_at, created_at, updated_at) VALUES (:id, 1, :uid, 0, "
                "'turns', '0,1,2,3,4', :status, 'full', :until, :priority, :joined, :t, :t)"),
                {"id": i, "uid": uid, "status": status, "until": until, "priority": priority, "t": T,
                 "joined": None if status == "invited" else T})
        await conn.execute(text("INSERT INTO rounds (id, program_id, number, started_at, method, figures) "
                                "VALUES (1, 1, 1, :t, 'test', '{}')"), {"t": T})
        await conn.execute(text(
            "INSERT INTO pairings (id, program_id, round_id, score, reasons, two_way, cross_department, state, "
            "format, cadence, sessions_planned, silent_streak, started_at) VALUES (1, 1, 1, 1.0, '[]', true, true, "
            "'active', 'turns', 'weekly', 6, 0, :t)"), {"t": T})
        for member_id, position in ((1, 0), (2, 1)):
            await conn.execute(text("INSERT INTO pairing_members (pairing_id, member_id, position) "
                                    "VALUES (1, :m, :p)"), {"m": member_id, "p": position})


async def test_the_single_program_becomes_the_first_with_every_member_and_row_kept(engine: AsyncEngine) -> None:
    await downgrade(engine, BEFORE)
    try:
        await _seed_old_schema(engine)
        before = await _counts(engine)
        await upgrade(engine)
        assert await _counts(engine) == before  # every row kept
        async with engine.connect() as conn:
            program = (await conn.execute(text(
                "SELECT name, channel_id, cadence, headsup_hours, pairing_cap FROM programs"))).one()
            rows = (await conn.execute(text(
                "SELECT m.slack_user_id, pm.program_id, pm.status, pm.paused_until IS NOT NULL, pm.priority "
                "FROM program_members pm JOIN members m ON m.id = pm.member_id ORDER BY m.id"))).all()
        assert tuple(program) == ("Peer mentoring", "C0PROG", "weekly", 24, None)
        assert [(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows] == [
            ("UACTIVE", 1, "active", False, True),
            ("UPAUSED", 1, "paused", True, False),
            ("ULEFT", 1, "left", False, False),
            ("UGONE", 1, "left", False, False),  # deactivated: the person's status says why
        ]  # nobody who was only invited

        # A second program in the workspace: the old schema cannot hold it, so downgrade refuses.
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO programs (id, workspace_id, channel_id, name, cadence, round_weekday, round_hour, "
                "timezone, sessions_per_pairing, default_format, odd_policy, repeat_window_rounds, "
                "repeat_window_days, emphasis, min_group_size, session_lead_hours, private_text_retention_days, "
                "allow_multi_channel_guests, created_at, updated_at) VALUES (2, 1, 'C0MGR', 'Managers', 'weekly', "
                "0, 10, 'UTC', 6, 'turns', 'trio', 3, 180, 'balanced', 5, 48, 365, false, :t, :t)"), {"t": T})
        with pytest.raises(RuntimeError, match="several programs"):
            await downgrade(engine, BEFORE)
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM programs WHERE id = 2"))

        await downgrade(engine, BEFORE)
        assert await _counts(engine) == before
        async with engine.connect() as conn:
            statuses = (await conn.execute(text("SELECT slack_user_id, status FROM members ORDER BY id"))).all()
        assert [tuple(r) for r in statuses] == [(m[0], m[1]) for m in MEMBERS]
    finally:
        await upgrade(engine)
