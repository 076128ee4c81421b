"""`secaudit playbooks list|show|validate`: output, and one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit import playbook as pb
from secaudit.cli import main
from secaudit.pipeline import check_catalog

HEAD = 'schema: secaudit.playbook/v1\nid: t\nversion: "1"\ntitle: {vi: "Thử", en: Test}\n'


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
        sys.exit(0)  # main returns normally on success
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture(autouse=True)
def _vietnamese_default(monkeypatch):
    monkeypatch.delenv("SECAUDIT_LANG", raising=False)
    monkeypatch.delenv("SECAUDIT_DEBUG", raising=False)


def test_list_shows_the_three_plans_baseline_and_network(capsys):
    code, out, _ = _run(capsys, "playbooks", "list", "--lang", "en")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert sorted(ids) == ["baseline", "bien-hoa-2024-2025", "dak-lak-2026", "dong-nai-2026", "network"]
    assert "06-15" in out and "03-25, 06-25, 09-25, 12-25" in out and "2025-05-30" in out
    assert "Đồng Nai DOET" in out


def test_list_in_vietnamese(capsys):
    code, out, _ = _run(capsys, "playbooks", "list")
    assert code == 0
    assert "Sở GDĐT Đồng Nai" in out and "Sở GDĐT Đắk Lắk" in out and "Biên Hòa" in out


def test_show_dong_nai_in_english_prints_clauses(capsys):
    code, out, _ = _run(capsys, "playbooks", "show", "dong-nai-2026", "--lang", "en")
    assert code == 0
    book = pb.load("dong-nai-2026", check_catalog())
    for clause in book.clauses:
        assert f"{clause.clause}: {clause.text['en']}" in out
    assert "VN-ACC-01" in out and "accounts.uid0_duplicates" in out and "VN-MAL-01" in out
    assert "/KH-SGDĐT" in out
    assert "annual 06-15" in out


def test_show_in_vietnamese_quotes_the_plan(capsys):
    code, out, _ = _run(capsys, "playbooks", "show", "dak-lak-2026")
    assert code == 0
    assert "III.9.1: Triển khai các giải pháp kỹ thuật bảo mật, phòng chống tấn công mạng." in out
    assert "Kỳ báo cáo: quarterly 03-25, 06-25, 09-25, 12-25" in out


@pytest.mark.parametrize("path", pb.list_shipped(), ids=lambda p: p.stem)
def test_validate_shipped(capsys, path):
    code, out, err = _run(capsys, "playbooks", "validate", str(path), "--lang", "en")
    assert code == 0, err
    assert out.startswith(f"Valid: {path} (")


def _broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(HEAD + "requirements:\n  VN-T-01:\n    title: {vi: a, en: b}\n"
                    "    checks:\n      - files.sensitive_modes\n      - ssh.no_such_check\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lang, needle", [("en", "unknown check 'ssh.no_such_check'"),
                                          ("vi", "không có kiểm tra 'ssh.no_such_check'")])
def test_validate_error_is_one_line_exit_2(capsys, tmp_path, lang, needle):
    path = _broken(tmp_path)
    code, out, err = _run(capsys, "playbooks", "validate", str(path), "--lang", lang)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"{path}:10: ")
    assert "requirements.VN-T-01.checks[1]" in err and needle in err


def test_show_unknown_playbook(capsys):
    code, _, err = _run(capsys, "playbooks", "show", "no-such-plan", "--lang", "en")
    assert code == 2
    assert err.strip() == "No playbook named 'no-such-plan'."


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00", HEAD.encode() + b"title: {vi: x, en: y}\n",
                                     HEAD.encode() + b"cadence: {kind: annual, due: ['06-31']}\n",
                                     HEAD.encode() + b"extends: t\n"])
def test_validate_errors_never_trace(capsys, tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    code, out, err = _run(capsys, "playbooks", "validate", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"{path}:")
    assert "Traceback" not in err and "Lỗi nội bộ" not in err


def test_real_entry_point_exit_code_and_stderr(tmp_path):
    """`python -m secaudit` as a user runs it: one sentence on stderr, exit 2, no traceback."""
    path = _broken(tmp_path)
    env = {**os.environ, "SECAUDIT_LANG": "en"}
    env.pop("SECAUDIT_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "secaudit", "playbooks", "validate", str(path)],
                          capture_output=True, text=True, env=env, timeout=60,
                          cwd=Path(__file__).resolve().parents[3])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"{path}:10: field 'requirements.VN-T-01.checks[1]': unknown check 'ssh.no_such_check'."]


def test_debug_shows_the_traceback(tmp_path):
    path = _broken(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "secaudit", "--debug", "playbooks", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[3])
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "PlaybookError" in proc.stderr
