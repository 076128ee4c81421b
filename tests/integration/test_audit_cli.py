"""`secaudit audit` end to end on this machine: as root and as an unprivileged user,
with the JSON report validated against the schema shipped in the package."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from secaudit.resources import data_file
from tests.conftest import IN_CI

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
TEST_USER = "secaudit-test"


def _schema() -> dict[str, Any]:
    return json.loads(data_file("report.schema.json").read_text(encoding="utf-8"))


def _no_floats(value: Any, where: str = "$") -> None:
    assert not isinstance(value, float), f"float at {where}"
    if isinstance(value, dict):
        for k, v in value.items():
            _no_floats(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_floats(v, f"{where}[{i}]")


def _audit(out: Path, *extra: str, user: str | None = None, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "secaudit", "audit", "--format", "json", "-o", str(out), *extra]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=full_env, cwd=str(REPO))


def _validate(report: dict[str, Any]) -> None:
    jsonschema.validate(report, _schema())
    _no_floats(report)
    ids = {f["check_id"] for f in report["findings"]}
    for req in report["requirements"]:
        assert set(req["checks"]) <= ids


def test_audit_as_current_user(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = _audit(out, env={"SECAUDIT_STATE_DIR": str(tmp_path / "state")})
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    _validate(report)
    assert report["mode"] == "local"
    assert report["playbook"]["id"] == "dong-nai-2026"
    assert report["sequence"] >= 1
    assert proc.returncode == (1 if report["summary"]["fail"] else 0)
    # a second run advances the sequence
    _audit(out, env={"SECAUDIT_STATE_DIR": str(tmp_path / "state")})
    assert json.loads(out.read_text(encoding="utf-8"))["sequence"] == report["sequence"] + 1


def _ensure_user() -> str:
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True)
    return TEST_USER


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can write to (pytest's own tmp root is private to root)."""
    work = Path(tempfile.mkdtemp(prefix="secaudit-unpriv-"))
    work.chmod(0o777)
    yield work
    shutil.rmtree(work, ignore_errors=True)


def _usable_by(user: str) -> str | None:
    """Why this interpreter (and the secaudit package it imports) cannot run as `user`, or None."""
    probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "import secaudit.cli"],
                           capture_output=True, text=True, timeout=60, cwd="/")
    if probe.returncode == 0:
        return None
    why = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
    return f"{sys.executable} cannot run secaudit as {user} ({why}); put the checkout where {user} can read it"


def test_audit_as_unprivileged_user(shared_dir: Path) -> None:
    if os.geteuid() != 0:
        user = None  # already unprivileged
        uid = os.geteuid()
    else:
        if shutil.which("runuser") is None:
            if IN_CI:
                pytest.fail("runuser is not installed (CI must install util-linux)")
            pytest.skip("runuser is not installed")
        user = _ensure_user()
        uid = pwd.getpwnam(user).pw_uid
        reason = _usable_by(user)
        if reason:
            pytest.skip(reason)
    work = shared_dir
    out = work / "report.json"
    proc = _audit(out, user=user, env={"SECAUDIT_STATE_DIR": str(work / "state"), "HOME": str(work)})
    # The audit itself ran: its own exit code, its summary, and files written by that user (runuser's
    # own failures are 1, 125-127 and write nothing).
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    assert out.stat().st_uid == uid and (work / "state" / "state.json").stat().st_uid == uid
    report = json.loads(out.read_text(encoding="utf-8"))
    _validate(report)
    assert report["mode"] == "local" and report["sequence"] == 1
    assert proc.returncode == (1 if report["summary"]["fail"] else 0)
    assert str(report["summary"]["score"]) in proc.stdout  # the terminal summary was printed
    findings = {f["check_id"]: f for f in report["findings"]}
    # /etc/shadow is unreadable without root: empty-password check must say unknown, with why
    shadow = findings["accounts.empty_passwords"]
    assert shadow["status"] == "unknown", shadow
    assert "/etc/shadow" in shadow["message"]["en"]
    assert "root" in shadow["message"]["vi"]


def test_bad_playbook_is_one_sentence_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: secaudit.playbook/v1\nid: x\nversion: '1'\ntitle: {vi: a}\n", encoding="utf-8")
    proc = _audit(tmp_path / "r.json", "--playbook", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.yaml:4" in lines[0], proc.stderr


def test_english_output(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "secaudit", "audit", "--lang", "en"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp_path)})
    assert proc.returncode in (0, 1), proc.stderr
    assert "Compliance score" in proc.stdout
    proc_vi = subprocess.run([sys.executable, "-m", "secaudit", "audit"], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp_path)})
    assert "Điểm tuân thủ" in proc_vi.stdout
