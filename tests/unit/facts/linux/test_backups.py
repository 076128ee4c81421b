"""The `backups` collector on fixture roots: copies from globs and directories, owners from the
root's own passwd, the verification state file, and problems recorded instead of guessed."""

from __future__ import annotations

import json
import os

from secaudit.backup import state as st
from secaudit.config import AgentConfig, BackupSet
from tests.conftest import facts_of, run_check

PASSWD = "root:x:0:0:root:/root:/bin/bash\nbackup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n"
GROUP = "root:x:0:\nbackup:x:34:\n"
T0 = 1_763_500_000  # 2025-11-18


def _root(make_root, extra=None):
    files = {"etc/passwd": PASSWD, "etc/group": GROUP, **(extra or {})}
    return make_root(files)


def _age(root, rel, ts):
    os.utime(root / rel, (ts, ts))


def _cfg(*sets, state_dir="/var/lib/secaudit"):
    return AgentConfig(backups=list(sets), state_dir=state_dir, role="server")


def test_glob_copies_newest_first_with_owner_and_mode(make_root):
    root = _root(make_root, {
        "srv/backup/db-1.sql.gz": (b"\x1f\x8b" + b"a" * 98, 0o600),
        "srv/backup/db-2.sql.gz": (b"\x1f\x8b" + b"b" * 198, 0o644),
        "srv/backup/db-3.sql.gz.part": b"in progress",
        "srv/backup/db-2.sql.gz.sha256": "0" * 64 + "\n",
        "srv/backup/notes.txt": "x",
        "srv/backup/db-9.sql.gz.age": b"age-encryption.org/v1\n-> X25519 abc\n",
    })
    os.chown(root / "srv/backup/db-2.sql.gz", 34, 34)
    _age(root, "srv/backup/db-1.sql.gz", T0)
    _age(root, "srv/backup/db-2.sql.gz", T0 + 86400)
    _age(root, "srv/backup/db-9.sql.gz.age", T0 - 86400)
    snap = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/db-*.sql.gz*", source="/srv/data")),
                    only={"backups"})
    row = snap.table("backups")[0]
    assert [c["path"] for c in row["copies"]] == ["/srv/backup/db-2.sql.gz", "/srv/backup/db-1.sql.gz",
                                                  "/srv/backup/db-9.sql.gz.age"]
    newest = row["copies"][0]
    assert newest["mode"] == "0644" and newest["owner"] == "backup" and newest["size_bytes"] == 200
    assert newest["encrypted"] is False and row["copies"][2]["encrypted"] is True
    assert row["count"] == 3 and row["span_days"] == 2
    assert row["newest_time"] == "2025-11-19T21:06:40Z"
    assert row["directory"]["path"] == "/srv/backup" and row["source"] == "stat /srv/backup/db-*.sql.gz*"
    assert row["verification"]["verified_at"] is None and row["error"] is None


def test_directory_of_daily_folders(make_root):
    root = _root(make_root, {
        "srv/backup/2025-11-18/hs.xlsx": "a" * 100,
        "srv/backup/2025-11-18/SHA256SUMS": "x",
        "srv/backup/2025-11-19/hs.xlsx": "b" * 150,
        "srv/backup/2025-11-19/sub/diem.csv": "c" * 50,
        "srv/backup/lost+found/x": "",
        "srv/backup/.snapshot-tmp/x": "",
    })
    _age(root, "srv/backup/2025-11-18/hs.xlsx", T0)
    _age(root, "srv/backup/2025-11-19/sub/diem.csv", T0 + 86400)
    snap = facts_of(root, _cfg(BackupSet(name="Tài liệu", path="/srv/backup/")), only={"backups"})
    copies = snap.table("backups")[0]["copies"]
    assert [(c["path"], c["size_bytes"], c["is_dir"]) for c in copies] == [
        ("/srv/backup/2025-11-19", 200, True), ("/srv/backup/2025-11-18", 101, True)]


def test_missing_directory_is_a_config_error(make_root):
    root = _root(make_root)
    snap = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/nothing/db-*.gz")), only={"backups"})
    row = snap.table("backups")[0]
    assert row["error"]["code"] == "not_found" and "/srv/nothing" in row["error"]["detail"]
    res = run_check("backup.freshness", snap)
    assert res.status == "error" and "/srv/nothing" in res.message["en"]


def test_repositories_need_a_live_system(make_root):
    root = _root(make_root, {"srv/restic/config": "x", "etc/restic.pass": "pw"})
    snap = facts_of(root, _cfg(BackupSet(name="r", kind="restic", path="/srv/restic",
                                         password_file="/etc/restic.pass")), only={"backups"})
    row = snap.table("backups")[0]
    assert row["error"]["code"] == "not_applicable"
    assert run_check("backup.freshness", snap).status == "unknown"


def test_restic_without_password_file_is_a_config_error(make_root):
    root = _root(make_root, {"srv/restic/config": "x"})
    snap = facts_of(root, _cfg(BackupSet(name="r", kind="restic", path="/srv/restic")), only={"backups"})
    assert snap.table("backups")[0]["error"] == {"code": "config", "detail": "restic set 'r' has no password_file"}


def test_verification_results_come_from_the_state_file(make_root):
    state = st.empty()
    entry = st.set_entry(state, "CSDL")
    entry.update({"kind": "files", "path": "/srv/backup/db-*.gz", "fully_verified_at": T0,
                  "last_run": {"at": T0 + 60, "bytes_verified": 10, "bytes_total": 20, "bytes_covered": 20,
                               "method": "sha256 manifest"},
                  "errors": [{"file": "/srv/backup/db-1.gz", "problem": "truncated", "detail": "gzip: …"}],
                  "errors_count": 1,
                  "files": {"/srv/backup/db-1.gz": {"format": "sql.gz (mysqldump)"}},
                  "drill": {"at": T0, "copy": "/srv/backup/db-1.gz", "method": "gzip decompress",
                            "files_restored": 1, "files_compared": 0, "mismatches": [], "error": None}})
    root = _root(make_root, {"srv/backup/db-1.gz": b"\x1f\x8b",
                             "var/lib/secaudit/backup-state.json": json.dumps(state)})
    snap = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/db-*.gz")), only={"backups"})
    ver = snap.table("backups")[0]["verification"]
    assert ver["verified_at"] == "2025-11-18T21:07:40Z" and ver["fully_verified_at"] == "2025-11-18T21:06:40Z"
    assert ver["errors"][0]["file"] == "/srv/backup/db-1.gz" and ver["formats"] == ["sql.gz (mysqldump)"]
    assert ver["drill"]["method"] == "gzip decompress"
    # a redefined set does not inherit the old results
    snap2 = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/")), only={"backups"})
    assert snap2.table("backups")[0]["verification"]["verified_at"] is None


def test_corrupt_state_file_is_unknown_with_a_reason(make_root):
    root = _root(make_root, {"srv/backup/db-1.gz": b"x", "var/lib/secaudit/backup-state.json": "{oops"})
    snap = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/db-*.gz")), only={"backups"})
    why = snap.unknown["backups.verification"]
    assert why["code"] == "error" and "backup-state.json" in why["detail"] and "afresh" in why["detail"]
    assert snap.table("backups")[0]["count"] == 1


def test_local_offsite_on_another_path(make_root):
    root = _root(make_root, {"srv/backup/db-1.gz": b"x", "srv/backup/db-2.gz": b"y",
                             "mnt/usb/backup/db-1.gz": b"x", "mnt/usb/backup/other.txt": b"z"})
    _age(root, "srv/backup/db-1.gz", T0)
    _age(root, "srv/backup/db-2.gz", T0 + 86400)
    _age(root, "mnt/usb/backup/db-1.gz", T0 + 3600)
    snap = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/db-*.gz", offsite="/mnt/usb/backup")),
                    only={"backups"})
    off = snap.table("backups")[0]["offsite"]
    assert off["reachable"] is True and off["count"] == 1 and off["newest_path"] == "/mnt/usb/backup/db-1.gz"
    assert off["missing"] == ["/srv/backup/db-2.gz"]
    assert off["same_device"] is True  # a fixture root is one filesystem
    gone = facts_of(root, _cfg(BackupSet(name="CSDL", path="/srv/backup/db-*.gz", offsite="/mnt/nas")),
                    only={"backups"})
    assert gone.table("backups")[0]["offsite"]["error"]["code"] == "not_found"


def test_no_sets_is_an_empty_table(make_root):
    snap = facts_of(_root(make_root), AgentConfig(), only={"backups"})
    assert snap.table("backups") == [] and "backups" not in snap.unknown


def test_password_file_mode_is_a_fact_even_on_a_mounted_image(make_root):
    root = _root(make_root, {"srv/restic/config": "x", "etc/restic.pass": ("pw", 0o644),
                             "etc/borg.pass": ("pw", 0o640)})
    os.chown(root / "etc/borg.pass", 0, 34)
    snap = facts_of(root, _cfg(BackupSet(name="r", kind="restic", path="/srv/restic", password_file="/etc/restic.pass"),
                               BackupSet(name="b", kind="borg", path="/srv/restic", password_file="/etc/borg.pass")),
                    only={"backups"})
    rows = {r["set"]: r for r in snap.table("backups")}
    assert rows["r"]["password_file"] | {"uid": 0} == {"path": "/etc/restic.pass", "mode": "0644", "owner": "root",
                                                       "group": "root", "uid": 0, "gid": 0, "regular": True}
    assert rows["b"]["password_file"]["group"] == "backup"
    assert rows["r"]["error"]["code"] == "not_applicable"  # the repository itself needs a live system
    res = run_check("backup.protection", snap)
    assert res.status == "fail" and "/etc/restic.pass (0644 root:root)" in res.message["en"]
    assert "/etc/borg.pass (0640 root:backup)" in res.message["en"]


def test_a_cut_listing_is_flagged_and_offsite_missing_is_looked_up_by_name(make_root, monkeypatch):
    files = {f"srv/backup/2025-11-1{d}/f{i:03d}.txt": "x" for d in range(3) for i in range(40)}
    files.update({f"mnt/usb/2025-11-1{d}/f{i:03d}.txt": "x" for d in range(3) for i in range(40)})
    root = _root(make_root, files)
    monkeypatch.setattr("secaudit.backup.sets.AUDIT_WALK", 50)
    monkeypatch.setattr("secaudit.backup.offsite.OFFSITE_WALK", 10)
    snap = facts_of(root, _cfg(BackupSet(name="Cắt", path="/srv/backup", offsite="/mnt/usb")), only={"backups"})
    row = snap.table("backups")[0]
    assert row["listing"]["complete"] is False and row["listing"]["entries"] == 50
    assert [c.get("complete") for c in row["copies"]] == [True, False, False]
    assert row["offsite"]["complete"] is False and row["offsite"]["missing"] == []
    (root / "mnt/usb/2025-11-12/f000.txt").unlink()
    for f in (root / "mnt/usb/2025-11-12").iterdir():
        f.unlink()
    (root / "mnt/usb/2025-11-12").rmdir()
    newest = row["copies"][0]["path"]
    gone = facts_of(root, _cfg(BackupSet(name="Cắt", path="/srv/backup", offsite="/mnt/usb")), only={"backups"})
    assert gone.table("backups")[0]["offsite"]["missing"] == [newest]
