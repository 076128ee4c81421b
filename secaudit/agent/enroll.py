"""`secaudit enroll`: register this agent's public key with a collector, with proof of possession.

The request is a DSSE envelope (payload type application/vnd.secaudit.enroll.v1+json) signed by the agent's
own key: `{schema: secaudit.enroll/v1, token, public_key (PEM), agent_id, host {hostname, os,
machine_id_sha256, macs}, nonce, created_at}`. Online it is POSTed to `/api/v1/enroll`; offline it is
written to a file (`--offline --out REQ.json`) that an officer imports on the collector
(`secaudit collector enroll-import`), whose response file comes back (`--response RESP.json`).
The collector's answer (`secaudit.enrollment/v1`: agent id, key id, unit) must name this agent's key; it
is kept in `<state dir>/enrollment.json` (collector URL, unit, agent id, key id), where `submit` finds the
collector's address. The token is never stored. The answer of a collector that signs its receipts also
carries its receipt key (`collector_key`: key id and PEM Ed25519 public key); it must be a valid Ed25519 key
named by its own key id, and is pinned in the stored enrollment, where `submit` checks signed receipts
with it (secaudit.agent.submit).
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import secrets
import socket
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from secaudit import inputs
from secaudit.agent import link
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.fsutil import TooLarge, create_new, read_capped, replace
from secaudit.safetext import for_terminal
from secaudit.sign import keys
from secaudit.sign.dsse import canonical_bytes, sign
from secaudit.sign.ids import key_id
from secaudit.sign.payload_types import ENROLL_TYPE
from secaudit.state import state_dir

ENROLLMENT_FILE = "enrollment.json"
REQUEST_SCHEMA, RESPONSE_SCHEMA = "secaudit.enroll/v1", "secaudit.enrollment/v1"
STORED_SCHEMA = "secaudit.agent-enrollment/v1"
TOKEN_MAX = 256
MAX_MACS = 64


class EnrollError(SecauditError):
    pass


def check_token(token: str) -> str:
    """The token as typed or pasted (surrounding spaces dropped): printable ASCII, no spaces inside."""
    value = token.strip()
    if not value or len(value) > TOKEN_MAX or not value.isascii() or not value.isprintable() or " " in value:
        raise EnrollError("Mã đăng ký không hợp lệ: cần một chuỗi ký tự không dấu, không khoảng trắng, "
                          "đúng như collector đã in ra.",
                          "The enrollment token is not valid: it must be the plain ASCII string the collector "
                          "printed, without spaces.")
    return value


def _machine_id_sha256() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(path).read_bytes()[:256].strip()
        except OSError:
            continue
        if value:
            return hashlib.sha256(value).hexdigest()
    return ""


def _macs() -> list[str]:
    import psutil

    found: set[str] = set()
    try:
        addresses = psutil.net_if_addrs()
    except OSError:
        return []
    for entries in addresses.values():
        for entry in entries:
            if entry.family == psutil.AF_LINK and entry.address:
                mac = entry.address.lower().replace("-", ":")
                if len(mac) == 17 and mac != "00:00:00:00:00:00":
                    found.add(mac)
    return sorted(found)[:MAX_MACS]


def host_facts() -> dict[str, Any]:
    """What the collector records about the machine that enrolls (identity is the key, not these)."""
    return {
        "hostname": unicodedata.normalize("NFC", socket.gethostname())[:253],
        "os": f"{platform.system()} {platform.release()}".strip().lower()[:100],
        "machine_id_sha256": _machine_id_sha256(),
        "macs": _macs(),
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ensure_key(key_dir: str | None) -> tuple[keys.KeyInfo, bool]:
    """The key directory's key, created when there is none (returns whether it was created)."""
    if keys.has_private_key(key_dir):
        return keys.info(key_dir), False
    return keys.init(key_dir, keys.resolve_passphrase(None)), True


def build_request(token: str, key_dir: str | None, host: dict[str, Any] | None = None) -> bytes:
    """The signed enrollment request (DSSE envelope bytes) for the key directory's key."""
    info = keys.info(key_dir)
    key = keys.load_private(key_dir, keys.resolve_passphrase(None))
    payload = {
        "schema": REQUEST_SCHEMA,
        "token": check_token(token),
        "public_key": info.public_pem,
        "agent_id": info.agent_id,
        "host": host if host is not None else host_facts(),
        "nonce": base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
        "created_at": _now(),
    }
    return sign(canonical_bytes(payload), ENROLL_TYPE, key)


def write_request(path: str, envelope: bytes) -> None:
    """The offline request file, never written over (it carries the token)."""
    target = Path(path)
    try:
        create_new(target, envelope, mode=0o600)
    except FileExistsError:
        raise EnrollError(f"Đã có tệp {path}; không ghi đè.", f"{path} already exists; not overwritten.") from None
    except OSError as exc:
        raise EnrollError(f"Không ghi được {path}: {exc.strerror}.", f"Cannot write {path}: {exc.strerror}.") from None


def check_response(data: Any, info: keys.KeyInfo, where: str) -> dict[str, Any]:
    """The collector's enrollment answer, which must be for this agent's key."""
    def bad(vi: str, en: str) -> EnrollError:
        return EnrollError(f"Trả lời đăng ký từ {where} không dùng được: {vi}.",
                           f"The enrollment answer from {where} cannot be used: {en}.")

    if not isinstance(data, dict) or data.get("schema") != RESPONSE_SCHEMA:
        raise bad("không phải secaudit.enrollment/v1", "it is not secaudit.enrollment/v1")
    if data.get("agent_id") != info.agent_id or data.get("key_id") != info.key_id:
        raise bad(f"trả lời dành cho máy khác (khóa {for_terminal(str(data.get('key_id'))[:60])}, "
                  f"khóa của máy này là {info.key_id})",
                  f"it is for another machine (key {for_terminal(str(data.get('key_id'))[:60])}; "
                  f"this machine's key is {info.key_id})")
    unit = data.get("unit")
    if not isinstance(unit, dict) or not isinstance(unit.get("code"), str) or not unit["code"]:
        raise bad("thiếu đơn vị", "the unit is missing")
    path = unit.get("path")
    if not isinstance(unit.get("name", ""), str) or not (
            isinstance(path, list) and all(isinstance(p, str) for p in path)):
        raise bad("đơn vị có cấu trúc sai", "the unit is malformed")
    if data.get("collector_key") is not None and _collector_key(data["collector_key"]) is None:
        raise bad("khóa ký biên nhận của collector (collector_key) không phải một khóa Ed25519 đúng với mã "
                  "khóa đi kèm", "the collector's receipt key (collector_key) is not an Ed25519 key matching "
                  "its key id")
    return data


def _collector_key(value: Any) -> tuple[str, Ed25519PublicKey] | None:
    """`{key_id, public_key}` as (key id, public key) when the PEM is an Ed25519 key of that id; else None."""
    if not isinstance(value, dict):
        return None
    kid, pem = value.get("key_id"), value.get("public_key")
    if not isinstance(kid, str) or not isinstance(pem, str) or len(pem) > 4096:
        return None
    pub = keys.public_from_pem(pem)
    if pub is None or key_id(pub) != kid:
        return None
    return kid, pub


def receipt_key(enrolled: dict[str, Any] | None) -> tuple[str, Ed25519PublicKey] | None:
    """The collector's receipt key pinned at enrollment (key id, public key), or None (no enrollment, or an
    enrollment with a collector that did not sign receipts). A pinned key that no longer reads is an error,
    never a silent fallback to unchecked receipts."""
    if enrolled is None or enrolled.get("collector_key") is None:
        return None
    pinned = _collector_key(enrolled["collector_key"])
    if pinned is None:
        raise EnrollError(f"Khóa ký biên nhận của collector lưu trong {ENROLLMENT_FILE} bị hỏng; hãy đăng ký lại "
                          "máy này (`secaudit enroll`).",
                          f"The collector's receipt key stored in {ENROLLMENT_FILE} is damaged; enroll this machine "
                          "again (`secaudit enroll`).")
    return pinned


def enrollment_path(config: AgentConfig) -> Path:
    return state_dir(config) / ENROLLMENT_FILE


def store(config: AgentConfig, collector_url: str, answer: dict[str, Any]) -> Path:
    """`<state dir>/enrollment.json`, replaced atomically (a re-enrollment wins)."""
    record = {
        "schema": STORED_SCHEMA,
        "collector_url": collector_url,
        "agent_id": answer["agent_id"],
        "key_id": answer["key_id"],
        "unit": {"code": answer["unit"]["code"], "name": answer["unit"].get("name", ""),
                 "path": answer["unit"].get("path") or []},
        "status": answer.get("status", ""),
        "enrolled_at": _now(),
        "server_time": answer.get("server_time", ""),
    }
    pinned = answer.get("collector_key")
    if pinned is not None:  # checked by check_response
        record["collector_key"] = {"key_id": pinned["key_id"], "public_key": pinned["public_key"]}
    path = enrollment_path(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        replace(path, (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), 0o600, exact=True)
    except OSError as exc:
        raise EnrollError(f"Không ghi được {path}: {exc.strerror}.", f"Cannot write {path}: {exc.strerror}.") from None
    return path


def load(config: AgentConfig) -> dict[str, Any] | None:
    """The stored enrollment, or None (none, or damaged: `submit` then needs --collector)."""
    try:
        data = inputs.load_state(enrollment_path(config), cap=64 * 1024)
    except SecauditError:
        return None
    return data if isinstance(data, dict) and data.get("schema") == STORED_SCHEMA else None


def enroll_online(url: str, envelope: bytes, info: keys.KeyInfo, ca_file: str | None = None,
                  proxy: str | None = None) -> dict[str, Any]:
    """POST the request; the checked answer, or one sentence (refused: the collector's reason)."""
    import httpx

    base = link.check_url(url)
    try:
        with link.client(ca_file, proxy) as session:
            answer = link.post(session, base + link.API + "/enroll", envelope,
                               {"Content-Type": link.MEDIA_TYPE})
    except httpx.TransportError as exc:
        why = link.transport_reason(exc)
        raise link.CollectorError(f"Không đăng ký được với {base}: {why['vi']}.",
                                  f"Cannot enroll with {base}: {why['en']}.") from None
    if answer.status not in (200, 201):
        _, why = link.refusal(answer)
        raise EnrollError(f"Collector {base} từ chối đăng ký: {why['vi']}.",
                          f"The collector {base} refused the enrollment: {why['en']}.")
    return check_response(answer.json(), info, base)


def read_response(path: str, info: keys.KeyInfo) -> dict[str, Any]:
    """An offline response file from `secaudit collector enroll-import --out`."""
    try:
        raw = read_capped(path, 1 << 20)
    except FileNotFoundError:
        raise EnrollError(f"Không có tệp trả lời {path}.", f"The response file {path} does not exist.") from None
    except TooLarge:
        raise EnrollError(f"Tệp trả lời {path} quá lớn.", f"The response file {path} is too large.") from None
    except OSError as exc:
        raise EnrollError(f"Không đọc được tệp trả lời {path}: {exc.strerror}.",
                          f"Cannot read the response file {path}: {exc.strerror}.") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnrollError(f"Tệp trả lời {path} không phải JSON hợp lệ.",
                          f"The response file {path} is not valid JSON.") from None
    return check_response(data, info, path)
