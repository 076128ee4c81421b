"""Receiving a signed report: the one decision procedure for HTTPS uploads and offline ingest.

1. The same bytes as a stored report: its original receipt (200, "duplicate"); nothing else is looked at.
2. The key is found by the envelope's keyid hints among enrolled keys (never from the payload): none -> 401.
3. The envelope is verified on the one path of `secaudit verify` (sign/dsse.verify: signature over the exact
   bytes before the payload is parsed, strict JSON, payload-type allow-list): bad -> 400, too large -> 413.
4. A suspended or revoked agent or key -> 403.
5. The payload must be a report of that agent (schema, host.agent_id equal to the key's agent, integer
   sequence, generated_at): else 400.
6. In one transaction, holding the agent's row: the same agent and sequence with other bytes is a conflict
   (409): the new report is kept and both are flagged; otherwise stored (201). The unit is the agent's
   at receipt. index_report runs inside the transaction, then the receipt is signed as the next entry of
   the receipt chain (collector/receipts.py); it is handed out only after the commit.
A refused envelope (400, 401, 403, 413) is kept in the quarantine (collector/quarantine.py), never silently
dropped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from secaudit.collector import envelopes, index, quarantine, receipts, store
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError, error_body
from secaudit.collector.models import Agent, AgentKey, Report, utcnow
from secaudit.collector.sqlutil import clip
from secaudit.collector.units import code_path
from secaudit.collector.writer import run_now
from secaudit.fsutil import TooLarge, gunzip_capped
from secaudit.limits import ENVELOPE
from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable, parse_envelope, verify
from secaudit.sign.keys import public_from_pem
from secaudit.sign.payload_types import REPORT_TYPE
from secaudit.timefmt import FORMAT, parse_rfc3339_or_none

REPORT_SCHEMA = "secaudit.report/v1"
RECEIPT_SCHEMA = "secaudit.receipt/v1"
SCAN_PLAYBOOK = "network"
MAX_FINDINGS = 5000
MAX_HINTS = 16
KEYID_RE = re.compile(r"[A-Za-z0-9:_+/=-]{1,64}")  # what a key id can be (no NUL, no odd text)

log = logging.getLogger("secaudit.collector")


@dataclass(frozen=True)
class Outcome:
    status: int  # 201 accepted, 200 duplicate, 409 conflict
    body: dict[str, Any]
    report_id: int


def too_large(size: int | None = None) -> ApiError:
    shown_vi = f" ({size} byte)" if size else ""
    shown_en = f" ({size} bytes)" if size else ""
    return ApiError(413, "too_large", f"Báo cáo quá lớn{shown_vi}; tối đa {ENVELOPE} byte.",
                    f"The report is too large{shown_en}; at most {ENVELOPE} bytes.")


def gunzip(data: bytes, limit: int = ENVELOPE) -> bytes:
    """Decompress a gzip body, stopping as soon as it would exceed `limit` (a compression bomb is 413)."""
    try:
        return gunzip_capped(data, limit)
    except TooLarge:
        raise too_large() from None
    except (zlib.error, EOFError):
        raise ApiError(400, "bad_encoding", "Nội dung gzip hỏng hoặc bị cắt.",
                       "The gzip content is corrupt or cut.") from None


def load_public_pem(pem: str) -> Ed25519PublicKey:
    key = public_from_pem(pem)
    if key is None:  # enrollment only stores Ed25519 keys
        raise ValueError("not an Ed25519 key")
    return key


def _bad(vi: str, en: str, code: str = "bad_report") -> ApiError:
    return ApiError(400, code, vi, en)


def receipt(session: Session, report: Report, status: str,
            signed: receipts.Signed | None = None) -> dict[str, Any]:
    """The answer's receipt; `signed` (the chain's entry, signed by the collector) is the one issued with
    the report, read back for a duplicate; None only for reports received before receipts were signed."""
    signed = signed or receipts.stored(session, report.id)
    return {"schema": RECEIPT_SCHEMA, "report_id": report.id, "envelope_sha256": report.envelope_sha256,
            "agent_id": report.agent.agent_id, "sequence": report.sequence, "unit": report.unit.code,
            "received_at": report.received_at.strftime(FORMAT), "status": status,
            "log_index": signed[0] if signed else None, "signed": signed[1] if signed else None}


def _conflict_body(session: Session, report: Report, signed: receipts.Signed | None = None) -> dict[str, Any]:
    body = error_body("sequence_conflict",
                      f"Máy này đã gửi một báo cáo khác có cùng số thứ tự {report.sequence}; cả hai được giữ lại "
                      "và đánh dấu để kiểm tra.",
                      f"This agent already sent another report with the sequence {report.sequence}; both are kept "
                      "and flagged for review.")
    body["receipt"] = receipt(session, report, "conflict", signed)
    return body


def _existing(session: Session, sha: str) -> Outcome | None:
    report = session.scalar(select(Report).where(Report.envelope_sha256 == sha))
    if report is None:
        return None
    if report.conflict and session.scalar(select(Report.id).where(  # it was the second of its sequence
            Report.agent_pk == report.agent_pk, Report.sequence == report.sequence, Report.id < report.id).limit(1)):
        return Outcome(409, _conflict_body(session, report), report.id)
    return Outcome(200, receipt(session, report, "duplicate"), report.id)


def _hints(raw: bytes) -> tuple[dict[str, Any], list[str]]:
    env = parse_envelope(raw)
    if not isinstance(env, dict) or not isinstance(env.get("signatures"), list):
        raise _bad("Đây không phải phong bì DSSE.", "This is not a DSSE envelope.", "bad_envelope")
    if env.get("payloadType") != REPORT_TYPE:
        raise _bad("Phong bì không chứa báo cáo (payloadType sai).", "The envelope does not hold a report (wrong "
                   "payloadType).", "bad_payload_type")
    hints = [s.get("keyid") for s in env["signatures"][:MAX_HINTS] if isinstance(s, dict)]
    return env, [h for h in hints if isinstance(h, str) and KEYID_RE.fullmatch(h)]


def _checked_payload(payload: dict[str, Any], agent: Agent) -> dict[str, Any]:
    if payload.get("schema") != REPORT_SCHEMA:
        raise _bad("Nội dung đã ký không phải báo cáo secaudit (schema sai).",
                   "The signed payload is not a secaudit report (wrong schema).", "bad_schema")
    host, sequence = payload.get("host"), payload.get("sequence")
    if not isinstance(host, dict) or host.get("agent_id") != agent.agent_id:
        raise _bad("Báo cáo ghi mã máy khác với máy sở hữu khóa đã ký.",
                   "The report names another agent than the one whose key signed it.", "agent_mismatch")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence < 2**62:
        raise _bad("Báo cáo thiếu số thứ tự hợp lệ.", "The report has no valid sequence number.", "bad_schema")
    generated = parse_rfc3339_or_none(payload.get("generated_at"))
    if generated is None:
        raise _bad("Báo cáo thiếu thời điểm tạo hợp lệ.", "The report has no valid generated_at time.", "bad_schema")
    findings, playbook = payload.get("findings", []), payload.get("playbook")
    if not isinstance(findings, list) or len(findings) > MAX_FINDINGS:
        raise _bad(f"Danh sách kết quả sai hoặc quá dài (tối đa {MAX_FINDINGS}).",
                   f"The findings are malformed or too many (at most {MAX_FINDINGS}).", "bad_schema")
    if not isinstance(playbook, dict) or not isinstance(playbook.get("id"), str):
        raise _bad("Báo cáo thiếu bộ tiêu chí (playbook).", "The report names no playbook.", "bad_schema")
    return {"sequence": sequence, "generated_at": generated, "playbook_id": clip(playbook["id"], 128),
            "playbook_version": clip(playbook.get("version"), 64),
            "hostname": clip(host.get("hostname"), 300),
            "report_uuid": clip(payload.get("report_id"), 64),
            "kind": "scan" if playbook["id"] == SCAN_PLAYBOOK else "audit"}


def _split_form(session: Session, raw: bytes, body: bytes, payload: dict[str, Any],
                seen: dict[int, str]) -> bytes | None:
    """The envelope's split form (envelopes.pack, checked to rebuild `raw` byte for byte, its shared parts
    added in a savepoint of the upload's transaction), or None: then the whole-envelope form is kept."""
    try:
        with session.begin_nested():
            return envelopes.pack(session, raw, body, payload, seen)
    except OperationalError:
        raise
    except Exception:
        log.exception("envelope %s not split", hashlib.sha256(raw).hexdigest())
        return None


def _index(session: Session, report: Report, payload: dict[str, Any],
           seen: dict[int, str] | None = None, last_sequence: int | None = None) -> None:
    """index_report in a savepoint: if indexing this (signed, verified) report fails, the report is still
    stored and acknowledged, unindexed and logged, rather than refused forever and retried by the agent.
    A lost connection or a lock timeout is not swallowed: the whole upload fails and is retried."""
    try:
        with session.begin_nested():
            index.index_report(session, report, payload, seen, last_sequence)
            session.flush()
    except OperationalError:
        raise
    except Exception:
        log.exception("report %s stored but not indexed", report.id)


def receive(db: Database, raw: bytes, channel: str = "https", source: str | None = None) -> Outcome:
    """Run the decision procedure on one envelope; ApiError for every refusal, the refused envelope kept in
    the quarantine (collector/quarantine.py) with `source` (the client's address, the file). The report is
    stored in a write transaction of its own."""
    try:
        return _receive(db, raw, channel)
    except ApiError as exc:
        if exc.status in quarantine.STATUSES:
            quarantine.keep(db, raw, quarantine.Refusal(channel, source, exc.code, exc.vi, exc.en))
        raise


def _receive(db: Database, raw: bytes, channel: str) -> Outcome:
    if len(raw) > ENVELOPE:
        raise too_large(len(raw))
    sha = hashlib.sha256(raw).hexdigest()
    with db.read() as session:
        seen = _existing(session, sha)
        if seen is not None:
            return seen
        try:
            envelope, hints = _hints(raw)
        except EnvelopeUnusable as exc:
            raise _bad(exc.vi, exc.en, "bad_envelope") from None
        keys = list(session.scalars(select(AgentKey).where(AgentKey.key_id.in_(hints)))) if hints else []
        if not keys:
            raise ApiError(401, "unknown_key", "Báo cáo được ký bằng một khóa chưa đăng ký với máy chủ này.",
                           "The report is signed with a key not enrolled on this collector.")
        pems = {k.key_id: k.public_key for k in keys}
    try:
        verified = verify(raw, {REPORT_TYPE}, [load_public_pem(p) for p in pems.values()], envelope)
    except EnvelopeInvalid as exc:
        raise _bad(exc.vi, exc.en, "bad_signature") from None
    except EnvelopeUnusable as exc:
        raise _bad(exc.vi, exc.en, "bad_envelope") from None
    job = partial(_store, sha=sha, raw=raw, envelope=envelope, body=verified.body, kid=verified.keyid,
                  payload=verified.payload, channel=channel, now=utcnow())
    try:
        stored = run_now(db, job)
    except IntegrityError:  # the same bytes committed meanwhile by another request or process
        with db.read() as session:
            seen = _existing(session, sha)
        if seen is None:
            raise
        return seen
    return stored


def _store(session: Session, *, sha: str, raw: bytes, envelope: dict[str, Any], body: bytes, kid: str,
           payload: dict[str, Any], channel: str, now: datetime) -> Outcome:
    """Inside the write transaction: the existing report's outcome, or the new report's (201 or 409), its
    receipt built from what this transaction wrote; the caller hands it out only after the commit.
    The envelope is stored once, in its final form: split (envelopes.pack) unless it is a conflict or
    cannot be split, else whole (store.pack); no form is compressed only to be replaced."""
    key = session.get(AgentKey, kid)
    if key is None:  # removed between the lookup and now
        raise ApiError(401, "unknown_key", "Khóa đã ký báo cáo không còn được đăng ký.",
                       "The key that signed the report is no longer enrolled.")
    agent = session.scalar(select(Agent).where(Agent.id == key.agent_pk).with_for_update())
    assert agent is not None
    if agent.status != "active" or key.revoked_at is not None:
        raise ApiError(403, "agent_" + ("revoked" if agent.status == "revoked" or key.revoked_at else "suspended"),
                       "Máy hoặc khóa đã ký báo cáo đang bị đình chỉ hoặc đã bị thu hồi.",
                       "The agent or key that signed the report is suspended or revoked.")
    fields = _checked_payload(payload, agent)
    seen = _existing(session, sha)
    if seen is not None:
        return seen
    others = list(session.scalars(select(Report.id).where(Report.agent_pk == agent.id,
                                                           Report.sequence == fields["sequence"])))
    digests: dict[int, str] = {}  # of the payload's large lists: computed by pack, reused by the index
    blob = None if others else _split_form(session, raw, body, payload, digests)
    report = Report(agent_pk=agent.id, key_id=kid, unit_id=agent.unit_id,
                    unit_path_at_receipt="/".join(code_path(session, agent.unit)), envelope_sha256=sha,
                    envelope_z=blob or store.pack(raw, envelope, body), envelope_size=len(raw), received_at=now,
                    channel=channel,
                    conflict=bool(others), **fields)
    session.add(report)
    if others:
        session.execute(update(Report).where(Report.id.in_(others)).values(conflict=True))
    before = agent.last_sequence
    if before is None or fields["sequence"] > before:
        agent.last_sequence = fields["sequence"]
    agent.last_seen = now
    session.flush()
    _index(session, report, payload, digests, before)
    signed = receipts.issue(session, report, "conflict" if others else "accepted")  # last: it locks the chain
    if others:
        return Outcome(409, _conflict_body(session, report, signed), report.id)
    return Outcome(201, receipt(session, report, "accepted", signed), report.id)
