"""The database: the engine for a URL (SQLite file in the data directory by default, PostgreSQL through
`--db postgresql+psycopg://...`), sessions, and the one place transactions are opened.

SQLite: WAL (readers never block the writer), synchronous=FULL (a commit survives a power cut: the receipt
is only sent after it), foreign keys on, a busy timeout, and write transactions opened with
BEGIN IMMEDIATE so that two writers queue instead of failing on a lock upgrade.
PostgreSQL: several collector processes share one database; the upload path locks the agent's row.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from secaudit.errors import SecauditError

DB_FILE = "collector.db"
DATA_DIR_ENV = "SECAUDIT_COLLECTOR_DIR"
DB_ENV = "SECAUDIT_COLLECTOR_DB"
BUSY_TIMEOUT_MS = 30_000


class DatabaseError(SecauditError):
    """The database URL or data directory cannot be used (exit 2)."""


def default_data_dir(environ: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if environ is None else environ
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV])
    if os.name == "nt":
        return Path(env.get("ProgramData") or r"C:\ProgramData") / "secaudit" / "collector"
    return Path("/var/lib/secaudit/collector")


def database_url(data_dir: str | os.PathLike[str] | None, db: str | None) -> str:
    """`db` when given (or SECAUDIT_COLLECTOR_DB), else the SQLite file in the data directory."""
    url = db or os.environ.get(DB_ENV)
    if url:
        try:
            parsed = make_url(url)
        except Exception:  # SQLAlchemy raises ArgumentError and ValueError alike
            raise DatabaseError("Địa chỉ cơ sở dữ liệu --db không hợp lệ.",
                                "The database URL given with --db is not valid.") from None
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise DatabaseError(f"Không hỗ trợ cơ sở dữ liệu {parsed.get_backend_name()} (chỉ SQLite, PostgreSQL).",
                                f"The database {parsed.get_backend_name()} is not supported (SQLite or PostgreSQL).")
        return url
    directory = Path(data_dir) if data_dir else default_data_dir()
    return "sqlite:///" + str((directory / DB_FILE).absolute())


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _wal(cur: Any) -> None:
    """journal_mode=WAL; SQLite answers "locked" at once (no busy handler) while another process creates
    or converts the file, so the switch is retried within the busy timeout."""
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite must not open transactions itself: "begin" below does
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(cur)
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def make_engine(url: str, *, create_dir: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).parent
            if create_dir:
                try:
                    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                except OSError as exc:
                    raise DatabaseError(f"Không tạo được thư mục dữ liệu {parent}: {exc.strerror}.",
                                        f"Cannot create the data directory {parent}: {exc.strerror}.") from None
            elif not parent.is_dir():
                raise DatabaseError(f"Thư mục dữ liệu {parent} không tồn tại (chạy 'secaudit collector init').",
                                    f"The data directory {parent} does not exist (run 'secaudit collector init').")
            if create_dir:
                _create_private(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
        _sqlite_setup(engine)
        return engine
    # jit off: PostgreSQL compiles a query whose estimated cost is high (the province's aggregates over
    # 100,000 rows) to machine code, 50-90 ms of compiling for statements that run in 10-50 ms
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args={"options": "-c jit=off"})


def _create_private(path: Path) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask); its -wal and -shm files
    take the same mode. An existing file is left as it is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"Không tạo được tệp cơ sở dữ liệu {path}: {exc.strerror}.",
                            f"Cannot create the database file {path}: {exc.strerror}.") from None
    os.close(fd)


class Database:
    """An engine plus its session factories: `read()` for queries, `write()` for one write transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(write=True), expire_on_commit=False)
        # SQLite has one writer at a time: this process's writers queue here and take over at once, rather
        # than polling the database lock with SQLite's busy handler (sleeps of up to 100 ms); re-entrant, and
        # given up after the busy timeout, so a nested or stuck writer ends as SQLite's "locked" as before
        self._write_lock = threading.RLock() if is_sqlite(engine) else None

    @classmethod
    def open(cls, url: str, *, create_dir: bool = False) -> Database:
        return cls(make_engine(url, create_dir=create_dir))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back on any exception."""
        locked = self._write_lock is not None and self._write_lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            with self._write() as session, session.begin():
                yield session
        finally:
            if locked:
                assert self._write_lock is not None
                self._write_lock.release()

    def dispose(self) -> None:
        self.engine.dispose()
