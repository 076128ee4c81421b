"""Shared helpers for the backup integration tests: live data, aged copies, config files and a
`secaudit backup verify` run through click's test runner."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from secaudit.commands.backup import backup

NOW = int(time.time())
HOUR = 3600
DAY = 86400


def make_data(root: Path, files: int = 6, size: int = 40_000) -> Path:
    """Live data: text files (compressible) and one binary, with a nested folder."""
    data = root / "data"
    (data / "hoc-sinh").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (data / "hoc-sinh" / f"lop-{i}.csv").write_text(
            "".join(f"{i},{n},Nguyễn Văn {n},{n * 7 % 10}\n" for n in range(size // 30)), encoding="utf-8")
    (data / "anh.bin").write_bytes(os.urandom(size))
    old = NOW - 30 * DAY  # live files older than the copies: the drill can compare them
    for path in data.rglob("*"):
        os.utime(path, (old, old))
    return data


def run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})}, timeout=120)
    assert proc.returncode == 0, f"{argv}: {proc.stderr}"
    return proc.stdout


def age(path: Path, seconds_ago: int) -> None:
    ts = NOW - seconds_ago
    os.utime(path, (ts, ts))


def write_config(root: Path, sets: list[dict[str, Any]], role: str = "server") -> Path:
    lines = [f'state_dir = "{root / "state"}"', f'role = "{role}"']
    for s in sets:
        lines.append("[[backup]]")
        for key, value in s.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    path = root / "secaudit.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def verify(config: Path, *extra: str, lang: str = "en") -> tuple[int, dict[str, Any], str]:
    out = config.parent / "report.json"
    if out.exists():
        out.unlink()
    result = CliRunner().invoke(backup, ["verify", "--config", str(config), "--lang", lang, "--format", "json",
                                         "-o", str(out), *extra], catch_exceptions=False)
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return result.exit_code, report, result.output


def finding(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["check_id"] == check_id)


def inventory(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(b for b in report["inventory"]["backups"] if b["set"] == name)
