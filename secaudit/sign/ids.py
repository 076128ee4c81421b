"""Names for a public key: key id (machines), fingerprint (people, over the phone), agent id.

- key id: "ed25519:" + the first 22 characters of base64url(SHA-256(raw 32-byte public key)),
  132 bits; a lookup hint in envelopes, never trusted on its own.
- fingerprint: 6 groups of 5 decimal digits (30 digits, about 99 bits) taken from
  SHA-256("secaudit-fingerprint-v1" NUL raw key), 5 bytes per group modulo 100000.
  Digits, not letters, because digits read the same in Vietnamese and English over the phone
  ("một hai ba...") while Latin letter names differ between the two and f/j/w/z are not Vietnamese.
- agent id: "agent-" + the 22 hash characters of the key id of the agent's FIRST key; it is stored
  in agent.id and kept across rotations, so an agent keeps its identity when its key changes.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

AGENT_ID_RE = re.compile(r"agent-[A-Za-z0-9_-]{22}")


def raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _hash22(raw: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode("ascii")[:22]


def key_id(pub: Ed25519PublicKey) -> str:
    return "ed25519:" + _hash22(raw_public(pub))


def fingerprint(pub: Ed25519PublicKey) -> str:
    digest = hashlib.sha256(b"secaudit-fingerprint-v1\x00" + raw_public(pub)).digest()
    return " ".join(f"{int.from_bytes(digest[i:i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5))


def agent_id(pub: Ed25519PublicKey) -> str:
    return "agent-" + _hash22(raw_public(pub))


def file_safe(kid: str) -> str:
    """A key id as a file name part: "ed25519:abc" -> "ed25519-abc" (base64url is already safe)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", kid)
