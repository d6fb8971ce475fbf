"""The migration 20261203_circles: programs.grouping and group_size, circles of up to 6 seats;
up and down on SQLite and PostgreSQL (the test database of the run)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.migrate import downgrade, upgrade

BEFORE = "20261203_programs"
T = dt.datetime(2026, 3, 2, 9, 0)


async def _seed(engine: AsyncEngine, seats: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T1', :t)"), {"t": T})
        await conn.execute(text(
            "INSERT INTO programs (id, workspace_id, channel_id, name, cadence, round_weekday, round_hour, timezone, "
            "sessions_per_pairing, default_format, odd_policy, repeat_window_rounds, repeat_window_days, emphasis, "
            "min_group_size, session_lead_hours, private_text_retention_days, allow_multi_channel_guests, "
            "created_at, updated_at) VALUES (1, 1, 'C0PROG', 'Peers', 'weekly', 0, 10, 'UTC', 6, 'turns', 'trio', "
            "3, 180, 'balanced', 5, 48, 365, false, :t, :t)"), {"t": T})
        for i in range(1, seats + 1):
            await conn.execute(text(
                "INSERT INTO members (id, workspace_id, slack_user_id, tz_offset, session_format, work_days, status, "
                "account_type, priority, joined_at, created_at, updated_at) VALUES (:id, 1, :uid, 0, 'turns', "
                "'0,1,2,3,4', 'active', 'full', false, :t, :t, :t)"), {"id": i, "uid": f"U{i}", "t": T})
        await conn.execute(text("INSERT INTO rounds (id, program_id, number, started_at, method, figures) "
                                "VALUES (1, 1, 1, :t, 'test', '{}')"), {"t": T})
        await conn.execute(text(
            "INSERT INTO pairings (id, program_id, round_id, score, reasons, two_way, cross_department, state, "
            "format, cadence, sessions_planned, silent_streak, started_at) VALUES (1, 1, 1, 1.0, '[]', true, true, "
            "'active', 'turns', 'weekly', 6, 0, :t)"), {"t": T})


async def _seat(engine: AsyncEngine, member_id: int, position: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO pairing_members (pairing_id, member_id, position) VALUES (1, :m, :p)"),
                           {"m": member_id, "p": position})


async def _wipe(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in ("pairing_members", "pairings", "rounds", "members", "programs", "workspaces"):
            await conn.execute(text(f"DELETE FROM {table}"))


async def test_circles_columns_and_six_seats_up_and_down(engine: AsyncEngine) -> None:
    await downgrade(engine, BEFORE)
    try:
        await _seed(engine, 6)
        for m in range(1, 4):
            await _seat(engine, m, m - 1)
        with pytest.raises(IntegrityError):  # the old rule: at most a trio
            await _seat(engine, 4, 3)
        await upgrade(engine)
        async with engine.connect() as conn:
            program = (await conn.execute(text("SELECT grouping, group_size FROM programs"))).one()
        assert tuple(program) == ("pairs", 4)  # existing programs stay pairs
        for m in range(4, 7):
            await _seat(engine, m, m - 1)  # a circle of six
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE programs SET grouping = 'circles', group_size = 6"))
        for bad in ("UPDATE programs SET group_size = 7", "UPDATE programs SET grouping = 'trios'"):
            with pytest.raises(IntegrityError):
                async with engine.begin() as conn:
                    await conn.execute(text(bad))
        with pytest.raises(IntegrityError):
            await _seat(engine, 7, 6)

        await downgrade(engine, BEFORE)
        async with engine.connect() as conn:
            seats = (await conn.execute(text("SELECT member_id FROM pairing_members ORDER BY position"))).scalars().all()
            columns = (await conn.execute(text("SELECT * FROM programs"))).keys()
        assert list(seats) == [1, 2, 3]  # the circle keeps its first three seats
        assert "grouping" not in columns and "group_size" not in columns
    finally:
        await _wipe(engine)
        await upgrade(engine)
