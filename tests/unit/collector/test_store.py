"""Envelope blobs: the exact bytes come back; the canonical spelling is kept as its decoded parts."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.collector import store
from tests.unit.collector.helpers import envelope, report


def test_roundtrip_exact_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    raw = envelope(key, report(key, 1, findings=50))
    env = json.loads(raw)
    body = base64.b64decode(env["payload"])
    packed = store.pack(raw, env, body)
    assert packed[:2] == b"D1" and store.unpack(packed) == raw and len(packed) < len(raw) / 3
    odd = raw.replace(b'{"payloadType"', b'{ "payloadType"')
    assert store.pack(odd, json.loads(odd), body)[:2] == b"Z1" and store.unpack(store.pack(odd, env, body)) == odd
    url_safe = raw.replace(env["payload"].encode(), base64.urlsafe_b64encode(body))
    assert store.unpack(store.pack(url_safe, json.loads(url_safe), body)) == url_safe
    with pytest.raises(ValueError):
        store.unpack(b"??" + b"x")
