"""`keys` and `verify` click objects (CliRunner), sign_report() and agent_id_for()."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from secaudit.commands.keys import keys, verify
from secaudit.errors import SecauditError
from secaudit.sign import REPORT_TYPE, agent_id_for, envelope_name, sign_report
from secaudit.sign import keys as k
from secaudit.sign.dsse import canonical_bytes, sign
from secaudit.sign.ids import agent_id
from secaudit.sign.verify import verify_file


def payload(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "secaudit.report/v1",
        "report_id": "6f1c7f3e-0000-4000-8000-000000000001",
        "sequence": 12,
        "generated_at": "2026-03-05T01:02:03Z",
        "unit": {"code": "75-TH0042", "name": "Trường Tiểu học Nguyễn Du"},
        "host": {"hostname": "PC-PHONGMAY-01", "os": {"family": "linux"}, "agent_id": "agent-x", "role": "lab"},
        "playbook": {"id": "dong-nai-2026", "version": "1.0",
                     "title": {"vi": "Kế hoạch Đồng Nai", "en": "Dong Nai plan"}},
        "summary": {"pass": 8, "warn": 1, "fail": 2, "unknown": 1, "not_applicable": 0, "error": 0, "score": 70},
        "findings": [{"check_id": "ssh.permit_root_login", "status": "fail", "severity": "high"},
                     {"check_id": "accounts.empty_passwords", "status": "fail", "severity": "critical"}],
    }
    base.update(over)
    return base


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(keys if args[0] == "keys" else verify, list(args[1:]))


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    result = run("keys", "init", "--key-dir", str(tmp_path / "keys"))
    assert result.exit_code == 0, result.output
    return tmp_path / "keys"


@pytest.fixture
def signed(tmp_path: Path, key_dir: Path) -> Path:
    path = sign_report(payload(), str(key_dir), None, str(tmp_path / "out"))
    assert path is not None
    return Path(path)


# --- keys --------------------------------------------------------------------------------------


def test_keys_init_prints_key_id_and_phone_fingerprint(tmp_path: Path) -> None:
    result = run("keys", "init", "--key-dir", str(tmp_path / "k"))
    assert result.exit_code == 0
    assert "Đã tạo khóa ký báo cáo." in result.stdout
    assert re.search(r"ed25519:[A-Za-z0-9_-]{22}", result.stdout)
    assert re.search(r"\d{5}( \d{5}){5}", result.stdout)
    assert "Phòng/Sở GDĐT" in result.stdout  # tells who to read the fingerprint to
    again = run("keys", "init", "--key-dir", str(tmp_path / "k"), "--lang", "en")
    assert "never overwritten" in one_line_error(again, 2)


def test_keys_init_with_passphrase_file_then_rotate_wrong_passphrase(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("mật khẩu\n", encoding="utf-8")
    directory = tmp_path / "k"
    assert run("keys", "init", "--key-dir", str(directory), "--passphrase-file", str(pw)).exit_code == 0
    assert k.is_encrypted(directory)
    bad = tmp_path / "bad"
    bad.write_text("sai\n")
    result = run("keys", "rotate", "--key-dir", str(directory), "--passphrase-file", str(bad), "--lang", "en")
    assert one_line_error(result, 2) == f"Wrong passphrase for the key {directory / 'agent.key'}."
    result = run("keys", "rotate", "--key-dir", str(directory), env={"SECAUDIT_KEY_PASSPHRASE": "mật khẩu"})
    assert result.exit_code == 0, result.output
    assert "Đã thay khóa" in result.stdout


def test_keys_show_text_and_json(key_dir: Path) -> None:
    result = run("keys", "show", "--key-dir", str(key_dir), "--lang", "en")
    assert result.exit_code == 0
    info = k.info(key_dir)
    assert info.key_id in result.stdout and info.fingerprint in result.stdout
    assert "-----BEGIN PUBLIC KEY-----" in result.stdout
    assert "not protected by a passphrase" in result.stdout
    run("keys", "rotate", "--key-dir", str(key_dir))
    shown = json.loads(run("keys", "show", "--key-dir", str(key_dir), "--json").stdout)
    assert shown["key_id"] != info.key_id and shown["agent_id"] == info.agent_id
    assert [r["key_id"] for r in shown["retired"]] == [info.key_id]
    assert shown["private_key_encrypted"] is False


def test_keys_show_without_a_key(tmp_path: Path) -> None:
    result = run("keys", "show", "--key-dir", str(tmp_path / "none"), "--lang", "en")
    assert "keys init" in one_line_error(result, 2)


# --- verify ------------------------------------------------------------------------------------


def test_verify_valid_report_vi_and_en(signed: Path, key_dir: Path) -> None:
    result = run("verify", str(signed), "--pubkey", str(key_dir / "agent.pub"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    info = k.info(key_dir)
    for text in ("HỢP LỆ", info.key_id, info.fingerprint, "2026-03-05T01:02:03Z", "75-TH0042",
                 "Trường Tiểu học Nguyễn Du", "PC-PHONGMAY-01", "dong-nai-2026", "Đạt 8", "Không đạt 2",
                 "70/100", "Nghiêm trọng 1 · Cao 1"):
        assert text in out, text
    en = run("verify", str(signed), "--pubkey", str(key_dir / "agent.pub"), "--lang", "en").stdout
    assert "VALID" in en and "Pass 8" in en and "Fail 2" in en and "Dong Nai plan" in en


def test_verify_defaults_to_the_key_dir_including_retired_keys(signed: Path, key_dir: Path) -> None:
    assert run("verify", str(signed), "--key-dir", str(key_dir)).exit_code == 0
    assert run("keys", "rotate", "--key-dir", str(key_dir)).exit_code == 0
    result = run("verify", str(signed), "--key-dir", str(key_dir))
    assert result.exit_code == 0 and "retired" in result.stdout
    statement = next(key_dir.glob("keyrotate-*.json"))
    result = run("verify", str(statement), "--key-dir", str(key_dir), "--lang", "en")
    assert result.exit_code == 0 and "signed by the old key" in result.stdout


def test_verify_with_several_pubkeys(signed: Path, key_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    k.init(other)
    result = run("verify", str(signed), "--pubkey", str(other / "agent.pub"), "--pubkey", str(key_dir / "agent.pub"))
    assert result.exit_code == 0


def test_verify_wrong_key_exit_1(signed: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    k.init(other)
    result = run("verify", str(signed), "--pubkey", str(other / "agent.pub"))
    assert "KHÔNG hợp lệ" in one_line_error(result, 1)
    assert result.stdout == ""


def test_verify_tampered_report_exit_1(signed: Path, key_dir: Path) -> None:
    env = json.loads(signed.read_bytes())
    body = base64.b64decode(env["payload"]).replace(b'"fail":2', b'"fail":0')
    signed.write_text(json.dumps(dict(env, payload=base64.b64encode(body).decode())))
    result = run("verify", str(signed), "--pubkey", str(key_dir / "agent.pub"), "--lang", "en")
    assert "NOT valid" in one_line_error(result, 1)


@pytest.mark.parametrize("content, fragment", [
    (b"{not json", "not valid JSON"),
    (b'{"payloadType":"application/x-evil","payload":"e30=","signatures":[]}', "is not accepted here"),
    (b'{"payloadType":"' + REPORT_TYPE.encode() + b'","payload":"e3 0=","signatures":[{"sig":"AAAA"}]}', "base64"),
    (b'{"payloadType":"' + REPORT_TYPE.encode() + b'","payload":"e30=","payload":"e30=","signatures":[]}',
     "repeated"),
])
def test_verify_unusable_input_exit_2(tmp_path: Path, key_dir: Path, content: bytes, fragment: str) -> None:
    file = tmp_path / "x.secaudit.json"
    file.write_bytes(content)
    result = run("verify", str(file), "--pubkey", str(key_dir / "agent.pub"), "--lang", "en")
    assert fragment in one_line_error(result, 2)


def test_verify_100_mb_file_exit_2(tmp_path: Path, key_dir: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    result = run("verify", str(big), "--key-dir", str(key_dir), "--lang", "en")
    assert "too large" in one_line_error(result, 2)


def test_verify_missing_inputs_exit_2(tmp_path: Path, signed: Path, key_dir: Path) -> None:
    result = run("verify", str(tmp_path / "nope.json"), "--key-dir", str(key_dir), "--lang", "en")
    assert "nope.json" in one_line_error(result, 2)
    result = run("verify", str(signed), "--key-dir", str(tmp_path / "empty"), "--lang", "en")
    assert "--pubkey" in one_line_error(result, 2)
    result = run("verify", str(signed), "--pubkey", str(tmp_path / "none.pub"), "--lang", "en")
    assert "none.pub" in one_line_error(result, 2)


def test_verify_prints_hostile_strings_inert(tmp_path: Path, key_dir: Path) -> None:
    evil = "\x1b[2J<script>alert(1)</script>\u202egnp.exe\n" + "A" * 10_000
    path = sign_report(payload(host={"hostname": evil}, unit={"code": "\x07", "name": "x"}),
                       str(key_dir), None, str(tmp_path / "out"))
    assert path is not None
    result = run("verify", path, "--key-dir", str(key_dir))
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b" in result.stdout and "\\u202e" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) < 400
    name = Path(path).name
    assert re.fullmatch(r"\[2J_script_alert\(1\)_script_gnp\.exe_A+-20260305-010203\.secaudit\.json", name)
    assert len(name.encode()) == 100 + len("-20260305-010203.secaudit.json")


# --- sign_report / agent_id_for ----------------------------------------------------------------


def test_sign_report_without_a_key_returns_none(tmp_path: Path) -> None:
    assert sign_report(payload(), str(tmp_path / "nokeys"), None, str(tmp_path / "out")) is None
    assert not (tmp_path / "out").exists()
    assert agent_id_for(str(tmp_path / "nokeys")) is None


def test_sign_report_writes_a_verifiable_envelope_named_after_host_and_time(signed: Path, key_dir: Path) -> None:
    assert signed.name == "PC-PHONGMAY-01-20260305-010203.secaudit.json"
    got = verify_file(str(signed), [str(key_dir / "agent.pub")])
    assert got.body == canonical_bytes(payload())
    assert got.payload == payload()
    assert not list(signed.parent.glob(".tmp-*"))


def test_sign_report_never_overwrites(signed: Path, key_dir: Path) -> None:
    before = signed.read_bytes()
    second = sign_report(payload(sequence=13), str(key_dir), None, str(signed.parent))
    third = sign_report(payload(sequence=14), str(key_dir), None, str(signed.parent))
    assert second is not None and third is not None
    assert Path(second).name == "PC-PHONGMAY-01-20260305-010203-2.secaudit.json"
    assert Path(third).name == "PC-PHONGMAY-01-20260305-010203-3.secaudit.json"
    assert signed.read_bytes() == before


@pytest.mark.parametrize("hostname, name", [
    ("../../etc/passwd", "etc_passwd"),
    ("Máy-Phòng-Đào-tạo", "Máy-Phòng-Đào-tạo"),
    ("-rf ..\\..\\CON", "rf_._._CON"),
    ("CON", "_CON"),
    ("", "host"),
    (None, "host"),
    ("...", "host"),
    ("srv01.truong.edu.vn", "srv01.truong.edu.vn"),
])
def test_envelope_name_is_filename_safe(hostname: Any, name: str) -> None:
    assert envelope_name(payload(host={"hostname": hostname})) == f"{name}-20260305-010203.secaudit.json"


def test_envelope_name_without_a_usable_time() -> None:
    assert re.fullmatch(r"h-\d{8}-\d{6}\.secaudit\.json",
                        envelope_name({"host": {"hostname": "h"}, "generated_at": "yesterday"}))


def test_sign_report_with_passphrase_from_argument_or_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "k"
    k.init(directory, "pw")
    out = tmp_path / "out"
    assert sign_report(payload(), str(directory), "pw", str(out)) is not None
    monkeypatch.setenv("SECAUDIT_KEY_PASSPHRASE", "pw")
    assert sign_report(payload(sequence=2), str(directory), None, str(out)) is not None
    with pytest.raises(SecauditError) as exc:
        sign_report(payload(sequence=3), str(directory), "wrong", str(out))
    assert "Wrong passphrase" in exc.value.en and "\n" not in exc.value.en


def test_sign_report_unwritable_output_is_one_sentence(tmp_path: Path, key_dir: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SecauditError) as exc:
        sign_report(payload(), str(key_dir), None, str(blocker / "out"))
    assert exc.value.en.startswith("Cannot write ") and "Not a directory" in exc.value.en


def test_sign_report_uses_the_env_key_dir(tmp_path: Path, key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECAUDIT_KEY_DIR", str(key_dir))
    monkeypatch.chdir(tmp_path)
    path = sign_report(payload(), None, None, "")
    assert path is not None and Path(path).parent == Path(".")


def test_agent_id_for_is_stable_across_rotation(key_dir: Path) -> None:
    first = agent_id_for(str(key_dir))
    assert first == agent_id(k.load_public(key_dir / "agent.pub"))
    k.rotate(key_dir)
    assert agent_id_for(str(key_dir)) == first != agent_id(k.load_public(key_dir / "agent.pub"))


def test_report_signed_by_hand_matches_sign_report(signed: Path, key_dir: Path) -> None:
    """sign_report is dsse.sign over canonical_bytes: Ed25519 is deterministic, so the bytes are equal."""
    key = k.load_private(key_dir, None)
    assert signed.read_bytes() == sign(canonical_bytes(payload()), REPORT_TYPE, key)


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_signed_report_respects_umask(signed: Path) -> None:
    assert signed.stat().st_mode & 0o002 == 0
