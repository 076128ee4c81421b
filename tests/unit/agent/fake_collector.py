"""A small in-process collector that follows the wire contract of /tmp/issue12/PLAN.md (enroll, reports,
receipts, error bodies), for the agent's tests without the real server: a threaded http.server on
127.0.0.1, state in memory. `script` makes the next answers fail on purpose (a status, or "drop": the
connection closed without an answer); `stop()`/`start()` take it down and bring it back on the same port.
It verifies with secaudit.sign.dsse like the real one, so a forged or tampered envelope is refused.
Like the real one it signs its receipts (`signed`, `log_index`) with its receipt key, given to agents at
enrollment (`collector_key`); `sign_receipts=False` is a collector from before signed receipts, and
`receipt_edit` / `receipt_forger` make wrong signed receipts on purpose."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from secaudit.sign import dsse
from secaudit.sign.ids import agent_id, key_id
from secaudit.sign.payload_types import ENROLL_TYPE, RECEIPT_TYPE, REPORT_TYPE

MAX_BODY = 16 * 1024 * 1024


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class State:
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> {"unit", "uses"}
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # key_id -> {"pub", "agent_id", "unit", "status"}
    receipts: dict[str, tuple[bytes, dict[str, Any]]] = field(default_factory=dict)  # sha256 -> (envelope, receipt)
    sequences: dict[tuple[str, int], str] = field(default_factory=dict)  # (agent, sequence) -> sha256
    conflicts: list[str] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)  # next answers forced: a status, or "drop"
    requests: list[str] = field(default_factory=list)  # "POST /api/v1/reports" ...
    encodings: list[str] = field(default_factory=list)
    receipt_key: Ed25519PrivateKey | None = None  # None: receipts are not signed (an old collector)
    receipt_edit: Callable[[dict[str, Any]], None] | None = None  # changes the signed payload before signing
    receipt_forger: Ed25519PrivateKey | None = None  # signs instead of receipt_key, under receipt_key's key id
    log_index: int = 0


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


class _Refuse(Exception):
    def __init__(self, status: int, code: str, en: str) -> None:
        super().__init__(en)
        self.status, self.code, self.en = status, code, en


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= MAX_BODY else b""
        with self.server.lock:
            state.requests.append(f"POST {self.path}")
            state.encodings.append(self.headers.get("Content-Encoding") or "")
            forced = state.script.pop(0) if state.script else None
        if forced == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if isinstance(forced, int):
            self._answer(forced, {"error": {"code": f"forced_{forced}", "message": {"vi": "lỗi thử", "en": "forced"}}})
            return
        try:
            if length > MAX_BODY:
                raise _Refuse(413, "too_large", "too large")
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            with self.server.lock:
                if self.path == "/api/v1/enroll":
                    status, body = self.server.enroll(raw)
                elif self.path == "/api/v1/reports":
                    status, body = self.server.report(raw)
                else:
                    raise _Refuse(404, "not_found", "no such route")
        except _Refuse as exc:
            self._answer(exc.status, {"error": {"code": exc.code, "message": {"vi": f"từ chối: {exc.code}",
                                                                              "en": exc.en}}})
            return
        self._answer(status, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: State) -> None:
        self.state, self.lock = state, threading.Lock()
        super().__init__(address, _Handler)

    def enroll(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            outer = json.loads(raw)
            inner = json.loads(dsse.b64decode_strict(outer["payload"], "payload"))
            pub = load_pem_public_key(inner["public_key"].encode())
            verified = dsse.verify(raw, {ENROLL_TYPE}, [pub])  # type: ignore[list-item]
        except (ValueError, KeyError, TypeError, dsse.EnvelopeInvalid, dsse.EnvelopeUnusable) as exc:
            raise _Refuse(400, "bad_request", str(exc)) from None
        payload = verified.payload
        grant = self.state.tokens.get(payload.get("token", ""))
        if grant is None or grant["uses"] < 1:
            raise _Refuse(401, "token_invalid", "unknown, used or expired token")
        kid = verified.keyid
        if kid in self.state.keys and self.state.keys[kid]["unit"] != grant["unit"]:
            raise _Refuse(409, "key_bound", "key already enrolled elsewhere")
        grant["uses"] -= 1
        self.state.keys[kid] = {"pub": pub, "agent_id": payload["agent_id"], "unit": grant["unit"],
                                "status": "active", "host": payload.get("host")}
        assert payload["agent_id"] == agent_id(pub)  # type: ignore[arg-type]
        unit = grant["unit"]
        answer = {"schema": "secaudit.enrollment/v1", "agent_id": payload["agent_id"], "key_id": kid,
                  "unit": {"code": unit, "name": f"Đơn vị {unit}", "path": ["DN", unit]},
                  "status": "active", "server_time": _now()}
        if self.state.receipt_key is not None:
            answer["collector_key"] = {"key_id": key_id(self.state.receipt_key.public_key()),
                                       "public_key": public_pem(self.state.receipt_key)}
        return 201, answer

    def sign_receipt(self, receipt: dict[str, Any], verdict: str) -> dict[str, Any]:
        """The receipt with `log_index` and `signed`, as the real collector hands it out."""
        key = self.state.receipt_key
        if key is None:
            return receipt
        self.state.log_index += 1
        kid = key_id(key.public_key())
        payload = {"schema": "secaudit.signed-receipt/v1", "log_index": self.state.log_index,
                   "prev_receipt_sha256": "0" * 64, "report_id": receipt["report_id"],
                   "envelope_sha256": receipt["envelope_sha256"], "agent_id": receipt["agent_id"],
                   "sequence": receipt["sequence"], "unit": receipt["unit"], "received_at": receipt["received_at"],
                   "channel": "upload", "verdict": verdict, "collector_key_id": kid}
        if self.state.receipt_edit is not None:
            self.state.receipt_edit(payload)
        signer = self.state.receipt_forger or key
        envelope = json.loads(dsse.sign(dsse.canonical_bytes(payload), RECEIPT_TYPE, signer))
        envelope["signatures"][0]["keyid"] = kid
        return {**receipt, "log_index": self.state.log_index, "signed": envelope}

    def report(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            outer = json.loads(raw)
            hint = outer["signatures"][0]["keyid"]
        except (ValueError, KeyError, TypeError, IndexError):
            raise _Refuse(400, "bad_envelope", "not an envelope") from None
        known = self.state.keys.get(hint)
        if known is None:
            raise _Refuse(401, "unknown_key", "unknown key")
        if known["status"] != "active":
            raise _Refuse(403, "revoked", "revoked")
        try:
            verified = dsse.verify(raw, {REPORT_TYPE}, [known["pub"]])
        except (dsse.EnvelopeInvalid, dsse.EnvelopeUnusable) as exc:
            raise _Refuse(400, "bad_signature", exc.en) from None
        sha = hashlib.sha256(raw).hexdigest()
        if sha in self.state.receipts:
            return 200, {**self.state.receipts[sha][1], "status": "duplicate"}
        seq = verified.payload.get("sequence")
        slot = (known["agent_id"], seq if isinstance(seq, int) else -1)
        receipt = {"schema": "secaudit.receipt/v1", "report_id": len(self.state.receipts) + 1, "envelope_sha256": sha,
                   "agent_id": known["agent_id"], "sequence": slot[1], "unit": known["unit"],
                   "received_at": _now(), "status": "accepted"}
        receipt = self.sign_receipt(receipt, "conflict" if slot in self.state.sequences else "accepted")
        self.state.receipts[sha] = (raw, receipt)
        if slot in self.state.sequences:  # kept and flagged, like the real one
            self.state.conflicts.append(sha)
            return 409, {"error": {"code": "sequence_conflict", "message": {
                "vi": "trùng số thứ tự", "en": "another report has this sequence; both are kept"}},
                "receipt": {**receipt, "status": "conflict"}}
        self.state.sequences[slot] = sha
        return 201, receipt


class FakeCollector:
    def __init__(self, sign_receipts: bool = True) -> None:
        self.state = State(receipt_key=Ed25519PrivateKey.generate() if sign_receipts else None)
        self.port = 0
        self._server: _Server | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), self.state)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def token(self, unit: str = "DN.BH.THCS1", uses: int = 1) -> str:
        value = "tok-" + uuid.uuid4().hex
        self.state.tokens[value] = {"unit": unit, "uses": uses}
        return value

    def stored(self) -> int:
        return len(self.state.receipts)


def key_id_of(pem: str) -> str:
    return key_id(load_pem_public_key(pem.encode()))  # type: ignore[arg-type]
