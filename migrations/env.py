"""Alembic environment: the models' metadata, async engines, batch mode for SQLite.

The app migrates at start-up by handing a live connection in
`config.attributes["connection"]` (and the key store's URL in
`config.attributes["keys_url"]`); the `alembic` command line builds its own
engine from DATABASE_URL (and finds the key store from TANDEM_KEY_STORE_URL or
beside the database).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot import keystore
from bot.db import async_database_url, make_engine, sqlite_foreign_keys
from bot.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    database_url = engine.url.render_as_string(hide_password=False)
    store_url = async_database_url(keystore.keys_url_for(database_url, os.environ.get("TANDEM_KEY_STORE_URL")))
    await keystore.ensure(store_url, database_url)
    config.attributes["keys_url"] = store_url
    try:
        async with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # as bot.migrate does: a rebuilt table must not cascade-delete its referrers
                await connection.run_sync(sqlite_foreign_keys, False)
            try:
                await connection.run_sync(_run_sync)
                await connection.commit()
            finally:
                if sqlite:
                    await connection.run_sync(sqlite_foreign_keys, True)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=os.environ.get("DATABASE_URL", "sqlite:///tandem.db"),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    url = config.attributes.get("url") or os.environ.get("DATABASE_URL", "sqlite:///tandem.db")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
