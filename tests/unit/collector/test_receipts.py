"""Signed, hash-chained receipts: each upload's receipt is signed by the collector's key and names its
predecessor; duplicates get the original; the chain check finds removed or altered reports and receipts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import delete, select, update

from secaudit.collector import receipts
from secaudit.collector.db import Database
from secaudit.collector.enroll import enroll
from secaudit.collector.models import ReceiptChain, ReceiptRow, Report
from secaudit.collector.upload import receive
from secaudit.commands.collector import collector
from secaudit.sign.dsse import canonical_bytes, verify
from secaudit.sign.payload_types import RECEIPT_TYPE
from tests.unit.collector.helpers import enroll_request, envelope, new_db, report, token


def _keys(db: Database) -> dict[str, Ed25519PublicKey]:
    with db.read() as s:
        out = {}
        for k in receipts.public_keys(s):
            pub = load_pem_public_key(k["public_key"].encode())
            assert isinstance(pub, Ed25519PublicKey)
            out[k["key_id"]] = pub
        return out


def _signed(db: Database, answer: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(answer["signed"]).encode()
    got = verify(raw, {RECEIPT_TYPE}, list(_keys(db).values()))
    return got.payload


def _problems(db: Database) -> list[str]:
    with db.read() as s:
        return [p.en for p in receipts.check_chain(s).problems]


def test_receipts_are_signed_numbered_and_chained(db: Database, key: Ed25519PrivateKey) -> None:
    answers = [receive(db, envelope(key, report(key, n))).body for n in (1, 2, 3)]
    prev = "0" * 64
    for n, answer in enumerate(answers, 1):
        signed = _signed(db, answer)
        assert answer["log_index"] == signed["log_index"] == n
        assert signed["prev_receipt_sha256"] == prev
        assert {k: signed[k] for k in ("report_id", "envelope_sha256", "agent_id", "sequence", "unit")} == \
            {k: answer[k] for k in ("report_id", "envelope_sha256", "agent_id", "sequence", "unit")}
        assert signed["verdict"] == "accepted" and signed["channel"] == "https"
        prev = hashlib.sha256(canonical_bytes(signed)).hexdigest()
    with db.read() as s:
        state = receipts.check_chain(s)
    assert state.problems == [] and state.receipts == 3 and state.head_index == 3 and state.head_sha256 == prev


def test_the_enrolled_agent_learns_the_key_that_signs_its_receipts(db: Database) -> None:
    k = Ed25519PrivateKey.generate()
    answer = enroll(db, enroll_request(k, token(db, "TH1")))
    pinned = answer["collector_key"]
    first = receive(db, envelope(k, report(k, 1))).body
    assert first["signed"]["signatures"][0]["keyid"] == pinned["key_id"]
    pub = load_pem_public_key(pinned["public_key"].encode())
    assert isinstance(pub, Ed25519PublicKey)
    verify(json.dumps(first["signed"]).encode(), {RECEIPT_TYPE}, [pub])


def test_a_duplicate_gets_the_original_signed_receipt_and_a_conflict_its_own(db: Database,
                                                                            key: Ed25519PrivateKey) -> None:
    raw = envelope(key, report(key, 1))
    first = receive(db, raw).body
    assert receive(db, raw).body["signed"] == first["signed"]
    clash = receive(db, envelope(key, report(key, 1, seed=7)))
    assert clash.status == 409
    inner = clash.body["receipt"]
    assert _signed(db, inner)["verdict"] == "conflict" and inner["log_index"] == 2
    assert _problems(db) == []


def test_the_chain_check_finds_what_was_removed_or_changed(db: Database, key: Ed25519PrivateKey) -> None:
    for n in (1, 2, 3, 4):
        receive(db, envelope(key, report(key, n)))
    assert _problems(db) == []
    with db.write() as s:  # an altered report: its envelope hash no longer matches what was receipted
        original = s.scalar(select(Report.envelope_sha256).where(Report.sequence == 2))
        s.execute(update(Report).where(Report.sequence == 2).values(envelope_sha256="f" * 64))
    assert any("report 2 was removed or changed" in p for p in _problems(db))
    with db.write() as s:
        s.execute(update(Report).where(Report.sequence == 2).values(envelope_sha256=original))
    assert _problems(db) == []
    with db.write() as s:  # the middle receipt and its report deleted together
        rid = s.scalar(select(ReceiptRow.report_id).where(ReceiptRow.log_index == 3))
        s.execute(delete(ReceiptRow).where(ReceiptRow.log_index == 3))
        s.execute(update(Report).where(Report.id == rid).values(conflict=True))
    found = _problems(db)
    assert any("receipts 3..3 are missing" in p for p in found)
    assert any("does not follow the previous receipt" in p for p in found)
    assert any("reports received after the first receipt have none" in p for p in found)


def test_the_chain_is_read_in_batches(db: Database, key: Ed25519PrivateKey) -> None:
    for n in range(1, 6):
        receive(db, envelope(key, report(key, n)))
    with db.read() as s:
        state = receipts.check_chain(s, batch=2)
    assert state.problems == [] and state.receipts == state.head_index == 5


def test_a_rewritten_receipt_or_head_is_found(db: Database, key: Ed25519PrivateKey) -> None:
    for n in (1, 2):
        receive(db, envelope(key, report(key, n)))
    with db.write() as s:
        row = s.get(ReceiptRow, 1)
        assert row is not None
        forged = json.loads(row.envelope)
        forged["payload"] = forged["payload"][:-8] + "AAAAAAA="
        row.envelope = json.dumps(forged).encode()
        s.execute(update(ReceiptChain).values(log_index=5))
    found = _problems(db)
    assert any("signature does not verify" in p for p in found)
    assert any("the chain head names receipt 5 but the last receipt is number 2" in p for p in found)


def test_a_new_key_continues_the_chain(db: Database, key: Ed25519PrivateKey) -> None:
    first = receive(db, envelope(key, report(key, 1))).body
    with db.write() as s:
        new_kid, _ = receipts.rotate(s)
    second = receive(db, envelope(key, report(key, 2))).body
    assert second["signed"]["signatures"][0]["keyid"] == new_kid != first["signed"]["signatures"][0]["keyid"]
    assert _signed(db, second)["prev_receipt_sha256"] == hashlib.sha256(
        canonical_bytes(_signed(db, first))).hexdigest()
    with db.read() as s:
        listed = receipts.public_keys(s)
    assert [k["retired_at"] is None for k in listed] == [False, True]
    assert _problems(db) == []


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(collector, ["receipts", *args, "--lang", "en"])
    return result.exit_code, result.stdout, result.stderr


def test_the_receipts_commands(tmp_path: Path) -> None:
    db = new_db(tmp_path / "d")
    k = Ed25519PrivateKey.generate()
    enroll(db, enroll_request(k, token(db, "TH1")))
    for n in (1, 2):
        receive(db, envelope(k, report(k, n)))
    d = ["--data-dir", str(tmp_path / "d")]
    code, out, err = _cli("verify", *d)
    assert code == 0 and "The receipt chain is intact: 2 receipts, head number 2" in out, err
    code, out, _ = _cli("keys", *d)
    assert code == 0 and "-----BEGIN PUBLIC KEY-----" in out and "current" in out
    with db.write() as s:
        s.execute(delete(ReceiptRow).where(ReceiptRow.log_index == 2))
    db.dispose()
    code, out, err = _cli("verify", *d)
    assert code == 1 and "chain head names receipt 2" in out
    assert len(err.strip().splitlines()) == 1 and "problems" in err
    code, out, _ = _cli("rotate-key", *d)
    assert code == 0 and "New receipt signing key" in out
    code, out, _ = CliRunner().invoke(collector, ["receipts", "verify", *d]).exit_code, "", ""
    assert code == 1


def test_the_public_key_list_needs_no_account(db: Database, key: Ed25519PrivateKey) -> None:
    from fastapi.testclient import TestClient

    from secaudit.collector.app import create_app

    first = receive(db, envelope(key, report(key, 1))).body
    answer = TestClient(create_app(db)).get("/api/v1/receipts/keys")
    assert answer.status_code == 200
    listed = answer.json()["keys"]
    assert [k["key_id"] for k in listed] == [first["signed"]["signatures"][0]["keyid"]]
    assert listed[0]["retired_at"] is None and "BEGIN PUBLIC KEY" in listed[0]["public_key"]
