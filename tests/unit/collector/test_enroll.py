"""Enrollment: proof of possession, unit-bound one-time expiring tokens, conflicts, the response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from secaudit.collector.db import Database
from secaudit.collector.enroll import enroll
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Agent, AgentKey, EnrollToken
from secaudit.sign.ids import agent_id, key_id
from tests.unit.collector.helpers import enroll_request, token


def _refused(db: Database, raw: bytes) -> ApiError:
    with pytest.raises(ApiError) as err:
        enroll(db, raw)
    return err.value


def test_enroll_binds_key_to_token_unit(db: Database) -> None:
    key = Ed25519PrivateKey.generate()
    response = enroll(db, enroll_request(key, token(db, "TH1")))
    assert response["schema"] == "secaudit.enrollment/v1"
    assert response["agent_id"] == agent_id(key.public_key()) and response["key_id"] == key_id(key.public_key())
    assert response["unit"] == {"code": "TH1", "name": "Trường Tiểu học Số 1", "path": ["DN", "BH", "TH1"]}
    assert response["status"] == "active"
    with db.read() as s:
        agent = s.scalar(select(Agent))
        assert agent is not None and agent.unit.code == "TH1" and agent.hostname == "pc-01"
        assert s.get(AgentKey, response["key_id"]) is not None


def test_token_used_expired_unknown_are_the_same_401(db: Database) -> None:
    tok = token(db, "TH1")
    enroll(db, enroll_request(Ed25519PrivateKey.generate(), tok))
    used = _refused(db, enroll_request(Ed25519PrivateKey.generate(), tok))
    assert (used.status, used.code) == (401, "token_invalid")
    unknown = _refused(db, enroll_request(Ed25519PrivateKey.generate(), "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"))
    assert (unknown.status, unknown.code, unknown.en) == (401, "token_invalid", used.en)
    expired = token(db, "TH2")
    with db.write() as s:
        for row in s.scalars(select(EnrollToken)):
            row.expires_at = row.expires_at - timedelta(days=8)
    assert _refused(db, enroll_request(Ed25519PrivateKey.generate(), expired)).status == 401


def test_token_typed_loosely_and_several_uses(db: Database) -> None:
    tok = token(db, "TH2", uses=2)
    enroll(db, enroll_request(Ed25519PrivateKey.generate(), tok.lower().replace("-", " ")))
    enroll(db, enroll_request(Ed25519PrivateKey.generate(), tok))
    assert _refused(db, enroll_request(Ed25519PrivateKey.generate(), tok)).status == 401


def test_proof_of_possession(db: Database) -> None:
    tok = token(db, "TH1")
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    err = _refused(db, enroll_request(key, tok, signer=other))  # signed by another key than the one registered
    assert (err.status, err.code) == (400, "bad_signature")
    with db.read() as s:  # the refused request did not use the token up
        row = s.scalar(select(EnrollToken))
        assert row is not None and row.uses == 0


@pytest.mark.parametrize("raw", [b"", b"{}", b"[]", b'{"payloadType": 1}', b"\xff\xfe", b'{"a":1,"a":2}',
                                 b'{"payloadType":"application/vnd.secaudit.report.v1+json","payload":"","signatures":[]}'])
def test_malformed_is_400(db: Database, raw: bytes) -> None:
    assert _refused(db, raw).status == 400


def test_key_bound_to_another_agent_is_409(db: Database) -> None:
    key = Ed25519PrivateKey.generate()
    enroll(db, enroll_request(key, token(db, "TH1")))
    err = _refused(db, enroll_request(key, token(db, "TH1"), agent="agent-" + "x" * 22))
    assert (err.status, err.code) == (409, "key_conflict")


def test_reenroll_adds_key_in_the_same_unit_only(db: Database) -> None:
    key = Ed25519PrivateKey.generate()
    first = enroll(db, enroll_request(key, token(db, "TH1")))
    rotated = Ed25519PrivateKey.generate()
    again = enroll(db, enroll_request(rotated, token(db, "TH1"), agent=first["agent_id"]))
    assert again["agent_id"] == first["agent_id"] and again["key_id"] != first["key_id"]
    err = _refused(db, enroll_request(Ed25519PrivateKey.generate(), token(db, "TH3"), agent=first["agent_id"]))
    assert (err.status, err.code) == (409, "agent_conflict")
    with db.read() as s:
        agent = s.scalar(select(Agent))
        assert agent is not None and len(agent.keys) == 2 and agent.unit.code == "TH1"


def test_bad_agent_id_and_schema(db: Database) -> None:
    key = Ed25519PrivateKey.generate()
    assert _refused(db, enroll_request(key, token(db, "TH1"), agent="../../etc")).code == "bad_schema"
    assert _refused(db, enroll_request(key, token(db, "TH1"), schema="x")).code == "bad_schema"


def test_key_that_is_not_ed25519_is_400(db: Database) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = Ed25519PrivateKey.generate()
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    err = _refused(db, enroll_request(key, token(db, "TH1"), public_key=pem))
    assert err.status == 400
    err = _refused(db, enroll_request(key, token(db, "TH1"), public_key="-----BEGIN PUBLIC KEY-----\nAAAA\n"))
    assert err.status == 400


def test_nul_in_host_fields(db: Database) -> None:
    key = Ed25519PrivateKey.generate()
    raw = enroll_request(key, token(db, "TH1"), host={"hostname": "a\u0000b", "os": 5, "macs": ["x\u0000", 3]})
    assert enroll(db, raw)["status"] == "active"
    with db.read() as s:
        agent = s.scalar(select(Agent))
        assert agent is not None and agent.hostname == "ab" and agent.os == ""
