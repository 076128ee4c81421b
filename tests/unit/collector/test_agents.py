"""Agents for the operator: list by subtree, suspend, revoke (keys too), activate."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.collector import agents
from secaudit.collector.enroll import enroll
from secaudit.collector.errors import ApiError
from secaudit.collector.upload import receive
from tests.unit.collector.helpers import enroll_request, envelope, new_db, report, token


def test_lifecycle(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    first = enroll(db, enroll_request(key, token(db, "TH1")))["agent_id"]
    enroll(db, enroll_request(other, token(db, "TH9")))
    with db.read() as s:
        assert [r.unit for r in agents.listing(s)] == ["TH1", "TH9"]
        assert [r.agent_id for r in agents.listing(s, "BH")] == [first]
        with pytest.raises(agents.AgentError):
            agents.listing(s, "NOPE")
    with db.write() as s:
        agents.set_status(s, first, "suspend")
    with pytest.raises(ApiError) as err:
        receive(db, envelope(key, report(key, 1)))
    assert err.value.status == 403
    with db.write() as s:
        agents.set_status(s, first, "activate")
    assert receive(db, envelope(key, report(key, 1))).status == 201
    with db.write() as s:
        agents.set_status(s, first, "revoke")
    with pytest.raises(ApiError) as err:
        receive(db, envelope(key, report(key, 2)))
    assert err.value.code == "agent_revoked"
    with pytest.raises(agents.AgentError, match="revoked"), db.write() as s:
        agents.set_status(s, first, "activate")
    with pytest.raises(ApiError) as err:  # and it cannot come back through enrollment
        enroll(db, enroll_request(Ed25519PrivateKey.generate(), token(db, "TH1"), agent=first))
    assert err.value.status == 403
