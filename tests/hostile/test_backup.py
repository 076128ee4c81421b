"""Hostile corpus, classes 6 and 12 and the backup half of class 5 (issue 9): `secaudit backup verify`
on backups an attacker or a broken disk controls.

The promises, each checked on real files, real archives and real restic repositories:
  - honest coverage: a 200,000-file set is covered in budgeted slices and every report states the
    share verified in files and bytes; a listing cut at its cap never reports a file "missing" and
    never passes;
  - the restore drill stays under `source` (`..`, absolute names, backslashes, symbolic links) and
    writes nothing outside its own folder; a zip or tar bomb is decoded only up to the live file's
    size plus a little, under an address-space limit;
  - one broken input (a bad deflate stream, truncated gzip/xz/zstd/bzip2, a FIFO in the backup folder
    or as a manifest, a symbolic-link loop, hostile restic output) is one finding: every other set is
    verified and the report is written, never `Internal error`;
  - a password_file others can read fails backup.protection with the path, mode and owner.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit.backup import drill as drill_mod
from secaudit.backup.budget import Allowance
from secaudit.backup.filesets import verify_set
from secaudit.backup.sets import list_borg, list_restic, list_set
from secaudit.backup.verify.files import FileJob, verify_file
from secaudit.backup.walk import VERIFY_WALK
from secaudit.config import BackupSet
from secaudit.transport.base import CommandResult
from secaudit.transport.local import LocalTransport
from tests.conftest import facts_of, need_tool
from tests.integration.backup_support import (
    DAY,
    HOUR,
    NOW,
    age,
    finding,
    inventory,
    make_data,
    run,
    verify,
    write_config,
)

pytestmark = pytest.mark.integration

EXE = [sys.executable, "-m", "secaudit"]
AS_LIMIT = 1 << 30  # 1 GiB of address space: less than one bomb member expands to
BOMB = 1 << 30  # bytes a bomb member expands to
MiB = 1 << 20


def _cli(config: Path, *extra: str, limit_as: int | None = None, timeout: float = 180
         ) -> tuple[int, dict[str, Any], str]:
    """`secaudit backup verify` as its own process (optionally under an address-space limit)."""
    out = config.parent / "report-cli.json"
    out.unlink(missing_ok=True)
    argv = [*EXE, "backup", "verify", "--config", str(config), "--lang", "en", "--format", "json", "-o", str(out),
            *extra]
    if limit_as is not None:
        if shutil.which("prlimit") is None:
            pytest.fail("prlimit (util-linux) is needed to bound the address space")
        argv = ["prlimit", f"--as={limit_as}", "--", *argv]
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # glibc reserves 64 MiB of address space per thread arena
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return proc.returncode, report, proc.stdout + proc.stderr


def _sets(report: dict[str, Any], check_id: str) -> dict[str, dict[str, Any]]:
    return {s["set"]: s for s in finding(report, check_id)["evidence"]["sets"]}


def _private(path: Path) -> Path:
    path.chmod(0o600)
    return path


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of this test's own (in process and for a spawned secaudit), so that drills of
    other tests or sessions running at the same time never look like ours left behind."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setenv("TMPDIR", str(where))
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def _no_drill_dirs_left() -> None:
    assert not list(Path(tempfile.gettempdir()).glob("secaudit-drill-*"))


# -- class 6: a 200,000-file set --------------------------------------------------------------------

def _big_set(root: Path, files: int = 200_000, per_dir: int = 1000) -> Path:
    """One directory copy of `files` one-byte files, as hard links (as rsnapshot keeps them): fast."""
    backup = root / "backup"
    copy = backup / "2026-12-01"
    seeds = []
    for n in range(4):  # ext4 allows 65,000 links per inode
        seed = root / f"seed-{n}"
        seed.write_bytes(b"x")
        seeds.append(seed)
    for i in range(files):
        if i % per_dir == 0:
            (copy / f"d{i // per_dir:03d}").mkdir(parents=True)
        os.link(seeds[i % 4], copy / f"d{i // per_dir:03d}" / f"f{i % per_dir:04d}")
    copy.chmod(0o700)
    backup.chmod(0o700)
    return backup


def test_200k_files_are_covered_in_budgeted_slices_and_each_report_states_the_share(tmp_path):
    backup = _big_set(tmp_path)
    cfg = write_config(tmp_path, [{"name": "Nhiều tệp", "path": str(backup), "min_count": 1, "drill_files": 3}])
    _, report, output = verify(cfg, "--budget", "120000")  # bytes: 120,000 one-byte files per run
    ver = inventory(report, "Nhiều tệp")["verification"]
    assert (ver["files_total"], ver["files_covered"]) == (200_000, 120_000)
    assert (ver["bytes_total"], ver["bytes_covered"]) == (200_000, 120_000)
    assert ver["listing_complete"] is True and ver["fully_verified_at"] is None
    integ = finding(report, "backup.integrity")
    assert integ["status"] == "warn" and "120000 of 200000 files, 60%" in integ["message"]["en"]
    assert "120000/200000 tệp, 60%" in integ["message"]["vi"]
    assert "120000 of 200000 files covered" in output
    _, report, output = verify(cfg, "--budget", "120000")  # the rest: never-verified files go first
    ver = inventory(report, "Nhiều tệp")["verification"]
    assert (ver["files_covered"], ver["bytes_covered"]) == (200_000, 200_000) and ver["fully_verified_at"]
    integ = finding(report, "backup.integrity")
    assert integ["status"] == "pass" and "200000 of 200000 files, 100%" in integ["message"]["en"]
    state = json.loads((tmp_path / "state" / "backup-state.json").read_text(encoding="utf-8"))
    assert "files" not in state["sets"]["Nhiều tệp"]  # per-file records live in their own index
    assert (tmp_path / "state" / "backup-state.json").stat().st_size < 64 << 10


def test_a_listing_cut_at_its_cap_reports_no_missing_file_and_never_passes(tmp_path, monkeypatch):
    backup = tmp_path / "backup"
    copy = backup / "2026-12-01"
    copy.mkdir(parents=True)
    lines = []
    for i in range(1200):
        body = f"{i}\n".encode()
        (copy / f"f{i:04d}.txt").write_bytes(body)
        lines.append(f"{hashlib.sha256(body).hexdigest()}  2026-12-01/f{i:04d}.txt\n")
    (backup / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr("secaudit.backup.engine.VERIFY_WALK", 500)
    cfg = write_config(tmp_path, [{"name": "Cắt", "path": str(backup), "min_count": 1, "drill_files": 2}])
    for _ in range(2):
        _, report, output = verify(cfg)
        ver = inventory(report, "Cắt")["verification"]
        assert not [e for e in ver["errors"] if e["problem"] == "missing"], ver["errors"]
        assert ver["listing_complete"] is False and ver["fully_verified_at"] is None
        assert ver["files_total"] < 1200 and ver["files_covered"] == ver["files_total"]
        integ = finding(report, "backup.integrity")
        assert integ["status"] == "warn" and "could be listed" in integ["message"]["en"]
        assert "not fully listed: stopped after 500 entries (limit 500)" in output
        assert any("listing stopped after 500 entries" in n for n in ver["notes"])
    assert VERIFY_WALK >= 200_000  # the real cap lets a 200,000-file set be listed whole


# -- class 6: the restore drill -----------------------------------------------------------------------

def _zeros(size: int, chunk: int = 4 * MiB) -> io.RawIOBase:
    class Zeros(io.RawIOBase):
        left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buf: Any) -> int:
            n = min(len(buf), self.left, chunk)
            buf[:n] = bytes(n)
            self.left -= n
            return n

    return Zeros()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """A zip and a tar.gz whose member `data/hoc-sinh/lop-0.csv` expands to 1 GiB (a few MiB on disk),
    and a zip of 200 entries sharing one 32 MiB deflate stream (a non-recursive zip bomb)."""
    where = tmp_path_factory.mktemp("bombs")
    member = "data/hoc-sinh/lop-0.csv"
    zbomb = where / "bomb.zip"
    with zipfile.ZipFile(zbomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open(zipfile.ZipInfo(member, (2026, 11, 1, 0, 0, 0)), "w", force_zip64=True) as out:
        src = _zeros(BOMB)
        while chunk := src.read(4 * MiB):
            out.write(chunk)
    tbomb = where / "bomb.tar.gz"
    with gzip.open(tbomb, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo(member)
        info.size, info.mtime = BOMB, NOW - 30 * DAY  # as make_data dates the live file: compared, not "changed"
        tar.addfile(info, _zeros(BOMB))  # type: ignore[arg-type]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(member, "w") as out:
        for _ in range(32):
            out.write(bytes(MiB))
    blob = buf.getvalue()
    eocd = blob.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", blob[eocd + 12:eocd + 20])
    central = blob[cd_offset:cd_offset + cd_size]
    overlap = where / "overlap.zip"
    overlap.write_bytes(blob[:cd_offset] + central * 200
                        + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 200, 200, cd_size * 200, cd_offset, 0))
    return {"zip": zbomb, "tar.gz": tbomb, "overlap": overlap}


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_bomb_member_is_decoded_only_to_the_live_size_under_an_address_space_limit(tmp_path, bombs, kind,
                                                                                     private_tmp):
    data = make_data(tmp_path)
    live = data / "hoc-sinh" / "lop-0.csv"
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    copy = backup / f"hs-1.{kind}"
    shutil.copyfile(bombs[kind], copy)
    _private(copy)
    age(copy, 2 * HOUR)
    cfg = write_config(tmp_path, [{"name": "Bom", "path": str(backup / f"hs-*.{kind}"), "min_count": 1,
                                   "source": str(data), "drill_files": 50}])
    started = time.monotonic()
    code, report, output = _cli(cfg, limit_as=AS_LIMIT)
    assert report, output
    assert "Internal error" not in output and "MemoryError" not in output and code in (0, 1)
    drill = inventory(report, "Bom")["verification"]["drill"]
    bomb = [m for m in drill["mismatches"] if m["file"] == str(live)]
    assert bomb and bomb[0]["problem"] == "content_differs", drill
    assert "larger than the live one" in bomb[0]["detail"]
    stopped = int(bomb[0]["detail"].rsplit("after ", 1)[1].split()[0])
    assert stopped <= live.stat().st_size + drill_mod.SLACK
    assert finding(report, "backup.restore_drill")["status"] == "fail"
    assert time.monotonic() - started < 170
    _no_drill_dirs_left()


def test_overlapping_zip_entries_are_refused_unread(tmp_path, bombs):
    data = make_data(tmp_path)
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    copy = backup / "hs-1.zip"
    shutil.copyfile(bombs["overlap"], copy)
    _private(copy)
    cfg = write_config(tmp_path, [{"name": "Chồng", "path": str(backup / "hs-*.zip"), "min_count": 1,
                                   "source": str(data)}])
    started = time.monotonic()
    code, report, _ = verify(cfg)
    assert time.monotonic() - started < 60  # 200 x 32 MiB were never inflated
    ver = inventory(report, "Chồng")["verification"]
    assert [(e["file"], e["problem"]) for e in ver["errors"]] == [(str(copy), "corrupt")]
    assert "overlap" in ver["errors"][0]["detail"] and "overlap" in ver["drill"]["error"]["detail"]
    assert code == 1


def _traversal_tar(path: Path, inside: bytes) -> None:
    with tarfile.open(path, "w:gz") as tar:
        def add(name: str, body: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.size, info.type, info.linkname, info.mtime = len(body), kind, link, NOW - 30 * DAY
            tar.addfile(info, io.BytesIO(body))

        add("../../escape-1.txt", b"owned")
        add("/etc/secaudit-escape-2", b"owned")
        add("..\\..\\escape-3.txt", b"owned")
        add("data/../../../escape-4.txt", b"owned")
        add("data/evil", kind=tarfile.SYMTYPE, link="/etc/shadow")
        add("data/link.csv", inside)
        add("data/../secret.txt", inside)


def _traversal_zip(path: Path, inside: bytes) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("../../escape-1.txt", "/etc/secaudit-escape-2", "..\\..\\escape-3.txt",
                     "data/../../../escape-4.txt"):
            zf.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), b"owned")
        link = zipfile.ZipInfo("data/evil", (2026, 1, 1, 0, 0, 0))
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/shadow")
        zf.writestr(zipfile.ZipInfo("data/link.csv", (2026, 1, 1, 0, 0, 0)), inside)
        zf.writestr(zipfile.ZipInfo("data/../secret.txt", (2026, 1, 1, 0, 0, 0)), inside)


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_traversal_names_never_leave_source_and_nothing_is_written_outside(tmp_path, kind, private_tmp):
    work = tmp_path / "deep" / "er"
    data = make_data(work)
    secret = work / "secret.txt"  # beside source, not under it
    secret.write_text("mật khẩu: Kh0ng-L0-Ra-Ngoai\n", encoding="utf-8")
    age(secret, 30 * DAY)  # dated like the archive's members: compared if it were ever reached
    (data / "link.csv").symlink_to(secret)  # a live link leading out of source
    backup = work / "backup"
    backup.mkdir(mode=0o700)
    copy = backup / f"hs-1.{kind}"
    (_traversal_tar if kind == "tar.gz" else _traversal_zip)(copy, b"something else entirely\n")
    _private(copy)
    cfg = write_config(work, [{"name": "Thoát", "path": str(backup / f"hs-*.{kind}"), "min_count": 1,
                               "source": str(data), "drill_files": 50}])
    before = {p for p in tmp_path.rglob("*")}
    code, report, output = verify(cfg)
    assert "Traceback" not in output
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(work / "state") or p.name.startswith("report") for p in created), created
    for outside in (tmp_path / "escape-1.txt", tmp_path / "deep" / "escape-1.txt", Path("/etc/secaudit-escape-2"),
                    tmp_path / "escape-3.txt", tmp_path / "escape-4.txt", tmp_path / "deep" / "escape-4.txt"):
        assert not outside.exists()
    drill = inventory(report, "Thoát")["verification"]["drill"]
    unsafe = [m for m in drill["mismatches"] if m["problem"] == "unsafe_name"]
    assert len(unsafe) == 1 and unsafe[0]["detail"].startswith("4 members"), drill
    # neither the outside file nor the link to it was ever compared: its digest is nowhere
    secret_digest = hashlib.sha256(secret.read_bytes()).hexdigest()[:16]
    assert secret_digest not in json.dumps(report) and str(secret) not in json.dumps(drill)
    assert not [m for m in drill["mismatches"] if m["file"] == str(data / "link.csv")]
    res = finding(report, "backup.restore_drill")
    assert res["status"] == "fail" and "'..'" in res["message"]["en"]
    assert code == 1
    _no_drill_dirs_left()


# -- class 12: one broken input is one finding ---------------------------------------------------------

def _zip_set(root: Path, data: Path, n: int = 3) -> Path:
    backup = root / "zips"
    backup.mkdir(mode=0o700)
    for i in range(n):
        path = backup / f"hs-{i}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(data.rglob("*")):
                if f.is_file():
                    zf.write(f, f.relative_to(root))
        _private(path)
        age(path, 2 * HOUR + (n - 1 - i) * DAY)
    return backup


def _break_deflate(path: Path) -> None:
    """Make the first member's deflate stream invalid (a reserved block type): zlib.error, not a CRC error."""
    blob = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", blob[26:30])
    blob[30 + name_len + extra_len] = 0xFF
    st = path.stat()
    path.write_bytes(bytes(blob))
    os.utime(path, (st.st_atime, st.st_mtime))


def _tar_set(root: Path, data: Path) -> Path:
    backup = root / "tars"
    backup.mkdir(mode=0o700)
    path = backup / "docs-0.tar.gz"
    run(["tar", "-czf", str(path), "-C", str(data.parent), data.name])
    _private(path)
    age(path, 2 * HOUR)
    return backup


def test_a_corrupt_deflate_stream_sampled_by_the_drill_is_one_finding(tmp_path):
    need_tool("tar")
    data = make_data(tmp_path)
    zips = _zip_set(tmp_path, data)
    newest = zips / "hs-2.zip"
    _break_deflate(newest)
    tars = _tar_set(tmp_path, data)
    cfg = write_config(tmp_path, [
        {"name": "Zip hỏng", "path": str(zips / "hs-*.zip"), "min_count": 1, "source": str(data), "drill_files": 50},
        {"name": "Tar tốt", "path": str(tars / "docs-*.tar.gz"), "min_count": 1, "source": str(data),
         "drill_files": 50}])
    code, report, output = _cli(cfg)
    assert "Internal error" not in output and "Traceback" not in output and code == 1, output
    integ = _sets(report, "backup.integrity")
    assert integ["Zip hỏng"]["status"] == "fail" and integ["Tar tốt"]["status"] == "pass"
    assert any(e["file"] == str(newest) and "error" in e["detail"] for e in integ["Zip hỏng"]["errors"])
    drill = inventory(report, "Zip hỏng")["verification"]["drill"]
    broken = [m for m in drill["mismatches"] if m["problem"] == "not_restored"]
    assert broken and "zip: error" in broken[0]["detail"], drill
    good = inventory(report, "Tar tốt")["verification"]["drill"]
    assert good["files_compared"] > 0 and not good["mismatches"]


def _compressors() -> dict[str, Any]:
    import zstandard

    return {"gz": gzip.compress, "xz": lzma.compress, "bz2": bz2.compress,
            "zst": lambda b: zstandard.ZstdCompressor(write_checksum=True).compress(b)}


def test_truncated_and_corrupt_compressed_copies_are_each_one_finding(tmp_path):
    data = make_data(tmp_path)
    live = data / "anh.bin"
    body = live.read_bytes() * 20
    sets = []
    for ext, compress in _compressors().items():
        for damage in ("truncated", "flipped"):
            folder = tmp_path / f"{ext}-{damage}"
            folder.mkdir(mode=0o700)
            blob = bytearray(compress(body))
            if damage == "truncated":
                blob = blob[: len(blob) // 2]
            else:
                blob[len(blob) // 2] ^= 0x55
            path = folder / f"db.{ext}"
            path.write_bytes(bytes(blob))
            _private(path)
            sets.append({"name": f"{ext} {damage}", "path": str(path), "min_count": 1, "source": str(live)})
    cfg = write_config(tmp_path, sets)
    code, report, output = _cli(cfg)
    assert report and "Internal error" not in output and code == 1, output
    integ = _sets(report, "backup.integrity")
    drills = {b["set"]: b["verification"]["drill"] for b in report["inventory"]["backups"]}
    for s in sets:
        assert integ[s["name"]]["status"] == "fail", (s, integ[s["name"]])
        problems = {e["problem"] for e in integ[s["name"]]["errors"]}
        assert problems <= {"truncated", "corrupt", "bad_crc", "checksum_mismatch"} and problems, problems
        if s["name"].endswith("truncated"):
            assert problems == {"truncated"}
        assert drills[s["name"]]["error"] is not None, drills[s["name"]]


def test_fifos_in_the_backup_folder_and_as_manifests_are_findings_not_hangs(tmp_path):
    data = make_data(tmp_path)
    backup = tmp_path / "backup"
    copy = backup / "2026-12-01"
    shutil.copytree(data, copy)
    os.mkfifo(copy / "hoc-sinh" / "pipe")
    os.mkfifo(backup / "SHA256SUMS")  # a manifest beside the copies
    os.mkfifo(copy / "B3SUMS")  # a manifest inside a copy
    for p in [backup, *backup.rglob("*")]:
        if p.is_dir():
            p.chmod(0o700)
    globbed = tmp_path / "dumps"
    globbed.mkdir(mode=0o700)
    os.mkfifo(globbed / "db-9.sql.gz")
    good = globbed / "db-1.sql.gz"
    good.write_bytes(gzip.compress(b"-- MySQL dump 10.13\nSELECT 1;\n-- Dump completed on 2026-12-01\n"))
    _private(good)
    cfg = write_config(tmp_path, [
        {"name": "Thư mục", "path": str(backup), "min_count": 1, "source": str(data)},
        {"name": "Kết xuất", "path": str(globbed / "db-*.sql.gz"), "min_count": 1}])
    code, report, output = _cli(cfg, timeout=120)
    assert report and "Internal error" not in output, output
    errors = {(e["file"], e["problem"]) for e in inventory(report, "Thư mục")["verification"]["errors"]}
    assert errors == {(str(copy / "hoc-sinh" / "pipe"), "not_regular"), (str(backup / "SHA256SUMS"), "not_regular"),
                      (str(copy / "B3SUMS"), "not_regular")}
    dumps = {(e["file"], e["problem"]) for e in inventory(report, "Kết xuất")["verification"]["errors"]}
    assert dumps == {(str(globbed / "db-9.sql.gz"), "not_regular")}
    assert "không phải tệp thường" in finding(report, "backup.integrity")["message"]["vi"]
    assert code == 1


def test_a_manifest_naming_files_outside_the_set_never_makes_them_read(tmp_path):
    data = make_data(tmp_path)
    backup = tmp_path / "backup"
    backup.mkdir(mode=0o700)
    copy = backup / "db-1.sql.gz"
    copy.write_bytes(gzip.compress(b"-- MySQL dump 10.13\nSELECT 1;\n-- Dump completed on 2026-12-01\n"))
    _private(copy)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:$6$salt$hash:19000:0:99999:7:::\n", encoding="utf-8")
    os.mkfifo(outside / "fifo")  # opened blocking, this would hang the verifier
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    (backup / "SHA256SUMS").write_text(
        f"{digest}  db-1.sql.gz\n{'0' * 64}  ../outside/secret.txt\n{'1' * 64}  {outside / 'fifo'}\n"
        f"{'2' * 64}  ../../../../../../../etc/shadow\n", encoding="utf-8")
    # and a "manifest" that is a link to a file outside the set: its content must never be echoed
    (backup / "db-1.sql.gz.sha256").symlink_to(outside / "secret.txt")
    cfg = write_config(tmp_path, [{"name": "Kê khai", "path": str(backup / "db-*.sql.gz"), "min_count": 1,
                                   "source": str(data)}])
    _, report, output = _cli(cfg, timeout=120)
    assert report, output
    ver = inventory(report, "Kê khai")["verification"]
    assert {(e["file"], e["problem"]) for e in ver["errors"]} == {
        (str(backup / "db-1.sql.gz.sha256"), "not_regular")}
    assert "sha256 manifest" in ver["method"]
    text = json.dumps(report)
    assert "$6$salt" not in text and "99999:7" not in text


def test_symlink_loops_and_links_inside_copies_are_not_followed(tmp_path, make_root):
    data = make_data(tmp_path)
    backup = tmp_path / "backup"
    copy = backup / "2026-12-01"
    shutil.copytree(data, copy)
    (copy / "loop").symlink_to(".")
    (copy / "hoc-sinh" / "up").symlink_to("..")
    (copy / "root").symlink_to("/")
    (copy / "shadow").symlink_to("/etc/shadow")
    for p in [backup, *backup.rglob("*")]:
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o700)
    cfg = write_config(tmp_path, [{"name": "Vòng", "path": str(backup), "min_count": 1, "source": str(data)}])
    _, report, output = _cli(cfg, timeout=120)
    assert report and "Internal error" not in output, output
    ver = inventory(report, "Vòng")["verification"]
    assert ver["files_total"] == sum(1 for p in data.rglob("*") if p.is_file()) and not ver["errors"]
    assert any("4 symbolic links" in n for n in ver["notes"]), ver["notes"]
    assert finding(report, "backup.integrity")["status"] == "pass"
    # through a transport that follows links (--root): the loop ends at the depth limit, flagged
    root = make_root({"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "srv/backup/2026-12-01/a.txt": "a"})
    (root / "srv/backup/2026-12-01/loop").symlink_to(".")
    snap = facts_of(root, _config([BackupSet(name="Vòng", path="/srv/backup")]), only={"backups"})
    row = snap.table("backups")[0]
    assert row["error"] is None and row["listing"]["complete"] is False
    assert row["copies"][0]["complete"] is False and row["copies"][0]["size_bytes"] is None


def _config(sets: list[BackupSet]) -> Any:
    from secaudit.config import AgentConfig

    return AgentConfig(backups=sets, state_dir="/var/lib/secaudit", role="server")


def test_a_file_that_vanishes_mid_run_is_a_note_not_damage(tmp_path):
    data = make_data(tmp_path)
    copy = tmp_path / "backup" / "2026-12-01"
    shutil.copytree(data, copy)
    bset = BackupSet(name="Xoay", path=str(tmp_path / "backup"))
    listing = list_set(LocalTransport(), bset, keep_files=True, walk_limit=VERIFY_WALK)
    (copy / "anh.bin").unlink()  # rotation removed it after the listing
    records: dict[str, Any] = {}
    run_ = verify_set(bset, listing, {}, records, Allowance(None, None), int(time.time()))
    assert not run_.errors and run_.vanished == 1 and run_.complete
    assert any("disappeared" in n for n in run_.notes)
    assert str(copy / "anh.bin") not in records


# -- class 12: hostile output of restic and borg ----------------------------------------------------------

class _FakeTransport(LocalTransport):
    def __init__(self, stdout: str) -> None:
        super().__init__()
        self.stdout = stdout

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        return CommandResult(0, self.stdout, "")


@pytest.mark.parametrize("stdout", [
    "", "null", "42", '"x"', "{}", "[1, 2, 3]", '[{"time": 5}]', '[{"time": "2026-13-45T99:00:00Z"}]',
    '[{"time": "2026-11-01T00:00:00Z", "summary": [1], "id": 7}]', "[" * 100_000, '{"a": ' * 50_000,
    "\x00\xff garbage", '{"archives": {"a": 1}, "encryption": "none"}', '{"archives": [1, null, {"name": 5}]}',
    '{"archives": [{"name": "a", "time": "2026-11-01T00:00:00"}], "encryption": {"mode": ["x"]}}',
])
def test_hostile_repository_listings_never_raise(tmp_path, stdout):
    (tmp_path / "repo").mkdir()
    pw = tmp_path / "pw"
    pw.write_text("x", encoding="utf-8")
    _private(pw)
    for lister, kind in ((list_restic, "restic"), (list_borg, "borg")):
        bset = BackupSet(name="r", kind=kind, path=str(tmp_path / "repo"), password_file=str(pw))
        listing = lister(_FakeTransport(stdout), bset)
        assert listing.error is not None or all(isinstance(c.time, int) for c in listing.copies)


def test_hostile_restic_ls_output_in_the_drill(tmp_path, monkeypatch):
    data = make_data(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "restic"
    fake.write_text(
        "#!/bin/sh\n"
        "case \"$*\" in *' ls '*)\n"
        "  head -c 3000000 /dev/zero | tr '\\0' 'a'; echo\n"  # a 3 MB line
        "  printf '%*s\\n' 200000 '' | tr ' ' '['\n"  # nesting beyond any parser
        f"  echo '{{\"type\": \"file\", \"path\": \"/../../etc/shadow\"}}'\n"
        f"  echo '{{\"type\": \"file\", \"path\": \"{data}/../../etc/passwd\"}}'\n"
        f"  echo '{{\"type\": \"file\", \"path\": \"{data}/anh.bin\", \"size\": 99999999999}}'\n"
        "  echo '[1,2]'; echo 'not json'\n"
        "  ;;\n"
        "*) exit 0 ;;\nesac\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    from secaudit.backup.sets import CopyInfo, Listing

    bset = BackupSet(name="r", kind="restic", path=str(tmp_path / "repo"), password_file="/dev/null",
                     source=str(data), drill_files=10)
    listing = Listing(copies=[CopyInfo(f"{tmp_path}/repo::abcd1234", int(time.time()), None, id="abcd1234")])
    result = drill_mod.run_drill(bset, listing, timeout=60)
    unsafe = [m for m in result.mismatches if m["problem"] == "unsafe_name"]
    assert len(unsafe) == 1 and unsafe[0]["detail"].startswith("2 members"), result
    too_big = [m for m in result.mismatches if m["file"] == str(data / "anh.bin")]
    assert too_big and too_big[0]["problem"] == "content_differs"  # never restored: it could not fit
    assert result.error is None


# -- class 5: the password file ----------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "group"), [(0o644, "root"), (0o640, "nogroup")])
def test_a_password_file_others_can_read_fails_protection(tmp_path, mode, group):
    need_tool("restic")
    data = make_data(tmp_path)
    repo, pw = tmp_path / "repo", tmp_path / "restic.pass"
    pw.write_text("Kh0ng-L0-Ra-Ngoai-7731\n", encoding="utf-8")
    run(["restic", "-r", str(repo), "init", "-q"], env={"RESTIC_PASSWORD_FILE": str(pw)})
    run(["restic", "-r", str(repo), "backup", "-q", str(data)], env={"RESTIC_PASSWORD_FILE": str(pw)})
    shutil.chown(pw, "root", group)
    pw.chmod(mode)
    cfg = write_config(tmp_path, [{"name": "Restic", "kind": "restic", "path": str(repo), "password_file": str(pw),
                                   "min_count": 1, "source": str(data), "drill_files": 2}])
    _, report, _ = verify(cfg)
    prot = finding(report, "backup.protection")
    assert prot["status"] == "fail", prot["message"]["en"]
    ev = prot["evidence"]["sets"][0]
    assert ev["password_file"] == {"path": str(pw), "mode": f"{mode:04o}", "owner": "root", "group": group}
    assert f"{pw} ({mode:04o} root:{group})" in prot["message"]["en"]
    assert "Kh0ng-L0-Ra-Ngoai" not in json.dumps(report)
    pw.chmod(0o600)  # fixed: the same repository now passes
    _, report, _ = verify(cfg)
    assert finding(report, "backup.protection")["status"] == "pass"


# -- class 12: decoders under random input ------------------------------------------------------------------

_MAGICS = [b"\x1f\x8b\x08", b"BZh9", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"PK\x03\x04", b"PGDMP", b"",
           b"-- MySQL dump\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_MAGICS), st.binary(max_size=4096), st.booleans())
def test_no_decoder_error_escapes_verify_or_the_drill(magic, tail, tarred):
    body = magic + tail
    if tarred:  # the same garbage inside a tar header block, as a member of a tar.gz
        info = tarfile.TarInfo("data/x")
        info.size = len(body)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            tar.addfile(info, io.BytesIO(body))
        cut = raw.getvalue()[: 512 + len(body) // 2]
        body = gzip.compress(cut)
    with tempfile.TemporaryDirectory() as where:
        path = os.path.join(where, "copy.bin")
        with open(path, "wb") as fh:
            fh.write(body)
        out = verify_file(FileJob(path, len(body)))
        assert out.path == path and all(isinstance(p.detail, str) for p in out.problems)
        bset = BackupSet(name="f", path=path, source=where, drill_files=3)
        listing = list_set(LocalTransport(), bset, keep_files=True)
        result = drill_mod.run_drill(bset, listing, timeout=30)
        assert result.error is None or isinstance(result.error[1], str)
