"""`secaudit backup verify` on plain backups made by the real tools (tar, gzip, zip, sha256sum,
b3sum), then damaged on purpose: each problem is found and the evidence names the file."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from secaudit.commands.backup import backup as backup_cli
from tests.conftest import IN_CI, need_tool
from tests.integration.backup_support import DAY, HOUR, age, finding, inventory, make_data, run, verify, write_config

pytestmark = pytest.mark.integration


def _daily_tars(root: Path, data: Path, n: int = 8, newest_age: int = 2 * HOUR) -> Path:
    need_tool("tar")
    backup = root / "backup"
    backup.mkdir(exist_ok=True)
    for i in range(n):
        path = backup / f"docs-{i:02d}.tar.gz"
        run(["tar", "-czf", str(path), "-C", str(data.parent), data.name])
        path.chmod(0o600)
        age(path, newest_age + (n - 1 - i) * DAY)
    backup.chmod(0o700)
    return backup


def _manifests(backup: Path, pattern: str = "docs-*.tar.gz") -> None:
    need_tool("sha256sum")
    need_tool("b3sum")
    names = sorted(p.name for p in backup.glob(pattern))
    (backup / "SHA256SUMS").write_text(run(["sha256sum", "--binary", *names], cwd=backup))
    (backup / "B3SUMS").write_text(run(["b3sum", *names], cwd=backup))


@pytest.fixture
def shm_dir():
    """A folder on another filesystem (tmpfs), standing for the off-site disk."""
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tempfile.gettempdir()).st_dev:
        pytest.skip("no separate tmpfs at /dev/shm")
    path = tempfile.mkdtemp(dir="/dev/shm", prefix="secaudit-offsite-")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


def _set(backup: Path, data: Path, **over):
    return {"name": "Tài liệu", "path": str(backup / "docs-*.tar.gz"), "max_age": "26h", "min_count": 7,
            "source": str(data), "drill_files": 4, **over}


def test_good_set_passes(tmp_path, shm_dir):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)
    _manifests(backup)
    for p in backup.glob("docs-*.tar.gz"):
        shutil.copy2(p, shm_dir / p.name)
    cfg = write_config(tmp_path, [_set(backup, data, offsite=str(shm_dir))])
    code, report, output = verify(cfg)
    statuses = {f["check_id"]: f["status"] for f in report["findings"]}
    assert statuses == {"backup.freshness": "pass", "backup.retention": "pass", "backup.size_anomaly": "pass",
                        "backup.integrity": "pass", "backup.restore_drill": "pass", "backup.offsite": "pass",
                        "backup.protection": "warn", "backup.scope": statuses["backup.scope"]}, output
    assert "not encrypted" in finding(report, "backup.protection")["message"]["en"]
    inv = inventory(report, "Tài liệu")
    ver = inv["verification"]
    assert ver["bytes_covered"] == ver["bytes_total"] > 0 and ver["fully_verified_at"]
    assert "blake3 manifest" in ver["method"] and "sha256 manifest" in ver["method"]
    assert "tar.gz decoded" in ver["method"]
    assert ver["drill"]["files_compared"] == 4 and not ver["drill"]["mismatches"]
    assert inv["offsite"]["same_device"] is False and inv["offsite"]["count"] == 8
    assert code == (1 if "fail" in statuses.values() else 0)  # scope depends on the databases of this machine
    assert "verified" in output and "restore drill (tar.gz extract): 4 files, 4 compared, 0 differ" in output
    # second run: archives were decoded once, now only the manifests' digests are recomputed
    _, again, _ = verify(cfg)
    assert inventory(again, "Tài liệu")["verification"]["method"] == "blake3 manifest + sha256 manifest"


def test_truncated_tar_gz_is_found(tmp_path):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)
    victim = backup / "docs-03.tar.gz"
    blob = victim.read_bytes()
    victim.write_bytes(blob[: len(blob) // 2])
    code, report, _ = verify(write_config(tmp_path, [_set(backup, data)]))
    f = finding(report, "backup.integrity")
    assert f["status"] == "fail" and code == 1
    assert f"{victim} (truncated)" in f["message"]["en"]
    assert f"{victim} (bị cắt cụt)" in f["message"]["vi"]
    errors = inventory(report, "Tài liệu")["verification"]["errors"]
    assert [(e["file"], e["problem"]) for e in errors] == [(str(victim), "truncated")]


def test_zip_with_bad_crc_is_found(tmp_path):
    need_tool("zip")
    data = make_data(tmp_path)
    backup = tmp_path / "backup"
    backup.mkdir()
    for i in range(7):
        path = backup / f"hs-{i}.zip"
        run(["zip", "-q", "-0", "-r", str(path), "data"], cwd=tmp_path)  # stored: the data is in the clear
        path.chmod(0o600)
        age(path, 2 * HOUR + (6 - i) * DAY)
    victim = backup / "hs-2.zip"
    blob = bytearray(victim.read_bytes())
    blob[blob.find("Nguyễn Văn 5".encode()) + 3] ^= 0x01
    victim.write_bytes(bytes(blob))
    age(victim, 2 * HOUR + 4 * DAY)
    _code, report, _ = verify(write_config(tmp_path, [_set(backup, data, path=str(backup / "hs-*.zip"))]))
    f = finding(report, "backup.integrity")
    assert f["status"] == "fail" and f"{victim} (bad CRC)" in f["message"]["en"]
    err = inventory(report, "Tài liệu")["verification"]["errors"][0]
    assert err["file"] == str(victim) and "lop-" in err["detail"]


@pytest.mark.parametrize("manifest", ["SHA256SUMS", "B3SUMS"])
def test_manifest_mismatch_is_found(tmp_path, manifest):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)
    _manifests(backup)
    other = "B3SUMS" if manifest == "SHA256SUMS" else "SHA256SUMS"
    (backup / other).unlink()
    victim = backup / "docs-05.tar.gz"
    st = victim.stat()
    blob = bytearray(victim.read_bytes())
    blob[-20] ^= 0x40  # inside the gzip trailer's CRC: a bit rot
    victim.write_bytes(bytes(blob))
    os.utime(victim, (st.st_atime, st.st_mtime))
    _, report, _ = verify(write_config(tmp_path, [_set(backup, data, verify="hash")]))
    errors = inventory(report, "Tài liệu")["verification"]["errors"]
    assert [(e["file"], e["problem"]) for e in errors] == [(str(victim), "checksum_mismatch")]
    line = 6
    assert f"{backup / manifest}:{line}" in errors[0]["detail"]
    assert str(victim) in finding(report, "backup.integrity")["message"]["en"]


def test_listed_but_missing_copy(tmp_path):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)
    _manifests(backup)
    (backup / "docs-01.tar.gz").unlink()
    _, report, _ = verify(write_config(tmp_path, [_set(backup, data)]))
    errors = inventory(report, "Tài liệu")["verification"]["errors"]
    assert {(e["file"], e["problem"]) for e in errors} == {(str(backup / "docs-01.tar.gz"), "missing")}


def test_stale_newest_too_few_and_small_copies(tmp_path):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data, n=4, newest_age=4 * DAY)
    newest = backup / "docs-03.tar.gz"
    run(["tar", "-czf", str(newest), "-C", str(data), "anh.bin"])  # the job "succeeded" with one file in it
    newest.chmod(0o600)
    age(newest, 4 * DAY)
    _, report, _ = verify(write_config(tmp_path, [_set(backup, data)]))
    fresh = finding(report, "backup.freshness")
    assert fresh["status"] == "fail" and str(newest) in fresh["message"]["en"]
    assert fresh["evidence"]["sets"][0]["newest"] == str(newest)
    ret = finding(report, "backup.retention")
    assert ret["status"] == "fail" and "only 4 copies" in ret["message"]["en"]
    small = finding(report, "backup.size_anomaly")
    assert small["status"] == "fail" and str(newest) in small["message"]["en"]


def test_world_readable_dump_and_sql_end_markers(tmp_path):
    need_tool("gzip")
    make_data(tmp_path)
    backup = tmp_path / "backup"
    backup.mkdir()
    body = "-- MySQL dump 10.13  Distrib 10.11.6-MariaDB\n--\nCREATE TABLE hs (id int);\n" + \
        "INSERT INTO hs VALUES (1);\n" * 2000
    for i in range(7):
        end = "-- Dump completed on 2026-11-19  2:00:01\n" if i != 4 else "INSERT INTO hs VALUES (2"
        raw = backup / f"db-{i}.sql"
        raw.write_text(body + end, encoding="utf-8")
        run(["gzip", "-f", str(raw)])
        path = backup / f"db-{i}.sql.gz"
        path.chmod(0o644 if i == 6 else 0o600)
        age(path, 2 * HOUR + (6 - i) * DAY)
    pg = backup / "pg-0.sql"
    pg.write_text("--\n-- PostgreSQL database dump\n--\nCOPY public.hs (id) FROM stdin;\n1\n", encoding="utf-8")
    pg.chmod(0o600)
    age(pg, 3 * HOUR)
    cfg = write_config(tmp_path, [{"name": "CSDL", "path": str(backup / "db-*.sql.gz"), "min_count": 7},
                                  {"name": "PG", "path": str(pg), "min_count": 1}])
    _, report, _ = verify(cfg)
    prot = finding(report, "backup.protection")
    assert prot["status"] == "fail" and f"{backup / 'db-6.sql.gz'} (0644 root)" in prot["message"]["en"]
    errors = {(e["file"], e["problem"]) for b in report["inventory"]["backups"] for e in b["verification"]["errors"]}
    assert errors == {(str(backup / "db-4.sql.gz"), "incomplete_dump"), (str(pg), "incomplete_dump")}
    scope = inventory(report, "CSDL")["verification"]["formats"]
    assert scope == ["sql.gz (mysqldump)"]


def _pg_bin(name: str) -> str | None:
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return shutil.which(name)


@pytest.mark.skipif(os.geteuid() != 0, reason="runs a throwaway PostgreSQL server as the postgres user")
def test_pg_dump_custom_format_truncated(tmp_path):
    initdb, pg_ctl, pg_dump = _pg_bin("initdb"), _pg_bin("pg_ctl"), _pg_bin("pg_dump")
    if not (initdb and pg_ctl and pg_dump) or not shutil.which("pg_restore"):
        message = "PostgreSQL server binaries are not installed (Debian: postgresql)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    work = Path(tempfile.mkdtemp(prefix="secaudit-pg-"))
    shutil.chown(work, "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    run([*as_pg, initdb, "-D", str(work / "db"), "-A", "trust", "-U", "postgres"])
    sock = str(work)
    run([*as_pg, pg_ctl, "-D", str(work / "db"), "-l", str(work / "log"), "-o", f"-k {sock} -c listen_addresses=''",
             "-w", "start"])
    try:
        run([*as_pg, _pg_bin("psql") or "psql", "-h", sock, "-U", "postgres", "-c",
             "CREATE TABLE hs AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 20000) g"])
        dump = tmp_path / "school.dump"
        run([*as_pg, pg_dump, "-h", sock, "-U", "postgres", "-Fc", "-f", str(work / "school.dump"), "postgres"])
        shutil.copy(work / "school.dump", dump)
    finally:
        subprocess.run([*as_pg, pg_ctl, "-D", str(work / "db"), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    from secaudit.backup.verify.files import FileJob, verify_file

    good = verify_file(FileJob(str(dump), dump.stat().st_size))
    assert good.ok and good.format == "pg_dump custom"
    blob = dump.read_bytes()
    dump.write_bytes(blob[: len(blob) * 3 // 4])
    bad = verify_file(FileJob(str(dump), dump.stat().st_size))
    assert bad.problems and bad.problems[0].file == str(dump)


def test_rolling_budget_covers_every_byte(tmp_path):
    data = make_data(tmp_path, files=2, size=400_000)
    (data / "anh.bin").write_bytes(os.urandom(1_000_000))
    backup = _daily_tars(tmp_path, data, n=6)
    size = (backup / "docs-00.tar.gz").stat().st_size
    cfg = write_config(tmp_path, [_set(backup, data)])
    covered = []
    for _ in range(4):
        _, report, output = verify(cfg, "--budget", str(2 * size + 1))
        ver = inventory(report, "Tài liệu")["verification"]
        covered.append(ver["bytes_covered"])
        assert ver["bytes_verified"] <= 2 * size + 1
    assert covered[0] < covered[1] < covered[2] == covered[3] == 6 * size
    integ = finding(report, "backup.integrity")
    assert integ["status"] == "pass" and "100%" in integ["message"]["en"]
    assert "budget: " in output


def test_drill_reports_a_file_that_differs(tmp_path):
    data = make_data(tmp_path, files=2)
    backup = _daily_tars(tmp_path, data)
    victim = data / "hoc-sinh" / "lop-1.csv"
    st = victim.stat()
    victim.write_text(victim.read_text(encoding="utf-8").replace("Nguyễn", "Trần"), encoding="utf-8")
    os.utime(victim, (st.st_atime, st.st_mtime))  # same time, different content: the backup is wrong
    _, report, _ = verify(write_config(tmp_path, [_set(backup, data, drill_files=50)]))
    f = finding(report, "backup.restore_drill")
    assert f["status"] == "fail" and f"{victim} (content differs)" in f["message"]["en"]
    mism = inventory(report, "Tài liệu")["verification"]["drill"]["mismatches"]
    assert [(m["file"], m["problem"]) for m in mism] == [(str(victim), "content_differs")]


def test_bad_configs_give_clear_errors(tmp_path):
    cfg = write_config(tmp_path, [{"name": "Mất", "path": str(tmp_path / "nowhere" / "db-*.gz")},
                                  {"name": "Restic", "kind": "restic", "path": str(tmp_path / "no-repo"),
                                   "password_file": str(tmp_path / "no-pass")}])
    code, report, _ = verify(cfg)
    f = finding(report, "backup.freshness")
    assert f["status"] == "error" and str(tmp_path / "nowhere") in f["message"]["en"]
    assert "password_file" in f["message"]["en"]
    assert code == 0  # errors, not failures
    # a broken config file: one sentence, exit 2, no traceback
    bad = tmp_path / "bad.toml"
    bad.write_text("[[backup]]\nname = 'x'\npath = '/b'\nmax_age = 'soon'\n", encoding="utf-8")
    code, _, output = verify(bad)
    assert code == 2 and "backup[0].max_age" in output and "Traceback" not in output
    code, _, output = verify(cfg, "--budget", "whenever")
    assert code == 2 and "--budget" in output


def test_corrupt_state_file_is_set_aside(tmp_path):
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)
    cfg = write_config(tmp_path, [_set(backup, data)])
    state = tmp_path / "state" / "backup-state.json"
    state.parent.mkdir()
    state.write_text('{"schema": "secaudit.backup-state/v1", "sets": {"Tài liệu": [', encoding="utf-8")
    result = CliRunner().invoke(backup_cli, ["verify", "--config", str(cfg), "--lang", "en"])
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    assert "Warning:" in result.stderr and "is not valid JSON" in result.stderr and "corrupt-" in result.stderr
    assert len(list(state.parent.glob("backup-state.json.corrupt-*"))) == 1
    assert '"fully_verified_at"' in state.read_text(encoding="utf-8")


def _as_user(user: str, fn):
    """Run `fn` in a forked child that dropped to `user` (the interpreter is already loaded, so
    the virtualenv need not be readable by that user); returns what `fn` returned (JSON)."""
    import json

    entry = pwd.getpwnam(user)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            os.write(wfd, json.dumps(fn()).encode())
            code = 0
        except BaseException:
            import traceback

            os.write(wfd, json.dumps({"child_error": traceback.format_exc()}).encode())
        finally:
            os._exit(code)
    os.close(wfd)
    chunks = []
    while chunk := os.read(rfd, 65536):
        chunks.append(chunk)
    os.close(rfd)
    _, status = os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b"{}")
    assert os.waitstatus_to_exitcode(status) == 0, result
    return result


@pytest.mark.skipif(os.geteuid() != 0, reason="switches to an unprivileged user")
def test_unreadable_directory_is_unknown():
    tmp_path = Path(tempfile.mkdtemp(prefix="secaudit-unreadable-"))  # pytest's own tmp is 0700 root
    tmp_path.chmod(0o755)
    try:
        _unreadable(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _unreadable(tmp_path: Path) -> None:
    data = make_data(tmp_path)
    backup = _daily_tars(tmp_path, data)  # 0700, owned by root
    tmp_path.chmod(0o755)
    work = tmp_path / "nobody"
    work.mkdir()
    shutil.chown(work, "nobody")
    cfg = write_config(tmp_path, [_set(backup, data)])
    mine = work / "secaudit.toml"
    mine.write_text(cfg.read_text().replace(str(tmp_path / "state"), str(work / "state")))
    shutil.chown(mine, "nobody")

    verify(cfg)  # as root first: every module the run needs is imported before the fork
    (tmp_path / "report.json").unlink()

    def child():
        code, report, output = verify(mine)
        return {"code": code, "report": report, "output": output}

    got = _as_user("nobody", child)
    assert "Traceback" not in got["output"] and got["report"], got
    f = finding(got["report"], "backup.freshness")
    assert f["status"] == "unknown" and str(backup) in f["message"]["en"]
    assert "run as root" in f["message"]["en"] or "permission" in f["message"]["en"].lower()
    fails = any(x["status"] == "fail" for x in got["report"]["findings"])
    assert got["code"] == (1 if fails else 0)
