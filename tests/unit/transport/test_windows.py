"""The live Windows transport, on Linux: collect.ps1 is stood in for (a fake runner, or a stand-in executable
printing a recording), since Windows cannot run here. What is tested: which powershell.exe, the command line,
one run per audit, bounded time and output, failures as unknown-with-reason, and that a live run and the
replay of its recording give the same facts."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from secaudit.config import AgentConfig, BackupSet
from secaudit.facts.registry import collect
from secaudit.transport.base import CommandFailed, NotFound, ProbeSource, TimedOut
from secaudit.transport.local import LocalTransport
from secaudit.transport.replay import ReplayTransport
from secaudit.transport.windows import (
    SCRIPT,
    WindowsTransport,
    host_path,
    machine_transport,
    native_path,
    parse_recording,
    posix_set,
    powershell_path,
    run_bounded,
    script_argv,
    windows_path,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "windows" / "win11-healthy.json"
PS = sys.executable  # any existing file stands for powershell.exe when the runner is faked


def _fixture_bytes() -> bytes:
    """The base recording as collect.ps1 prints it: one line of ASCII JSON (non-ASCII escaped), with agent."""
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    doc["agent"] = {"script": "collect.ps1", "powershell": "5.1.26100.7019", "elevated": True}
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _runner(out: bytes, err: bytes = b"", rc: int = 0, calls: list[list[str]] | None = None):
    def run(argv: list[str], timeout: float, cap: int) -> tuple[int, bytes, bytes]:
        if calls is not None:
            calls.append(argv)
        return rc, out, err
    return run


@pytest.mark.parametrize(("env", "is64", "expected"), [
    ({"SystemRoot": "C:\\Windows"}, True, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
    # 32-bit Python on 64-bit Windows: System32 would be redirected to SysWOW64's 32-bit PowerShell
    ({"SystemRoot": "C:\\Windows", "PROCESSOR_ARCHITEW6432": "AMD64"}, False,
     "C:\\Windows\\sysnative\\WindowsPowerShell\\v1.0\\powershell.exe"),
    ({"WINDIR": "D:\\WIN\\"}, False, "D:\\WIN\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),  # 32-bit OS
    ({}, True, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
])
def test_powershell_is_the_64_bit_windows_powershell(env: dict[str, str], is64: bool, expected: str) -> None:
    assert powershell_path(env, is64) == expected


def test_command_line_runs_the_shipped_script_without_profile_or_persistent_policy() -> None:
    argv = script_argv("ps.exe")
    assert argv[0] == "ps.exe" and argv[argv.index("-File") + 1] == str(SCRIPT)
    assert {"-NoProfile", "-NonInteractive"} <= set(argv)
    assert argv[argv.index("-ExecutionPolicy") + 1] == "Bypass"  # this process only: nothing is changed
    assert SCRIPT.is_file() and SCRIPT.parent.name == "windows" and SCRIPT.parent.parent.name == "secaudit"


def test_probes_come_from_one_run_of_the_script() -> None:
    calls: list[list[str]] = []
    t = WindowsTransport(powershell=PS, runner=_runner(_fixture_bytes(), calls=calls))
    assert isinstance(t, ProbeSource) and t.family == "windows" and t.mode == "local"
    replay = ReplayTransport(json.loads(FIXTURE.read_text(encoding="utf-8")))
    threads = [threading.Thread(target=t.probe, args=("os",)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for probe_id in replay.probes:
        assert t.probe(probe_id) == replay.probe(probe_id)
    assert t.recorded_at == "2026-11-22T08:00:00Z"
    assert len(calls) == 1 and calls[0] == script_argv(PS, SCRIPT)
    with pytest.raises(NotFound, match="did not run it"):
        t.probe("no_such_probe")
    assert t.recording()["agent"]["elevated"] is True


def test_a_live_run_and_the_replay_of_its_recording_give_the_same_facts() -> None:
    live = WindowsTransport(powershell=PS, runner=_runner(_fixture_bytes()))
    recorded = live.recording()
    live_snap = collect(live, AgentConfig())
    replay_snap = collect(ReplayTransport(json.loads(json.dumps(recorded))), AgentConfig())
    assert live_snap.collected_at == replay_snap.collected_at == "2026-11-22T08:00:00Z"
    assert live_snap.family == replay_snap.family == "windows"
    assert (live_snap.mode, replay_snap.mode) == ("local", "replay")
    assert live_snap.tables == replay_snap.tables
    assert live_snap.unknown == replay_snap.unknown


@pytest.mark.parametrize(("out", "err", "rc", "match"), [
    (b"", b"File C:\\x\\collect.ps1 cannot be loaded because running scripts is disabled\r\n", 1,
     "running scripts is disabled"),
    (b"", b"", 1, "exit 1, no recording printed"),
    (b"not json at all", b"", 0, "not a secaudit.recording/v1 document"),
    (b'{"schema": "secaudit.recording/v1", "probes": {"os": {"rc": "zero"}}}', b"", 0, "must be an integer"),
    (b'{"schema": "secaudit.recording/v1", "collected_at": "yesterday", "probes": {}}', b"", 0, "collected_at"),
])
def test_no_recording_makes_every_probe_unknown_with_the_reason(out: bytes, err: bytes, rc: int, match: str) -> None:
    t = WindowsTransport(powershell=PS, runner=_runner(out, err, rc))
    assert t.recorded_at is None  # ages then count from the run's own time
    with pytest.raises(CommandFailed, match=match):
        t.probe("defender_status")
    with pytest.raises(CommandFailed, match=r"^probe os: collect\.ps1: "):
        t.probe("os")
    with pytest.raises(CommandFailed):
        t.recording()
    snap = collect(t, AgentConfig())
    failed = [v for v in snap.unknown.values() if "collect.ps1" in v["detail"]]
    assert failed and all(v["code"] == "command_failed" for v in failed)


def test_a_script_past_its_time_limit_is_unknown_timeout() -> None:
    def too_slow(argv: list[str], timeout: float, cap: int) -> tuple[int, bytes, bytes]:
        raise TimedOut(f"powershell.exe did not finish within {timeout:.0f} s")

    t = WindowsTransport(powershell=PS, runner=too_slow)
    with pytest.raises(TimedOut, match=r"probe os: powershell\.exe did not finish within 420 s"):
        t.probe("os")


def test_missing_powershell_or_script_is_not_found(tmp_path: Path) -> None:
    t = WindowsTransport(powershell=str(tmp_path / "powershell.exe"), runner=_runner(_fixture_bytes()))
    with pytest.raises(NotFound, match="Windows PowerShell"):
        t.probe("os")
    t = WindowsTransport(powershell=PS, script=tmp_path / "collect.ps1", runner=_runner(_fixture_bytes()))
    with pytest.raises(NotFound, match="package is incomplete"):
        t.probe("os")


def test_parse_recording_forces_the_windows_family() -> None:
    doc = parse_recording(b'\xef\xbb\xbf{"schema": "secaudit.recording/v1", "family": "linux", "probes": {}}', b"", 0)
    assert doc["family"] == "windows"


# --- the real subprocess path, with a stand-in for powershell.exe ------------------------------------------------

def _stand_in(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "powershell"
    exe.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


@pytest.mark.skipif(os.name == "nt", reason="a POSIX stand-in executable")
def test_a_stand_in_powershell_through_the_real_runner(tmp_path: Path) -> None:
    (tmp_path / "rec.json").write_bytes(_fixture_bytes())
    rec = str(tmp_path / "rec.json")
    exe = _stand_in(tmp_path, f"assert '-File' in sys.argv\nsys.stdout.write(open({rec!r}).read())")
    t = WindowsTransport(powershell=exe)
    assert t.recorded_at == "2026-11-22T08:00:00Z"
    assert t.probe("uac").stdout.startswith("{\r\n    \"EnableLUA\":  1,")


@pytest.mark.skipif(os.name == "nt", reason="POSIX commands")
def test_run_bounded_limits_time_and_output(tmp_path: Path) -> None:
    assert run_bounded([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                       10, 1 << 20) == (3, b"out\n", b"err\n")
    started = time.monotonic()
    with pytest.raises(TimedOut, match="did not finish within 1 s"):
        run_bounded([sys.executable, "-c", "import time; time.sleep(30)"], 1, 1 << 20)
    assert time.monotonic() - started < 10
    with pytest.raises(CommandFailed, match="more than"):
        run_bounded([sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"], 20, 1 << 20)
    with pytest.raises(CommandFailed):
        run_bounded([str(tmp_path / "nowhere")], 5, 1024)


def test_files_and_commands_are_the_machines(tmp_path: Path) -> None:
    (tmp_path / "db-2026-11-21.zip").write_bytes(b"PK\x03\x04")
    t = WindowsTransport(powershell=PS, runner=_runner(_fixture_bytes()))
    assert t.list_dir(str(tmp_path)) == ["db-2026-11-21.zip"]
    assert t.read_bytes(str(tmp_path / "db-2026-11-21.zip")) == b"PK\x03\x04"
    assert t.stat(str(tmp_path / "db-2026-11-21.zip")).size == 4
    with pytest.raises(NotFound):
        t.run(["no-such-program-here"])
    assert t.run([Path(sys.executable).name, "-c", "print('ok')"]).stdout.strip() == "ok"


@pytest.mark.parametrize(("path", "expected"), [
    ("/D:/Backup/db-1.bak", "D:/Backup/db-1.bak"), ("/D:", "D:/"), ("/c:/", "c:/"),
    ("//nas/share/x", "//nas/share/x"), ("/srv/backup", "/srv/backup"), ("/DD:/x", "/DD:/x"),
])
def test_paths_of_backup_sets_as_windows_opens_them(path: str, expected: str) -> None:
    assert host_path(path) == expected


def test_config_paths_round_trip_and_only_windows_maps_them(monkeypatch: pytest.MonkeyPatch) -> None:
    assert windows_path("D:\\Backup\\db-*.bak") == "/D:/Backup/db-*.bak"
    assert windows_path("\\\\nas\\share\\x") == "//nas/share/x" and windows_path("/srv/x") == "/srv/x"
    assert host_path(windows_path("D:\\Backup\\db-1.bak")) == "D:/Backup/db-1.bak"
    assert native_path("/D:/Backup/x") == "/D:/Backup/x"  # a legal (if odd) POSIX path here
    monkeypatch.setattr(sys, "platform", "win32")
    assert native_path("/D:/Backup/x") == "D:/Backup/x"


def test_posix_set_maps_files_sets_only() -> None:
    files = BackupSet(name="db", path="D:\\Backup\\db-*.bak", source="D:\\Data", offsite="E:\\Copy")
    listed = posix_set(files)
    assert (listed.path, listed.source, listed.offsite) == ("/D:/Backup/db-*.bak", "/D:/Data", "/E:/Copy")
    assert posix_set(BackupSet(name="o", path="D:\\B", offsite="sftp://u@h/x")).offsite == "sftp://u@h/x"
    repo = BackupSet(name="r", kind="restic", path="D:\\Repo", password_file="D:\\pw")
    assert posix_set(repo) is repo  # restic.exe takes the path as the config writes it


def test_machine_transport_follows_the_os(monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.transport import family

    monkeypatch.setattr(family, "local_family", lambda: "windows")
    assert type(machine_transport()) is WindowsTransport
    monkeypatch.setattr(family, "local_family", lambda: "linux")
    assert type(machine_transport()) is LocalTransport


def test_env_assignments_become_the_programs_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backup code runs `env NAME=value tool ...`; Windows has no env(1), so the transport does it."""
    monkeypatch.setenv("SECAUDIT_KEPT", "yes")
    t = WindowsTransport(powershell=PS, runner=_runner(_fixture_bytes()))
    code = "import os; print(os.environ['RESTIC_PASSWORD_FILE'], os.environ['SECAUDIT_KEPT'], os.environ['TZ'])"
    out = t.run(["env", "RESTIC_PASSWORD_FILE=D:\\pw", "TZ=UTC", Path(sys.executable).name, "-c", code])
    assert out.stdout.split() == ["D:\\pw", "yes", "UTC"]
    with pytest.raises(NotFound):
        t.run(["env", "A=b"])
