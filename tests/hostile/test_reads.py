"""Class 1, unbounded reads: only regular files are read, each within its cap, on every transport.

A planted system (tests/integration/test_planted_root.py) gets one hostile object in place of a file it
needs: a character device endless like /dev/zero, a FIFO nobody writes, a sparse giant. The audit runs
under an address-space limit and a deadline; the report must be complete, with the affected facts
`unknown` for the right reason, and nothing may be read past its cap.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secaudit import limits
from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.base import FactUnavailable, NotRegular, TooLarge
from secaudit.transport.local import LocalTransport, RootTransport, run_capped
from secaudit.transport.replay import ReplayTransport
from tests.conftest import IN_CI, write_tree
from tests.integration.test_planted_root import PLANTED

pytestmark = pytest.mark.integration

AS_LIMIT = str(1 << 30)  # 1 GiB of address space: reading any of the giants below would need more
EXE = [sys.executable, "-m", "secaudit"]


def _device(path: Path) -> None:
    """An endless character device like /dev/zero (same major/minor), inside the image."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: mknod needs root")
        pytest.skip("creating a device node needs root")
    path.unlink(missing_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _sparse(path: Path, size: int = 2 << 30) -> None:
    """A file that reports `size` bytes (2 GiB) but takes no disk space."""
    with open(path, "wb") as fh:
        fh.truncate(size)


def _planted(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "root", dict(PLANTED))


def _audit(root: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    if shutil.which("prlimit") is None:
        pytest.fail("prlimit (util-linux) is needed to bound the address space")
    argv = ["prlimit", f"--as={AS_LIMIT}", "--", *EXE, "audit", "--root", str(root), "--no-sign",
            "--format", "json", "-o", str(out), "--lang", "en"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(out.read_text(encoding="utf-8"))


def _facts(root: Path, out: Path) -> dict[str, Any]:
    argv = ["prlimit", f"--as={AS_LIMIT}", "--", *EXE, "facts", "--root", str(root), "-o", str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(out.read_text(encoding="utf-8")))


# (path in the image, how to make it hostile, unknown key expected, reason code)
VARIANTS = [
    ("etc/sudoers", _device, "sudo_rules", "not_regular"),
    ("etc/group", _fifo, "groups", "not_regular"),  # (a FIFO in sudoers.d is skipped, as sudo does)
    ("etc/passwd", _sparse, "users", "too_large"),
    ("etc/shadow", _fifo, "users.password_state", "not_regular"),
    ("etc/ssh/sshd_config", _fifo, "remote_login.ssh", "not_regular"),
    ("etc/ssh/sshd_config.d/50-cloud.conf", _device, "remote_login.ssh.permit_root_login", "not_regular"),
    ("etc/pam.d/common-password", _device, "pam", "not_regular"),
    ("var/lib/dpkg/status", _sparse, "software", "too_large"),
    ("var/log/wtmp", _fifo, "users.last_login", "not_regular"),
]


@pytest.mark.parametrize(("rel", "make", "key", "code"), VARIANTS,
                         ids=[f"{v[0]}-{v[1].__name__[1:]}" for v in VARIANTS])
def test_hostile_file_is_unknown_and_the_report_is_complete(tmp_path: Path, rel: str, make: Any, key: str,
                                                            code: str) -> None:
    root = _planted(tmp_path)
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    make(target)
    snap = _facts(root, tmp_path / "snap.json")
    assert snap["unknown"].get(key, {}).get("code") == code, snap["unknown"]
    assert rel in snap["unknown"][key]["detail"]
    _, report = _audit(root, tmp_path / "report.json")
    summary = report["summary"]
    counted = sum(summary[s] for s in ("pass", "warn", "fail", "unknown", "not_applicable", "error"))
    assert counted == len(report["requirements"]) > 10  # every requirement is there, none dropped
    assert not any(f["status"] == "error" for f in report["findings"]), [f for f in report["findings"]
                                                                       if f["status"] == "error"]


def test_every_hostile_object_at_once(tmp_path: Path) -> None:
    root = _planted(tmp_path)
    for rel, make, _, _ in VARIANTS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        make(root / rel)
    _fifo(root / "etc/os-release")
    _sparse(root / "etc/login.defs", 1 << 40)  # 1 TiB
    _, report = _audit(root, tmp_path / "report.json")
    assert report["requirements"] and report["host"]["os"]


def test_a_symlink_to_a_device_outside_the_image_stays_inside(tmp_path: Path) -> None:
    root = _planted(tmp_path)
    (root / "etc/sudoers").unlink()
    (root / "etc/sudoers").symlink_to("/dev/zero")  # resolves to <root>/dev/zero: absent
    (root / "etc/shadow").unlink()
    (root / "etc/shadow").symlink_to("../../../../../../dev/zero")  # '..' stops at the image's /
    t = RootTransport(str(root))
    for path in ("/etc/sudoers", "/etc/shadow"):
        with pytest.raises(FactUnavailable) as info:
            t.read_bytes(path)
        assert info.value.code == "not_found"


# -- the transports themselves -----------------------------------------------------------------------

def test_local_transport_refuses_special_files_and_giants(tmp_path: Path) -> None:
    t = LocalTransport()
    _fifo(tmp_path / "fifo")
    _sparse(tmp_path / "giant")
    (tmp_path / "small").write_bytes(b"x" * 100)
    for path, error in ((tmp_path / "fifo", NotRegular), ("/dev/zero", NotRegular), (tmp_path, NotRegular),
                        (tmp_path / "giant", TooLarge)):
        with pytest.raises(error):
            t.read_bytes(str(path))
    assert t.read_bytes(str(tmp_path / "giant"), limit=10) == b"\0" * 10  # a head is always bounded
    with pytest.raises(TooLarge):
        t.read_bytes(str(tmp_path / "small"), cap=50)
    assert len(t.read_bytes(str(tmp_path / "small"), cap=100)) == 100


def test_a_kernel_file_without_a_size_is_still_capped() -> None:
    t = LocalTransport()
    assert t.read_bytes("/proc/self/status")  # reports size 0, read to its end
    with pytest.raises(TooLarge):
        t.read_bytes("/proc/self/maps", cap=10)


def test_the_read_budget_bounds_a_whole_run(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}").write_bytes(b"x" * 1000)
    t = LocalTransport()
    t.budget.left = t.budget.total = 3500
    for i in range(3):
        t.read_bytes(str(tmp_path / f"f{i}"))
    with pytest.raises(TooLarge, match="budget"):
        t.read_bytes(str(tmp_path / "f3"))


def test_commands_with_endless_output_or_no_end_are_bounded() -> None:
    with pytest.raises(FactUnavailable) as info:
        run_capped(["yes"], 30, 1 << 20)
    assert info.value.code == "command_failed" and "1 MiB" in info.value.detail
    with pytest.raises(FactUnavailable) as info:  # a grandchild keeps the pipe open: still ends
        run_capped(["sh", "-c", "sleep 60 & echo started"], 1, 1 << 20)
    assert info.value.code == "timeout"


def test_replay_recording_with_a_device_or_a_giant(tmp_path: Path) -> None:
    recording = {"schema": "secaudit.recording/v1",
                 "files": {"/etc/passwd": "root:x:0:0::/root:/bin/bash\n", "/etc/sudoers": "root ALL=(ALL) ALL\n",
                           "/etc/group": "x" * (limits.CONFIG_FILE + 1)},
                 "stats": {"/etc/sudoers": {"mode": stat.S_IFCHR | 0o644}}}
    snap = collect(ReplayTransport(recording, live=False), AgentConfig())
    assert snap.unknown["sudo_rules"]["code"] == "not_regular"
    assert snap.unknown["groups"]["code"] == "too_large"


@pytest.mark.parametrize("recording", [
    {"schema": "secaudit.recording/v1", "files": {"/etc/passwd": 5}},
    {"schema": "secaudit.recording/v1", "files": []},
    {"schema": "secaudit.recording/v1", "stats": {"/x": {"mode": "0644"}}},
    {"schema": "secaudit.recording/v1", "stats": {"/x": {"size": -1}}},
    {"schema": "secaudit.recording/v1", "commands": {"ss": {"rc": "0"}}},
    {"schema": "secaudit.recording/v1", "denied": "/etc/shadow"},
])
def test_malformed_recordings_are_one_sentence(tmp_path: Path, recording: dict[str, Any]) -> None:
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(recording))
    proc = subprocess.run([*EXE, "facts", "--replay", str(path), "--lang", "en"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2 and proc.stderr.startswith("Invalid recording: field "), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("make", [_fifo, _sparse])
def test_hostile_recording_file(tmp_path: Path, make: Any) -> None:
    path = tmp_path / "rec.json"
    make(path)
    proc = subprocess.run([*EXE, "facts", "--replay", str(path), "--lang", "en"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert ("not a regular file" in proc.stderr) or ("larger than" in proc.stderr), proc.stderr


# -- left-overs the fuzzing pointed at ---------------------------------------------------------------

@pytest.mark.parametrize(("ts", "text"), [
    (1e20, "9999-12-31T23:59:59Z"), (-1e20, "0001-01-01T00:00:00Z"),
    (float("inf"), "9999-12-31T23:59:59Z"), (float("nan"), "1970-01-01T00:00:00Z")])
def test_times_out_of_range_are_pinned_not_raised(ts: float, text: str) -> None:
    from secaudit.facts.registry import rfc3339

    assert rfc3339(ts) == text


def test_a_glob_over_a_whole_image_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.transport.paths import expand_glob

    for i in range(30):
        (tmp_path / f"d{i}").mkdir()
        for j in range(30):
            (tmp_path / f"d{i}" / f"f{j}").write_text("")
    monkeypatch.setattr(limits, "DIR_ENTRIES", 500)
    with pytest.raises(TooLarge):
        expand_glob(RootTransport(str(tmp_path)), "/*/*")
    assert len(expand_glob(RootTransport(str(tmp_path)), "/d1/*")) == 30


def test_a_batch_read_answered_with_garbage_is_unknown_per_file() -> None:
    from tests.unit.transport.ssh.test_transport import Fake

    tr = Fake({}, commands={"base64 -w0": (0, b"+not*base64!\n+aGk=\n", b"")})
    got = tr.read_many(["/proc/1/comm", "/proc/2/comm"])
    assert isinstance(got["/proc/1/comm"], FactUnavailable) and got["/proc/2/comm"] == b"hi"


def test_nmap_output_python_nmap_cannot_analyse_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.network import nmapscan

    class Broken:
        def scan(self, **_: object) -> object:
            raise AttributeError("'NoneType' object has no attribute 'get'")

    monkeypatch.setattr(nmapscan, "_scanner", lambda: Broken())
    with pytest.raises(nmapscan.NmapError) as info:
        nmapscan.run(["10.0.0.1"], ["-sT"], 10)
    assert info.value.en == "nmap's output could not be read (AttributeError)."
