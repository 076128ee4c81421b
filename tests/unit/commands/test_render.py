"""`secaudit render`: verify first, then render; never render an envelope that does not verify."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secaudit.commands.render import render
from secaudit.report.sample import sample_report
from secaudit.sign import REPORT_TYPE, keys, sign_report
from secaudit.sign.dsse import canonical_bytes, sign


@pytest.fixture
def signer(tmp_path: Path) -> Any:
    key_dir = tmp_path / "keys"
    keys.init(str(key_dir))
    out = tmp_path / "out"

    def make(report: dict[str, Any]) -> str:
        path = sign_report(report, str(key_dir), None, str(out))
        assert path is not None
        return path

    make.key_dir = key_dir  # type: ignore[attr-defined]
    make.pub = str(key_dir / "agent.pub")  # type: ignore[attr-defined]
    return make


def invoke(*args: str) -> Any:
    return CliRunner().invoke(render, list(args))


def test_render_one_envelope_each_format(signer: Any, tmp_path: Path) -> None:
    envelope = signer(sample_report(12))
    for fmt, marker in (("html", b"<!DOCTYPE html>"), ("md", "# Báo cáo".encode()), ("sarif", b'"2.1.0"'),
                        ("csv", b"\xef\xbb\xbfhost,check_id")):
        out = tmp_path / f"r.{fmt}"
        result = invoke(envelope, "--format", fmt, "--pubkey", signer.pub, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert marker in out.read_bytes()[:200]
        assert "Chữ ký hợp lệ" in result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Đã kiểm tra: hợp lệ, khóa ed25519:" in html  # the verified key is shown in the report


def test_default_key_dir_and_default_output_name(signer: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    envelope = signer(sample_report(6, hostname="PC-07"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = invoke(envelope, "--key-dir", str(signer.key_dir), "--lang", "en")
    assert result.exit_code == 0, result.output
    written = list(cwd.glob("*.html"))
    assert [p.name for p in written] == [Path(envelope).name.replace(".secaudit.json", ".html")]
    assert 'lang="en"' in written[0].read_text(encoding="utf-8")


def test_stdout(signer: Any) -> None:
    envelope = signer(sample_report(6))
    result = invoke(envelope, "--format", "md", "--pubkey", signer.pub, "-o", "-")
    assert result.exit_code == 0
    assert "| Mã yêu cầu |" in result.stdout


def test_tampered_envelope_is_not_rendered(signer: Any, tmp_path: Path) -> None:
    envelope = Path(signer(sample_report(6)))
    doc = json.loads(envelope.read_bytes())
    payload = json.loads(canonical_bytes(sample_report(6)))
    payload["summary"]["fail"] = 0  # the classic: turn a failing report into a passing one
    doc["payload"] = base64.b64encode(canonical_bytes(payload)).decode()
    bad = tmp_path / "bad.secaudit.json"
    bad.write_text(json.dumps(doc))
    out = tmp_path / "never.html"
    result = invoke(str(bad), "--pubkey", signer.pub, "-o", str(out))
    assert result.exit_code == 1
    assert "KHÔNG hợp lệ" in result.output
    assert not out.exists()


def test_wrong_key_and_unusable_input(signer: Any, tmp_path: Path) -> None:
    envelope = signer(sample_report(6))
    other = tmp_path / "other"
    keys.init(str(other))
    out = tmp_path / "x.html"
    result = invoke(envelope, "--pubkey", str(other / "agent.pub"), "-o", str(out), "--lang", "en")
    assert result.exit_code == 1 and "NOT valid" in result.output and not out.exists()
    junk = tmp_path / "junk.secaudit.json"
    junk.write_text("{not json")
    result = invoke(str(junk), "--pubkey", signer.pub, "-o", str(out))
    assert result.exit_code == 2 and not out.exists()
    empty_keys = tmp_path / "nokeys"
    empty_keys.mkdir()
    result = invoke(envelope, "--key-dir", str(empty_keys), "-o", str(out))
    assert result.exit_code == 2 and "--pubkey" in result.output


def test_signed_payload_that_is_not_a_report(signer: Any, tmp_path: Path) -> None:
    private = keys.load_private(str(signer.key_dir), None)
    envelope = tmp_path / "odd.secaudit.json"
    envelope.write_bytes(sign(canonical_bytes({"schema": "something/else"}), REPORT_TYPE, private))
    result = invoke(str(envelope), "--pubkey", signer.pub, "-o", str(tmp_path / "o.html"))
    assert result.exit_code == 2 and "secaudit.report/v1" in result.output


def test_several_envelopes_make_the_unit_report(signer: Any, tmp_path: Path) -> None:
    old = sample_report(6, hostname="PC-01", seed=1)
    old["sequence"] = 7
    new = sample_report(6, hostname="PC-01", seed=2)
    new["sequence"] = 9
    new["generated_at"] = "2026-06-06T02:30:00Z"
    paths = [signer(old), signer(new), signer(sample_report(6, hostname="PC-02", seed=3))]
    out = tmp_path / "unit.html"
    result = invoke(*paths, "--pubkey", signer.pub, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Bỏ qua" in result.output and Path(paths[0]).name in result.output  # the older PC-01 report
    html = out.read_text(encoding="utf-8")
    assert "Báo cáo tổng hợp kiểm tra an toàn thông tin" in html
    assert html.count('<section class="host"') == 2
    assert new["report_id"] in html and old["report_id"] not in html
    single_as_unit = invoke(paths[2], "--unit", "--format", "md", "--pubkey", signer.pub, "-o", "-")
    assert single_as_unit.exit_code == 0 and "Tổng hợp theo máy" in single_as_unit.stdout


def test_reports_of_different_units_are_refused(signer: Any, tmp_path: Path) -> None:
    a = signer(sample_report(4, hostname="A", unit_code="TH0001"))
    b = signer(sample_report(4, hostname="B", unit_code="TH0002"))
    result = invoke(a, b, "--pubkey", signer.pub, "-o", str(tmp_path / "u.html"), "--lang", "en")
    assert result.exit_code == 2 and "different units" in result.output


def test_csv_delimiter_option(signer: Any, tmp_path: Path) -> None:
    envelope = signer(sample_report(4))
    out = tmp_path / "r.csv"
    result = invoke(envelope, "--format", "csv", "--csv-delimiter", ";", "--pubkey", signer.pub, "-o", str(out))
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfhost;check_id;status")


# Every registered format: the verified payload as JSON, the terminal summary as text.


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
