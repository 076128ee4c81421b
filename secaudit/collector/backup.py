"""Backups of the collector database and their restore.

SQLite: SQLite's online backup API copies a consistent snapshot while the collector keeps serving (one
read transaction: in WAL mode uploads go on meanwhile, never refused); the copy is a single file (rollback
journal, no WAL beside it), checked with `PRAGMA integrity_check` before it is put in place (written as
FILE.part, synced, renamed). Restore checks the file the same way, keeps the current database as
`collector.db.before-restore-<time>`, copies the backup in with the same API and runs the migrations (a
backup taken by an older version is brought up to date).

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot too) and `pg_restore --clean --if-exists
--single-transaction --no-owner`; the binaries are found on PATH or in Debian's /usr/lib/postgresql/*/bin
(the newest: pg_dump must not be older than the server). The password is passed in PGPASSWORD, never on
the command line.

Backups hold everything the collector stores (envelopes, inventories, hashed tokens): they are written
with mode 0600; keep them like the database itself.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from secaudit.errors import SecauditError

# One step: the copy reads one snapshot in a single read transaction, which in WAL mode never blocks the
# collector's writers; copied in several steps, every write in between would restart the backup.
STEP_PAGES = -1


class BackupError(SecauditError):
    """A backup or restore cannot be done (exit 2)."""


@dataclass
class Done:
    path: Path
    size: int
    revision: str | None
    kind: str  # sqlite | postgresql


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite này không nằm trong tệp.", "This SQLite database is not a file.")
    return Path(database)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_sqlite(path: Path) -> str | None:
    """The migration revision of a SQLite collector database file; BackupError if it is not a sound one."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone()
                        if "alembic_version" in tables else None)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} không phải cơ sở dữ liệu SQLite dùng được ({exc}).",
                          f"{path} is not a usable SQLite database ({exc}).") from None
    if not ok or ok[0] != "ok":
        raise BackupError(f"Tệp {path} bị hỏng (integrity_check).", f"The file {path} is damaged (integrity_check).")
    if revision is None or "reports" not in tables:
        raise BackupError(f"{path} không phải cơ sở dữ liệu của máy chủ thu thập.",
                          f"{path} is not a collector database.")
    return str(revision[0])


def _refuse_existing(out: Path) -> None:
    if out.exists():
        raise BackupError(f"Tệp {out} đã có; chọn tên khác (bản sao lưu không bao giờ ghi đè).",
                          f"{out} already exists; choose another name (a backup never overwrites).")
    if not out.parent.is_dir():
        raise BackupError(f"Thư mục {out.parent} không tồn tại.", f"The directory {out.parent} does not exist.")


def backup(url: str, out: str | os.PathLike[str]) -> Done:
    target = Path(out)
    _refuse_existing(target)
    if make_url(url).get_backend_name() == "postgresql":
        return _pg_dump(url, target)
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"Không có cơ sở dữ liệu {source}.", f"There is no database {source}.")
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            dst = sqlite3.connect(part)
            try:
                src.backup(dst, pages=STEP_PAGES)
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        revision = _check_sqlite(part)
        _fsync(part)
        os.replace(part, target)
        _fsync(target.parent)
    except (OSError, sqlite3.Error) as exc:
        part.unlink(missing_ok=True)
        raise BackupError(f"Không sao lưu được vào {target}: {exc}.", f"Cannot back up to {target}: {exc}.") from None
    except BackupError:
        part.unlink(missing_ok=True)
        raise
    return Done(target, target.stat().st_size, revision, "sqlite")


def restore(url: str, backup_file: str | os.PathLike[str]) -> Done:
    """Replace the database's content with the backup's. Stop `collector serve` first."""
    source = Path(backup_file)
    if not source.is_file():
        raise BackupError(f"Không có tệp sao lưu {source}.", f"There is no backup file {source}.")
    if make_url(url).get_backend_name() == "postgresql":
        return _pg_restore(url, source)
    revision = _check_sqlite(source)
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        keep = target.with_name(f"{target.name}.before-restore-{datetime.now(UTC):%Y%m%d-%H%M%S}")
        backup(url, keep)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = WAL")
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(target, 0o600)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"Không khôi phục được từ {source}: {exc}.",
                          f"Cannot restore from {source}: {exc}.") from None
    return Done(target, target.stat().st_size, revision, "sqlite")


# --- PostgreSQL ---------------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    found = shutil.which(name)
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parts[-3])] or [0])
    if candidates:
        return str(candidates[-1])
    if found:
        return found
    raise BackupError(f"Không tìm thấy {name} (cài gói postgresql-client).",
                      f"{name} is not found (install the postgresql-client package).")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str], what_vi: str, what_en: str) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=24 * 3600, check=False)
    except OSError as exc:
        raise BackupError(f"Không chạy được {cmd[0]}: {exc.strerror}.", f"Cannot run {cmd[0]}: {exc.strerror}.") \
            from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["?"])[-1][:300]
        raise BackupError(f"{what_vi} thất bại: {first}", f"{what_en} failed: {first}")


def _pg_dump(url: str, target: Path) -> Done:
    dsn, env = _libpq(url)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        _run([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={part}", f"--dbname={dsn}"], env,
             "pg_dump", "pg_dump")
        _fsync(part)
        os.replace(part, target)
        _fsync(target.parent)
    finally:
        part.unlink(missing_ok=True)
    return Done(target, target.stat().st_size, None, "postgresql")


def _pg_restore(url: str, source: Path) -> Done:
    dsn, env = _libpq(url)
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-password",
          f"--dbname={dsn}", str(source)], env, "pg_restore", "pg_restore")
    return Done(source, source.stat().st_size, None, "postgresql")
