"""Envelopes kept byte for byte: split into shared parts, rebuilt exactly, damaged storage detected."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from secaudit.collector import envelopes, store
from secaudit.collector.index_models import EnvelopeBlob
from secaudit.report.sample import sample_report
from secaudit.sign import REPORT_TYPE, dsse
from tests.unit.collector.world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def _signed(payload: dict[str, object]) -> tuple[bytes, bytes]:
    body = dsse.canonical_bytes(payload)
    return dsse.sign(body, REPORT_TYPE, Ed25519PrivateKey.generate()), body


def test_round_trip_and_sharing(world: World) -> None:
    payload = sample_report(40, software=500)
    raw, body = _signed(payload)
    with world.db.write() as s:
        packed = envelopes.pack(s, raw, body, payload)
        assert packed is not None and envelopes.is_packed(packed)
        assert envelopes.unpack(s, packed) == raw
        blobs = s.scalar(select(func.count()).select_from(EnvelopeBlob))
        other = dict(payload, report_id="another", sequence=43)
        raw2, body2 = _signed(other)
        packed2 = envelopes.pack(s, raw2, body2, other)
        assert packed2 is not None and envelopes.unpack(s, packed2) == raw2
        assert s.scalar(select(func.count()).select_from(EnvelopeBlob)) == blobs  # nothing new stored
        assert len(packed2) < len(zlib.compress(raw2)) // 3


def test_repack_of_the_upload_paths_form(world: World) -> None:
    payload = sample_report(10, software=100)
    raw, body = _signed(payload)
    d1 = store.pack(raw, json.loads(raw), body)
    assert d1.startswith(b"D1")
    with world.db.write() as s:
        s1 = envelopes.repack(s, d1, payload)
        assert s1 is not None and envelopes.unpack(s, s1) == raw
        assert envelopes.repack(s, s1, payload) is None  # already split
        assert envelopes.unpack(s, d1) == raw and envelopes.unpack(s, store.pack(raw)) == raw


def test_what_cannot_be_split_is_left_alone(world: World) -> None:
    payload = sample_report(5)
    body = json.dumps(payload, indent=1).encode()  # not the canonical form: no large value found in it
    raw = dsse.sign(body, REPORT_TYPE, Ed25519PrivateKey.generate())
    with world.db.write() as s:
        packed = envelopes.pack(s, raw, body, payload)
        assert packed is not None and envelopes.unpack(s, packed) == raw  # the recipe is all literal bytes
        assert envelopes.pack(s, b'{"payload":"x"}', body, payload) is None  # payload not in the envelope


def test_missing_or_damaged_parts_are_detected(world: World) -> None:
    payload = sample_report(20, software=300)
    raw, body = _signed(payload)
    with world.db.write() as s:
        packed = envelopes.pack(s, raw, body, payload)
        assert packed is not None
        s.execute(delete(EnvelopeBlob))
        with pytest.raises(envelopes.EnvelopeDamaged):
            envelopes.unpack(s, packed)
        with pytest.raises(envelopes.EnvelopeDamaged):
            envelopes.unpack(s, packed[:-5])
        with pytest.raises(envelopes.EnvelopeDamaged):
            envelopes.unpack(s, b"Z1garbage")


_JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=20)


@given(_JSON)
@settings(max_examples=300, deadline=None)
def test_canonical_is_the_agents_spelling(value: object) -> None:
    """orjson's bytes are the standard library's (sorted keys, compact, UTF-8), integers beyond 64 bits included:
    a span found in the signed payload must be the same text."""
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                          allow_nan=False).encode("utf-8")
    assert envelopes._canonical(value) == expected
