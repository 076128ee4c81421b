"""The scheduled job itself: `secaudit schedule install` writes a unit (or a cron line), and the command in
it, run as the scheduler would run it, audits this machine and leaves the report, the signed envelope and
its outbox copy where the schedule says."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def secaudit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True, timeout=600,
                          env=env)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A config whose state folder is in tmp_path, a signing key, a system root with systemd and cron."""
    env = {**os.environ, "SECAUDIT_KEY_DIR": str(tmp_path / "keys"), "SECAUDIT_LANG": "en"}
    env.pop("SECAUDIT_STATE_DIR", None)
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[unit]\ncode = "75-TH0042"\n', encoding="utf-8")
    assert secaudit("keys", "init", env=env).returncode == 0
    root = tmp_path / "sys"
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/cron.d").mkdir(parents=True)
    return config, root, env


def check_outputs(state: Path) -> None:
    reports = state / "reports"
    assert (reports / "last-report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    envelopes = list(reports.glob("*.secaudit.json"))
    assert len(envelopes) == 1
    assert [p.name for p in (state / "outbox").iterdir()] == [envelopes[0].name]


def test_the_installed_systemd_job_audits_this_machine(setup: tuple[Path, Path, dict[str, str]]) -> None:
    config, root, env = setup
    done = secaudit("schedule", "install", "--root", str(root), "--config", str(config), "--backend", "systemd",
                    env=env)
    assert done.returncode == 0, done.stderr
    unit = (root / "etc/systemd/system/secaudit-audit.service").read_text(encoding="utf-8")
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart=").replace("%%", "%").replace("$$", "$"))
    job = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    assert job.returncode in (0, 1), job.stderr  # SuccessExitStatus=1: a failed requirement is a good run
    check_outputs(config.parent / "state")


def test_the_installed_cron_line_runs_through_sh(setup: tuple[Path, Path, dict[str, str]]) -> None:
    config, root, env = setup
    done = secaudit("schedule", "install", "--root", str(root), "--config", str(config), "--backend", "cron",
                    "--every", "daily", env=env)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in (root / "etc/cron.d/secaudit").read_text().splitlines() if " root " in x]
    command = line.split(" root ", 1)[1].replace("\\%", "%")
    job = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=600, env=env)
    assert job.returncode == 0, job.stderr
    check_outputs(config.parent / "state")
