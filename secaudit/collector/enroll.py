"""Enrollment: an agent registers its public key with proof of possession and a unit-bound token.

The request is a DSSE envelope (payload type ENROLL_TYPE) signed by the key it registers. The key is
inside the payload, so the envelope is first read only to find that key (strictly, under a small cap),
and the envelope is then verified with it on the one verification path (sign/dsse.verify); nothing of
the payload is used before that. The same function serves `POST /api/v1/enroll` and the offline
`collector enroll-import`; a refused request changes nothing (the token keeps its uses).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector import receipts, tokens
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Agent, AgentKey, EnrollToken, Unit, utcnow
from secaudit.collector.sqlutil import clip
from secaudit.collector.units import code_path
from secaudit.sign import keys
from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable, b64decode_strict, strict_loads, verify
from secaudit.sign.ids import AGENT_ID_RE, key_id
from secaudit.timefmt import FORMAT

ENROLL_TYPE = "application/vnd.secaudit.enroll.v1+json"  # the same string as secaudit.sign.payload_types
REQUEST_SCHEMA = "secaudit.enroll/v1"
RESPONSE_SCHEMA = "secaudit.enrollment/v1"
MAX_REQUEST = 64 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")


def bad_request(vi: str, en: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, vi, en)


def token_invalid() -> ApiError:
    return ApiError(401, "token_invalid", "Mã đăng ký không đúng, đã dùng hết hoặc đã hết hạn.",
                    "The enrollment token is unknown, used up or expired.")


def _unusable(exc: EnvelopeUnusable | EnvelopeInvalid) -> ApiError:
    code = "bad_signature" if isinstance(exc, EnvelopeInvalid) else "bad_envelope"
    return bad_request(exc.vi, exc.en, code)


def _claimed_key(raw: bytes) -> Ed25519PublicKey:
    """The public key the request says it is signed with (read before verification, used only to verify)."""
    try:
        env = strict_loads(raw, "Yêu cầu đăng ký", "enrollment request", surrogates=False)
        if not isinstance(env, dict) or env.get("payloadType") != ENROLL_TYPE:
            raise bad_request("Đây không phải yêu cầu đăng ký (payloadType sai).",
                              "This is not an enrollment request (wrong payloadType).", "bad_payload_type")
        body = strict_loads(b64decode_strict(env.get("payload"), "payload"), "Yêu cầu đăng ký", "enrollment request")
    except EnvelopeUnusable as exc:
        raise _unusable(exc) from None
    pem = body.get("public_key") if isinstance(body, dict) else None
    if not isinstance(pem, str) or len(pem) > 4096:
        raise bad_request("Yêu cầu đăng ký thiếu khóa công khai.", "The enrollment request has no public key.")
    key = keys.public_from_pem(pem)
    if key is None:
        raise bad_request("Khóa công khai trong yêu cầu không phải khóa Ed25519 PEM.",
                          "The public key in the request is not an Ed25519 PEM key.")
    return key


def _text(value: Any, limit: int) -> str:
    return clip(value, limit) if isinstance(value, str) else ""  # no NUL (PostgreSQL refuses it)


def _checked(payload: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    if payload.get("schema") != REQUEST_SCHEMA:
        raise bad_request("Yêu cầu đăng ký có schema không đúng.", "The enrollment request has the wrong schema.",
                          "bad_schema")
    token, agent = payload.get("token"), payload.get("agent_id")
    if not isinstance(token, str):
        raise token_invalid()
    if not isinstance(agent, str) or not AGENT_ID_RE.fullmatch(agent):
        raise bad_request("Mã máy (agent_id) trong yêu cầu không hợp lệ.", "The agent_id in the request is not valid.",
                          "bad_schema")
    host = payload.get("host")
    if not isinstance(host, dict):
        raise bad_request("Yêu cầu đăng ký thiếu thông tin máy (host).", "The enrollment request has no host.",
                          "bad_schema")
    machine = _text(host.get("machine_id_sha256"), 64).lower()
    macs = host.get("macs")
    info = {"hostname": _text(host.get("hostname"), 300), "os": _text(host.get("os"), 300),
            "machine_id_sha256": machine if _HEX64.fullmatch(machine) else "",
            "macs": [clip(m, 32) for m in macs[:64] if isinstance(m, str)] if isinstance(macs, list) else []}
    return token, agent, info


def _response(session: Session, agent: Agent, kid: str, unit: Unit, now: datetime) -> dict[str, Any]:
    collector_kid, collector_key = receipts.signing_key(session)
    return {"schema": RESPONSE_SCHEMA, "agent_id": agent.agent_id, "key_id": kid,
            "unit": {"code": unit.code, "name": unit.name, "path": code_path(session, unit)},
            "status": agent.status, "server_time": now.strftime(FORMAT),
            "collector_key": {"key_id": collector_kid, "public_key": keys.public_pem_text(collector_key.public_key())}}


def enroll(db: Database, raw: bytes) -> dict[str, Any]:
    """Process one enrollment request; the response (dict) once committed, or ApiError."""
    if len(raw) > MAX_REQUEST:
        raise ApiError(413, "too_large", f"Yêu cầu đăng ký quá lớn (tối đa {MAX_REQUEST} byte).",
                       f"The enrollment request is too large (at most {MAX_REQUEST} bytes).")
    pub = _claimed_key(raw)
    try:
        verified = verify(raw, {ENROLL_TYPE}, [pub])
    except (EnvelopeUnusable, EnvelopeInvalid) as exc:
        raise _unusable(exc) from None
    token, agent_id, host = _checked(verified.payload)
    kid = key_id(pub)
    pem = verified.payload["public_key"]
    now = utcnow()
    with db.write() as session:
        row = tokens.find_usable(session, token, now)
        if row is None:
            raise token_invalid()
        result = _bind(session, row, agent_id, kid, pem, host, now)
    return result


def _bind(session: Session, token: EnrollToken, agent_id: str, kid: str, pem: str, host: dict[str, Any],
          now: datetime) -> dict[str, Any]:
    unit = token.unit
    bound = session.get(AgentKey, kid)
    if bound is not None and bound.agent.agent_id != agent_id:
        raise ApiError(409, "key_conflict", "Khóa này đã được đăng ký cho một máy khác.",
                       "This key is already enrolled for another agent.")
    agent = session.scalar(select(Agent).where(Agent.agent_id == agent_id).with_for_update())
    if agent is not None and agent.status == "revoked":
        raise ApiError(403, "agent_revoked", "Máy này đã bị thu hồi; không thể đăng ký lại.",
                       "This agent has been revoked; it cannot enroll again.")
    if agent is None:
        agent = Agent(agent_id=agent_id, unit_id=unit.id, status="active", enrolled_at=now, token_id=token.id,
                      hostname=host["hostname"], os=host["os"], machine_id_sha256=host["machine_id_sha256"],
                      macs=json.dumps(host["macs"]))
        session.add(agent)
        session.flush()
    else:  # re-enrollment of a known agent (a rotated key): only with a token of the agent's own unit, so
        # that a token for one school cannot take over an agent of another (a machine that changes school
        # is enrolled with a new key, i.e. as a new agent)
        if agent.unit_id != unit.id:
            raise ApiError(409, "agent_conflict", "Mã máy này đã được đăng ký ở một đơn vị khác.",
                           "This agent id is already enrolled in another unit.")
        agent.token_id = token.id
        agent.hostname, agent.os = host["hostname"], host["os"]
        agent.machine_id_sha256, agent.macs = host["machine_id_sha256"], json.dumps(host["macs"])
    if bound is None:
        session.add(AgentKey(key_id=kid, agent_pk=agent.id, public_key=pem, added_at=now))
    token.uses += 1
    session.flush()
    return _response(session, agent, kid, unit, now)
