"""The one place that knows how to reach the database.

`DATABASE_URL` is given in its ordinary form (`sqlite:///tandem.db`,
`postgresql://user:pw@host/db`); the async driver is chosen here.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool

from bot.crypto import Keyring
from bot.keystore import KeyStore, is_memory, keys_url_for

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ALIASES = {"postgres": "postgresql"}


def async_database_url(url: str) -> str:
    """Map an ordinary SQLAlchemy URL to its async-driver form."""
    try:
        parsed = make_url(url)
    except Exception:
        raise ValueError("must be a SQLAlchemy URL such as sqlite:///tandem.db") from None
    backend, _, driver = parsed.drivername.partition("+")
    backend = _ALIASES.get(backend, backend)
    if backend not in _ASYNC_DRIVERS:
        raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
    if driver not in ("", "aiosqlite", "asyncpg", "pysqlite", "psycopg2", "psycopg"):
        raise ValueError(f"unsupported driver {driver!r}")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    async_url = async_database_url(url)
    # Errors and echo lines never show bound values (they can be what a person wrote).
    kwargs.setdefault("hide_parameters", True)
    if async_url.startswith("sqlite"):
        # A file database shared by the server and `run-due`: wait for the
        # writer instead of failing at once.
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(async_url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) and turn on the
    # constraints SQLite leaves off by default.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def sqlite_foreign_keys(connection: Any, on: bool) -> None:
    """Turn SQLite's foreign keys on or off for one connection, outside any transaction.

    Migrations run with them off: batch mode rebuilds a table (copy, DROP, rename), and
    with them on, the DROP would first delete every row, cascading through `ON DELETE
    CASCADE` into every table that refers to it (a pragma inside a transaction is a no-op,
    so this goes straight to the driver's connection, which is in autocommit)."""
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()
READ_ONLY = "tandem_read_only"  # execution option: this connection's transactions only read


def _sqlite_on_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two processes claiming
    # the same due work serialise instead of both reading "not done yet".
    # A read-only session (`reading`) begins DEFERRED: a shared lock, which a writer
    # holding the write lock does not block (only its commit, briefly).
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine, data_key: str | None = None,
                      keys_url: str | None = None) -> async_sessionmaker[AsyncSession]:
    """Sessions carry the keyring for private text (`bot.crypto`): `data_key` is
    TANDEM_DATA_KEY (without it a SQLite file database uses its generated key file);
    `keys_url` is TANDEM_KEY_STORE_URL (without it, the default beside the database,
    `bot.keystore.keys_url_for`)."""
    url = engine.url.render_as_string(hide_password=False)
    keyring = Keyring.of(url, data_key, make_key_store(url, keys_url))
    return async_sessionmaker(engine, expire_on_commit=False, info={"keyring": keyring})


def make_key_store(database_url: str, keys_url: str | None = None) -> KeyStore:
    """The key store for a database: its own engine, unpooled (an in-memory one keeps its one connection)."""
    url = keys_url_for(database_url, keys_url)
    return KeyStore(make_engine(url, poolclass=StaticPool if is_memory(url) else NullPool))
_readers: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()


def reading(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session for reads that must not wait for a writer (what runs before an ack, the
    type-ahead catalog): on SQLite its transaction takes no write lock. It must not write
    (SQLite would then need the lock mid-transaction); elsewhere it is an ordinary session."""
    engine = sessionmaker.kw["bind"]
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(**{READ_ONLY: True})
    return sessionmaker(bind=reader)


_write_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def writing(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """`sessionmaker.begin()` for short, frequent write transactions from many tasks (the
    outbox's senders, the pacer). On SQLite this process's writers queue for them in memory:
    left to SQLite, each connection waits in its busy handler, which sleeps up to 100 ms a
    try while the lock may long be free (eight senders spent most of a drain asleep there).
    Never nest it."""
    engine = sessionmaker.kw["bind"]
    if engine.dialect.name != "sqlite":
        async with sessionmaker.begin() as session:
            yield session
        return
    lock = _write_locks.get(engine)
    if lock is None:
        lock = _write_locks[engine] = asyncio.Lock()
    async with lock, sessionmaker.begin() as session:
        yield session


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
