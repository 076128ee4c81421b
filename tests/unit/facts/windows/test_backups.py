"""Windows backups: `wbadmin get versions` in English and Vietnamese UI, the backup event log, and [[backup]] sets
with Windows paths. The Vietnamese text is written from the English layout with Vietnamese labels (no recording of
a Vietnamese Windows was available): the parser relies only on the version identifier and line order."""

from __future__ import annotations

from secaudit.config import AgentConfig, BackupSet
from secaudit.facts.windows import backups
from tests.fixtures.windows import build, variants
from tests.unit.facts.windows import psjson
from tests.unit.facts.windows.wintest import failed, ok, out, snapshot_of

WBADMIN_VI = variants.WBADMIN_VI.replace("\n", "\r\n")  # as a console prints it


def test_english() -> None:
    versions = backups.parse_wbadmin(build.crlf(build.WBADMIN_EN))
    assert [v["time"] for v in versions] == ["2026-11-21T12:00:00Z", "2026-11-20T12:00:00Z", "2026-11-19T12:00:00Z"]
    assert versions[0]["target"] == "1394/USB Disk labeled BACKUP-GV07(E:)"


def test_vietnamese() -> None:
    versions = backups.parse_wbadmin(WBADMIN_VI)
    assert [v["version_id"] for v in versions] == ["11/21/2026-12:00", "11/20/2026-12:00"]
    assert versions[0]["target"] == "Đĩa USB/1394 có nhãn BACKUP-GV07(E:)"


def test_no_versions_and_noise() -> None:
    assert backups.parse_wbadmin("wbadmin 1.0\r\n\r\nKhông tìm thấy bản sao lưu nào.\r\n") == []
    assert backups.parse_wbadmin("Version identifier: 13/45/2026-99:00\r\n") == []
    assert backups.parse_wbadmin("11/21/2026-12:00\r\n") == []  # no label: not a version line


def test_table_with_events() -> None:
    events = [{"Id": 5, "TimeCreated": psjson.PSDate("2026-11-21T12:23:00Z"), "LevelDisplayName": "Error"},
              {"Id": 4, "TimeCreated": psjson.PSDate("2026-11-20T12:23:00Z"), "LevelDisplayName": "Information"},
              {"Id": 1, "TimeCreated": psjson.PSDate("2026-11-20T12:00:00Z"), "LevelDisplayName": "Information"}]
    snap = snapshot_of({"wbadmin_versions": out(WBADMIN_VI), "backup_events": ok(events)},
                       only={"windows_backup"})
    wb = snap.tables["windows_backup"]
    assert wb["count"] == 2 and wb["newest_time"] == "2026-11-21T12:00:00Z"
    ev = wb["events"]
    assert ev["last_success_time"] == "2026-11-20T12:23:00Z" and ev["last_failure_id"] == 5
    assert ev["failures_since_success"] == 1


def test_wbadmin_refused_events_read() -> None:
    snap = snapshot_of({"wbadmin_versions": failed("ERROR - Access is denied."), "backup_events": ok([])},
                       only={"windows_backup"})
    wb = snap.tables["windows_backup"]
    assert wb["versions"] is None and wb["events"]["last_success_time"] is None
    assert snap.unknown["windows_backup.versions"]["code"] == "command_failed"


def test_config_set_with_a_windows_path() -> None:
    rec_files = {"/D:/Backup/db-2026-11-21.bak": "x" * 100, "/D:/Backup/db-2026-11-20.bak": "x" * 90}
    stats = {"/D:/Backup/db-2026-11-21.bak": {"mtime": 1795262400, "size": 100, "mode": 0o100644},
             "/D:/Backup/db-2026-11-20.bak": {"mtime": 1795176000, "size": 90, "mode": 0o100644},
             "/D:/Backup": {"mtime": 1795262400, "mode": 0o40755}}
    from secaudit.facts import collect
    from secaudit.transport.replay import ReplayTransport
    from tests.unit.facts.windows.wintest import recording

    config = AgentConfig(backups=[BackupSet(name="CSDL", path="D:\\Backup\\db-*.bak", max_age="26h", min_count=2)])
    snap = collect(ReplayTransport(recording({}, files=rec_files, stats=stats)), config, only={"backups"})
    (row,) = snap.tables["backups"]
    assert row["path"] == "D:\\Backup\\db-*.bak" and row["count"] == 2, row
    assert "mode" not in row["copies"][0] and row["copies"][0]["path"] == "/D:/Backup/db-2026-11-21.bak"


def test_windows_path() -> None:
    assert backups.windows_path("D:\\Backup\\db-*.bak") == "/D:/Backup/db-*.bak"
    assert backups.windows_path("\\\\nas\\share\\x") == "//nas/share/x"
    assert backups.windows_path("/srv/backup") == "/srv/backup"
