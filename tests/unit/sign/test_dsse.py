"""DSSE envelopes: PAE, canonical bytes, sign/verify, and every way a file can be broken or forged."""

from __future__ import annotations

import base64
import json
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from secaudit.limits import ENVELOPE
from secaudit.sign import KEYROTATE_TYPE, REPORT_TYPE
from secaudit.sign.dsse import (
    EnvelopeInvalid,
    EnvelopeUnusable,
    _canonical_value,
    b64decode_strict,
    canonical_bytes,
    pae,
    sign,
    sign_multi,
    strict_loads,
    verify,
)
from secaudit.sign.ids import key_id
from secaudit.sign.verify import verify_file

ALLOWED = {REPORT_TYPE}
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUB = KEY.public_key()
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))

PAYLOAD: dict[str, Any] = {
    "schema": "secaudit.report/v1",
    "sequence": 7,
    "host": {"hostname": "PC-01"},
    "unit": {"name": "Trường THCS Nguyễn Du"},
    "summary": {"pass": 3, "fail": 1, "score": 75},
}


def envelope(payload: dict[str, Any] | None = None, ptype: str = REPORT_TYPE,
             key: Ed25519PrivateKey = KEY) -> bytes:
    return sign(canonical_bytes(PAYLOAD if payload is None else payload), ptype, key)


def fields(raw: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(raw)
    return value


def rebuild(env: dict[str, Any]) -> bytes:
    return json.dumps(env, separators=(",", ":")).encode()


def one_sentence(exc: pytest.ExceptionInfo[Any]) -> str:
    err = exc.value
    for text in (err.vi, err.en):
        assert text and "\n" not in text and text.endswith("."), text
    return str(err.en)


# --- PAE ---------------------------------------------------------------------------------------


def test_pae_matches_the_dsse_spec_test_vector() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("", b"") == b"DSSEv1 0  0 "
    assert pae("http://example.com/HelloWorld", "ಠ".encode()) == \
        b"DSSEv1 29 http://example.com/HelloWorld 3 \xe0\xb2\xa0"
    assert pae("é", b"a b\n\x00") == b"DSSEv1 2 \xc3\xa9 5 a b\n\x00"


def test_spec_example_signature_verifies_over_our_pae() -> None:
    """The DSSE spec's own ECDSA P-256 example signature is valid over exactly our PAE bytes."""
    x = 46950820868899156662930047687818585632848591499744589407958293238635476079160
    y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
    pub = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raw = base64.b64decode("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    pub.verify(der, pae("http://example.com/HelloWorld", b"hello world"), ec.ECDSA(hashes.SHA256()))
    assert base64.b64decode("aGVsbG8gd29ybGQ=") == b"hello world"


# --- canonical bytes ---------------------------------------------------------------------------


def test_canonical_bytes_sorted_compact_utf8_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Trường")
    body = canonical_bytes({"b": [1, {"y": True, "x": None}], "a": nfd, unicodedata.normalize("NFD", "ờ"): 1})
    assert body == '{"a":"Trường","b":[1,{"x":null,"y":true}],"ờ":1}'.encode()
    assert canonical_bytes({"a": (1, 2)}) == b'{"a":[1,2]}'


@pytest.mark.parametrize("bad, error", [
    ({"x": 1.5}, ValueError),
    ({"x": float("nan")}, ValueError),
    ({1: "int key"}, TypeError),
    ({"x": {1, 2}}, TypeError),
    ({"Trường": 1, unicodedata.normalize("NFD", "Trường"): 2}, ValueError),
])
def test_canonical_bytes_refuses_what_cannot_be_signed_stably(bad: dict[Any, Any], error: type) -> None:
    with pytest.raises(error):
        canonical_bytes(bad)


# --- round trip --------------------------------------------------------------------------------


def test_sign_verify_round_trip() -> None:
    raw = envelope()
    env = fields(raw)
    assert env["payloadType"] == REPORT_TYPE
    assert env["signatures"][0]["keyid"] == key_id(PUB)
    assert base64.b64decode(env["payload"], validate=True) == canonical_bytes(PAYLOAD)
    got = verify(raw, ALLOWED, [PUB])
    assert got.payload == PAYLOAD
    assert got.body == canonical_bytes(PAYLOAD)
    assert got.keyid == key_id(PUB) and got.signers == (key_id(PUB),)
    assert got.payload_type == REPORT_TYPE


def test_verify_picks_the_right_key_among_several_and_ignores_the_keyid_hint() -> None:
    env = fields(envelope())
    env["signatures"][0]["keyid"] = key_id(OTHER.public_key())  # a lying hint
    got = verify(rebuild(env), ALLOWED, [OTHER.public_key(), PUB])
    assert got.keyid == key_id(PUB)
    del env["signatures"][0]["keyid"]  # keyid is optional
    assert verify(rebuild(env), ALLOWED, [PUB]).keyid == key_id(PUB)
    env["signatures"][0]["keyid"] = None
    assert verify(rebuild(env), ALLOWED, [PUB]).payload == PAYLOAD


def test_unknown_envelope_fields_are_ignored_as_dsse_requires() -> None:
    env = fields(envelope())
    env["comment"] = "added by a producer"
    env["signatures"][0]["extra"] = 1
    assert verify(rebuild(env), ALLOWED, [PUB]).payload == PAYLOAD


def test_url_safe_and_unpadded_base64_verify_too() -> None:
    body = canonical_bytes({"x": "?>?>?>~~~ÿÿ", "y": "Đạt"})  # bytes whose base64 has + and /
    env = fields(sign(body, REPORT_TYPE, KEY))
    assert any(c in env["payload"] + env["signatures"][0]["sig"] for c in "+/")
    for encode in (base64.urlsafe_b64encode, lambda b: base64.urlsafe_b64encode(b).rstrip(b"="),
                   lambda b: base64.b64encode(b).rstrip(b"=")):
        again = dict(env, payload=encode(body).decode(),
                     signatures=[{"keyid": "", "sig": encode(base64.b64decode(env["signatures"][0]["sig"])).decode()}])
        assert verify(rebuild(again), ALLOWED, [PUB]).body == body


def test_multi_signature_one_good_is_enough_and_signers_are_listed() -> None:
    raw = sign_multi(canonical_bytes(PAYLOAD), KEYROTATE_TYPE, [OTHER, KEY])
    got = verify(raw, {KEYROTATE_TYPE}, [PUB, OTHER.public_key()])
    assert set(got.signers) == {key_id(PUB), key_id(OTHER.public_key())}
    env = fields(envelope())
    env["signatures"].insert(0, {"keyid": key_id(PUB), "sig": base64.b64encode(bytes(64)).decode()})
    env["signatures"].insert(0, {"sig": base64.b64encode(b"short").decode()})
    assert verify(rebuild(env), ALLOWED, [PUB]).keyid == key_id(PUB)


# --- tampering ---------------------------------------------------------------------------------


def test_flipping_any_bit_of_the_envelope_never_verifies_with_other_content() -> None:
    raw = envelope({"host": {"hostname": "PC-01"}, "summary": {"fail": 1, "pass": 2}})
    body = canonical_bytes({"host": {"hostname": "PC-01"}, "summary": {"fail": 1, "pass": 2}})
    # the keyid name and value are an unauthenticated hint: the only place a flip may still verify
    hint_start = raw.index(b'"keyid"')
    hint_end = raw.index(b'"', raw.index(b':"', hint_start) + 2)
    outcomes = {"invalid": 0, "unusable": 0, "same": 0}
    for pos in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[pos] ^= 1 << bit
            try:
                got = verify(bytes(flipped), ALLOWED, [PUB])
            except EnvelopeInvalid:
                outcomes["invalid"] += 1
                continue
            except EnvelopeUnusable:
                outcomes["unusable"] += 1
                continue
            assert got.body == body, (pos, bit)
            assert hint_start <= pos <= hint_end, (pos, bit, bytes(flipped[pos - 5:pos + 5]))
            outcomes["same"] += 1
    assert outcomes["invalid"] > 500 and outcomes["unusable"] > 500, outcomes
    assert outcomes["same"] <= 8 * (hint_end - hint_start + 1), outcomes


def test_random_mutations_only_ever_fail_cleanly() -> None:
    """Replace, insert or delete random bytes: the verifier never crashes and never accepts other content."""
    import random

    rng = random.Random(4)
    raw = envelope()
    body = canonical_bytes(PAYLOAD)
    for _ in range(3000):
        mutated = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(mutated))
            action = rng.choice(("replace", "insert", "delete"))
            if action == "replace":
                mutated[pos] = rng.randrange(256)
            elif action == "insert":
                mutated.insert(pos, rng.choice(b' \t\n"{}[],:=+/-_0aA\\\x00\xff'))
            else:
                del mutated[pos]
        try:
            got = verify(bytes(mutated), ALLOWED, [PUB])
        except (EnvelopeInvalid, EnvelopeUnusable):
            continue
        assert got.body == body


def test_flipping_any_byte_of_the_payload_fails_even_with_a_good_encoding() -> None:
    body = canonical_bytes(PAYLOAD)
    env = fields(sign(body, REPORT_TYPE, KEY))
    for pos in range(len(body)):
        changed = bytearray(body)
        changed[pos] ^= 0x01
        tampered = dict(env, payload=base64.b64encode(bytes(changed)).decode())
        with pytest.raises(EnvelopeInvalid) as exc:
            verify(rebuild(tampered), ALLOWED, [PUB])
        assert exc.value.exit_code == 1


def test_changing_the_signature_or_the_payload_type_fails() -> None:
    env = fields(envelope())
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    sig[10] ^= 0x80
    env_bad = dict(env, signatures=[{"keyid": key_id(PUB), "sig": base64.b64encode(bytes(sig)).decode()}])
    with pytest.raises(EnvelopeInvalid):
        verify(rebuild(env_bad), ALLOWED, [PUB])
    # PAE binds the type: relabelling a report as another allowed type breaks the signature
    with pytest.raises(EnvelopeInvalid):
        verify(rebuild(dict(env, payloadType=KEYROTATE_TYPE)), {REPORT_TYPE, KEYROTATE_TYPE}, [PUB])


def test_wrong_key_is_invalid_exit_1() -> None:
    with pytest.raises(EnvelopeInvalid) as exc:
        verify(envelope(), ALLOWED, [OTHER.public_key()])
    assert exc.value.exit_code == 1
    assert "wrong key" in one_sentence(exc)


def test_no_signature_is_invalid() -> None:
    env = dict(fields(envelope()), signatures=[])
    with pytest.raises(EnvelopeInvalid):
        verify(rebuild(env), ALLOWED, [PUB])


def test_payload_type_not_allowed_is_unusable_exit_2() -> None:
    raw = envelope(ptype="application/vnd.other+json")
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(raw, ALLOWED, [PUB])
    assert exc.value.exit_code == 2
    assert "application/vnd.other+json" in one_sentence(exc)
    with pytest.raises(EnvelopeUnusable):  # a valid rotation statement is not a report
        verify(envelope(ptype=KEYROTATE_TYPE), ALLOWED, [PUB])


# --- malformed input ---------------------------------------------------------------------------


def signed_body(body: bytes) -> bytes:
    """An envelope with a VALID signature over `body`, so the strict payload parser is reached."""
    return sign(body, REPORT_TYPE, KEY)


@pytest.mark.parametrize("raw, fragment", [
    (b'{"payloadType":"%s","payload":"e30=","payload":"e30=","signatures":[]}' % REPORT_TYPE.encode(),
     '"payload" is repeated'),
    (b'{"payloadType":"%s","payload":"e30=","signatures":[],"x":NaN}' % REPORT_TYPE.encode(), "NaN"),
    (b'{"payloadType":"%s","payload":"e30=","signatures":[],"x":-Infinity}' % REPORT_TYPE.encode(), "-Infinity"),
    (b'{"payloadType":"%s","payload":"e30=","signatures":[],"x":1.5}' % REPORT_TYPE.encode(), "float"),
    (b'{"payloadType":"%s","payload":"e30=","signatures":[],"x":1e3}' % REPORT_TYPE.encode(), "float"),
    (b'{"payloadType":"x","payload":"e30=","signatures":[], "x": 1}\x00', "not valid JSON"),
    (b"not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"[1, 2]", "not a DSSE envelope"),
    (b'{"payloadType": 1, "payload": "", "signatures": []}', "not a DSSE envelope"),
    (b'{"payload": "", "signatures": []}', "not a DSSE envelope"),
    (b"\xff\xfe{}", "UTF-8"),
    ('{"a": 1}'.encode("utf-16"), "UTF-8"),
    (b"\xef\xbb\xbf{}", "byte order mark"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"a":' + b"9" * 5000 + b"}", "not valid JSON"),
])
def test_malformed_envelopes_are_unusable_with_one_sentence(raw: bytes, fragment: str) -> None:
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(raw, ALLOWED, [PUB])
    assert fragment in one_sentence(exc)
    assert exc.value.exit_code == 2


@pytest.mark.parametrize("body, fragment", [
    (b'{"status":"fail","status":"pass"}', '"status" is repeated'),
    (b'{"a":{"b":1,"b":1}}', '"b" is repeated'),
    (b'{"score":NaN}', "NaN"),
    (b'{"score":Infinity}', "Infinity"),
    (b'{"score":75.0}', "float"),
    (b'{"score":[1,2,3e-1]}', "float"),
    (b'{"host":"\\ud800"}', "surrogate"),
    (b"[" * 600 + b'"\\ud800"' + b"]" * 600, "nested too deeply"),
    (b'[1,2]', "not a JSON object"),
    (b'{"a":1} trailing', "not valid JSON"),
    (b'\xc3\x28', "UTF-8"),
])
def test_a_validly_signed_but_ambiguous_payload_is_unusable(body: bytes, fragment: str) -> None:
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(signed_body(body), ALLOWED, [PUB])
    assert fragment in one_sentence(exc)
    assert "signed payload" in str(exc.value) or "not a JSON object" in str(exc.value)


def test_escaped_surrogate_pairs_are_fine() -> None:
    got = verify(signed_body(b'{"emoji":"\\ud83d\\ude00","path":"C:\\\\ud800"}'), ALLOWED, [PUB])
    assert got.payload == {"emoji": "😀", "path": "C:\\ud800"}


def test_oversize_input_is_refused_before_parsing() -> None:
    raw = b"[" * (ENVELOPE + 1)  # would be "nested too deeply" if it were parsed
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(raw, ALLOWED, [PUB])
    assert "too large" in one_sentence(exc)


def test_a_100_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.secaudit.json"
    with open(big, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)
    start = time.perf_counter()
    with pytest.raises(EnvelopeUnusable) as exc:
        verify_file(str(big), [], None)
    assert time.perf_counter() - start < 1.0
    assert "too large" in one_sentence(exc) and "104857600" in str(exc.value)


B64_CASES = [
    "e30= ",  # trailing space
    " e30=",
    "e3\n0=",
    "e30=\n",
    "e3\t0=",
    "e30",  # unpadded is fine for payload b'{}'... see test body
    "e30==",  # too much padding
    "e3=0",  # padding in the middle
    "e30=e30=",
    "e31=",  # non-zero trailing bits: not canonical
    "e3-+",  # mixed alphabets
    "e3é=",  # non-ASCII
    "e3!0",
    "e",  # impossible length
]


@pytest.mark.parametrize("text", B64_CASES)
def test_base64_strictness(text: str) -> None:
    if text == "e30":
        assert b64decode_strict(text, "payload") == b"{}"
        return
    with pytest.raises(EnvelopeUnusable) as exc:
        b64decode_strict(text, "payload")
    assert "'payload'" in one_sentence(exc) and "base64" in str(exc.value)


@pytest.mark.parametrize("field", ["payload", "sig"])
@pytest.mark.parametrize("bad", ["AAAA AAAA", "AA\nAA", "!!!!", 42, None, ["AAAA"], "AAA=A"])
def test_invalid_base64_in_an_envelope_is_unusable(field: str, bad: Any) -> None:
    env = fields(envelope())
    if field == "payload":
        env["payload"] = bad
    else:
        env["signatures"][0]["sig"] = bad
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(rebuild(env), ALLOWED, [PUB])
    one_sentence(exc)


def test_malformed_signature_list_is_unusable() -> None:
    env = fields(envelope())
    for sigs in (["text"], [{"keyid": 5, "sig": "AAAA"}], [{"keyid": "x"}]):
        with pytest.raises(EnvelopeUnusable):
            verify(rebuild(dict(env, signatures=sigs)), ALLOWED, [PUB])
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(rebuild(dict(env, signatures=env["signatures"] * 17)), ALLOWED, [PUB])
    assert "too many signatures" in one_sentence(exc)


def test_no_public_key_is_unusable() -> None:
    with pytest.raises(EnvelopeUnusable) as exc:
        verify(envelope(), ALLOWED, [])
    assert "no public key" in one_sentence(exc)


def test_verify_file_reads_pem_keys(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = tmp_path / "a.pub"
    pem.write_bytes(PUB.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    env = tmp_path / "r.secaudit.json"
    env.write_bytes(envelope())
    assert verify_file(str(env), [str(pem)]).payload == PAYLOAD
    with pytest.raises(EnvelopeUnusable) as exc:
        verify_file(str(tmp_path / "missing.json"), [str(pem)])
    assert "missing.json" in one_sentence(exc)


# --- interop -----------------------------------------------------------------------------------


def test_interop_with_securesystemslib() -> None:
    try:
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import CryptoSigner, SSlibKey
    except ImportError:
        pytest.skip("securesystemslib is not installed (optional, test-only interop check)")
    key = SSlibKey.from_crypto(PUB, keyid=key_id(PUB))
    # ours -> theirs
    theirs = Envelope.from_dict(json.loads(envelope()))
    assert theirs.payload == canonical_bytes(PAYLOAD)
    assert key_id(PUB) in theirs.verify([key], 1)
    # theirs -> ours
    made = Envelope(canonical_bytes(PAYLOAD), REPORT_TYPE, {})
    made.sign(CryptoSigner(KEY, key))
    got = verify(json.dumps(made.to_dict()).encode(), ALLOWED, [PUB])
    assert got.payload == PAYLOAD


# --- the fast path for canonical payloads --------------------------------------------------------

def _outcome(data: bytes, canonical: bool) -> tuple[str, Any]:
    try:
        return "ok", strict_loads(data, "x", "x", canonical=canonical)
    except EnvelopeUnusable as exc:
        return "refused", str(exc)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(value=_JSON, duplicate=st.booleans(), spaced=st.booleans(), escaped=st.booleans())
def test_the_canonical_fast_path_reads_exactly_what_the_strict_parser_reads(value: Any, duplicate: bool,
                                                                            spaced: bool, escaped: bool) -> None:
    """Floats, integers beyond 64 bits, repeated keys, whitespace, lone surrogates: the fast path either
    gives the strict parser's value or steps aside, and the refusal is the strict parser's own."""
    text = json.dumps({"v": value}, ensure_ascii=escaped, sort_keys=True,
                      separators=(", ", ": ") if spaced else (",", ":"))
    if duplicate:
        text = text[:-1] + (', "v": 0}' if spaced else ',"v":0}')
    data = text.encode("utf-8", "surrogatepass")
    assert _outcome(data, canonical=True) == _outcome(data, canonical=False)


@pytest.mark.parametrize("data", [
    b'{"a":1,"a":1}', b'{"a":1.5}', b'{"a":[1e5]}', b'{"a":18446744073709551616}', b'\xef\xbb\xbf{"a":1}',
    b'{"a": 1}', b'{"b":1,"a":2}', b'{"a":"\\ud800"}', b'{"a":"\\u00e9"}', b'"text"', b"1",
])
def test_the_fast_path_steps_aside_for_anything_not_canonical(data: bytes) -> None:
    assert _canonical_value(data) is None


def test_the_fast_path_reads_a_canonical_report() -> None:
    body = canonical_bytes({"host": {"hostname": "Trường-01"}, "findings": [{"status": "pass"}], "n": 2**63})
    assert _canonical_value(body) == json.loads(body)
