"""secaudit.agent.link: the collector's URL, its error bodies, transport failures."""

from __future__ import annotations

import json

import httpx
import pytest

from secaudit.agent import link


@pytest.mark.parametrize(("given", "expected"), [
    ("https://collector.sgd.dongnai.gov.vn", "https://collector.sgd.dongnai.gov.vn"),
    ("https://c.example:8443/", "https://c.example:8443"),
    ("https://c.example/secaudit/api/v1/", "https://c.example/secaudit"),
    ("  http://127.0.0.1:8080  ", "http://127.0.0.1:8080"),
    ("http://localhost:9", "http://localhost:9"),
    ("http://[::1]:9", "http://[::1]:9"),
])
def test_check_url_accepts(given: str, expected: str) -> None:
    assert link.check_url(given) == expected


@pytest.mark.parametrize(("given", "why"), [
    ("http://collector.example", "unencrypted http"),
    ("http://10.0.0.5:8080", "unencrypted http"),
    ("ftp://c.example", "not valid"),
    ("c.example", "not valid"),
    ("https://", "not valid"),
    ("https://c.example:99999", "not valid"),
    ("https://user:pw@c.example", "user name"),
    ("https://c.example/?x=1", "user name"),
    ("https://c.example/#frag", "user name"),
])
def test_check_url_refuses(given: str, why: str) -> None:
    with pytest.raises(link.CollectorError) as err:
        link.check_url(given)
    assert why in err.value.en
    assert "\n" not in err.value.en and err.value.vi


def test_resolve_url_order() -> None:
    assert link.resolve_url("https://a.example", "https://b.example", "https://c.example") == "https://a.example"
    assert link.resolve_url(None, "https://b.example", "https://c.example") == "https://b.example"
    assert link.resolve_url(None, "", "https://c.example") == "https://c.example"
    with pytest.raises(link.CollectorError) as err:
        link.resolve_url(None, "", None)
    assert "--collector" in err.value.en


def test_refusal_reads_the_error_body_and_cleans_it() -> None:
    body = ('{"error": {"code": "token_invalid", "message": {"vi": "Ma\u0303 \\u202esai.", '
            '"en": "Bad\\n\\u001b[31mtoken."}}}').encode()
    code, why = link.refusal(link.Answer(401, body, {}))
    assert code == "token_invalid"
    assert why["en"] == "Bad \\x1b[31mtoken (HTTP 401)"
    assert "\u202e" not in why["vi"] and why["vi"].startswith("Mã")  # NFC, bidi control made visible


@pytest.mark.parametrize("body", [b"", b"<html>502</html>", b"[1]", b'{"error": "x"}', b"\xff\xfe",
                                  b'{"error": {"code": 5, "message": {"vi": 1}}}', b"[" * 100000])
def test_refusal_without_a_usable_body(body: bytes) -> None:
    code, why = link.refusal(link.Answer(502, body, {}))
    assert code == "http_502"
    assert why["en"] == "the collector answered HTTP 502 without a reason"


def test_long_reasons_are_cut() -> None:
    body = json.dumps({"error": {"code": "x", "message": {"vi": "a" * 5000, "en": "b" * 5000}}}).encode()
    _, why = link.refusal(link.Answer(400, body, {}))
    assert len(why["en"]) < link.REASON_CHARS + 20


def test_transport_reasons() -> None:
    request = httpx.Request("POST", "https://c.example")
    assert link.transport_reason(httpx.ConnectTimeout("t", request=request))["en"] == "connection timed out"
    assert link.transport_reason(httpx.ReadTimeout("t", request=request))["en"] == "no answer in time"
    assert link.transport_reason(httpx.ConnectError("refused", request=request))["en"].startswith("cannot connect")
    bad_cert = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)
    assert "not trusted" in link.transport_reason(bad_cert)["en"]
    assert link.is_certificate_error(bad_cert)
    assert not link.is_certificate_error(httpx.ConnectError("refused", request=request))


def test_client_with_a_missing_ca_file(tmp_path: object) -> None:
    with pytest.raises(link.CollectorError) as err:
        link.client("/nonexistent/ca.pem")
    assert "CA file" in err.value.en


def test_post_caps_the_answer(collector: object) -> None:
    from tests.unit.agent.fake_collector import FakeCollector

    assert isinstance(collector, FakeCollector)
    with link.client() as session:
        answer = link.post(session, collector.url + "/api/v1/nowhere", b"{}", {"Content-Type": "application/json"})
    assert answer.status == 404 and answer.json()["error"]["code"] == "not_found"
