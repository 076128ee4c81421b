"""The agent's check of signed receipts against the real collector's code (in process, SQLite): the key the
collector's enrollment answer carries is pinned, and the receipts it signs for an accepted, a duplicate
and a conflicting report pass the agent's check and are stored with their `signed` part."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest

from secaudit.agent import enroll, link
from secaudit.agent.submit import RetryPolicy, Submitter
from secaudit.collector import errors
from secaudit.collector.db import Database
from secaudit.collector.enroll import enroll as collector_enroll
from secaudit.collector.upload import receive
from secaudit.sign import dsse
from secaudit.sign.payload_types import RECEIPT_TYPE
from tests.unit.agent.conftest import Agent
from tests.unit.collector.helpers import new_db, token

HOST = {"hostname": "PC-01", "os": "linux 6.1", "machine_id_sha256": "", "macs": []}


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return new_db(tmp_path / "collector")


def _post_to(db: Database) -> Any:
    def post(session: Any, url: str, body: bytes, headers: dict[str, str]) -> link.Answer:
        raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
        try:
            outcome = receive(db, raw)
        except errors.ApiError as exc:
            return link.Answer(exc.status, json.dumps({"error": {"code": exc.code}}).encode(), {})
        return link.Answer(outcome.status, json.dumps(outcome.body).encode(), {})
    return post


def test_real_collector_receipts_verify_with_the_pinned_key(agent: Agent, db: Database,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    answer = collector_enroll(db, enroll.build_request(token(db, "TH1"), agent.key_dir, HOST))
    enroll.store(agent.config, "https://collector.example", enroll.check_response(answer, agent.info, "test"))
    pinned = enroll.receipt_key(enroll.load(agent.config))
    assert pinned is not None and pinned[0] == answer["collector_key"]["key_id"]

    monkeypatch.setattr(link, "post", _post_to(db))
    first = agent.envelope()
    agent.sequence -= 1
    second = agent.envelope(hostname="OTHER")  # the same sequence, other bytes: kept and flagged (409)
    again = agent.envelope(queue=False)
    with Submitter("https://collector.example", agent.config, RetryPolicy(budget=0), rng=random.Random(1),
                   receipt_key=pinned) as s:
        results = s.run([first, second, again, again])
    assert [r.status for r in results] == ["accepted", "conflict", "accepted", "duplicate"]
    assert all(r.warning is None for r in results)
    verdicts = []
    for r in results:
        assert r.receipt_path is not None
        stored = json.loads(r.receipt_path.read_bytes())
        raw = json.dumps(stored["signed"], separators=(",", ":")).encode()
        payload = dsse.verify(raw, {RECEIPT_TYPE}, [pinned[1]]).payload
        assert payload["envelope_sha256"] == stored["envelope_sha256"] and payload["log_index"] == stored["log_index"]
        verdicts.append(payload["verdict"])
    assert verdicts == ["accepted", "conflict", "accepted", "accepted"]
