"""Dialect-aware statements that settle races in the database."""

from __future__ import annotations

import asyncio
import json
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Insert, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, model: Any, index: list[str]) -> Insert:
    """INSERT … ON CONFLICT (index) DO NOTHING for the session's dialect (a model or a Table)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=index)


async def bulk_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many plain rows as fast as the dialect allows, inside the session's transaction.

    PostgreSQL: one COPY (asyncpg's `copy_records_to_table`), several times faster than
    executemany for a round's tens of thousands of rows. Elsewhere: a Core executemany.
    Columns not in the rows take their database defaults (ids from their sequence).
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_tuple = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    records = [as_tuple(row) for row in rows]
    json_at = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    if json_at:  # JSON columns go to COPY as text; every other value as it is
        records = [_json_as_text(record, json_at) for record in records]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)


def _json_as_text(record: tuple, json_at: list[int]) -> tuple:
    values = list(record)
    for i in json_at:
        values[i] = None if values[i] is None else json.dumps(values[i])
    return tuple(values)


# Failures a retry of the whole transaction can cure: PostgreSQL's deadlock_detected and
# serialization_failure, SQLite's "database is locked".
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


def is_retryable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    text = str(orig or exc).lower()
    return code in _RETRYABLE_SQLSTATES or "deadlock detected" in text or "database is locked" in text


async def in_transaction(sessionmaker: Any, work: Any, *, attempts: int = 3) -> Any:
    """Run `work(session)` in a fresh transaction, again (up to `attempts` times, with a short
    backoff) when the database aborted it as a deadlock or a serialization failure."""
    for attempt in range(attempts):
        try:
            async with sessionmaker.begin() as session:
                return await work(session)
        except (DBAPIError, OperationalError) as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")
