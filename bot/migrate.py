"""Bring a database to Alembic head (used by `serve`, `migrate` and the tests).

Replicas start together: every migration runs under a lock, so one process migrates
and the others wait, then find the schema at head and do nothing. On PostgreSQL the
lock is a transaction-level advisory lock taken in the migration's own transaction
(released at its commit or rollback); on SQLite it is an exclusive file lock on
`<database>.migrate.lock` beside the database file.

Migrations also reach the key store (`bot/keystore.py`, created here when missing):
20261203_shred moves the wrapped data keys out of the database into it, and back on
downgrade. Its URL reaches the migration in `config.attributes["keys_url"]`.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import keystore
from bot.db import async_database_url, sqlite_foreign_keys

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_KEY = 0x74616E64656D  # "tandem": the advisory lock every migrating process takes


def alembic_config() -> Config:
    return Config(str(ROOT / "alembic.ini"))


async def upgrade(engine: AsyncEngine, revision: str = "head", *, keys_url: str | None = None) -> None:
    """`keys_url`: TANDEM_KEY_STORE_URL (None: the default beside the database)."""
    await _run(engine, lambda cfg: command.upgrade(cfg, revision), keys_url)


async def downgrade(engine: AsyncEngine, revision: str = "base", *, keys_url: str | None = None) -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision), keys_url)


async def check(engine: AsyncEngine) -> None:
    """Raise when the models and the migrations disagree (`alembic check`)."""
    await _run(engine, command.check)


async def _run(engine: AsyncEngine, action, keys_url: str | None = None) -> None:  # type: ignore[no-untyped-def]
    database_url = engine.url.render_as_string(hide_password=False)
    store_url = async_database_url(keystore.keys_url_for(database_url, keys_url))
    await keystore.ensure(store_url, database_url)

    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        cfg.attributes["keys_url"] = store_url
        action(cfg)

    with _sqlite_file_lock(engine):
        async with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # rebuilding a table must not cascade-delete what refers to it
                await connection.run_sync(sqlite_foreign_keys, False)
            try:
                async with connection.begin():
                    if connection.dialect.name == "postgresql":
                        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                                 {"key": MIGRATION_LOCK_KEY})
                    await connection.run_sync(run)
                    if sqlite:
                        await _no_dangling_references(connection)
            finally:
                if sqlite:
                    await connection.run_sync(sqlite_foreign_keys, True)


async def _no_dangling_references(connection: AsyncConnection) -> None:
    """With foreign keys off, check them before committing (SQLite's own advice for schema changes)."""
    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"the migration left {len(broken)} rows referring to missing rows (first: {broken[0]})")


@contextlib.contextmanager
def _sqlite_file_lock(engine: AsyncEngine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocks this thread only until the other migrate is done
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def head_revision() -> str | None:
    """The newest revision in migrations/versions."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: no Tandem schema yet)."""
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
