"""The package on Windows, as far as Linux can show it (Windows cannot run here): every module imports without
the POSIX-only modules, and `secaudit audit --replay`, `backup verify` of a set of files at a Windows path and
`scan` (with a stand-in nmap) start and do their work in a process that looks like Windows (tests/unit/winsim.py).
`secaudit submit` is shown the same way in tests/unit/agent/test_submit_windows.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.unit import winsim

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "windows" / "win11-healthy.json"

# Modules that never run on Windows, so need not import there. Empty today: every module imports.
# (secaudit.collector.migrations.env is alembic's script, importable only while alembic runs it.)
POSIX_ONLY_MODULES: set[str] = set()
NOT_IMPORTABLE = {"secaudit.__main__", "secaudit.collector.migrations.env"}

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
for name in ("fcntl", "pwd", "grp", "termios", "resource", "tty", "pty", "syslog", "crypt", "spwd"):
    sys.modules[name] = None
import secaudit

def import_all():
    failed = {}
    for mod in pkgutil.walk_packages(secaudit.__path__, "secaudit."):
        if mod.name in SKIP:
            continue
        try:
            importlib.import_module(mod.name)
        except Exception as exc:
            failed[mod.name] = f"{type(exc).__name__}: {exc}"
    return failed

SKIP = set(sys.argv[1:])
first = import_all()
for name in [m for m in sys.modules if m == "secaudit" or m.startswith("secaudit.")]:
    del sys.modules[name]
sys.platform = "win32"  # module-level code that branches on the platform takes its Windows branch
second = import_all()
print(json.dumps({"posix": first, "win32": second}))
"""


def test_every_module_imports_without_fcntl_pwd_grp_termios() -> None:
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL, *sorted(NOT_IMPORTABLE)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert {k: v for k, v in failed["posix"].items() if k not in POSIX_ONLY_MODULES} == {}
    assert {k: v for k, v in failed["win32"].items() if k not in POSIX_ONLY_MODULES} == {}


def test_the_simulation_has_no_fcntl_and_says_win32(tmp_path: Path) -> None:
    code = "import sys\ntry:\n    import fcntl\nexcept ImportError:\n    print('no fcntl', sys.platform)\n"
    done = subprocess.run([sys.executable, "-c", winsim.PRELUDE.split("import secaudit.cli")[0]
                           % {"blocked": winsim.POSIX_ONLY} + "sys.platform = 'win32'\n" + code],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "no fcntl win32", done.stderr


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_")}
    return {**env, "SECAUDIT_STATE_DIR": str(tmp_path / "state"), "SECAUDIT_KEY_DIR": str(tmp_path / "keys"),
            "SECAUDIT_CONFIG": str(tmp_path / "none.toml")}


def test_audit_replays_a_windows_recording(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = winsim.run(["audit", "--replay", str(FIXTURE), "--format", "json", "--no-sign", "-o", str(out)],
                      tmp_path, _env(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["host"]["os"]["family"] == "windows"
    assert not [f["check_id"] for f in report["findings"] if f["status"] == "error"]


def test_backup_verify_reads_a_set_at_a_windows_path(tmp_path: Path) -> None:
    """D:\\Backup\\db-*.bak is listed as /D:/Backup/... and opened as D:/Backup/... (here the directory "D:"
    under the working directory): the copy is verified against its manifest, restored in the drill and
    compared with the live file at D:\\Data\\db.bak."""
    import hashlib

    copies, live = tmp_path / "D:" / "Backup", tmp_path / "D:" / "Data"
    copies.mkdir(parents=True)
    live.mkdir()
    data = os.urandom(5000)
    (live / "db.bak").write_bytes(data)  # the live file the drill compares the copy with
    os.utime(live / "db.bak", (1_700_000_000, 1_700_000_000))
    (copies / "db-1.bak").write_bytes(data)
    (copies / "SHA256SUMS").write_text(f"{hashlib.sha256(data).hexdigest()}  db-1.bak\n", encoding="utf-8")
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nrole = "server"\n[[backup]]\nname = "db"\n'
                      "path = 'D:\\Backup\\db-*.bak'\nsource = 'D:\\Data\\db.bak'\nmax_age = \"30d\"\n",
                      encoding="utf-8")
    out = tmp_path / "report.json"
    done = winsim.run(["backup", "verify", "--config", str(config), "--lang", "en", "--format", "json",
                       "--no-sign", "-o", str(out)], tmp_path, _env(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    said = done.stdout + done.stderr  # the verification summary goes to standard error
    assert "db [files]: verified 4.9 KiB" in said and "problems: 0" in said, said
    assert "the Windows probes could not be read (probe os: Windows PowerShell" in said  # no PowerShell here
    row = json.loads(out.read_text(encoding="utf-8"))["inventory"]["backups"][0]
    assert row["path"] == "D:\\Backup\\db-*.bak" and [c["path"] for c in row["copies"]] == ["/D:/Backup/db-1.bak"]
    verification = row["verification"]
    assert verification["method"] == "sha256 manifest" and verification["bytes_verified"] == 5000
    assert verification["errors"] == [] and verification["drill"]["files_restored"] == 1
    assert verification["drill"]["files_compared"] == 1 and verification["drill"]["mismatches"] == []
    state = json.loads((tmp_path / "state" / "backup-state.json").read_text(encoding="utf-8"))
    assert state["sets"]["db"]["path"] == "D:\\Backup\\db-*.bak"  # as the config says: the audit matches on it


def test_backup_verify_of_a_restic_set_without_restic_says_so(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "pw").write_text("x\n", encoding="utf-8")
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[[backup]]\nname = "r"\nkind = "restic"\n'
                      f'path = "{tmp_path / "repo"}"\npassword_file = "{tmp_path / "pw"}"\n', encoding="utf-8")
    env = {**_env(tmp_path), "PATH": str(tmp_path / "nothing-here")}
    done = winsim.run(["backup", "verify", "--config", str(config), "--lang", "en", "--no-sign", "-o",
                       str(tmp_path / "r.txt")], tmp_path, env)
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr
    assert "restic is not installed" in done.stdout + done.stderr


def test_scan_dry_run_starts(tmp_path: Path) -> None:
    done = winsim.run(["scan", "--dry-run", "--lang", "en", "192.168.1.0/24"], tmp_path, _env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "192.168.1.0/24" in done.stdout + done.stderr


def test_scan_runs_and_remembers_the_devices(tmp_path: Path) -> None:
    """A scan with a stand-in nmap (it prints a recorded scan): hosts found, the seen-devices state written
    under the lock (fsutil.lock's Windows branch)."""
    recorded = ROOT / "tests" / "fixtures" / "network" / "portscan.xml"
    fake = tmp_path / "bin" / "nmap"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ncase "$*" in *-V*) echo "Nmap version 7.93 ( https://nmap.org )"; exit 0;; esac\n'
                    f'cat "{recorded}"\n', encoding="utf-8")
    fake.chmod(0o755)
    env = {**_env(tmp_path), "PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = tmp_path / "scan.json"
    done = winsim.run(["scan", "--ports", "22", "--no-names", "--lang", "en", "--no-sign", "--format", "json",
                       "-o", str(out), "10.77.0.0/24"], tmp_path, env)
    assert done.returncode in (0, 1), done.stderr
    assert "4 devices" in done.stdout + done.stderr
    seen = json.loads((tmp_path / "state" / "devices.json").read_text(encoding="utf-8"))
    assert sorted(d["ip"] for d in seen["devices"].values()) == ["10.77.0.11", "10.77.0.12", "10.77.0.13",
                                                                "10.77.0.14"]
