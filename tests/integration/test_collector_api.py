"""The collector over HTTP, against a real uvicorn on loopback: enroll, upload, duplicate, conflict,
forged/tampered/unenrolled/oversized uploads, token reuse and expiry, scope (404 outside), errors' shape."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from secaudit.limits import ENVELOPE
from tests.integration.collector_server import Collector, db_urls, fresh_pg_database, running
from tests.unit.collector.helpers import enroll_request, envelope, report

pytestmark = pytest.mark.integration

DSSE = {"Content-Type": "application/vnd.secaudit.dsse+json"}


@pytest.fixture(scope="module", params=db_urls(), ids=lambda u: "postgresql" if u else "sqlite")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    url = fresh_pg_database(request.param) if request.param else None
    with running(tmp_path_factory.mktemp("collector"), url) as collector:
        yield collector


@pytest.fixture(scope="module")
def client(server: Collector) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def _error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message"} and set(body["error"]["message"]) == {"vi", "en"}
    if code:
        assert body["error"]["code"] == code
    return dict(body)


def _enrolled(server: Collector, client: httpx.Client, unit: str = "TH1") -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    response = client.post("/api/v1/enroll", content=enroll_request(key, server.token(unit)), headers=DSSE)
    assert response.status_code == 201, response.text
    assert response.json()["unit"]["code"] == unit
    return key


def test_health_and_openapi(client: httpx.Client) -> None:
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/health", "/api/v1/enroll", "/api/v1/reports"} <= set(spec["paths"])
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_enroll_upload_duplicate_conflict(server: Collector, client: httpx.Client) -> None:
    key = _enrolled(server, client)
    raw = envelope(key, report(key, 1, unit_code="SOMEWHERE-ELSE"))
    first = client.post("/api/v1/reports", content=raw, headers=DSSE)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["status"] == "accepted" and receipt["unit"] == "TH1" and receipt["sequence"] == 1
    again = client.post("/api/v1/reports", content=raw, headers={"Content-Type": "application/json"})
    assert again.status_code == 200 and again.json() == {**receipt, "status": "duplicate"}
    other = client.post("/api/v1/reports", content=envelope(key, report(key, 1, seed=9)), headers=DSSE)
    body = _error(other, 409, "sequence_conflict")
    assert body["receipt"]["status"] == "conflict" and body["receipt"]["report_id"] != receipt["report_id"]
    zipped = client.post("/api/v1/reports", content=gzip.compress(envelope(key, report(key, 2))),
                         headers={**DSSE, "Content-Encoding": "gzip"})
    assert zipped.status_code == 201, zipped.text


def test_refused_uploads(server: Collector, client: httpx.Client) -> None:
    key = _enrolled(server, client)
    stranger = Ed25519PrivateKey.generate()
    unknown_raw = envelope(stranger, report(stranger, 1))
    _error(client.post("/api/v1/reports", content=unknown_raw, headers=DSSE), 401, "unknown_key")
    env = json.loads(envelope(key, report(key, 3)))
    body = base64.b64decode(env["payload"]).replace(b'"fail"', b'"pass"', 1)
    env["payload"] = base64.b64encode(body).decode()
    _error(client.post("/api/v1/reports", content=json.dumps(env), headers=DSSE), 400, "bad_signature")
    forged = json.loads(envelope(stranger, report(key, 4)))
    forged["signatures"][0]["keyid"] = json.loads(envelope(key, report(key, 4)))["signatures"][0]["keyid"]
    _error(client.post("/api/v1/reports", content=json.dumps(forged), headers=DSSE), 400, "bad_signature")
    _error(client.post("/api/v1/reports", content=b"{}", headers={"Content-Type": "text/plain"}), 415)
    _error(client.post("/api/v1/reports", content=b"x" * (ENVELOPE + 1), headers=DSSE), 413, "too_large")
    bomb = gzip.compress(b" " * (ENVELOPE + 1024))
    _error(client.post("/api/v1/reports", content=bomb, headers={**DSSE, "Content-Encoding": "gzip"}), 413)
    _error(client.post("/api/v1/reports", content=b"[" * 50_000 + b"]" * 50_000, headers=DSSE), 400)
    _error(client.post("/api/v1/reports", content=b"\xff\xfe\x00", headers=DSSE), 400)
    _error(client.post("/api/v1/reports", content=b"abc", headers={**DSSE, "Content-Encoding": "br"}), 415)
    nul = json.loads(envelope(key, report(key, 5)))
    nul["signatures"][0]["keyid"] = "ed25519:\u0000"
    _error(client.post("/api/v1/reports", content=json.dumps(nul), headers=DSSE), 401, "unknown_key")
    assert client.get("/api/v1/health").json()["status"] == "ok"  # nothing of that hurt the server
    # every refused envelope the server read whole is in the quarantine, with the client's address
    listed = json.loads(server.run("quarantine", "list", "--json", "--limit", "1000").stdout)
    mine = {row["envelope_sha256"]: row for row in listed}
    unknown = hashlib.sha256(unknown_raw).hexdigest()
    assert mine[unknown]["reason"] == "unknown_key" and mine[unknown]["source"] == "127.0.0.1"
    assert mine[unknown]["channel"] == "https" and mine[unknown]["kept"] is True
    assert {"unknown_key", "bad_signature"} <= {row["reason"] for row in listed}


def test_token_reuse_and_expiry(server: Collector, client: httpx.Client) -> None:
    tok = server.token("TH2")
    ok = client.post("/api/v1/enroll", content=enroll_request(Ed25519PrivateKey.generate(), tok), headers=DSSE)
    assert ok.status_code == 201
    _error(client.post("/api/v1/enroll", content=enroll_request(Ed25519PrivateKey.generate(), tok), headers=DSSE),
           401, "token_invalid")
    expiring = server.token("TH2", "--ttl", "1m")
    expire_unused_tokens(server)
    _error(client.post("/api/v1/enroll", content=enroll_request(Ed25519PrivateKey.generate(), expiring),
                       headers=DSSE), 401, "token_invalid")


def expire_unused_tokens(server: Collector) -> None:
    from secaudit.collector.db import Database, database_url

    db = Database.open(database_url(server.data_dir, server.db_url))
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE enroll_tokens SET expires_at = :t WHERE uses = 0"), {"t": datetime(2020, 1, 1)})
    db.dispose()


def test_scope_404_outside(server: Collector, client: httpx.Client) -> None:
    token = server.user("officer-bh", "officer", "BH")
    auth = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=auth).json()
    assert me["scope"]["code"] == "BH" and me["role"] == "officer"
    unit = client.get("/api/v1/units/BH", headers=auth).json()
    assert [c["code"] for c in unit["children"]] == ["TH1", "TH2"] and unit["playbook"] == "bien-hoa-2024-2025"
    assert client.get("/api/v1/units/TH1", headers=auth).json()["playbook_inherited"] is True
    for code in ("DN", "LK", "TH3", "DL", "TH9", "NOPE"):
        _error(client.get(f"/api/v1/units/{code}", headers=auth), 404, "not_found")
    _error(client.get("/api/v1/units/BH"), 401, "unauthorized")
    _error(client.get("/api/v1/units/%00", headers=auth), 404)  # PostgreSQL refuses NUL: no server error
    for path in ("/api/v1/units/%00/summary", "/api/v1/inventory/search?q=%00", "/api/v1/inventory/search?q=a%00b"):
        assert client.get(path, headers=auth).status_code < 500, path
    _error(client.get("/api/v1/units/BH", headers={"Authorization": "Bearer sat_wrong"}), 401)
    # every GET route with a unit code in its path answers 404 outside the scope (the reports routes too)
    spec = client.get("/api/v1/openapi.json").json()
    for path, ops in spec["paths"].items():
        if "get" not in ops or "{code}" not in path:
            continue
        _error(client.get(path.replace("{code}", "TH3"), headers=auth), 404)
    for export in ("summary", "late"):
        for fmt in ("csv", "xlsx"):
            _error(client.get(f"/api/v1/exports/{export}.{fmt}", params={"unit": "TH3"}, headers=auth), 404)
            assert client.get(f"/api/v1/exports/{export}.{fmt}", params={"unit": "BH"}, headers=auth).status_code == 200


def test_scope_404_on_object_routes(server: Collector, client: httpx.Client) -> None:
    officer = {"Authorization": f"Bearer {server.user('officer-bh2', 'officer', 'BH')}"}
    admin = {"Authorization": f"Bearer {server.user('admin-dn', 'admin', 'DN')}"}
    inside, outside = _enrolled(server, client, "TH2"), _enrolled(server, client, "TH3")
    raw_in = envelope(inside, report(inside, 1, hostname="pc-inside"))
    mine = client.post("/api/v1/reports", content=raw_in, headers=DSSE).json()["report_id"]
    theirs = client.post("/api/v1/reports", content=envelope(outside, report(outside, 1, hostname="pc-outside")),
                         headers=DSSE).json()["report_id"]
    got = client.get(f"/api/v1/reports/{mine}/envelope", headers=officer)
    assert got.status_code == 200 and got.content == raw_in  # byte-exact, as received
    _error(client.get(f"/api/v1/reports/{theirs}/envelope", headers=officer), 404, "not_found")
    _error(client.get("/api/v1/reports/999999/envelope", headers=officer), 404, "not_found")
    seen = {"inside": False, "outside": False}
    for host_id in range(1, 60):
        as_admin = client.get(f"/api/v1/hosts/{host_id}", headers=admin)
        as_officer = client.get(f"/api/v1/hosts/{host_id}", headers=officer)
        if as_admin.status_code == 404:
            _error(as_officer, 404)
            continue
        unit = as_admin.json()["host"]["unit"]["code"]
        if unit in ("BH", "TH1", "TH2"):
            assert as_officer.status_code == 200
            seen["inside"] = True
        else:
            _error(as_officer, 404, "not_found")  # the same answer as an id that does not exist
            seen["outside"] = True
    assert seen == {"inside": True, "outside": True}
    hits = client.get("/api/v1/inventory/search", params={"q": "pc-"}, headers=officer).json()
    assert "pc-outside" not in json.dumps(hits) and "pc-inside" in json.dumps(hits)


def test_offline_enroll_import_and_ingest(server: Collector, client: httpx.Client, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    request = tmp_path / "req.json"
    request.write_bytes(enroll_request(key, server.token("TH3")))
    server.run("enroll-import", str(request), "--out", str(tmp_path / "resp.json"))
    response = json.loads((tmp_path / "resp.json").read_text())
    assert response["unit"]["path"] == ["DN", "LK", "TH3"]
    usb = tmp_path / "usb"
    (usb / "sub").mkdir(parents=True)
    (usb / "a.secaudit.json").write_bytes(envelope(key, report(key, 1)))
    (usb / "sub" / "b.secaudit.json").write_bytes(envelope(key, report(key, 2)))
    (usb / "a.secaudit.json.receipt.json").write_text("{}")  # receipts are skipped
    done = server.run("ingest", str(usb))
    assert done.stdout.count("ACCEPTED") == 2 and "refused 0" in done.stdout
    again = server.run("ingest", str(usb))
    assert again.stdout.count("DUPLICATE") == 2 and again.returncode == 0
    stranger = Ed25519PrivateKey.generate()
    (usb / "c.secaudit.json").write_bytes(envelope(stranger, report(stranger, 1)))
    (usb / "d.json").write_bytes(b"not json")
    refused = server.run("ingest", str(usb), check=False)
    assert refused.returncode == 1 and refused.stdout.count("REFUSED") == 2, refused.stdout
    assert "not enrolled" in refused.stdout
    # the HTTP upload of an envelope brought on USB is a duplicate of it
    assert client.post("/api/v1/reports", content=envelope(key, report(key, 1)), headers=DSSE).status_code == 200
