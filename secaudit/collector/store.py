"""Keeping envelopes: the exact bytes, compressed, recoverable byte for byte (non-repudiation).

A DSSE envelope carries its payload in base64, which zlib compresses poorly. When the envelope is exactly
what secaudit signs (sign/dsse.sign_multi: payloadType, signatures, payload, compact, newline), it is kept
as its parts, the decoded payload compressed, and rebuilt on read; the rebuild is compared with the
original before anything is stored, so a stored envelope always comes back as the bytes received.
Any other spelling is kept as zlib of the raw bytes.

Blob format: b"D1" + zlib(header JSON + b"\\n" + payload bytes)  |  b"Z1" + zlib(raw envelope).
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

LEVEL = 6


def _rebuild(payload_type: str, signatures: list[Any], body: bytes) -> bytes:
    envelope = {"payloadType": payload_type, "signatures": signatures,
                "payload": base64.b64encode(body).decode("ascii")}
    return (json.dumps(envelope, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def pack(raw: bytes, envelope: dict[str, Any] | None = None, body: bytes | None = None) -> bytes:
    """The blob to store for `raw`; `envelope` (parsed) and `body` (decoded payload) when the caller has them."""
    if envelope is not None and body is not None:
        ptype, sigs = envelope.get("payloadType"), envelope.get("signatures")
        if isinstance(ptype, str) and isinstance(sigs, list) and set(envelope) == {"payloadType", "signatures",
                                                                                    "payload"}:
            header = json.dumps({"payloadType": ptype, "signatures": sigs}, ensure_ascii=True,
                                separators=(",", ":")).encode("ascii")
            if b"\n" not in header and _rebuild(ptype, sigs, body) == raw:
                return b"D1" + zlib.compress(header + b"\n" + body, LEVEL)
    return b"Z1" + zlib.compress(raw, LEVEL)


def unpack(blob: bytes) -> bytes:
    """The envelope bytes exactly as received."""
    kind = blob[:2]
    if kind not in (b"Z1", b"D1"):
        raise ValueError("unknown envelope blob format")
    data = zlib.decompress(blob[2:])
    if kind == b"Z1":
        return data
    if kind == b"D1":
        header, _, body = data.partition(b"\n")
        parts = json.loads(header)
        return _rebuild(parts["payloadType"], parts["signatures"], body)
    raise ValueError("unknown envelope blob format")
