"""`secaudit render` offers every registered format: the verified payload as JSON, the terminal summary
as text, each written under the format's own suffix by default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secaudit.commands.render import render
from secaudit.report.sample import sample_report
from secaudit.sign import keys, sign_report


@pytest.fixture
def envelope(tmp_path: Path) -> tuple[str, str, dict[str, Any]]:
    key_dir = tmp_path / "keys"
    keys.init(str(key_dir))
    report = sample_report(6, hostname="PC-07")
    path = sign_report(report, str(key_dir), None, str(tmp_path / "out"))
    assert path is not None
    return path, str(key_dir / "agent.pub"), report


def test_json_and_text(envelope: tuple[str, str, dict[str, Any]], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, pub, report = envelope
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(render, [path, "--format", "json", "--pubkey", pub])
    assert result.exit_code == 0, result.output
    written = Path(Path(path).name.replace(".secaudit.json", ".json"))
    assert json.loads(written.read_text(encoding="utf-8")) == report
    text = CliRunner().invoke(render, [path, "--format", "text", "--pubkey", pub, "--lang", "en", "-o", "-"])
    assert text.exit_code == 0 and "Host: PC-07" in text.stdout and "/100" in text.stdout


def test_a_unit_as_json_is_a_list(envelope: tuple[str, str, dict[str, Any]], tmp_path: Path) -> None:
    path, pub, report = envelope
    out = tmp_path / "unit.json"
    result = CliRunner().invoke(render, [path, "--unit", "--format", "json", "--pubkey", pub, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == [report]
