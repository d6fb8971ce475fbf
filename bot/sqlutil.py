"""Dialect-aware statements that settle races in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, model: Any, index: list[str]) -> Insert:
    """INSERT … ON CONFLICT (index) DO NOTHING for the session's dialect (a model or a Table)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=index)
