"""Off-site copies over SFTP against a real OpenSSH server started by the test on 127.0.0.1 (free
high port, throwaway host and user keys). Host keys are verified: unknown or changed keys are refused."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, need_tool
from tests.integration.backup_support import DAY, HOUR, age, finding, inventory, run, verify, write_config

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sshd:
    def __init__(self, work: Path, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.work, self.port, self.proc = work, port, proc

    def known_hosts(self, path: Path, key_line: str | None = None) -> Path:
        algo, key = (self.work / "host_ed25519.pub").read_text().split()[:2]
        path.write_text(f"[127.0.0.1]:{self.port} {key_line or f'{algo} {key}'}\n")
        return path


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    exe = need_tool("sshd")
    need_tool("ssh-keygen")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: sshd needs root to start")
        pytest.skip("starting sshd needs root")
    work = Path(tempfile.mkdtemp(prefix="secaudit-sshd-"))
    work.chmod(0o755)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_ed25519")])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "user_ed25519")])
    shutil.copy(work / "user_ed25519.pub", work / "authorized_keys")
    port = _free_port()
    (work / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {work / 'host_ed25519'}",
        f"PidFile {work / 'sshd.pid'}", f"AuthorizedKeysFile {work / 'authorized_keys'}",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no",
        "Subsystem sftp internal-sftp", "LogLevel ERROR", ""]))
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    proc = subprocess.Popen([exe, "-D", "-e", "-f", str(work / "sshd_config")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"sshd did not start: {err}") from None
            time.sleep(0.05)
    try:
        yield Sshd(work, port, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def _setup(tmp_path: Path, sshd: Sshd, offsite_files: list[str] | None = None, remote_dir: bool = True,
           known_hosts: Path | None = None):
    backup = tmp_path / "backup"
    backup.mkdir()
    for i in range(3):
        p = backup / f"db-{i}.sql.gz"
        p.write_bytes(b"\x1f\x8b" + os.urandom(100))
        p.chmod(0o600)
        age(p, 2 * HOUR + (2 - i) * DAY)
    remote = sshd.work / f"offsite-{tmp_path.name}"
    if remote_dir:
        remote.mkdir()
        for name in offsite_files if offsite_files is not None else ["db-0.sql.gz", "db-1.sql.gz", "db-2.sql.gz"]:
            shutil.copy2(backup / name, remote / name)
    kh = known_hosts or sshd.known_hosts(tmp_path / "known_hosts")
    cfg = write_config(tmp_path, [{
        "name": "CSDL", "path": str(backup / "db-*.sql.gz"), "min_count": 3, "drill_files": 1, "max_age": "3d",
        "offsite": f"sftp://root@127.0.0.1:{sshd.port}{remote}", "offsite_known_hosts": str(kh),
        "offsite_key_file": str(sshd.work / "user_ed25519")}])
    return cfg, remote


def test_fresh_offsite_copy_passes(tmp_path, sshd):
    cfg, remote = _setup(tmp_path, sshd)
    _, report, output = verify(cfg)
    f = finding(report, "backup.offsite")
    assert f["status"] == "pass", f["message"]["en"]
    off = inventory(report, "CSDL")["offsite"]
    assert off["kind"] == "sftp" and off["reachable"] is True and off["count"] == 3
    assert off["newest_path"] == f"{remote}/db-2.sql.gz" and off["checked_at"]
    assert "off-site copy sftp://root@127.0.0.1" in output


def test_missing_offsite_copy_fails(tmp_path, sshd):
    cfg, remote = _setup(tmp_path, sshd, remote_dir=False)
    _, report, _ = verify(cfg)
    f = finding(report, "backup.offsite")
    assert f["status"] == "fail" and str(remote) in f["message"]["en"]
    assert inventory(report, "CSDL")["offsite"]["error"]["code"] == "not_found"


def test_offsite_lagging_behind_names_the_newest_copy(tmp_path, sshd):
    cfg, _ = _setup(tmp_path, sshd, offsite_files=["db-0.sql.gz", "db-1.sql.gz"])
    _, report, _ = verify(cfg)
    f = finding(report, "backup.offsite")
    assert f["status"] == "warn" and str(tmp_path / "backup" / "db-2.sql.gz") in f["message"]["en"]


def test_changed_host_key_is_refused(tmp_path, sshd):
    other = tmp_path / "other_key"
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)])
    algo, key = (tmp_path / "other_key.pub").read_text().split()[:2]
    kh = sshd.known_hosts(tmp_path / "known_hosts", f"{algo} {key}")
    cfg, _ = _setup(tmp_path, sshd, known_hosts=kh)
    _, report, _ = verify(cfg)
    off = inventory(report, "CSDL")["offsite"]
    assert off["reachable"] is False and off["error"]["code"] == "host_key_mismatch"
    f = finding(report, "backup.offsite")
    assert f["status"] == "fail" and "does not match known_hosts" in f["message"]["en"]


def test_unknown_host_key_is_refused(tmp_path, sshd):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    cfg, _ = _setup(tmp_path, sshd, known_hosts=empty)
    _, report, _ = verify(cfg)
    off = inventory(report, "CSDL")["offsite"]
    assert off["error"]["code"] == "unknown_host_key" and "ssh-keyscan" in off["error"]["detail"]
    assert finding(report, "backup.offsite")["status"] == "fail"
