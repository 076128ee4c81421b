"""Class 2, a run always ends: once the report is written the process exits, whatever a thread is stuck
on; the whole run has a deadline; remote reads are bounded in time and in bytes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from secaudit.transport.base import NotRegular, TimedOut, TooLarge
from secaudit.transport.ssh import SshOptions, connect
from tests.conftest import need_tool, write_tree
from tests.hostile.hostile_sftp import hostile_sftp
from tests.integration.test_planted_root import PLANTED

pytestmark = pytest.mark.integration

# A collector that never returns and also starts a non-daemon thread that never ends (as a library
# might): without an exit that waits for no thread, the interpreter would wait forever.
STUCK = textwrap.dedent("""
    import sys, threading
    from secaudit.facts import registry

    def stuck(ctx):
        threading.Thread(target=threading.Event().wait, daemon=False).start()
        threading.Event().wait()

    # A table the audit's own collectors do not fill (a table must be declared by a spec, for its OS).
    registry.collector("stuck", ("agent_reports",), family="linux", timeout={timeout})(stuck)
    sys.argv = ["secaudit", *sys.argv[1:]]
    from secaudit.cli import run
    run()
""")


def _run_stuck(tmp_path: Path, timeout: float, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    script = tmp_path / "stuck.py"
    script.write_text(STUCK.format(timeout=timeout))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120,
                          check=False)
    return proc, time.monotonic() - started


def test_report_written_then_exit_while_a_collector_is_stuck(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "root", dict(PLANTED))
    out = tmp_path / "report.json"
    proc, _ = _run_stuck(tmp_path, 1, "audit", "--root", str(root), "--no-sign", "--format", "json",
                         "-o", str(out), "--lang", "en")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(out.read_text())
    assert report["requirements"]
    snap = tmp_path / "snap.json"
    proc, _ = _run_stuck(tmp_path, 1, "facts", "--root", str(root), "-o", str(snap))
    assert proc.returncode == 0, proc.stderr
    unknown = json.loads(snap.read_text())["unknown"]
    assert unknown["agent_reports"]["code"] == "timeout" and "stuck" in unknown["agent_reports"]["detail"]


def test_the_whole_run_has_a_deadline(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "root", dict(PLANTED))
    out = tmp_path / "report.json"
    out.write_text("previous report\n")
    proc, _ = _run_stuck(tmp_path, 100000, "--deadline", "3", "audit", "--root", str(root), "--no-sign",
                         "--format", "json", "-o", str(out), "--lang", "en")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("The run passed its deadline of 3 s and was stopped (any previous report is "
                                   "intact); set another deadline with --deadline.")
    assert out.read_text() == "previous report\n"


def test_deadline_from_the_environment_in_vietnamese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "root", dict(PLANTED))
    monkeypatch.setenv("SECAUDIT_DEADLINE", "2")
    proc, _ = _run_stuck(tmp_path, 100000, "facts", "--root", str(root), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 2 and "vượt quá thời hạn 2 giây" in proc.stderr


# -- a hostile SFTP server ---------------------------------------------------------------------------

def test_sftp_reads_are_bounded_in_time_and_bytes(tmp_path: Path) -> None:
    need_tool("ssh-keygen")
    with hostile_sftp(tmp_path) as server:
        known = tmp_path / "known_hosts"
        known.write_text(f"[127.0.0.1]:{server.port} ssh-ed25519 {server.host_key.get_base64()}\n")
        opts = SshOptions(known_hosts=str(known), system_known_hosts=None, identity=str(tmp_path / "client"),
                          connect_timeout=5, op_timeout=2)
        with connect("127.0.0.1", server.port, "audit", opts) as transport:
            assert transport.read_text("/etc/passwd").startswith("root:x:0:0")
            with pytest.raises(NotRegular):  # refused on STAT: the blocking open is never sent
                transport.read_bytes("/etc/sudoers")
            assert "/etc/sudoers" not in server.opened
            with pytest.raises(TooLarge):  # streams past its announced size: stopped at the cap
                transport.read_bytes("/etc/group", cap=100_000)
            started = time.monotonic()
            with pytest.raises(TimedOut):  # a READ never answered
                transport.read_bytes("/etc/shadow")
            assert time.monotonic() - started < 30
            assert transport.read_text("/etc/passwd").startswith("root:x:0:0")  # the connection still works


def test_remote_audit_of_a_hostile_server_writes_reports_and_exits(tmp_path: Path) -> None:
    need_tool("ssh-keygen")
    with hostile_sftp(tmp_path) as server:
        known = tmp_path / "known_hosts"
        known.write_text(f"[127.0.0.1]:{server.port} ssh-ed25519 {server.host_key.get_base64()}\n")
        out = tmp_path / "reports"
        proc = subprocess.run(
            [sys.executable, "-m", "secaudit", "audit", "--host", f"audit@127.0.0.1:{server.port}",
             "--known-hosts", str(known), "--identity", str(tmp_path / "client"), "--no-sign",
             "--format", "json", "-o", str(out), "--lang", "en"],
            capture_output=True, text=True, timeout=180, check=False)
        assert proc.returncode in (0, 1), proc.stderr + proc.stdout
        reports = [json.loads(p.read_text()) for p in out.glob("*.json") if not p.name.startswith("hosts-")]
        assert len(reports) == 1 and reports[0]["requirements"]
