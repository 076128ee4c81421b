"""secaudit.agent.enroll: the signed request, the online exchange with the fake collector, the offline
files, the stored enrollment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secaudit.agent import enroll, link
from secaudit.sign import dsse
from secaudit.sign.keys import load_public
from secaudit.sign.payload_types import ENROLL_TYPE
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector

HOST = {"hostname": "PC-01", "os": "linux 6.1", "machine_id_sha256": "", "macs": []}


def test_request_is_signed_by_the_agent_key(agent: Agent) -> None:
    raw = enroll.build_request("  tok-123 ", agent.key_dir, HOST)
    verified = dsse.verify(raw, {ENROLL_TYPE}, [load_public(Path(agent.key_dir) / "agent.pub")])
    payload = verified.payload
    assert verified.keyid == agent.info.key_id
    assert payload["schema"] == "secaudit.enroll/v1" and payload["token"] == "tok-123"
    assert payload["public_key"] == agent.info.public_pem and payload["agent_id"] == agent.info.agent_id
    assert payload["host"] == HOST and len(payload["nonce"]) == 24 and payload["created_at"].endswith("Z")


def test_host_facts_shape() -> None:
    facts = enroll.host_facts()
    assert set(facts) == {"hostname", "os", "machine_id_sha256", "macs"}
    assert all(len(mac) == 17 for mac in facts["macs"])


@pytest.mark.parametrize("token", ["", "   ", "có dấu", "a b", "x" * 300, "tab\there", "\x1b[31m"])
def test_bad_tokens(token: str) -> None:
    with pytest.raises(enroll.EnrollError):
        enroll.check_token(token)


def test_online_enrollment_is_stored(agent: Agent, collector: FakeCollector) -> None:
    answer = enroll.enroll_online(collector.url, enroll.build_request(collector.token("DN.BH.X"), agent.key_dir),
                                  agent.info)
    path = enroll.store(agent.config, collector.url, answer)
    stored = enroll.load(agent.config)
    assert stored is not None and path == enroll.enrollment_path(agent.config)
    assert stored["unit"]["code"] == "DN.BH.X" and stored["collector_url"] == collector.url
    assert stored["key_id"] == agent.info.key_id and "token" not in json.dumps(stored)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_used_token_is_refused(make_agent: Any, collector: FakeCollector) -> None:
    token = collector.token(uses=1)
    first, second = make_agent("a"), make_agent("b")
    enroll.enroll_online(collector.url, enroll.build_request(token, first.key_dir), first.info)
    with pytest.raises(enroll.EnrollError) as err:
        enroll.enroll_online(collector.url, enroll.build_request(token, second.key_dir), second.info)
    assert err.value.en.startswith(f"The collector {collector.url} refused the enrollment:")
    assert "(HTTP 401)" in err.value.en


def test_unreachable_collector(agent: Agent) -> None:
    with pytest.raises(link.CollectorError) as err:
        enroll.enroll_online("http://127.0.0.1:9", enroll.build_request("t", agent.key_dir, HOST), agent.info)
    assert err.value.en.startswith("Cannot enroll with http://127.0.0.1:9: cannot connect")


def _answer(agent: Agent, **changes: Any) -> dict[str, Any]:
    base = {"schema": "secaudit.enrollment/v1", "agent_id": agent.info.agent_id, "key_id": agent.info.key_id,
            "unit": {"code": "U1", "name": "Trường 1", "path": ["DN", "U1"]}, "status": "active"}
    return {**base, **changes}


@pytest.mark.parametrize("changes", [
    {"schema": "other"}, {"key_id": "ed25519:someone-else"}, {"agent_id": "agent-x"}, {"unit": None},
    {"unit": {"code": ""}}, {"unit": {"code": "U", "path": "DN/U"}}, {"unit": {"code": "U", "name": 5}},
])
def test_answers_that_cannot_be_used(agent: Agent, changes: dict[str, Any]) -> None:
    with pytest.raises(enroll.EnrollError) as err:
        enroll.check_response(_answer(agent, **changes), agent.info, "RESP.json")
    assert err.value.en.startswith("The enrollment answer from RESP.json cannot be used:")


def test_offline_round_trip(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    request = tmp_path / "REQ.json"
    enroll.write_request(str(request), enroll.build_request(collector.token(), agent.key_dir, HOST))
    with pytest.raises(enroll.EnrollError, match="already exists"):
        enroll.write_request(str(request), b"{}")
    status, body = collector._server.enroll(request.read_bytes())  # type: ignore[union-attr]  # enroll-import
    assert status == 201
    response = tmp_path / "RESP.json"
    response.write_text(json.dumps(body))
    assert enroll.read_response(str(response), agent.info)["key_id"] == agent.info.key_id


@pytest.mark.parametrize(("content", "why"), [
    (None, "does not exist"), (b"\xff", "not valid JSON"), (b"[" * 100000, "not valid JSON"),
    (b" " * (2 << 20), "too large"),
])
def test_bad_response_files(agent: Agent, tmp_path: Path, content: bytes | None, why: str) -> None:
    path = tmp_path / "RESP.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(enroll.EnrollError, match=why):
        enroll.read_response(str(path), agent.info)


def test_damaged_enrollment_file_reads_as_none(agent: Agent) -> None:
    path = enroll.enrollment_path(agent.config)
    path.parent.mkdir(parents=True)
    for content in (b"{", b"[]", b'{"schema": "x"}'):
        path.write_bytes(content)
        assert enroll.load(agent.config) is None


def test_ensure_key_creates_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECAUDIT_KEY_PASSPHRASE", raising=False)
    info, created = enroll.ensure_key(str(tmp_path / "k"))
    again, created_again = enroll.ensure_key(str(tmp_path / "k"))
    assert created and not created_again and info.key_id == again.key_id
