"""DSSE v1 envelopes signed with Ed25519 — the security boundary of signed reports.

verify() works in this order and never re-serialises anything:
size cap -> strict UTF-8 JSON of the envelope (no duplicate keys, NaN/Infinity or floats) -> shape ->
payload-type allow-list -> strict base64 (standard or URL-safe, canonical, no whitespace) ->
Ed25519 over PAE(payloadType, body) (the keyid is only a hint for the order keys are tried in) ->
only then the body is parsed, as strictly as the envelope. The body bytes are returned as signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from secaudit.errors import SecauditError
from secaudit.limits import ENVELOPE  # the same cap when signing (report.fit) and here: what is signed verifies
from secaudit.sign.ids import key_id

try:  # the collector's extra: a fast path for canonical payloads (see _canonical_value)
    import orjson
except ImportError:  # pragma: no cover - the agent alone does without
    orjson = None  # type: ignore[assignment]

MAX_SIGNATURES = 16
ED25519_SIG_LEN = 64


class EnvelopeInvalid(SecauditError):
    """The signature does not verify: wrong key, or the envelope or payload was changed (exit 1)."""

    exit_code = 1


class EnvelopeUnusable(SecauditError):
    """The input cannot be checked: malformed, oversize, bad base64, type not accepted (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Verified:
    payload_type: str
    body: bytes  # the exact signed bytes
    keyid: str  # key id computed from the public key that verified (not the envelope's hint)
    payload: dict[str, Any]
    signers: tuple[str, ...] = ()  # every given key that has a valid signature in the envelope


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    ptype = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(body), body)


# --- canonical payload bytes -------------------------------------------------------------------


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        raise ValueError("floats are not allowed in a signed payload")
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"payload keys must be strings, not {type(key).__name__}")
            out[_nfc(key)] = _nfc(item)
        if len(out) != len(value):
            raise ValueError("two payload keys are equal after NFC normalisation")
        return out
    if isinstance(value, list | tuple):
        return [_nfc(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not allowed in a signed payload")


def canonical_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and embedded: sorted keys, no spaces, UTF-8, NFC, no floats."""
    return json.dumps(_nfc(payload), ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode("utf-8")


# --- signing -----------------------------------------------------------------------------------


def sign_multi(body: bytes, payload_type: str, keys: Iterable[Ed25519PrivateKey]) -> bytes:
    message = pae(payload_type, body)
    signatures = [{"keyid": key_id(k.public_key()), "sig": base64.b64encode(k.sign(message)).decode("ascii")}
                  for k in keys]
    # payloadType and signatures first so a person opening the file sees them before the long payload
    envelope = {"payloadType": payload_type, "signatures": signatures,
                "payload": base64.b64encode(body).decode("ascii")}
    return (json.dumps(envelope, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def sign(body: bytes, payload_type: str, key: Ed25519PrivateKey) -> bytes:
    """The envelope JSON bytes for `body` signed by `key`."""
    return sign_multi(body, payload_type, [key])


# --- strict parsing ----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # rare: find which key, for the message
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"khóa JSON {_show(key)} bị lặp", f"the JSON key {_show(key)} is repeated")
            seen.add(key)
    return obj


def _no_float(text: str) -> Any:
    raise _Refused(f"có số thực {_show(text)} (chỉ cho phép số nguyên)",
                   f"it contains the float {_show(text)} (only integers are allowed)")


def _no_constant(text: str) -> Any:
    raise _Refused(f"có giá trị {text} không hợp lệ", f"it contains the invalid value {text}")


def _show(text: str, limit: int = 40) -> str:
    """Quote untrusted text for an error message: printable, short."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return '"' + cleaned + ('…"' if len(text) > limit else '"')


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            return True
    return False


def _canonical_value(data: bytes) -> Any | None:
    """The value of `data` if it is an object or array written canonically (sorted keys, compact, UTF-8,
    as the agent writes reports) with no floats, else None. Such bytes are exactly orjson's writing of
    what orjson read from them, which rules out repeated keys (one would be lost, the bytes would differ),
    a BOM, whitespace, escapes of lone surrogates and integers beyond 64 bits: the strict parser would
    give the same value, about twice as slowly. Anything else goes to the strict parser."""
    if orjson is None or data[:1] not in (b"{", b"["):
        return None
    try:
        value = orjson.loads(data)
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != data:
            return None
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return None if _has_float(value) else value


def strict_loads(data: bytes, what_vi: str, what_en: str, surrogates: bool = True,
                 canonical: bool = False) -> Any:
    """Parse JSON that two parsers cannot read differently, or raise EnvelopeUnusable. `canonical`: the
    bytes are probably in the agent's canonical spelling; try the fast path first."""
    if canonical:
        value = _canonical_value(data)
        if value is not None:
            return value
    def refuse(vi: str, en: str) -> EnvelopeUnusable:
        return EnvelopeUnusable(f"{what_vi} không dùng được: {vi}.", f"The {what_en} cannot be used: {en}.")

    try:
        text = data.decode("utf-8")  # strictly UTF-8: no UTF-16/32 guessing, no invalid bytes
    except UnicodeDecodeError:
        raise refuse("không phải văn bản UTF-8 hợp lệ", "it is not valid UTF-8 text") from None
    if text.startswith("\ufeff"):
        raise refuse("bắt đầu bằng ký tự BOM", "it starts with a byte order mark")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float, parse_constant=_no_constant)
    except _Refused as exc:
        raise refuse(exc.vi, exc.en) from None
    except RecursionError:
        raise refuse("JSON lồng nhau quá sâu", "the JSON is nested too deeply") from None
    except ValueError as exc:
        detail = str(exc).splitlines()[0][:120]
        raise refuse(f"không phải JSON hợp lệ ({detail})", f"it is not valid JSON ({detail})") from None
    # a \uD800-style escape can smuggle a lone surrogate that no UTF-8 writer can output later
    if surrogates and _SURROGATE_ESCAPE.search(text):
        try:
            bad = _has_lone_surrogate(value)
        except RecursionError:
            raise refuse("JSON lồng nhau quá sâu", "the JSON is nested too deeply") from None
        if bad:
            raise refuse("có ký tự Unicode không hợp lệ (surrogate đơn lẻ)",
                         "it contains an invalid Unicode character (lone surrogate)")
    return value


_URL_TO_STD = str.maketrans("-_", "+/")
_STD_TO_URL = bytes.maketrans(b"+/", b"-_")


def b64decode_strict(text: Any, field: str) -> bytes:
    """Standard or URL-safe base64 (DSSE accepts both), with or without padding, but canonical:
    one alphabet, no whitespace or other characters, correct padding, zero trailing bits."""
    def refuse() -> EnvelopeUnusable:
        return EnvelopeUnusable(f"Trường '{field}' của phong bì không phải base64 hợp lệ.",
                                f"The envelope field '{field}' is not valid base64.")

    if not isinstance(text, str) or not text.isascii():
        raise refuse()
    padding = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    size = len(text) - padding
    if size % 4 == 1 or (padding and len(text) % 4):
        raise refuse()
    data = text  # copies of a multi-megabyte payload are avoided where possible
    url = "-" in text or "_" in text
    if url:
        if "+" in text or "/" in text:  # one alphabet per string
            raise refuse()
        data = data.translate(_URL_TO_STD)
    if not padding and size % 4:
        data += "=" * (-size % 4)
    try:  # strict mode refuses whitespace, other characters, extra padding, '=' in the middle
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        raise refuse() from None
    # only the last group can hide non-zero padding bits: re-encode it and compare
    start = (len(raw) - 1) // 3 * 3 if raw else 0
    tail = binascii.b2a_base64(raw[start:], newline=False)
    if url:
        tail = tail.translate(_STD_TO_URL)
    if (tail if padding else tail.rstrip(b"=")).decode("ascii") != text[start // 3 * 4:]:
        raise refuse()
    return raw


# --- verification ------------------------------------------------------------------------------


def _unusable(vi: str, en: str) -> EnvelopeUnusable:
    return EnvelopeUnusable(vi, en)


def parse_envelope(raw: bytes) -> Any:
    """The envelope's JSON, strictly (its own strings are compared, never displayed or re-encoded: no
    surrogate scan)."""
    if len(raw) > ENVELOPE:
        raise _unusable(f"Tệp quá lớn ({len(raw)} byte, tối đa {ENVELOPE} byte); không kiểm tra.",
                        f"The input is too large ({len(raw)} bytes, at most {ENVELOPE}); not checked.")
    return strict_loads(raw, "Phong bì", "envelope", surrogates=False)


def verify(raw: bytes, allowed_types: set[str] | frozenset[str], keys: Sequence[Ed25519PublicKey],
           parsed_envelope: Any = None) -> Verified:
    """`parsed_envelope`: parse_envelope(raw) when the caller already has it."""
    env = parse_envelope(raw) if parsed_envelope is None else parsed_envelope
    if not isinstance(env, dict):
        raise _unusable("Đây không phải phong bì DSSE (cần một đối tượng JSON).",
                        "This is not a DSSE envelope (a JSON object is expected).")
    ptype, payload, sigs = env.get("payloadType"), env.get("payload"), env.get("signatures")
    if not isinstance(ptype, str) or not isinstance(payload, str) or not isinstance(sigs, list):
        raise _unusable("Đây không phải phong bì DSSE (thiếu payloadType, payload hoặc signatures).",
                        "This is not a DSSE envelope (payloadType, payload or signatures is missing).")
    if ptype not in allowed_types:
        raise _unusable(f"Loại nội dung {_show(ptype)} không được chấp nhận ở đây.",
                        f"The payload type {_show(ptype)} is not accepted here.")
    if len(sigs) > MAX_SIGNATURES:
        raise _unusable(f"Phong bì có quá nhiều chữ ký ({len(sigs)}, tối đa {MAX_SIGNATURES}).",
                        f"The envelope has too many signatures ({len(sigs)}, at most {MAX_SIGNATURES}).")
    parsed: list[tuple[str, bytes]] = []
    for item in sigs:
        hint = item.get("keyid", "") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(hint, str | None):
            raise _unusable("Một chữ ký trong phong bì có cấu trúc sai.",
                            "A signature in the envelope is malformed.")
        parsed.append((hint or "", b64decode_strict(item.get("sig"), "sig")))
    body = b64decode_strict(payload, "payload")
    if not keys:
        raise _unusable("Không có khóa công khai nào để kiểm tra chữ ký.",
                        "There is no public key to check the signature with.")

    message = pae(ptype, body)
    candidates = [(key_id(k), k) for k in keys]
    signers: list[str] = []
    for hint, sig in parsed:
        if len(sig) != ED25519_SIG_LEN:
            continue
        # the hint only decides which key is tried first; every key is still tried
        for kid, key in sorted(candidates, key=lambda c: c[0] != hint):
            if kid in signers:
                continue
            try:
                key.verify(sig, message)
            except InvalidSignature:
                continue
            signers.append(kid)
            break
    if not signers:
        raise EnvelopeInvalid(
            "Chữ ký KHÔNG hợp lệ: không khớp với khóa công khai nào đã cho (sai khóa, hoặc tệp đã bị sửa).",
            "The signature is NOT valid: it matches none of the given public keys (wrong key, or the file "
            "was changed).")

    value = strict_loads(body, "Nội dung đã ký", "signed payload", canonical=True)
    if not isinstance(value, dict):
        raise _unusable("Nội dung đã ký không phải một đối tượng JSON.",
                        "The signed payload is not a JSON object.")
    return Verified(ptype, body, signers[0], value, tuple(signers))

