"""Type-ahead (options loads) reads the catalog from memory, never waiting for the database."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import event, text

from bot import ids, skills
from bot.db import make_engine
from tests.conftest import T0, TEAM_ID, RunningApp


async def _suggest(app: RunningApp, typed: str) -> list[str]:
    status, _, body = await app.requests.block_suggestion("U1", ids.OFFERS[1], typed, block_id=ids.OFFERS[0])
    assert status == 200
    return [o["text"]["text"] for o in (body or {}).get("options", [])]


@pytest.fixture
def transactions(app: RunningApp):  # type: ignore[no-untyped-def]
    """Counts the transactions the app's engine begins."""
    begun: list[int] = []

    def count(_conn) -> None:  # type: ignore[no-untyped-def]
        begun.append(1)

    event.listen(app.deps.engine.sync_engine, "begin", count)
    yield begun
    event.remove(app.deps.engine.sync_engine, "begin", count)


async def test_keystrokes_after_the_first_touch_no_database(app: RunningApp, transactions: list[int]) -> None:
    assert "Python" in await _suggest(app, "pyth")  # the first load seeds and reads the catalog
    before = len(transactions)
    for typed in ("p", "py", "pyt", "pytho", "python", "kube", "negot"):
        assert await _suggest(app, typed)
    await asyncio.sleep(0.2)  # nothing in the background either (the undeliverable mark skips type-ahead)
    assert len(transactions) == before


async def test_a_stale_index_answers_at_once_and_reloads_once_behind_a_writer(
    app: RunningApp, on_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past INDEX_TTL (another replica may have added skills) the old index still answers,
    while a background load reads the catalog without SQLite's write lock."""
    await _suggest(app, "pyth")
    index = skills.index_of(app.deps)
    loads = index.loads
    monkeypatch.setattr(skills, "INDEX_TTL", 0.0)
    other = make_engine(app.deps.settings.DATABASE_URL)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with other.begin() as conn:  # SQLite: BEGIN IMMEDIATE, the write lock
            await conn.execute(text("UPDATE workspaces SET name = name"))
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    locked_at = time.monotonic()
    try:
        for typed in ("ku", "kub", "kube", "kuber"):
            started = time.monotonic()
            assert "Kubernetes" in await _suggest(app, typed)
            assert time.monotonic() - started < 1.0
        await asyncio.sleep(0.3)
        # each stale keystroke started a reload in the background, and they finished while
        # the write lock was still held: they did not wait for it
        assert index.loads > loads
        assert index._entries[TEAM_ID].loaded >= locked_at
    finally:
        release.set()
        await holder
        await other.dispose()


async def test_a_skill_this_process_adds_shows_at_the_next_keystroke(app: RunningApp) -> None:
    await _suggest(app, "zyx")
    async with app.deps.sessionmaker.begin() as session:
        from bot.workspaces import ensure_workspace

        ws = await ensure_workspace(session, TEAM_ID, T0)
        resolved = skills.resolve("Zyxology", await skills.catalog_of(session, ws.id))
        assert resolved is not None and resolved.skill is None
        await skills.get_or_create(session, ws.id, resolved, T0)
    assert "Zyxology" in await _suggest(app, "zyx")


async def test_a_first_load_held_up_by_a_writer_still_answers_in_time_and_finishes_behind_it(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The very first load of a team writes (it seeds the starter catalog): when a writer holds
    the database past the budget, the person still gets an answer (the "➕ Add" option for what
    they typed) before Slack's 3 s, and the load finishes behind it for the next keystroke."""
    monkeypatch.setattr(skills, "FIRST_LOAD_BUDGET", 0.5)
    other = make_engine(app.deps.settings.DATABASE_URL)
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with other.begin() as conn:  # SQLite: BEGIN IMMEDIATE is the write lock; PostgreSQL: no inserts
            await conn.execute(text("LOCK TABLE workspaces IN EXCLUSIVE MODE")
                               if other.dialect.name == "postgresql" else text("UPDATE workspaces SET name = name"))
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        started = time.monotonic()
        answered = await _suggest(app, "pyth")
        assert time.monotonic() - started < 2.0
        assert answered == ["➕ Add “pyth”"]
    finally:
        release.set()
        await holder
        await other.dispose()
    for _ in range(50):
        if "Python" in await _suggest(app, "pyth"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the first load never finished behind the writer")
