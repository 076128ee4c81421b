"""secaudit.sign.verify on stored receipts: the collector's signed part verified with its key, the envelope
beside the receipt checked against the SHA-256 it names, anything else left to verify_file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable, canonical_bytes, sign
from secaudit.sign.ids import key_id
from secaudit.sign.payload_types import RECEIPT_TYPE
from secaudit.sign.verify import read_file, signed_receipt, verify_receipt

ENVELOPE = b'{"payloadType":"x","signatures":[],"payload":""}\n'


def _receipt(tmp_path: Path, key: Ed25519PrivateKey, envelope: bytes = ENVELOPE) -> Path:
    sha = hashlib.sha256(envelope).hexdigest()
    payload = {"schema": "secaudit.signed-receipt/v1", "log_index": 7, "prev_receipt_sha256": "0" * 64,
               "report_id": 42, "envelope_sha256": sha, "agent_id": "agent-x", "sequence": 3, "unit": "TH1",
               "received_at": "2026-12-06T05:00:00Z", "channel": "https", "verdict": "accepted",
               "collector_key_id": key_id(key.public_key())}
    signed = json.loads(sign(canonical_bytes(payload), RECEIPT_TYPE, key))
    receipt = {"schema": "secaudit.receipt/v1", "report_id": 42, "envelope_sha256": sha, "status": "accepted",
               "log_index": 7, "signed": signed}
    path = tmp_path / "pc-20261206-050000.secaudit.json.receipt.json"
    path.write_text(json.dumps(receipt, indent=1))
    return path


def _check(path: Path, *keys: Ed25519PrivateKey) -> Any:
    signed = signed_receipt(read_file(str(path)))
    assert signed is not None
    return verify_receipt(str(path), signed, [k.public_key() for k in keys])


def test_a_receipt_and_the_envelope_beside_it(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = _receipt(tmp_path, key)
    check = _check(path, key)
    assert check.envelope is None and check.verified.payload["log_index"] == 7  # no envelope beside it yet
    beside = tmp_path / "pc-20261206-050000.secaudit.json"
    beside.write_bytes(ENVELOPE)
    check = _check(path, Ed25519PrivateKey.generate(), key)
    assert check.envelope == beside and check.verified.keyid == key_id(key.public_key())
    beside.write_bytes(ENVELOPE + b" ")
    with pytest.raises(EnvelopeInvalid, match="is not the report it acknowledges"):
        _check(path, key)


def test_another_key_or_a_changed_receipt_is_invalid(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = _receipt(tmp_path, key)
    with pytest.raises(EnvelopeInvalid):
        _check(path, Ed25519PrivateKey.generate())
    data = json.loads(path.read_text())
    data["signed"]["payload"] = data["signed"]["payload"][:-8] + "AAAAAAA="
    path.write_text(json.dumps(data))
    with pytest.raises((EnvelopeInvalid, EnvelopeUnusable)):
        _check(path, key)


@pytest.mark.parametrize("raw", [ENVELOPE, b"not json", b"[1]", b'{"signed": null}',
                                 b'{"signed": {"payloadType": "application/vnd.secaudit.report.v1+json"}}'])
def test_anything_else_is_no_receipt(raw: bytes) -> None:
    assert signed_receipt(raw) is None
