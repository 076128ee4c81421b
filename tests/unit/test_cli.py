"""CLI behaviour on bad input: one clear sentence on stderr, exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def sa(*args: str, tmp: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if tmp is not None:
        env["SECAUDIT_STATE_DIR"] = str(tmp / "state")
    return subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def one_sentence(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_malformed_config(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("role = [\n", encoding="utf-8")
    assert "c.toml" in one_sentence(sa("audit", "--config", str(cfg), "--lang", "en", tmp=tmp_path))


def test_missing_root(tmp_path):
    line = one_sentence(sa("audit", "--root", str(tmp_path / "nope"), tmp=tmp_path))
    assert "nope" in line


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "JSON"),
    ('{"schema": "other"}', "secaudit.facts/v1"),
    ('[1, 2]', "secaudit.facts/v1"),
])
def test_bad_snapshot(tmp_path, content, fragment):
    snap = tmp_path / "s.json"
    snap.write_text(content, encoding="utf-8")
    assert fragment in one_sentence(sa("evaluate", "--facts", str(snap), "--lang", "en", tmp=tmp_path))


def test_unwritable_output(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    line = one_sentence(sa("audit", "--format", "json", "-o", str(target / "r.json"), "--lang", "en",
                           tmp=tmp_path))
    assert "r.json" in line


def test_unknown_playbook(tmp_path):
    assert "no-such-plan" in one_sentence(sa("audit", "--playbook", "no-such-plan", "--lang", "en", tmp=tmp_path))


def test_usage_error_exit_2(tmp_path):
    proc = sa("audit", "--format", "docx", tmp=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_facts_then_evaluate_round_trip(tmp_path, make_root):
    root = make_root({"etc/passwd": "root:x:0:0::/root:/bin/bash\n", "etc/os-release": "ID=debian\n"})
    snap = tmp_path / "snap.json"
    proc = sa("facts", "--root", str(root), "-o", str(snap), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(snap.read_text(encoding="utf-8"))
    assert data["schema"] == "secaudit.facts/v1" and data["mode"] == "root"
    out = tmp_path / "r.json"
    proc = sa("evaluate", "--facts", str(snap), "--format", "json", "-o", str(out), tmp=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mode"] == "replay" and report["findings"]
