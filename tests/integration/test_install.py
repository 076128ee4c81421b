"""`pip install .` into a fresh virtualenv, then `secaudit audit` from another directory:
the playbooks and templates must come from inside the installed package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_pip_install_then_audit_elsewhere(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(REPO / "constraints.txt")]
    proc = subprocess.run([*pip, str(REPO)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "SECAUDIT_STATE_DIR": str(tmp_path / "state")}
    env.pop("PYTHONPATH", None)
    run = subprocess.run([str(venv / "bin" / "secaudit"), "audit", "--format", "json", "-o", "r.json"],
                         cwd=elsewhere, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode in (0, 1), run.stderr
    report = json.loads((elsewhere / "r.json").read_text(encoding="utf-8"))
    assert report["playbook"]["id"] == "dong-nai-2026"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "from secaudit.resources import shipped_dir; print(shipped_dir('playbooks'))"],
        cwd=elsewhere, capture_output=True, text=True, timeout=60, env=env, check=True,
    ).stdout.strip()
    assert where.startswith(str(venv)), where
    listed = subprocess.run([str(venv / "bin" / "secaudit"), "playbooks", "list"], cwd=elsewhere,
                            capture_output=True, text=True, timeout=60, env=env)
    assert "dong-nai-2026" in listed.stdout and "dak-lak-2026" in listed.stdout, listed.stdout + listed.stderr
