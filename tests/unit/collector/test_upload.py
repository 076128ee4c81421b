"""The upload decision procedure: verify first, duplicate, conflict, unit from the enrollment, refusals."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from secaudit.collector import store
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Agent, Report
from secaudit.collector.upload import gunzip, receive
from secaudit.limits import ENVELOPE
from tests.unit.collector.helpers import envelope, report


def _count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Report)) or 0


def _refused(db: Database, raw: bytes) -> ApiError:
    before = _count(db)
    with pytest.raises(ApiError) as err:
        receive(db, raw)
    assert _count(db) == before
    return err.value


def test_accept_then_duplicate(db: Database, key: Ed25519PrivateKey) -> None:
    raw = envelope(key, report(key, 1, unit_code="FORGED"))
    first = receive(db, raw)
    assert first.status == 201
    receipt = first.body
    assert receipt["schema"] == "secaudit.receipt/v1" and receipt["status"] == "accepted"
    assert receipt["unit"] == "TH1"  # from the enrollment, never from the payload
    assert receipt["sequence"] == 1 and len(receipt["envelope_sha256"]) == 64
    again = receive(db, raw)
    assert again.status == 200 and again.body == {**receipt, "status": "duplicate"}
    assert _count(db) == 1
    with db.read() as s:
        row = s.scalar(select(Report))
        assert row is not None and row.kind == "audit" and row.unit_path_at_receipt == "DN/BH/TH1"
        if row.envelope_z[:2] in (b"D1", b"Z1"):  # the index may store it split into shared parts
            assert store.unpack(row.envelope_z) == raw
        agent = s.scalar(select(Agent))
        assert agent is not None and agent.last_sequence == 1


def test_conflict_kept_and_flagged(db: Database, key: Ed25519PrivateKey) -> None:
    assert receive(db, envelope(key, report(key, 5, seed=1))).status == 201
    other = envelope(key, report(key, 5, seed=2))
    outcome = receive(db, other)
    assert outcome.status == 409 and outcome.body["error"]["code"] == "sequence_conflict"
    assert outcome.body["receipt"]["status"] == "conflict"
    assert receive(db, other).status == 409  # the same conflicting bytes again: still a conflict
    assert receive(db, envelope(key, report(key, 5, seed=1))).status == 200  # the first: its receipt again
    with db.read() as s:
        assert [r.conflict for r in s.scalars(select(Report))] == [True, True]


def test_unknown_key_401_and_forged_400(db: Database, key: Ed25519PrivateKey) -> None:
    stranger = Ed25519PrivateKey.generate()
    assert _refused(db, envelope(stranger, report(stranger, 1))).status == 401
    # a stranger's signature under the enrolled key's keyid: the hint finds the key, the signature fails
    raw = json.loads(envelope(stranger, report(key, 1)))
    raw["signatures"][0]["keyid"] = json.loads(envelope(key, report(key, 1)))["signatures"][0]["keyid"]
    err = _refused(db, json.dumps(raw).encode())
    assert (err.status, err.code) == (400, "bad_signature")


def test_tampered_payload_400(db: Database, key: Ed25519PrivateKey) -> None:
    env = json.loads(envelope(key, report(key, 1)))
    body = base64.b64decode(env["payload"]).replace(b'"fail"', b'"pass"', 1)
    env["payload"] = base64.b64encode(body).decode()
    assert _refused(db, json.dumps(env).encode()).code == "bad_signature"


def test_wrong_payload_type_and_schema(db: Database, key: Ed25519PrivateKey) -> None:
    assert _refused(db, envelope(key, report(key, 1), "application/vnd.secaudit.enroll.v1+json")).status == 400
    bad = report(key, 1)
    bad["schema"] = "other/v1"
    assert _refused(db, envelope(key, bad)).code == "bad_schema"
    no_seq = report(key, 1)
    no_seq["sequence"] = "1"
    assert _refused(db, envelope(key, no_seq)).code == "bad_schema"


def test_report_of_another_agent_400(db: Database, key: Ed25519PrivateKey) -> None:
    assert _refused(db, envelope(key, report(key, 1, agent="agent-" + "y" * 22))).code == "agent_mismatch"


def test_suspended_agent_403(db: Database, key: Ed25519PrivateKey) -> None:
    with db.write() as s:
        agent = s.scalar(select(Agent))
        assert agent is not None
        agent.status = "suspended"
    assert _refused(db, envelope(key, report(key, 1))).status == 403


@pytest.mark.parametrize("raw", [b"", b"null", b"{" * 100_000, b'{"signatures": "x"}', b"\x00" * 100,
                                 b'{"payloadType":"a","payload":"!!","signatures":[{"keyid":"k","sig":"!"}]}'])
def test_hostile_bodies_are_400(db: Database, key: Ed25519PrivateKey, raw: bytes) -> None:
    assert _refused(db, raw).status == 400


def test_oversize_413_and_gzip_bomb(db: Database) -> None:
    assert _refused(db, b" " * (ENVELOPE + 1)).status == 413
    bomb = gzip.compress(b"\0" * (ENVELOPE + 10))
    with pytest.raises(ApiError) as err:
        gunzip(bomb)
    assert err.value.status == 413
    with pytest.raises(ApiError) as err:
        gunzip(b"\x1f\x8b garbage")
    assert err.value.status == 400
    assert gunzip(gzip.compress(b"abc")) == b"abc"


def test_scan_report_kind(db: Database, key: Ed25519PrivateKey) -> None:
    payload = report(key, 3)
    payload["playbook"]["id"] = "network"
    receive(db, envelope(key, payload))
    with db.read() as s:
        row = s.scalar(select(Report))
        assert row is not None and row.kind == "scan"


def test_index_failure_keeps_the_report(db: Database, key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.collector import index

    def broken(*_args: object) -> None:
        raise KeyError("a shape the index did not expect")

    monkeypatch.setattr(index, "index_report", broken)
    outcome = receive(db, envelope(key, report(key, 7)))
    assert outcome.status == 201 and _count(db) == 1


def test_lost_races_are_retried(db: Database, key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from secaudit.collector import upload, writer

    class Deadlock(Exception):
        sqlstate = "40P01"

    real, calls = upload._store, []

    def flaky(session: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE", {}, Deadlock("deadlock detected"))
        return real(session, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(upload, "_store", flaky)
    assert receive(db, envelope(key, report(key, 1))).status == 201 and len(calls) == 3
    assert not writer.retryable(OperationalError("x", {}, Exception("connection refused")))


def test_concurrent_uploads(db: Database, key: Ed25519PrivateKey) -> None:
    """Concurrent uploads of one agent: every caller gets its own answer, after its commit."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = [envelope(key, report(key, n)) for n in range(1, 41)] + [envelope(key, report(key, 3, seed=4))]
    bodies += [b"{}", envelope(key, report(key, 1))]  # a refusal and a duplicate among them
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(receive, db, raw, "https") for raw in bodies]
        statuses = []
        for future in futures:
            try:
                statuses.append(future.result().status)
            except ApiError as exc:
                statuses.append(exc.status)
    assert sorted(statuses) == [200, *[201] * 40, 400, 409]  # which of two racing twins came first may vary
    assert _count(db) == 41


def test_nul_and_odd_strings_in_a_signed_report(db: Database, key: Ed25519PrivateKey) -> None:
    """Text PostgreSQL refuses (NUL) or that is no text at all is stored cleaned, never a server error."""
    payload = report(key, 9, hostname="pc\u0000-01")
    payload["playbook"]["version"] = {"not": "a string"}
    payload["report_id"] = "\u0000" * 100
    assert receive(db, envelope(key, payload)).status == 201
    with db.read() as s:
        row = s.scalar(select(Report))
        assert row is not None and row.hostname == "pc-01" and row.report_uuid == ""
