"""Every accepted envelope is kept byte-exact (non-repudiation), at a small cost per report.

A monthly report of an unchanged host repeats almost all of the previous one: the software list alone is
half the payload. `pack` splits the signed payload at the large JSON values it contains (each inventory
list, the requirements, each finding), stores each of those once by SHA-256 in `envelope_blobs`, and keeps
for the report only a compressed recipe: the envelope text around the base64 payload, the remaining
payload bytes, and the blob references. `unpack` rebuilds the exact bytes; `pack` checks that its parts
give back the signed payload before anything is stored (an envelope that cannot be split, e.g. a payload
not written in the canonical form, is simply compressed whole).

Stored forms (reports.envelope_z): b"S1" + zlib(recipe) written here, by the upload path inside its
transaction (upload._store) or by `repack` from an older D1 form; store.py's b"D1" (decoded payload) for a
conflict or an envelope that cannot be split, b"Z1" (zlib of the raw bytes) for any other spelling. Read
them all with `unpack`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector.index_models import EnvelopeBlob
from secaudit.collector.sqlutil import insert_ignore

MAGIC = b"S1"
MIN_PART = 512  # a finding or list shorter than this stays in the recipe's literal bytes
LEVEL = 6


class EnvelopeDamaged(Exception):
    """A stored envelope cannot be rebuilt (a missing blob, damaged data)."""


def _canonical(value: Any) -> bytes:
    """The agent's JSON spelling of `value` (sorted keys, compact, UTF-8). orjson writes the same bytes
    ~20 times faster (tests/unit/collector/test_envelopes.py compares them); it refuses integers beyond
    64 bits and lone surrogates, which the standard library then writes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                          allow_nan=False).encode("utf-8")


def _groups(payload: dict[str, Any]) -> Iterator[list[Any]]:
    """The payload's large values in groups whose members follow each other in the canonical text."""
    inventory = payload.get("inventory")
    if isinstance(inventory, dict):
        yield list(inventory.values())
    if isinstance(payload.get("requirements"), list):
        yield [payload["requirements"]]
    if isinstance(payload.get("findings"), list):
        yield payload["findings"]


Span = tuple[int, int, str]  # start, end, SHA-256 of body[start:end]


def _split(body: bytes, payload: dict[str, Any], seen: dict[int, str] | None = None) -> list[Span]:
    """Non-overlapping (start, end, sha256) spans of body that are large values of the payload, in order;
    `seen` gets the SHA-256 of each large value's canonical JSON by id() of the value (the index reuses
    them). Each value is looked for after the previous one of its group first: a canonical body has them
    in that order, so the whole body is scanned about once, not once per value."""
    spans: list[Span] = []
    for group in _groups(payload):
        cursor = 0
        for value in group:
            try:
                text = _canonical(value)
            except (TypeError, ValueError):
                continue
            if len(text) < MIN_PART:
                continue
            digest = hashlib.sha256(text).hexdigest()
            if seen is not None:
                seen[id(value)] = digest
            at = body.find(text, cursor)
            if at < 0 and cursor:
                at = body.find(text)
            if at >= 0:
                spans.append((at, at + len(text), digest))
                cursor = at + len(text)
    spans.sort()
    out: list[Span] = []
    for span in spans:
        if not out or span[0] >= out[-1][1]:
            out.append(span)
    return out


def _payload_at(raw: bytes, encoded: bytes) -> int:
    """Where the payload's base64 text starts in raw, as one JSON string ("...", no escapes), or -1."""
    probe = b'"' + encoded[:64]
    at = raw.find(probe)
    while at >= 0:
        end = at + 1 + len(encoded)
        if raw[end:end + 1] == b'"' and raw[at + 1:end] == encoded:
            return at
        at = raw.find(probe, at + 1)
    return -1


def _recipe(raw: bytes, body: bytes, spans: list[Span]) -> tuple[bytes, dict[str, bytes]] | None:
    encoded = base64.b64encode(body)
    at = _payload_at(raw, encoded)
    if at < 0:
        return None
    pre, post = raw[: at + 1], raw[at + 1 + len(encoded):]
    parts: list[list[Any]] = []
    literal = bytearray()
    blobs: dict[str, bytes] = {}
    pos = 0
    for start, end, digest in spans:
        if start > pos:
            parts.append(["L", start - pos])
            literal += body[pos:start]
        blobs[digest] = body[start:end]
        parts.append(["B", digest, end - start])
        pos = end
    if pos < len(body):
        parts.append(["L", len(body) - pos])
        literal += body[pos:]
    header = json.dumps({"v": 1, "pre": pre.decode("latin-1"), "post": post.decode("latin-1"), "parts": parts},
                        separators=(",", ":")).encode("ascii")
    recipe = struct.pack(">I", len(header)) + header + bytes(literal)
    if _assemble(recipe, blobs.get) != body:  # never store what does not give back the signed bytes
        return None
    return MAGIC + zlib.compress(recipe, LEVEL), blobs


def _assemble(recipe: bytes, blob: Any) -> bytes:
    """The payload bytes a decompressed recipe describes (its header's parts over its literal bytes)."""
    (size,) = struct.unpack(">I", recipe[:4])
    header = json.loads(recipe[4: 4 + size])
    literal = memoryview(recipe)[4 + size:]
    body = bytearray()
    pos = 0
    for part in header["parts"]:
        if part[0] == "L":
            body += literal[pos: pos + part[1]]
            pos += part[1]
        else:
            piece = blob(part[1])
            if piece is None or len(piece) != part[2]:
                raise EnvelopeDamaged(f"blob {part[1]} is missing or damaged")
            body += piece
    return bytes(body)


def _rebuild(packed: bytes, blob: Any) -> bytes:
    try:
        recipe = zlib.decompress(packed[len(MAGIC):])
        (size,) = struct.unpack(">I", recipe[:4])
        header = json.loads(recipe[4: 4 + size])
        pre, post = str(header["pre"]), str(header["post"])
        return pre.encode("latin-1") + base64.b64encode(_assemble(recipe, blob)) + post.encode("latin-1")
    except (zlib.error, struct.error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise EnvelopeDamaged(str(exc)) from None


def pack(session: Session, raw: bytes, body: bytes, payload: dict[str, Any],
         seen: dict[int, str] | None = None) -> bytes | None:
    """The stored form of envelope `raw` whose verified payload is `body` (parsed: `payload`), new blobs
    added to the session; None when it cannot be split (keep the upload path's form)."""
    made = _recipe(raw, body, _split(body, payload, seen))
    if made is None:
        return None
    packed, blobs = made
    if blobs:
        have = set(session.scalars(select(EnvelopeBlob.sha256).where(EnvelopeBlob.sha256.in_(list(blobs)))))
        rows = [{"sha256": d, "size": len(b), "data_z": zlib.compress(b, LEVEL)}
                for d, b in sorted(blobs.items()) if d not in have]  # one lock order for every writer
        insert_ignore(session, EnvelopeBlob.__table__, rows)
    return packed


def repack(session: Session, stored: bytes, payload: dict[str, Any],
           seen: dict[int, str] | None = None) -> bytes | None:
    """The S1 form of an envelope the upload path stored as D1 (None: leave it as it is)."""
    from secaudit.collector import store  # the upload path's forms

    if not stored.startswith(b"D1"):
        return None
    try:
        raw = store.unpack(stored)
        body = zlib.decompress(stored[2:]).partition(b"\n")[2]
    except (zlib.error, ValueError, KeyError, TypeError):
        return None
    return pack(session, raw, body, payload, seen)


def unpack(session: Session, stored: bytes) -> bytes:
    """The exact envelope bytes from any stored form."""
    from secaudit.collector import store

    if not stored.startswith(MAGIC):
        try:
            raw: bytes = store.unpack(stored)
            return raw
        except (zlib.error, ValueError, KeyError, TypeError) as exc:
            raise EnvelopeDamaged(str(exc)) from None

    def blob(digest: str) -> bytes | None:
        row = session.get(EnvelopeBlob, digest)
        if row is None:
            return None
        data = zlib.decompress(row.data_z)
        return data if hashlib.sha256(data).hexdigest() == digest else None

    return _rebuild(stored, blob)


def stored_payload(session: Session, stored: bytes) -> dict[str, Any] | None:
    """The payload of a stored envelope as signed (verified when it was received); None when damaged."""
    try:
        envelope = json.loads(unpack(session, stored))
        payload = json.loads(base64.b64decode(envelope["payload"], validate=True))
    except (EnvelopeDamaged, ValueError, KeyError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def is_packed(stored: bytes) -> bool:
    return stored.startswith(MAGIC)
