"""Backups while the collector writes, and restores: SQLite online backup, pg_dump/pg_restore."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from secaudit.collector import backup, envelopes, migrate, receipts, upload
from secaudit.collector.db import Database, database_url
from secaudit.collector.models import Report
from tests.unit.collector.world import World, report, url_for


def _reports(db: Database) -> list[bytes]:
    with db.read() as s:
        return [envelopes.unpack(s, blob) for blob in s.scalars(select(Report.envelope_z).order_by(Report.id))]


def test_sqlite_online_backup_and_restore(tmp_path: Path) -> None:
    world = World(tmp_path / "a")
    world.units()
    agent = world.agent("BH01")
    raws = [world.envelope(agent, report(generated_at=f"2026-0{m}-05T02:30:00Z")) for m in range(1, 10)]
    for raw in raws[:3]:
        upload.receive(world.db, raw)
    url = database_url(tmp_path / "a", None)

    def keep_writing() -> None:  # uploads go on while the backup runs
        for raw in raws[3:]:
            upload.receive(world.db, raw)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    done = backup.backup(url, tmp_path / "b.db")
    writer.join()
    assert done.kind == "sqlite" and done.revision == migrate.head() and done.size > 0
    assert (os.stat(tmp_path / "b.db").st_mode & 0o777) == 0o600
    assert not (tmp_path / "b.db.part").exists()
    with pytest.raises(backup.BackupError, match="never overwrites"):
        backup.backup(url, tmp_path / "b.db")
    # restore into a new data directory: every envelope comes back byte for byte
    target = database_url(tmp_path / "c", None)
    backup.restore(target, tmp_path / "b.db")
    restored = Database.open(target)
    got = _reports(restored)
    assert 3 <= len(got) <= 9 and got == raws[: len(got)]
    # the restored collector has its key and continues its receipt chain from the backup's head
    if len(got) < len(raws):
        again = upload.receive(restored, raws[len(got)]).body
        assert again["log_index"] == len(got) + 1
    with restored.read() as s:
        chain = receipts.check_chain(s)
    assert chain.problems == [] and chain.receipts == min(len(got) + 1, len(raws))
    # restore over an existing database keeps the old one aside
    backup.restore(url, tmp_path / "b.db")
    assert list((tmp_path / "a").glob("collector.db.before-restore-*"))
    restored.dispose()
    world.db.dispose()


def test_restore_refuses_what_is_not_a_collector_backup(tmp_path: Path) -> None:
    url = database_url(tmp_path / "x", None)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="SQLite"):
        backup.restore(url, junk)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(backup.BackupError, match="collector"):
        backup.restore(url, other)
    with pytest.raises(backup.BackupError):
        backup.restore(url, tmp_path / "absent.db")
    with pytest.raises(backup.BackupError, match="no database"):
        backup.backup(url, tmp_path / "out.db")
    assert not (tmp_path / "x" / "collector.db").exists()


def test_pg_dump_and_restore(tmp_path: Path) -> None:
    source_url = url_for("postgresql")
    assert source_url is not None
    world = World(tmp_path, source_url)
    world.units()
    agent = world.agent("BH01")
    raws = [world.envelope(agent, report(generated_at=f"2026-0{m}-05T02:30:00Z")) for m in range(1, 4)]
    for raw in raws:
        upload.receive(world.db, raw)
    done = backup.backup(source_url, tmp_path / "dump.pgc")
    assert done.kind == "postgresql" and done.size > 0
    target_url = url_for("postgresql")
    assert target_url is not None
    backup.restore(target_url, tmp_path / "dump.pgc")
    restored = Database.open(target_url)
    assert migrate.current(restored.engine) == migrate.head()
    assert _reports(restored) == raws
    with restored.read() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 3
        chain = receipts.check_chain(s)
    assert chain.problems == [] and chain.head_index == 3
    restored.dispose()
    world.db.dispose()
