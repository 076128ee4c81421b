"""backup.* checks judged on hand-written `backups` rows (the evaluation time is 2026-11-20T00:00:00Z)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import run_check, snapshot

NOW = "2026-11-20T00:00:00Z"


def _copies(sizes: list[int | None], hours_apart: int = 24, first_age_h: int = 2, mode: str = "0600",
            encrypted: bool | None = False, stem: str = "/srv/backup/db", ext: str = ".sql.gz"
            ) -> list[dict[str, Any]]:
    out = []
    for i, size in enumerate(sizes):
        age = first_age_h + i * hours_apart
        day, hour = divmod(24 * 20 - age, 24)
        out.append({"path": f"{stem}-{i}{ext}", "time": f"2026-11-{day:02d}T{hour:02d}:00:00Z",
                    "size_bytes": size, "mode": mode, "owner": "root", "group": "root", "is_dir": False,
                    "encrypted": encrypted})
    return out


def _row(**over: Any) -> dict[str, Any]:
    copies = over.pop("copies", _copies([1000] * 8))
    row: dict[str, Any] = {
        "set": "CSDL", "kind": "files", "path": "/srv/backup/db-*.sql.gz", "data_source": "/srv/data",
        "personal_data": True, "max_age_seconds": 26 * 3600, "min_count": 7, "copies": copies,
        "count": len(copies), "newest_time": copies[0]["time"] if copies else None,
        "oldest_time": copies[-1]["time"] if copies else None, "span_days": max(0, len(copies) - 1),
        "directory": {"path": "/srv/backup", "mode": "0700", "owner": "root", "group": "root"},
        "encryption": None, "same_device_as_source": False,
        "offsite": {"location": "/mnt/usb/backup", "kind": "local", "checked_at": NOW, "reachable": True,
                    "newest_time": "2026-11-19T20:00:00Z", "newest_path": "/mnt/usb/backup/db-0.sql.gz",
                    "count": 8, "same_device": False, "missing": [], "max_age_seconds": 26 * 3600, "error": None},
        "verification": {"verified_at": "2026-11-19T03:00:00Z", "bytes_verified": 8000, "bytes_total": 8000,
                         "bytes_covered": 8000, "fully_verified_at": "2026-11-19T03:00:00Z",
                         "method": "sha256 manifest", "errors": [], "errors_count": 0, "config_error": None,
                         "formats": ["sql.gz (mysqldump)"], "notes": [],
                         "drill": {"at": "2026-11-19T03:00:00Z", "copy": "/srv/backup/db-0.sql.gz",
                                   "method": "tar.gz extract", "files_restored": 20, "files_compared": 18,
                                   "skipped_changed": 2, "mismatches": [], "error": None}},
        "error": None, "source": "stat /srv/backup/db-*.sql.gz",
    }
    for key, value in over.items():
        if "." in key:
            outer, inner = key.split(".", 1)
            row[outer] = {**row[outer], inner: value}
        else:
            row[key] = value
    return row


def _snap(*rows: dict[str, Any], **tables: Any):
    return snapshot({"backups": list(rows), **tables}, collected_at=NOW)


ALL = ["backup.freshness", "backup.retention", "backup.size_anomaly", "backup.integrity", "backup.restore_drill",
       "backup.offsite", "backup.protection", "backup.scope"]


@pytest.mark.parametrize("check_id", ALL)
def test_a_good_set_passes_everything(check_id):
    res = run_check(check_id, _snap(_row(encryption=None, copies=_copies([1000] * 8, encrypted=True)),
                                    software=[], listening_ports=[]), role="server")
    assert res.status == "pass", res.message


@pytest.mark.parametrize("check_id", ALL)
def test_no_sets_warns_on_servers_only(check_id):
    server = run_check(check_id, _snap(), role="server")
    assert server.status == "warn" and "[[backup]]" in server.message["vi"]
    assert run_check(check_id, _snap(), role="workstation").status == "not_applicable"


def test_unknown_table_is_unknown():
    snap = snapshot({}, unknown={"backups": {"code": "permission_denied", "detail": "/srv/backup"}})
    assert run_check("backup.freshness", snap).status == "unknown"


def test_freshness_late_then_stale_names_the_file():
    late = run_check("backup.freshness", _snap(_row(copies=_copies([1] * 8, first_age_h=30))))
    assert late.status == "warn" and "db-0.sql.gz" in late.message["en"]
    stale = run_check("backup.freshness", _snap(_row(copies=_copies([1] * 8, first_age_h=80))))
    assert stale.status == "fail" and "/srv/backup/db-0.sql.gz" in stale.message["vi"]
    assert stale.evidence["sets"][0]["age_seconds"] == 80 * 3600
    future = run_check("backup.freshness", _snap(_row(copies=_copies([1] * 8, first_age_h=-5))))
    assert future.status == "warn" and "future" in future.message["en"]


def test_freshness_empty_set_and_config_errors():
    empty = run_check("backup.freshness", _snap(_row(copies=[])))
    assert empty.status == "fail" and "/srv/backup/db-*.sql.gz" in empty.message["en"]
    bad = run_check("backup.freshness", _snap(_row(error={"code": "config", "detail": "no restic repository at /x"})))
    assert bad.status == "error" and "no restic repository at /x" in bad.message["en"]
    denied = run_check("backup.freshness", _snap(_row(error={"code": "permission_denied", "detail": "/srv/backup"})))
    assert denied.status == "unknown"


def test_worst_set_speaks_first():
    good, bad = _row(), _row(set="Tài liệu", copies=_copies([1] * 8, first_age_h=200))
    res = run_check("backup.freshness", _snap(good, bad))
    assert res.status == "fail" and "Tài liệu" in res.message["vi"]
    assert "1 bộ khác đạt" in res.message["vi"]
    assert [s["status"] for s in res.evidence["sets"]] == ["fail", "pass"]


def test_retention_too_few():
    res = run_check("backup.retention", _snap(_row(copies=_copies([1] * 3))))
    assert res.status == "fail" and "3" in res.message["en"] and "7" in res.message["en"]


def test_size_anomaly():
    small = run_check("backup.size_anomaly", _snap(_row(copies=_copies([100, 1000, 1100, 900, 1000]))))
    assert small.status == "fail" and "db-0.sql.gz" in small.message["en"]
    assert small.evidence["sets"][0]["median_bytes"] == 1000
    empty = run_check("backup.size_anomaly", _snap(_row(copies=_copies([0, 1000, 1000, 1000]))))
    assert empty.status == "fail" and "0 byte" in empty.message["vi"]
    short = run_check("backup.size_anomaly", _snap(_row(copies=_copies([10, 1000]))))
    assert short.status == "not_applicable"
    restic = run_check("backup.size_anomaly", _snap(_row(kind="restic", copies=_copies([None] * 5))))
    assert restic.status == "not_applicable"
    grown = run_check("backup.size_anomaly", _snap(_row(copies=_copies([5000, 1000, 1000, 1000]))))
    assert grown.status == "pass"


def test_integrity_errors_name_the_files():
    errors = [{"file": "/srv/backup/db-3.tar.gz", "problem": "truncated", "detail": "gzip: ..."},
              {"file": "/srv/backup/db-4.zip", "problem": "bad_crc", "detail": "zip member a"}]
    res = run_check("backup.integrity", _snap(_row(**{"verification.errors": errors,
                                                      "verification.errors_count": 2})))
    assert res.status == "fail"
    assert "/srv/backup/db-3.tar.gz (bị cắt cụt)" in res.message["vi"]
    assert "/srv/backup/db-4.zip (bad CRC)" in res.message["en"]


def test_integrity_never_partial_stale():
    never = run_check("backup.integrity", _snap(_row(**{"verification.verified_at": None})))
    assert never.status == "warn" and "secaudit backup verify" in never.message["en"]
    partial = run_check("backup.integrity", _snap(_row(**{"verification.fully_verified_at": None,
                                                          "verification.bytes_covered": 2000})))
    assert partial.status == "warn" and "25%" in partial.message["en"]
    stale = run_check("backup.integrity", _snap(_row(**{"verification.fully_verified_at": "2026-09-01T00:00:00Z"})))
    assert stale.status == "warn" and "31" in stale.message["vi"]
    cfg = run_check("backup.integrity", _snap(_row(**{"verification.config_error": {
        "code": "config", "detail": "restic repository /r: wrong password (check password_file)"}})))
    assert cfg.status == "error" and "wrong password" in cfg.message["en"]


def test_restore_drill_outcomes():
    drill = _row()["verification"]["drill"]
    never = run_check("backup.restore_drill", _snap(_row(**{"verification.drill": None})))
    assert never.status == "fail"
    mism = dict(drill, mismatches=[{"file": "/srv/data/hs.xlsx", "member": "srv/data/hs.xlsx",
                                    "problem": "content_differs", "detail": "…"}])
    bad = run_check("backup.restore_drill", _snap(_row(**{"verification.drill": mism})))
    assert bad.status == "fail" and "/srv/data/hs.xlsx (nội dung khác)" in bad.message["vi"]
    old = run_check("backup.restore_drill",
                    _snap(_row(**{"verification.drill": dict(drill, at="2026-03-01T00:00:00Z")})))
    assert old.status == "warn"
    ancient = run_check("backup.restore_drill",
                        _snap(_row(**{"verification.drill": dict(drill, at="2025-06-01T00:00:00Z")})))
    assert ancient.status == "fail"
    nosrc = run_check("backup.restore_drill", _snap(_row(data_source=None)))
    assert nosrc.status == "warn" and "source" in nosrc.message["en"]
    err = run_check("backup.restore_drill", _snap(_row(**{"verification.drill": dict(
        drill, error={"code": "tool_error", "detail": "restic restore exited with code 1"})})))
    assert err.status == "fail" and "restic restore" in err.message["en"]


def test_offsite_outcomes():
    base = _row()["offsite"]
    none = run_check("backup.offsite", _snap(_row(offsite=None)))
    assert none.status == "warn"
    same = run_check("backup.offsite", _snap(_row(offsite=None, same_device_as_source=True)))
    assert same.status == "fail" and "/srv/data" in same.message["en"]
    missing = run_check("backup.offsite", _snap(_row(offsite=dict(base, error={
        "code": "not_found", "detail": "backup@127.0.0.1:2222/backups: no such directory"}))))
    assert missing.status == "fail" and "127.0.0.1" in missing.message["en"]
    stale = run_check("backup.offsite", _snap(_row(offsite=dict(base, newest_time="2026-11-10T00:00:00Z"))))
    assert stale.status == "fail" and "/mnt/usb/backup/db-0.sql.gz" in stale.message["en"]
    dev = run_check("backup.offsite", _snap(_row(offsite=dict(base, same_device=True))))
    assert dev.status == "fail"
    lag = run_check("backup.offsite", _snap(_row(offsite=dict(base, missing=["/srv/backup/db-0.sql.gz"]))))
    assert lag.status == "warn" and "db-0.sql.gz" in lag.message["vi"]
    unchecked = run_check("backup.offsite", _snap(_row(offsite=dict(base, kind="sftp", checked_at=None))))
    assert unchecked.status == "unknown"


def test_protection():
    readable = run_check("backup.protection", _snap(_row(copies=_copies([1] * 8, mode="0644"))))
    assert readable.status == "fail" and "/srv/backup/db-0.sql.gz (0644 root)" in readable.message["en"]
    assert readable.evidence["sets"][0]["world_readable"][0]["mode"] == "0644"
    not_personal = run_check("backup.protection", _snap(_row(personal_data=False,
                                                             copies=_copies([1] * 8, mode="0644"))))
    assert not_personal.status == "pass"
    writable_dir = run_check("backup.protection", _snap(_row(directory={"path": "/srv/backup", "mode": "0777"})))
    assert writable_dir.status == "fail"
    sticky = run_check("backup.protection", _snap(_row(directory={"path": "/tmp", "mode": "1777"},
                                                       copies=_copies([1] * 8, encrypted=True))))
    assert sticky.status == "pass"
    plain = run_check("backup.protection", _snap(_row()))
    assert plain.status == "warn" and "db-0.sql.gz" in plain.message["en"]
    borg = run_check("backup.protection", _snap(_row(kind="borg", encryption="none", copies=_copies(
        [None] * 3, mode=None, encrypted=None))))
    assert borg.status == "warn" and "encryption none" in borg.message["en"]


def test_scope():
    ports = [{"proto": "tcp", "address": "127.0.0.1", "port": 3306, "process": "mariadbd"}]
    docs = _row(set="Tài liệu", path="/srv/backup/docs-*.tar.gz", copies=_copies([1] * 8, stem="/srv/backup/docs",
                                                                                       ext=".tar.gz"),
                **{"verification.formats": ["tar.gz"]})
    res = run_check("backup.scope", _snap(docs, listening_ports=ports))
    assert res.status == "fail" and "mariadbd (tcp/3306)" in res.message["en"]
    ok = run_check("backup.scope", _snap(docs, _row(), listening_ports=ports))
    assert ok.status == "pass" and "CSDL" in ok.message["en"]
    pkg = run_check("backup.scope", _snap(software=[{"name": "postgresql-15", "version": "15.8"}]),
                    role="workstation")
    assert pkg.status == "fail"


def test_rows_are_not_modified():
    row = _row()
    before = copy.deepcopy(row)
    for cid in ALL:
        run_check(cid, _snap(row))
    assert row == before


# -- issue 9: no pass without positive evidence ---------------------------------------------------

def _pw(mode: str, group: str = "root", gid: int = 0) -> dict[str, Any]:
    return {"path": "/etc/restic.pass", "mode": mode, "owner": "root", "group": group, "uid": 0, "gid": gid,
            "regular": True}


def _restic_row(**over: Any) -> dict[str, Any]:
    return _row(kind="restic", path="/srv/restic", encryption="repository",
                copies=_copies([None] * 8, mode=None, encrypted=True), **over)


@pytest.mark.parametrize(("mode", "group", "gid", "status"), [
    ("0644", "root", 0, "fail"),  # world-readable
    ("0640", "backup", 34, "fail"),  # readable by a group that is not root's: its members decrypt everything
    ("0640", "root", 0, "pass"),
    ("0600", "backup", 34, "pass"),
    ("0620", "staff", 50, "fail"),  # writable by the group: the password can be swapped
    ("0400", "root", 0, "pass"),
])
def test_password_file_exposure(mode, group, gid, status):
    res = run_check("backup.protection", _snap(_restic_row(password_file=_pw(mode, group, gid))))
    assert res.status == status, res.message
    if status == "fail":
        assert "/etc/restic.pass" in res.message["en"] and mode in res.message["en"]
        assert "tệp mật khẩu /etc/restic.pass" in res.message["vi"]
        ev = res.evidence["sets"][0]
        assert ev["password_file"] == {"path": "/etc/restic.pass", "mode": mode, "owner": "root", "group": group}


def test_password_file_judged_even_when_the_repository_cannot_be_listed():
    row = _restic_row(password_file=_pw("0644"), error={"code": "not_applicable", "detail": "no commands on --root"})
    assert run_check("backup.protection", _snap(row)).status == "fail"


def test_no_copies_is_never_a_pass():
    empty = _row(copies=[], count=0, min_count=0)
    assert run_check("backup.retention", _snap(empty)).status == "fail"
    assert run_check("backup.protection", _snap(empty)).status == "unknown"
    assert run_check("backup.integrity", _snap(empty)).status == "unknown"
    assert run_check("backup.freshness", _snap(empty)).status == "fail"


def test_old_copies_beyond_the_first_page_are_judged():
    others = [{"mode": "0644", "owner": "root", "group": "root", "count": 12, "example": "/srv/backup/db-old.sql.gz"}]
    res = run_check("backup.protection", _snap(_row(copies=_copies([1] * 8, encrypted=True), other_copies=others)))
    assert res.status == "fail" and "/srv/backup/db-old.sql.gz (0644 root) +11" in res.message["en"]


def test_integrity_share_counts_files_and_an_incomplete_listing_never_passes():
    many_empty = _row(**{"verification.bytes_total": 0, "verification.bytes_covered": 0,
                         "verification.files_total": 200_000, "verification.files_covered": 40_000,
                         "verification.fully_verified_at": None})
    res = run_check("backup.integrity", _snap(many_empty))
    assert res.status == "warn" and "40000 of 200000 files, 20%" in res.message["en"]
    assert res.evidence["sets"][0]["covered_percent"] == 20
    unlisted = _row(**{"verification.listing_complete": False, "verification.files_total": 10,
                       "verification.files_covered": 10})
    res = run_check("backup.integrity", _snap(unlisted))
    assert res.status == "warn" and "could be listed" in res.message["en"]


def test_partial_listing_makes_age_and_size_unknown_not_failed():
    copies = _copies([None] * 8, first_age_h=200)
    for c in copies:
        c["is_dir"], c["complete"] = True, False
    row = _row(copies=copies, listing={"complete": False, "entries": 20000, "limit": 20000, "truncated": True,
                                       "special": 0, "unlisted": 0})
    assert run_check("backup.freshness", _snap(row)).status == "unknown"
    assert run_check("backup.size_anomaly", _snap(row)).status == "unknown"
    fresh = _copies([None] * 8)
    assert run_check("backup.freshness", _snap(_row(copies=fresh, listing=row["listing"]))).status == "pass"


def test_offsite_partial_listing_is_unknown_when_not_fresh():
    base = _row()["offsite"]
    res = run_check("backup.offsite", _snap(_row(offsite=dict(base, newest_time="2026-11-10T00:00:00Z",
                                                              complete=False))))
    assert res.status == "unknown" and "stopped short" in res.message["en"]


def test_unsafe_member_names_fail_the_drill():
    drill = dict(_row()["verification"]["drill"], mismatches=[
        {"file": "/srv/backup/db-0.tar.gz", "member": "../../etc/cron.d/x", "problem": "unsafe_name",
         "detail": "1 members have names with '..'"}])
    res = run_check("backup.restore_drill", _snap(_row(**{"verification.drill": drill})))
    assert res.status == "fail" and "'..'" in res.message["en"] and "/srv/backup/db-0.tar.gz" in res.message["vi"]


def test_scope_without_ports_or_software_is_unknown():
    snap = snapshot({"backups": [_row(set="Tài liệu", path="/srv/docs")]}, collected_at=NOW,
                    unknown={"listening_ports": {"code": "permission_denied", "detail": "ss"},
                             "software": {"code": "not_found", "detail": "dpkg"}})
    assert run_check("backup.scope", snap).status == "unknown"
