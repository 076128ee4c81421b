"""The collector's read side over HTTP against a real uvicorn on loopback (SQLite, and PostgreSQL when
SECAUDIT_TEST_COLLECTOR_PG names a server): summary, late units, inventory search, hosts, envelopes and
exports on reports uploaded by enrolled agents (one of them a real audit of this machine, one a LAN scan);
404 outside the caller's scope on every read route; the stored cost of a monthly report of an unchanged
host; a backup taken while the collector serves, restored and served again."""

from __future__ import annotations

import copy
import io
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook

from secaudit.sign.ids import agent_id
from tests.integration.collector_server import Collector, db_urls, fresh_pg_database, running
from tests.unit.collector.helpers import enroll_request, envelope, report

pytestmark = pytest.mark.integration

DSSE = {"Content-Type": "application/vnd.secaudit.dsse+json"}
BUDGET = 50_000  # bytes stored per monthly report of an unchanged host (issue 12)


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real audit of this machine (JSON payload, unsigned)."""
    out = tmp_path_factory.mktemp("audit") / "report.json"
    done = subprocess.run([sys.executable, "-m", "secaudit", "audit", "--format", "json", "-o", str(out),
                           "--no-sign"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stderr
    payload: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return payload


def _as(key: Ed25519PrivateKey, payload: dict[str, Any], sequence: int, month: int | None = None) -> bytes:
    payload = copy.deepcopy(payload)
    payload["sequence"] = sequence
    payload["host"]["agent_id"] = agent_id(key.public_key())
    if month is not None:
        payload["generated_at"] = f"{2027 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}-05T02:00:00Z"
    return envelope(key, payload)


def _enrolled(server: Collector, client: httpx.Client, unit: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    response = client.post("/api/v1/enroll", content=enroll_request(key, server.token(unit)), headers=DSSE)
    assert response.status_code == 201, response.text
    return key


@pytest.fixture(scope="module", params=db_urls(), ids=lambda u: "postgresql" if u else "sqlite")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          real_report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = fresh_pg_database(request.param) if request.param else None
    with running(tmp_path_factory.mktemp("collector"), url) as server, \
            httpx.Client(base_url=server.url, timeout=60) as client:
        keys = {unit: _enrolled(server, client, unit) for unit in ("TH1", "TH3", "TH9")}
        raws = {"TH1": _as(keys["TH1"], real_report, 1)}
        for unit in ("TH3", "TH9"):
            raws[unit] = envelope(keys[unit], report(keys[unit], 1, hostname=f"PC-{unit}"))
        scan = report(keys["TH1"], 2, findings=0, hostname=real_report["host"]["hostname"])
        scan["playbook"] = {"id": "network", "version": "1", "sha256": "0" * 64, "title": {"vi": "x", "en": "x"}}
        scan["requirements"], scan["findings"] = [], []
        scan["inventory"] = {"devices": [{"ip": "192.168.50.7", "mac": "3C:EF:8C:12:34:56", "vendor": "Dahua",
                                          "names": ["nvr-phong-may"], "open_ports": [{"port": 37777, "proto": "tcp"}]}]}
        raws["scan"] = envelope(keys["TH1"], scan)
        for raw in raws.values():
            response = client.post("/api/v1/reports", content=raw, headers=DSSE)
            assert response.status_code == 201, response.text
        users = {"dn": server.user("so-dn", "officer", "DN"), "bh": server.user("phong-bh", "officer", "BH"),
                 "dl": server.user("csirt-dl", "responder", "DL")}
        yield {"server": server, "client": client, "keys": keys, "raws": raws, "users": users,
               "real": real_report}


def _get(world: dict[str, Any], who: str, url: str, **params: Any) -> httpx.Response:
    response: httpx.Response = world["client"].get(url, params=params,
                                                   headers={"Authorization": f"Bearer {world['users'][who]}"})
    return response


def test_summary_late_search_hosts_exports(world: dict[str, Any]) -> None:
    real = world["real"]
    summary = _get(world, "dn", "/api/v1/units/DN/summary").json()
    assert summary["totals"]["hosts"] == 2  # TH1 (the real audit) and TH3; TH9 is in Đắk Lắk
    assert {c["code"]: c["hosts"] for c in summary["children"]} == {"BH": 1, "LK": 1}
    assert {r["id"] for r in summary["requirements"]} >= {r["id"] for r in real["requirements"]}
    hostname = real["host"]["hostname"]
    assert hostname in {h["hostname"] for h in summary["hosts"]}

    late = _get(world, "dn", "/api/v1/units/DN/late", as_of="2099-01-01").json()
    assert {x["code"] for x in late["late"]} == {"TH1", "TH2", "TH3"}
    dl = _get(world, "dl", "/api/v1/units/DL/late").json()  # today: the report just sent came after the
    assert [(x["code"], x["status"]) for x in dl["late"]] == [("TH9", "late")]  # closed quarter's due date
    assert dl["pending"] == [] or dl["pending"][0]["period"]["start"] > dl["as_of"]

    iface = next((i for i in real["inventory"].get("interfaces", []) if i.get("mac") and i.get("ipv4")), None)
    if iface:
        mac = iface["mac"].upper().replace(":", "-")
        hits = _get(world, "dn", "/api/v1/inventory/search", q=mac).json()["hits"]
        assert hostname in {h["host"]["hostname"] for h in hits}
        ip = iface["ipv4"][0].split("/")[0]
        assert hostname in {h["host"]["hostname"] for h in _get(world, "bh", "/api/v1/inventory/search",
                                                                  q=ip).json()["hits"]}
    software = real["inventory"]["software"][0]
    hits = _get(world, "bh", "/api/v1/inventory/search", q=f"sw:{software['name']}@{software['version']}").json()
    assert hostname in {h["host"]["hostname"] for h in hits["hits"]}
    assert _get(world, "dl", "/api/v1/inventory/search", q=software["name"]).json()["hits"] == [] or all(
        h["host"]["unit"]["code"] == "TH9" for h in _get(world, "dl", "/api/v1/inventory/search",
                                                          q=software["name"]).json()["hits"])
    device = _get(world, "bh", "/api/v1/inventory/search", q="37777").json()["hits"]
    assert [h["host"]["hostname"] for h in device] == ["nvr-phong-may"]
    assert device[0]["host"]["kind"] == "device" and device[0]["host"]["unit"]["code"] == "TH1"

    host_id = next(h["id"] for h in summary["hosts"] if h["hostname"] == hostname)
    detail = _get(world, "bh", f"/api/v1/hosts/{host_id}").json()
    assert len(detail["inventory"]["software"]) == len({(s["name"].lower(), s["version"], s.get("publisher") or "")
                                                         for s in real["inventory"]["software"]})
    report_id = next(r["id"] for r in detail["reports"] if r["kind"] == "audit")
    raw = _get(world, "bh", f"/api/v1/reports/{report_id}/envelope")
    assert raw.status_code == 200 and raw.content == world["raws"]["TH1"]

    xlsx = _get(world, "dn", "/api/v1/exports/summary.xlsx", unit="DN")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content))["Máy"].max_row == 3
    csv = _get(world, "dn", "/api/v1/exports/inventory.csv", q="nvr")
    assert csv.status_code == 200 and "nvr-phong-may" in csv.content.decode("utf-8-sig")


def test_out_of_scope_reads_are_404(world: dict[str, Any]) -> None:
    dl_summary = _get(world, "dl", "/api/v1/units/DL/summary").json()
    dl_host = dl_summary["hosts"][0]["id"]
    dl_report = dl_summary["hosts"][0]["latest_report"]["id"]
    for url, params in [("/api/v1/units/DL/summary", {}), ("/api/v1/units/DL/late", {}),
                        ("/api/v1/units/DL/history", {}), ("/api/v1/units/LK/summary", {}),
                        (f"/api/v1/hosts/{dl_host}", {}), (f"/api/v1/reports/{dl_report}/envelope", {}),
                        ("/api/v1/exports/summary.csv", {"unit": "DL"}),
                        ("/api/v1/exports/late.xlsx", {"unit": "TH9"})]:
        response = _get(world, "bh", url, **params)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    hits = _get(world, "bh", "/api/v1/inventory/search", q="PC-TH9").json()["hits"]
    assert hits == []
    assert world["client"].get("/api/v1/units/DN/summary").status_code == 401


def test_storage_per_monthly_report_of_an_unchanged_host(world: dict[str, Any], tmp_path: Path) -> None:
    server: Collector = world["server"]
    if server.db_url:
        pytest.skip("measured on the SQLite file")
    key = _enrolled(server, world["client"], "TH2")
    db = server.data_dir / "collector.db"

    def size() -> int:
        conn = sqlite3.connect(db)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            used = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
            return int(used * conn.execute("PRAGMA page_size").fetchone()[0])
        finally:
            conn.close()

    def send(month: int) -> None:
        raw = _as(key, world["real"], month, month)
        response = world["client"].post("/api/v1/reports", content=raw, headers=DSSE)
        assert response.status_code == 201, response.text

    send(1)
    before = size()
    months = 12
    for month in range(2, 2 + months):
        send(month)
    per_report = (size() - before) / months
    envelope_size = len(_as(key, world["real"], 99, 1))
    print(f"\nstored per monthly report of an unchanged host: {per_report:.0f} bytes "
          f"(envelope {envelope_size} bytes)")
    assert per_report < BUDGET


def test_backup_while_serving_then_restore(world: dict[str, Any], tmp_path: Path) -> None:
    server: Collector = world["server"]
    key = _enrolled(server, world["client"], "TH3")
    errors: list[str] = []

    def upload() -> None:  # the collector keeps receiving while the backup runs
        for seq in range(1, 15):
            response = world["client"].post("/api/v1/reports", content=envelope(key, report(key, seq)), headers=DSSE)
            if response.status_code != 201:
                errors.append(response.text)

    thread = threading.Thread(target=upload)
    thread.start()
    out = tmp_path / ("backup.pgc" if server.db_url else "backup.db")
    done = server.run("backup", "--out", str(out))
    thread.join()
    assert errors == [] and out.stat().st_size > 0 and "Backed up" in done.stdout
    restored = Collector(tmp_path / "restored", fresh_pg_database(_server_url(server.db_url)) if server.db_url
                         else None)
    restored.run("restore", str(out), "--yes")
    restored.start()
    try:
        token = restored.user("so-dn-2", "officer", "DN")
        with httpx.Client(base_url=restored.url, timeout=60) as client:
            summary = client.get("/api/v1/units/DN/summary", headers={"Authorization": f"Bearer {token}"}).json()
            assert summary["totals"]["hosts"] >= 2
            old = _get(world, "dn", "/api/v1/units/DN/summary").json()
            assert {h["hostname"] for h in summary["hosts"]} <= {h["hostname"] for h in old["hosts"]}
    finally:
        restored.stop()


def _server_url(db_url: str | None) -> str:
    assert db_url is not None
    from sqlalchemy.engine import make_url

    return make_url(db_url).set(database="postgres").render_as_string(hide_password=False)
