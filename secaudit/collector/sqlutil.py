"""Inserts that several writers (two collector processes on one PostgreSQL) may race on safely:
`INSERT ... ON CONFLICT DO NOTHING` and additive upserts, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(session: Session, table: Table | Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows; a row whose unique key exists already is left as it is."""
    if rows:
        session.execute(_insert(session, table).on_conflict_do_nothing(), list(rows))


def upsert_add(session: Session, table: Table | Any, keys: Sequence[str], rows: Sequence[dict[str, Any]],
               add: Sequence[str]) -> None:
    """Insert rows, or add their `add` columns to the existing row with the same `keys`."""
    if not rows:
        return
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={col: table.c[col] + stmt.excluded[col] for col in add})
    session.execute(stmt, list(rows))


def month_of(session: Session, column: Any) -> Any:
    """'YYYY-MM' of a naive-UTC datetime column (models.UTCDateTime), in SQL. SQLite keeps the ISO text,
    whose first seven characters are the month (cheaper than strftime over 100,000 rows)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7, type_=String)


def clip(value: Any, limit: int) -> str:
    """A string for a column of `limit` characters: None is "", NULs are dropped (PostgreSQL refuses them),
    lone surrogates replaced, longer text cut."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text
    return text[:limit]


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
