"""bot.db's two special sessions: `reading` (no SQLite write lock) and `writing` (this
process's writers queue in memory on SQLite, not in SQLite's sleeping busy handler)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessionmaker, reading, writing
from tests.conftest import DATA_KEY


async def test_writers_take_turns_in_memory_on_sqlite(engine: AsyncEngine, on_postgres: bool) -> None:
    sessionmaker = make_sessionmaker(engine, DATA_KEY)
    inside, most = 0, 0

    async def writer() -> None:
        nonlocal inside, most
        for _ in range(5):
            async with writing(sessionmaker) as session:
                inside += 1
                most = max(most, inside)
                await session.execute(text("UPDATE workspaces SET name = name"))
                await asyncio.sleep(0.01)
                inside -= 1

    await asyncio.wait_for(asyncio.gather(*(writer() for _ in range(8))), 60)
    assert most > 1 if on_postgres else most == 1


async def test_a_read_does_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    sessionmaker = make_sessionmaker(engine, DATA_KEY)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with sessionmaker.begin() as session:  # SQLite: BEGIN IMMEDIATE
            await session.execute(text("UPDATE workspaces SET name = name"))
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        async with reading(sessionmaker) as session:
            count = await asyncio.wait_for(session.scalar(text("SELECT count(*) FROM workspaces")), 2)
    finally:
        release.set()
        await holder
    assert count == 0
