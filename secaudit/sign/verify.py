"""Verify an envelope file against PEM public key files: the file-level entry of `verify` and `render`.

It sits above dsse.py (the envelope format) and keys.py (reading key files), so neither imports the other's
way back: keys -> dsse for the rotation statement, verify -> both.

A stored receipt (`<name>.receipt.json` in the agent's sent/ folder) is checked too: its `signed` part, the
collector's DSSE envelope of RECEIPT_TYPE, is verified against the collector's key, and the envelope kept
beside it (`<name>`), when there, must have the SHA-256 the signed receipt names (verify_receipt).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from secaudit.fsutil import TooLarge, read_capped
from secaudit.limits import ENVELOPE
from secaudit.sign.dsse import EnvelopeInvalid, EnvelopeUnusable, Verified, verify
from secaudit.sign.keys import load_public
from secaudit.sign.payload_types import RECEIPT_TYPE, REPORT_TYPE

RECEIPT_SUFFIX = ".receipt.json"


def verify_file(path: str, pubkeys: list[str],
                allowed_types: set[str] | frozenset[str] | None = None) -> Verified:
    """Verify an envelope file against PEM public key files (default: only report envelopes)."""
    keys = [load_public(p) for p in pubkeys]
    return verify(read_file(path), allowed_types if allowed_types is not None else {REPORT_TYPE}, keys)


def read_file(path: str) -> bytes:
    """An envelope (or receipt) file's bytes, at most ENVELOPE; EnvelopeUnusable else."""
    try:
        raw = read_capped(path, ENVELOPE)
    except TooLarge as exc:
        raise EnvelopeUnusable(f"Tệp {path} quá lớn ({exc.size} byte, tối đa {ENVELOPE} byte); không kiểm tra.",
                               f"{path} is too large ({exc.size} bytes, at most {ENVELOPE}); not checked.") from None
    except OSError as exc:
        raise EnvelopeUnusable(f"Không đọc được tệp {path}: {exc.strerror}.",
                               f"Cannot read {path}: {exc.strerror}.") from None
    return raw


def signed_receipt(raw: bytes) -> dict[str, Any] | None:
    """The collector's signed part when `raw` is a stored receipt (a JSON object whose `signed` is a DSSE
    envelope of RECEIPT_TYPE), else None (an envelope, or anything else: verify_file says what is wrong)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    signed = data.get("signed") if isinstance(data, dict) else None
    return signed if isinstance(signed, dict) and signed.get("payloadType") == RECEIPT_TYPE else None


@dataclass(frozen=True)
class ReceiptCheck:
    verified: Verified  # the collector's signed receipt
    envelope: Path | None  # the report envelope kept beside the receipt, checked against envelope_sha256


def verify_signed_receipt(signed: dict[str, Any], keys: list[Ed25519PublicKey]) -> Verified:
    """A receipt's `signed` part (a DSSE envelope as a JSON object) verified with the collector's keys. DSSE
    signs the payload, not the envelope's spelling, so writing the object back compactly is enough."""
    return verify(json.dumps(signed, separators=(",", ":")).encode("utf-8"), {RECEIPT_TYPE}, keys)


def verify_receipt(path: str, signed: dict[str, Any], keys: list[Ed25519PublicKey]) -> ReceiptCheck:
    """Verify a stored receipt's signed part with the collector's keys, then the envelope beside it (same name
    without `.receipt.json`) when there: EnvelopeInvalid when its SHA-256 is not the one the receipt names."""
    verified = verify_signed_receipt(signed, keys)
    beside = Path(path[: -len(RECEIPT_SUFFIX)]) if path.endswith(RECEIPT_SUFFIX) else None
    if beside is None or not beside.is_file():
        return ReceiptCheck(verified, None)
    digest = hashlib.sha256(read_file(str(beside))).hexdigest()
    if digest != verified.payload.get("envelope_sha256"):
        raise EnvelopeInvalid(f"Biên nhận hợp lệ nhưng tệp {beside} nằm cạnh nó không phải báo cáo mà biên nhận "
                              "ghi nhận (mã SHA-256 khác).",
                              f"The receipt is valid, but the file {beside} beside it is not the report it "
                              "acknowledges (another SHA-256).")
    return ReceiptCheck(verified, beside)
