"""Signed, hash-chained receipts: the school's proof that the collector accepted a report, and the
department's evidence that nothing accepted has since been removed or changed (collector-design §6.1).

A receipt is a DSSE envelope (payload type RECEIPT_TYPE) signed by the collector's Ed25519 key over
`{schema, log_index, prev_receipt_sha256, report_id, envelope_sha256, agent_id, sequence, unit,
received_at, channel, verdict, collector_key_id}` in the canonical spelling. Each receipt names the
SHA-256 of the previous receipt's payload, so the receipts of one database form one chain, in the spirit
of Certificate Transparency. A new receipt locks the chain's head row (receipt_chain), taken last in the
upload's transaction: several collector processes on one PostgreSQL number their receipts without gaps
or forks. `check_chain` walks the chain (numbering, links, signatures, each receipt against its report);
a removed or altered report or receipt shows there.

The signing key lives in the database (created on first use), so a backup carries it and a restored
collector continues its chain; a backup is therefore as sensitive as the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from secaudit.collector.models import CollectorKey, ReceiptChain, ReceiptRow, Report, utcnow
from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable, canonical_bytes, sign, verify
from secaudit.sign.ids import key_id
from secaudit.sign.keys import public_from_pem, public_pem_text
from secaudit.sign.payload_types import RECEIPT_PAYLOAD_SCHEMA, RECEIPT_TYPE
from secaudit.timefmt import FORMAT

GENESIS = "0" * 64
_private: dict[str, Ed25519PrivateKey] = {}  # parsed keys by key id (a key's PEM never changes)
CHAIN = cast(Table, ReceiptChain.__table__)  # written as plain statements on the upload path
RECEIPTS = cast(Table, ReceiptRow.__table__)


def _head(session: Session) -> Any:
    """The chain's head row (log_index, head_sha256, key_id), locked until the transaction ends."""
    query = select(ReceiptChain.log_index, ReceiptChain.head_sha256, ReceiptChain.key_id).where(
        ReceiptChain.id == 1).with_for_update()
    head = session.execute(query).first()
    if head is None:  # the migration writes it; a database restored without it starts a chain here
        session.execute(insert(CHAIN).values(id=1, log_index=0, head_sha256=GENESIS))
        head = session.execute(query).first()
    return head


def _key(session: Session, kid: str) -> Ed25519PrivateKey | None:
    key = _private.get(kid)
    if key is None:
        pem = session.scalar(select(CollectorKey.private_key).where(CollectorKey.key_id == kid))
        if pem is None:
            return None
        loaded = load_pem_private_key(pem.encode("ascii"), None)
        assert isinstance(loaded, Ed25519PrivateKey)
        key = _private[kid] = loaded
    return key


def signing_key(session: Session) -> tuple[str, Ed25519PrivateKey]:
    """The current key (named by the chain's head row), created on first use: under the chain's lock, so
    two processes starting together make one key, not two."""
    kid = session.scalar(select(ReceiptChain.key_id).where(ReceiptChain.id == 1))
    key = _key(session, kid) if kid else None
    if kid is None or key is None:
        kid = _head(session).key_id  # again, under the lock
        key = _key(session, kid) if kid else None
        if kid is None or key is None:
            return rotate(session)
    return kid, key


def rotate(session: Session) -> tuple[str, Ed25519PrivateKey]:
    """A new signing key, named in the chain's head row; the others are retired (their public keys stay
    to check old receipts)."""
    _head(session)
    now = utcnow()
    for old in session.scalars(select(CollectorKey).where(CollectorKey.retired_at.is_(None))):
        old.retired_at, old.private_key = now, None
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode("ascii")
    session.add(CollectorKey(key_id=kid, public_key=public_pem_text(key.public_key()), private_key=pem,
                             created_at=now))
    session.flush()
    session.execute(update(CHAIN).where(CHAIN.c.id == 1).values(key_id=kid))
    _private[kid] = key
    return kid, key


def public_keys(session: Session) -> list[dict[str, Any]]:
    """Every key that signed or signs receipts: key id, PEM, created, retired; retired ones first, by
    retirement, the current one last."""
    rows = sorted(session.scalars(select(CollectorKey)),
                  key=lambda k: (k.retired_at is None, k.retired_at or k.created_at, k.created_at, k.key_id))
    return [{"key_id": k.key_id, "public_key": k.public_key, "created_at": k.created_at.strftime(FORMAT),
             "retired_at": k.retired_at.strftime(FORMAT) if k.retired_at else None} for k in rows]


Signed = tuple[int, dict[str, Any]]  # log index, the DSSE envelope as a JSON object


def issue(session: Session, report: Report, verdict: str) -> Signed:
    """Sign the receipt of a report just stored (verdict accepted or conflict) as the chain's next entry,
    inside the upload's transaction."""
    head = _head(session)
    key = _key(session, head.key_id) if head.key_id else None
    kid, key = (head.key_id, key) if key is not None else rotate(session)
    index = head.log_index + 1
    payload = {"schema": RECEIPT_PAYLOAD_SCHEMA, "log_index": index, "prev_receipt_sha256": head.head_sha256,
               "report_id": report.id, "envelope_sha256": report.envelope_sha256,
               "agent_id": report.agent.agent_id, "sequence": report.sequence, "unit": report.unit.code,
               "received_at": report.received_at.strftime(FORMAT), "channel": report.channel,
               "verdict": verdict, "collector_key_id": kid}
    body = canonical_bytes(payload)
    raw = sign(body, RECEIPT_TYPE, key)
    digest = hashlib.sha256(body).hexdigest()
    session.execute(insert(RECEIPTS).values(log_index=index, report_id=report.id, key_id=kid,
                                                       payload_sha256=digest, envelope=raw))
    session.execute(update(CHAIN).where(CHAIN.c.id == 1)
                    .values(log_index=index, head_sha256=digest))
    return index, json.loads(raw)


def stored(session: Session, report_id: int) -> Signed | None:
    """The signed receipt of a report as first handed out (None for reports older than receipts)."""
    row = session.execute(select(ReceiptRow.log_index, ReceiptRow.envelope)
                          .where(ReceiptRow.report_id == report_id)).first()
    return (row.log_index, json.loads(row.envelope)) if row is not None else None


# --- checking the chain ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    log_index: int | None
    vi: str
    en: str


@dataclass(frozen=True)
class ChainState:
    receipts: int
    head_index: int
    head_sha256: str
    problems: list[Problem]


@dataclass(frozen=True)
class _Entry:
    log_index: int
    report_id: int
    key_id: str
    payload_sha256: str
    envelope: bytes
    report_sha256: str | None  # of the report the receipt names (None: no such report)


def _entries(session: Session, batch: int = 500) -> Iterator[_Entry]:
    """The receipts in order with their reports' envelope hashes, a batch at a time (columns only: a chain of
    millions never fills the session)."""
    after = 0
    while True:
        rows = session.execute(select(ReceiptRow.log_index, ReceiptRow.report_id, ReceiptRow.key_id,
                                      ReceiptRow.payload_sha256, ReceiptRow.envelope, Report.envelope_sha256)
                               .outerjoin(Report, Report.id == ReceiptRow.report_id)
                               .where(ReceiptRow.log_index > after).order_by(ReceiptRow.log_index)
                               .limit(batch)).all()
        for row in rows:
            yield _Entry(*row)
        if len(rows) < batch:
            return
        after = rows[-1][0]


def _payload(entry: _Entry, keys: dict[str, Ed25519PublicKey]) -> tuple[dict[str, Any] | None, bytes, str]:
    """The verified payload of a stored receipt and its signed bytes, or None and why (English; the caller
    words both)."""
    key = keys.get(entry.key_id)
    if key is None:
        return None, b"", "its signing key is not listed"
    try:
        got = verify(entry.envelope, {RECEIPT_TYPE}, [key])
    except (EnvelopeInvalid, EnvelopeUnusable):
        return None, b"", "its signature does not verify"
    return got.payload, got.body, ""


def check_chain(session: Session, batch: int = 500) -> ChainState:
    """Walk every receipt in order: consecutive numbers from 1, each naming its predecessor's hash, each
    signed by a listed collector key, each matching its report; the head row names the last one; reports
    received since the first receipt all have one."""
    keys: dict[str, Ed25519PublicKey] = {}
    for listed in session.scalars(select(CollectorKey)):
        loaded = public_from_pem(listed.public_key)
        if loaded is not None:
            keys[listed.key_id] = loaded
    problems: list[Problem] = []
    expected, prev, count, first_report = 1, GENESIS, 0, None
    for entry in _entries(session, batch):
        count += 1
        index = entry.log_index
        if index != expected:
            problems.append(Problem(index, f"thiếu biên nhận số {expected}..{index - 1}",
                                    f"receipts {expected}..{index - 1} are missing"))
        payload, body, why = _payload(entry, keys)
        body_sha = entry.payload_sha256
        if payload is None:
            problems.append(Problem(index, "chữ ký không hợp lệ hoặc khóa không có trong danh sách", why))
        else:
            if payload.get("log_index") != index or payload.get("prev_receipt_sha256") != prev:
                problems.append(Problem(index, "không nối tiếp biên nhận trước (chuỗi bị sửa hoặc rẽ nhánh)",
                                        "it does not follow the previous receipt (the chain was changed or forked)"))
            if entry.report_sha256 is None or payload.get("report_id") != entry.report_id or \
                    payload.get("envelope_sha256") != entry.report_sha256:
                problems.append(Problem(index, f"báo cáo {entry.report_id} đã bị xóa hoặc thay đổi",
                                        f"report {entry.report_id} was removed or changed"))
            body_sha = hashlib.sha256(body).hexdigest()
            if body_sha != entry.payload_sha256:
                problems.append(Problem(index, "mã băm ghi kèm không khớp", "its stored hash does not match"))
        first_report = entry.report_id if first_report is None else min(first_report, entry.report_id)
        expected, prev = index + 1, body_sha
    head = session.scalar(select(ReceiptChain).where(ReceiptChain.id == 1))
    if head is not None and (head.log_index != expected - 1 or head.head_sha256 != prev):
        problems.append(Problem(head.log_index, f"đầu chuỗi ghi số {head.log_index} nhưng biên nhận cuối là số "
                                f"{expected - 1}", f"the chain head names receipt {head.log_index} but the last "
                                f"receipt is number {expected - 1}"))
    if first_report is not None:
        missing = session.scalar(select(func.count()).select_from(Report).where(
            Report.id > first_report, Report.id.not_in(select(ReceiptRow.report_id))))
        if missing:
            problems.append(Problem(None, f"{missing} báo cáo nhận sau biên nhận đầu tiên không có biên nhận",
                                    f"{missing} reports received after the first receipt have none"))
    return ChainState(count, expected - 1, prev, problems)
