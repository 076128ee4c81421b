"""The database: URL choice, SQLite pragmas, migrations to head (idempotent), write transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from secaudit.collector import migrate
from secaudit.collector.db import Database, DatabaseError, database_url
from secaudit.collector.models import Unit


def test_url_from_data_dir_and_db(tmp_path: Path) -> None:
    assert database_url(tmp_path, None) == f"sqlite:///{tmp_path}/collector.db"
    assert database_url(tmp_path, "postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(DatabaseError):
        database_url(tmp_path, "mysql://u@h/db")
    with pytest.raises(DatabaseError):
        database_url(tmp_path, "not a url")


def test_missing_data_dir_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="collector init"):
        Database.open(database_url(tmp_path / "absent", None))


def test_sqlite_pragmas_and_migration(tmp_path: Path) -> None:
    db = Database.open(database_url(tmp_path / "d", None), create_dir=True)
    migrate.upgrade(db.engine)
    migrate.upgrade(db.engine)  # current: nothing to do
    assert migrate.current(db.engine) == migrate.head()
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    tables = set(inspect(db.engine).get_table_names())
    assert {"units", "unit_events", "enroll_tokens", "agents", "agent_keys", "reports", "users",
            "api_tokens"} <= tables
    with db.write() as session:
        session.add(Unit(code="DN", name="Đồng Nai", path="/1/", level="province"))
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(Unit(code="X", name="x", path="/2/"))
        raise RuntimeError("rolled back")
    with db.read() as session:
        assert session.scalars(select(Unit.code)).all() == ["DN"]
        unit = session.scalar(select(Unit))
        assert unit is not None and unit.created_at.tzinfo is not None
    db.dispose()


def test_sqlite_file_is_private(tmp_path: Path) -> None:
    db = Database.open(database_url(tmp_path / "d", None), create_dir=True)
    migrate.upgrade(db.engine)
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o700
    for name in ("collector.db", "collector.db-wal"):
        path = tmp_path / "d" / name
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, name
    db.dispose()


def test_concurrent_migrations(tmp_path: Path, collector_db: str | None) -> None:
    """Two collector processes starting together on one database: one migrates, the other waits and finds
    it current (processes: Alembic's context is global to a process)."""
    import subprocess
    import sys

    url = collector_db or database_url(tmp_path, None)
    code = ("import sys; from secaudit.collector import migrate; from secaudit.collector.db import Database; "
            "migrate.upgrade(Database.open(sys.argv[1], create_dir=True).engine)")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    db = Database.open(url)
    assert migrate.current(db.engine) == migrate.head()
    db.dispose()
