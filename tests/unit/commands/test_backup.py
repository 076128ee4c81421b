"""`secaudit backup verify` through click's runner: no sets, the backup-only playbook, errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from secaudit import playbook as pb
from secaudit.commands.backup import backup, backup_playbook
from secaudit.pipeline import check_catalog


def _cfg(tmp_path, body: str = "", role: str = "server"):
    path = tmp_path / "secaudit.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\nrole = "{role}"\n{body}', encoding="utf-8")
    return str(path)


def test_no_sets_server_is_told_to_declare_them(tmp_path):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(backup, ["verify", "--config", _cfg(tmp_path), "--lang", "vi", "--format", "json",
                                         "-o", str(out)])
    assert "Chưa khai báo bộ sao lưu nào" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    # backup.scope fails only when this machine runs a database engine
    assert result.exit_code == (1 if report["summary"]["fail"] else 0), result.output
    assert {f["check_id"].split(".")[0] for f in report["findings"]} == {"backup"}
    fresh = next(f for f in report["findings"] if f["check_id"] == "backup.freshness")
    assert fresh["status"] == "warn" and "[[backup]]" in fresh["message"]["vi"]
    assert report["inventory"]["backups"] == []


def test_no_sets_workstation_is_not_applicable(tmp_path):
    result = CliRunner().invoke(backup, ["verify", "--config", _cfg(tmp_path, role="workstation"), "--lang", "en",
                                         "--format", "json"])
    report = json.loads(result.output[result.output.index("{"):])
    assert {f["status"] for f in report["findings"] if f["check_id"] != "backup.scope"} == {"not_applicable"}


def test_backup_playbook_keeps_only_backup_requirements():
    book = backup_playbook(pb.load("baseline", check_catalog()))
    checks = {c for r in book.requirements.values() for c in r.checks}
    assert checks and all(c.startswith("backup.") for c in checks)
    assert {"backup.integrity", "backup.restore_drill", "backup.offsite"} <= checks


def test_errors_are_one_sentence_exit_2(tmp_path):
    result = CliRunner().invoke(backup, ["verify", "--config", str(tmp_path / "missing.toml"), "--lang", "en"])
    assert result.exit_code == 2 and "missing.toml" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(backup, ["verify", "--config", _cfg(tmp_path), "--budget", "tomorrow"])
    assert result.exit_code == 2 and "--budget" in result.output
