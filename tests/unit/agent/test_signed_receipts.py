"""Signed receipts on the agent's side: the collector's receipt key pinned at enrollment, and `submit`
checking each signed receipt with it before anything leaves the outbox (real Ed25519 signatures, made by
the fake collector like the real one)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.agent import enroll, outbox, submit
from secaudit.agent.submit import RetryPolicy, Submitter
from secaudit.commands.submit import run_submit
from secaudit.errors import SecauditError
from secaudit.sign import dsse
from secaudit.sign.ids import key_id
from secaudit.sign.payload_types import RECEIPT_TYPE
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector, public_pem


def _enroll(agent: Agent, collector: FakeCollector) -> dict[str, Any]:
    answer = enroll.enroll_online(collector.url, enroll.build_request(collector.token(), agent.key_dir), agent.info)
    enroll.store(agent.config, collector.url, answer)
    stored = enroll.load(agent.config)
    assert stored is not None
    return stored


def _send(agent: Agent, collector: FakeCollector, *paths: Path) -> list[submit.Result]:
    pinned = enroll.receipt_key(enroll.load(agent.config))
    with Submitter(collector.url, agent.config, RetryPolicy(budget=0), rng=random.Random(1),
                   receipt_key=pinned) as s:
        return s.run(list(paths))


def _verify_stored(result: submit.Result, pub: Any) -> dict[str, Any]:
    assert result.receipt_path is not None
    stored = json.loads(result.receipt_path.read_bytes())
    raw = json.dumps(stored["signed"], separators=(",", ":")).encode()
    payload = dsse.verify(raw, {RECEIPT_TYPE}, [pub]).payload
    assert payload["envelope_sha256"] == stored["envelope_sha256"] and payload["log_index"] == stored["log_index"]
    return payload


# --- enrollment ----------------------------------------------------------------------------------

def test_enrollment_pins_the_collectors_receipt_key(agent: Agent, collector: FakeCollector) -> None:
    stored = _enroll(agent, collector)
    assert collector.state.receipt_key is not None
    pub = collector.state.receipt_key.public_key()
    assert stored["collector_key"] == {"key_id": key_id(pub), "public_key": public_pem(collector.state.receipt_key)}
    kid, pinned = enroll.receipt_key(stored)  # type: ignore[misc]
    assert kid == key_id(pub) and pinned == pub


def test_an_old_collector_pins_nothing(agent: Agent) -> None:
    old = FakeCollector(sign_receipts=False)
    try:
        stored = _enroll(agent, old)
    finally:
        old.stop()
    assert "collector_key" not in stored and enroll.receipt_key(stored) is None


def test_offline_response_pins_the_key_too(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    _, body = collector._server.enroll(  # type: ignore[union-attr]  # what enroll-import answers
        enroll.build_request(collector.token(), agent.key_dir, {"hostname": "PC", "os": "", "macs": [],
                                                                 "machine_id_sha256": ""}))
    response = tmp_path / "RESP.json"
    response.write_text(json.dumps(body))
    answer = enroll.read_response(str(response), agent.info)
    enroll.store(agent.config, "", answer)
    assert enroll.receipt_key(enroll.load(agent.config)) is not None


def _bad_keys() -> list[Any]:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    rsa_pem = ("-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMq9QdDw0ePtStnXhKG6+UdFSU5I/7Cl\n"
               "kz3DWw0CKbLBf3LhUZ2EGqMbG0Y2v7oq/5AHwa2d9tXwXyZ9bfG7yF8CAwEAAQ==\n-----END PUBLIC KEY-----\n")
    return [
        {"key_id": key_id(other.public_key()), "public_key": public_pem(key)},  # the PEM is of another key
        {"key_id": key_id(key.public_key()), "public_key": "not a pem"},
        {"key_id": key_id(key.public_key()), "public_key": rsa_pem},
        {"key_id": key_id(key.public_key())},
        "ed25519:abc",
        {"key_id": 5, "public_key": public_pem(key)},
    ]


@pytest.mark.parametrize("bad", _bad_keys())
def test_a_bad_collector_key_makes_the_answer_unusable(agent: Agent, bad: Any) -> None:
    answer = {"schema": "secaudit.enrollment/v1", "agent_id": agent.info.agent_id, "key_id": agent.info.key_id,
              "unit": {"code": "U1", "name": "Trường 1", "path": ["DN", "U1"]}, "status": "active",
              "collector_key": bad}
    with pytest.raises(enroll.EnrollError) as err:
        enroll.check_response(answer, agent.info, "RESP.json")
    assert err.value.en.startswith("The enrollment answer from RESP.json cannot be used: the collector's receipt key")
    assert "khóa ký biên nhận của collector" in err.value.vi
    assert not enroll.enrollment_path(agent.config).exists()


def test_a_damaged_pinned_key_stops_submit(agent: Agent, collector: FakeCollector) -> None:
    stored = _enroll(agent, collector)
    stored["collector_key"]["public_key"] = "damaged"
    enroll.enrollment_path(agent.config).write_text(json.dumps(stored))
    with pytest.raises(enroll.EnrollError, match="damaged; enroll this machine again"):
        enroll.receipt_key(enroll.load(agent.config))


# --- submit --------------------------------------------------------------------------------------

def test_a_good_signed_receipt_is_stored(agent: Agent, collector: FakeCollector) -> None:
    _enroll(agent, collector)
    assert collector.state.receipt_key is not None
    paths = [agent.envelope() for _ in range(2)]
    results = _send(agent, collector, *paths)
    assert [r.status for r in results] == ["accepted", "accepted"] and not any(p.exists() for p in paths)
    assert all(r.warning is None for r in results)
    payloads = [_verify_stored(r, collector.state.receipt_key.public_key()) for r in results]
    assert [p["log_index"] for p in payloads] == [1, 2] and payloads[0]["verdict"] == "accepted"
    again = agent.envelope(queue=False)
    assert [r.status for r in _send(agent, collector, again, again)] == ["accepted", "duplicate"]
    assert submit.exit_code(results) == 0


def test_a_signed_conflict_receipt_is_checked_and_stored(agent: Agent, collector: FakeCollector) -> None:
    _enroll(agent, collector)
    first = agent.envelope()
    agent.sequence -= 1
    second = agent.envelope(hostname="OTHER")
    results = _send(agent, collector, first, second)
    assert [r.status for r in results] == ["accepted", "conflict"] and not second.exists()
    assert collector.state.receipt_key is not None
    assert _verify_stored(results[1], collector.state.receipt_key.public_key())["verdict"] == "conflict"


def _edit(field: str, value: Any) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        payload[field] = value
    return edit


@pytest.mark.parametrize(("attack", "why"), [
    ("forged", "does not verify with the collector key pinned at enrollment"),
    (("envelope_sha256", "0" * 64), "names another envelope_sha256"),
    (("report_id", 999), "names another report_id"),
    (("agent_id", "agent-someone-else-xxxxxxx"), "names another agent_id"),
    (("verdict", "conflict"), "names another verdict"),
    (("log_index", 77), "names another log_index"),
    (("schema", "x"), "names another schema"),
])
def test_a_wrong_signed_receipt_keeps_the_envelope(agent: Agent, collector: FakeCollector, attack: Any,
                                                   why: str) -> None:
    _enroll(agent, collector)
    if attack == "forged":
        collector.state.receipt_forger = Ed25519PrivateKey.generate()  # under the pinned key's id
    else:
        collector.state.receipt_edit = _edit(*attack)
    path = agent.envelope()
    [result] = _send(agent, collector, path)
    assert result.status == "failed" and path.exists() and result.receipt is None
    assert result.reason and result.reason["en"].startswith(
        f"The collector's signed receipt for {path.name} is not valid: ")
    assert why in result.reason["en"] and f"Biên nhận có chữ ký của collector cho {path.name}" in result.reason["vi"]
    assert not outbox.sent_dir(agent.config).exists()
    assert submit.exit_code([result]) == 2


def test_a_forged_conflict_receipt_keeps_the_envelope(agent: Agent, collector: FakeCollector) -> None:
    _enroll(agent, collector)
    first = agent.envelope()
    agent.sequence -= 1
    second = agent.envelope(hostname="OTHER")
    [ok] = _send(agent, collector, first)
    collector.state.receipt_forger = Ed25519PrivateKey.generate()
    [result] = _send(agent, collector, second)
    assert ok.status == "accepted" and result.status == "failed" and second.exists()
    assert result.reason and "signed receipt" in result.reason["en"] and submit.exit_code([result]) == 2


def test_a_receipt_signed_by_another_key_is_stored_with_a_warning(agent: Agent, collector: FakeCollector,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _enroll(agent, collector)
    rotated = Ed25519PrivateKey.generate()
    collector.state.receipt_key = rotated  # the collector changed its key after this agent enrolled
    path = agent.envelope()
    code = run_submit(agent.config, collector.url, (), "en", retry_for=0)
    err = capsys.readouterr().err
    assert code == 0 and not path.exists()
    assert f"signed by the key {key_id(rotated.public_key())}, not the collector key this machine pinned" in err
    assert "secaudit collector receipts keys" in err
    [receipt] = outbox.sent_dir(agent.config).glob("*.receipt.json")
    stored = json.loads(receipt.read_bytes())
    raw = json.dumps(stored["signed"], separators=(",", ":")).encode()
    assert dsse.verify(raw, {RECEIPT_TYPE}, [rotated.public_key()]).payload["report_id"] == stored["report_id"]
    agent.envelope()
    assert run_submit(agent.config, collector.url, (), "vi", retry_for=0) == 0
    assert "được ký bằng khóa" in capsys.readouterr().err


def test_cli_says_a_bad_signature_in_one_sentence(agent: Agent, collector: FakeCollector,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _enroll(agent, collector)
    collector.state.receipt_forger = Ed25519PrivateKey.generate()
    path = agent.envelope()
    assert run_submit(agent.config, None, (), "vi", retry_for=0) == 2
    err = capsys.readouterr().err
    assert f"Biên nhận có chữ ký của collector cho {path.name} không hợp lệ" in err and path.exists()


def test_no_signed_part_is_as_before(agent: Agent, collector: FakeCollector) -> None:
    _enroll(agent, collector)  # pinned, but the collector answers without `signed` (an old duplicate)
    collector.state.receipt_key = None
    path = agent.envelope()
    [result] = _send(agent, collector, path)
    assert result.status == "accepted" and result.warning is None and not path.exists()


def test_no_pinned_key_is_as_before(agent: Agent) -> None:
    old = FakeCollector(sign_receipts=False)  # enrolled with an old collector, which was then upgraded
    try:
        _enroll(agent, old)
        old.state.receipt_key = Ed25519PrivateKey.generate()
        old.state.receipt_forger = Ed25519PrivateKey.generate()  # nothing to check it with: not looked at
        path = agent.envelope()
        [result] = _send(agent, old, path)
    finally:
        old.stop()
    assert result.status == "accepted" and result.warning is None and not path.exists()


@pytest.mark.parametrize("signed", ["text", {"payloadType": RECEIPT_TYPE}, {"payloadType": "x", "payload": "",
                                                                           "signatures": []}])
def test_a_malformed_signed_part_is_unusable(signed: Any) -> None:
    key = Ed25519PrivateKey.generate()
    receipt = {"report_id": 1, "agent_id": "a", "signed": signed}
    with pytest.raises(SecauditError) as err:
        submit.check_signed(receipt, "00", "r.secaudit.json", "accepted", (key_id(key.public_key()),
                                                                            key.public_key()))
    assert err.value.en.startswith("The collector's signed receipt for r.secaudit.json is not valid")


def test_enroll_command_shows_the_pinned_key(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from secaudit.commands.enroll import enroll as enroll_command

    config = tmp_path / "agent.toml"
    config.write_text(f'state_dir = "{agent.config.state_dir}"\n', encoding="utf-8")
    result = CliRunner().invoke(enroll_command, [collector.url, "--token", collector.token(), "--key-dir",
                                                 agent.key_dir, "--config", str(config), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert collector.state.receipt_key is not None
    assert f"Receipt key:         {key_id(collector.state.receipt_key.public_key())}" in result.output


def test_verify_command_checks_a_stored_receipt_with_the_pinned_key(agent: Agent, collector: FakeCollector,
                                                                    tmp_path: Path) -> None:
    from click.testing import CliRunner

    from secaudit.commands.keys import verify

    _enroll(agent, collector)
    path = agent.envelope()
    [result] = _send(agent, collector, path)
    assert result.receipt_path is not None
    config = tmp_path / "agent.toml"
    config.write_text(f'state_dir = "{agent.config.state_dir}"\n', encoding="utf-8")
    out = CliRunner().invoke(verify, [str(result.receipt_path), "--config", str(config), "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "Valid receipt: signed by the collector" in out.output and "the key pinned at enrollment" in out.output
    assert f"{result.receipt_path.with_name(path.name)} (SHA-256 matches)" in out.output
    assert str(result.receipt["report_id"]) in out.output  # type: ignore[index]
    other = tmp_path / "other.pub"
    other.write_bytes(Path(agent.key_dir, "agent.pub").read_bytes())
    wrong = CliRunner().invoke(verify, [str(result.receipt_path), "--pubkey", str(other), "--lang", "en"])
    assert wrong.exit_code == 1, wrong.output
    result.receipt_path.with_name(path.name).write_bytes(b"{}")
    changed = CliRunner().invoke(verify, [str(result.receipt_path), "--config", str(config), "--lang", "vi"])
    assert changed.exit_code == 1 and "không phải báo cáo mà biên nhận ghi nhận" in changed.output


def test_verify_command_without_a_collector_key(agent: Agent, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from secaudit.commands.keys import verify

    old = FakeCollector(sign_receipts=False)
    try:
        _enroll(agent, old)
    finally:
        old.stop()
    receipt = tmp_path / "x.secaudit.json.receipt.json"
    receipt.write_text(json.dumps({"signed": {"payloadType": RECEIPT_TYPE, "payload": "", "signatures": []}}))
    config = tmp_path / "agent.toml"
    config.write_text(f'state_dir = "{agent.config.state_dir}"\n', encoding="utf-8")
    out = CliRunner().invoke(verify, [str(receipt), "--config", str(config), "--lang", "en"])
    assert out.exit_code == 2 and "give it with --pubkey" in out.output
