"""The key store: members' wrapped data keys, kept outside the database (crypto-shredding).

Why a store of its own: forget-me deletes a member's data key so that their sealed
text can never be read again. If the key lived in the database, every database
backup taken before the forget-me would still hold it, and with `TANDEM_DATA_KEY`
it would still open the person's text. So the database holds only ciphertext and,
on each member row, the id of their key (`members.data_key_id`); the wrapped keys
live here, in a separate database with its own backup rule (README, "Backup and
restore"): database backups are kept as long as the operator's policy says; the key
store is backed up alongside but **only the newest copy is kept**. A key is never
changed, only added or deleted, so the newest key-store copy opens every remaining
member's text in every older database backup, and no longer holds the key of anyone
who has been forgotten.

Where it is (`keys_url_for`): `TANDEM_KEY_STORE_URL` when set; beside a SQLite
database, the file `tandem-keys.db` in the same folder; with PostgreSQL, the
database `<name>_keys` on the same server (created by `migrate` when missing), so
`pg_dump` of the main database never includes it. Every replica reaches the same
store, like the database.

One table, `data_keys (key_id, wrapped_key)`. A key id is a hash of the wrapped key
(content-addressed), so copying the same key twice (a migration run again) makes one
row. Every call is its own short transaction, committed at once and independent of
the caller's: a key is written before the text it seals is committed (a rolled-back
caller leaves an unreferenced key behind, harmless), and deleted before forget-me
commits (a failure after that leaves text unreadable, never a forgotten person's key
alive). Connections are not pooled (`NullPool`): nothing to close, and no connection
outlives the event loop that opened it. On SQLite, `secure_delete` overwrites a
deleted key's bytes in the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, String, Table, delete, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.startup import StartupError, describe_database

KEYS_FILE = "tandem-keys.db"

metadata = MetaData()
data_keys = Table(
    "data_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
)


class KeyStoreError(StartupError):
    """The key store cannot be reached or created; the message is one line with the fix."""


def key_id_of(wrapped: bytes) -> str:
    """The id a wrapped key is stored under: it names the key and reveals nothing of it."""
    return hashlib.sha256(wrapped).hexdigest()[:32]


def keys_url_for(database_url: str, explicit: str | None = None) -> str:
    """Where the key store is, for a database at `database_url` (an ordinary SQLAlchemy URL)."""
    if explicit:
        return explicit
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        if not url.database or url.database == ":memory:":
            return "sqlite://"
        return url.set(database=str(Path(url.database).resolve().parent / KEYS_FILE)).render_as_string(False)
    return url.set(database=f"{url.database}_keys").render_as_string(hide_password=False)


def is_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.drivername.startswith("sqlite") and parsed.database in (None, "", ":memory:")


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def prepare_engine(engine: AsyncEngine) -> AsyncEngine:
    """A key-store engine: on SQLite, deleted keys are overwritten in the file."""
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _secure_delete)
    return engine


class KeyStore:
    """Put, get and delete wrapped data keys; each call commits on its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = prepare_engine(engine)
        self._ready = False

    async def _table(self) -> None:
        if not self._ready:
            await _create_table(self.engine)
            self._ready = True

    async def get(self, key_id: str) -> bytes | None:
        await self._table()
        async with self.engine.connect() as conn:
            found = await conn.scalar(select(data_keys.c.wrapped_key).where(data_keys.c.key_id == key_id))
        return bytes(found) if found is not None else None

    async def put(self, wrapped: bytes) -> str:
        """Store a wrapped key; returns its id."""
        await self._table()
        key_id = key_id_of(wrapped)
        async with self.engine.begin() as conn:
            if await conn.scalar(select(data_keys.c.key_id).where(data_keys.c.key_id == key_id)) is None:
                await conn.execute(data_keys.insert().values(key_id=key_id, wrapped_key=wrapped))
        return key_id

    async def delete(self, key_id: str) -> None:
        await self._table()
        async with self.engine.begin() as conn:
            await conn.execute(delete(data_keys).where(data_keys.c.key_id == key_id))

    async def key_ids(self) -> set[str]:
        await self._table()
        async with self.engine.connect() as conn:
            return set(await conn.scalars(select(data_keys.c.key_id)))


async def ensure(keys_url_async: str, database_url_async: str) -> None:
    """Create the key store (its PostgreSQL database when missing, its table) before migrating.

    Both URLs in their async-driver form. Raises `KeyStoreError` when the store's
    PostgreSQL database is missing and cannot be created.
    """
    engine = create_async_engine(keys_url_async, poolclass=NullPool, hide_parameters=True)
    try:
        try:
            await _create_table(engine)
            return
        except DBAPIError as exc:
            if engine.dialect.name != "postgresql" or not _missing_database(exc):
                raise
        await _create_database(keys_url_async, database_url_async)
        await _create_table(engine)
    except KeyStoreError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise KeyStoreError(f"the key store {describe_database(keys_url_async)} cannot be used ({first}): "
                            "check TANDEM_KEY_STORE_URL (unset: beside the database)") from None
    finally:
        await engine.dispose()


async def _create_table(engine: AsyncEngine) -> None:
    """CREATE TABLE when missing; two replicas racing to create it both succeed."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    except DBAPIError as exc:
        if _missing_database(exc):
            raise
        async with engine.begin() as conn:  # the other one created it meanwhile
            await conn.run_sync(metadata.create_all)


def _missing_database(exc: BaseException) -> bool:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cause = todo.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        if getattr(cause, "sqlstate", None) == "3D000":
            return True
        todo += [getattr(cause, "orig", None), cause.__cause__, cause.__context__]
    return False


async def _create_database(keys_url_async: str, database_url_async: str) -> None:
    keys = make_url(keys_url_async)
    main = make_url(database_url_async)
    same_server = (keys.host, keys.port, keys.username) == (main.host, main.port, main.username)
    via = main if same_server else keys.set(database="postgres")
    admin = create_async_engine(via, poolclass=NullPool, isolation_level="AUTOCOMMIT", hide_parameters=True)
    name = keys.database or ""
    exists = text("SELECT 1 FROM pg_database WHERE datname = :n")
    try:
        async with admin.connect() as conn:
            if await conn.scalar(exists, {"n": name}):
                return
            try:
                await conn.execute(text('CREATE DATABASE "' + name.replace('"', '""') + '"'))
            except DBAPIError as exc:
                if not await conn.scalar(exists, {"n": name}):  # not merely another replica first
                    raise KeyStoreError(
                        f"the key store database {name!r} does not exist and could not be created "
                        f"({type(exc.orig).__name__}): create it (createdb {name}) or set TANDEM_KEY_STORE_URL"
                    ) from None
    finally:
        await admin.dispose()
