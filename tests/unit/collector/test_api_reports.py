"""The read routes through the app (TestClient): summary, late units with the three plans' cadences,
history, inventory search, hosts, envelopes, exports; out-of-scope reads answer 404 on every route."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from secaudit.collector import index
from secaudit.collector.app import create_app
from secaudit.collector.index_models import Host
from secaudit.collector.models import Report
from tests.unit.collector.world import DB_KINDS, World, report, scan_report, url_for, when


@pytest.fixture(scope="module", params=DB_KINDS)
def world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    w = World(tmp_path_factory.mktemp("api"), url_for(request.param))
    w.units()
    agents = {code: w.agent(code) for code in ("BH01", "BH02", "LK01", "DL01")}
    raws = {}
    for code, agent in agents.items():
        payload = report(hostname=f"PC-{code}", seed=len(raws))
        payload["inventory"]["interfaces"] = [{"name": "eth0", "mac": f"52:54:00:00:00:{len(raws):02x}",
                                               "ipv4": [f"10.0.{len(raws)}.21/24"], "ipv6": []}]
        payload["inventory"]["software"].append({"name": "OpenSSL", "version": f"3.0.{len(raws)}", "publisher": ""})
        raws[code] = w.envelope(agent, payload)
        from secaudit.collector import upload
        assert upload.receive(w.db, raws[code]).status == 201
    w.upload(agents["BH01"], scan_report([{"ip": "10.0.0.77", "mac": "AA-BB-CC-00-11-22", "vendor": "Hikvision",
                                            "names": ["camera-gate"], "open_ports": [{"port": 554, "proto": "tcp"}]}]))
    w.upload(agents["BH02"], report(hostname="PC-BH02", seed=9), sequence=4)  # a gap: 2..3
    tokens = {"dn": w.user("officer", "DN"), "bh": w.user("officer", "BH"), "dl": w.user("responder", "DL")}
    client = TestClient(create_app(w.db))
    yield {"world": w, "client": client, "tokens": tokens, "raws": raws, "agents": agents}
    client.close()


def get(env: dict[str, Any], who: str, url: str, **params: Any) -> Any:
    return env["client"].get(url, params=params, headers={"Authorization": f"Bearer {env['tokens'][who]}"})


def test_summary_per_child_and_requirement(world: dict[str, Any]) -> None:
    body = get(world, "dn", "/api/v1/units/DN/summary").json()
    assert body["unit"]["path"] == ["DN"] and body["totals"]["hosts"] == 3
    children = {c["code"]: c for c in body["children"]}
    assert children["BH"]["hosts"] == 2 and children["LK"]["hosts"] == 1
    assert sum(children["BH"]["status"].values()) == 2
    assert body["requirements"] and all(sum(r["counts"].values()) >= 1 for r in body["requirements"])
    assert body["clauses"] and body["clauses"][0]["clause"] == "I.2.5"
    assert len(body["worst_hosts"]) == 3 and body["hosts_total"] == 3
    assert body["worst_hosts"][0]["score"] <= body["worst_hosts"][-1]["score"]
    assert all(h["latest_report"]["id"] for h in body["hosts"])


def test_out_of_scope_is_404_everywhere(world: dict[str, Any]) -> None:
    for url in ("/api/v1/units/DL/summary", "/api/v1/units/DL/late", "/api/v1/units/DL/history",
                "/api/v1/units/DN/summary", "/api/v1/units/NOPE/summary"):
        r = get(world, "bh", url)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", url
    with world["world"].db.read() as s:
        dl_host = s.scalars(select(Host.id).where(Host.hostname == "PC-DL01")).one()
        dl_report = s.scalars(select(Report.id).where(Report.hostname == "PC-DL01")).one()
    assert get(world, "bh", f"/api/v1/hosts/{dl_host}").status_code == 404
    assert get(world, "bh", "/api/v1/hosts/999999").status_code == 404
    assert get(world, "bh", f"/api/v1/reports/{dl_report}/envelope").status_code == 404
    assert get(world, "bh", "/api/v1/exports/summary.csv", unit="DL").status_code == 404
    assert get(world, "bh", "/api/v1/exports/late.xlsx", unit="DL").status_code == 404
    hits = get(world, "bh", "/api/v1/inventory/search", q="PC-DL01").json()["hits"]
    assert hits == []
    assert world["client"].get("/api/v1/units/DN/summary").status_code == 401


def test_search_by_every_field(world: dict[str, Any]) -> None:
    def hosts(q: str, who: str = "dn") -> list[str]:
        r = get(world, who, "/api/v1/inventory/search", q=q)
        assert r.status_code == 200, r.text
        return sorted({h["host"]["hostname"] for h in r.json()["hits"]})

    assert hosts("5254.0000.0001") == ["PC-BH02"]  # Cisco spelling of 52:54:00:00:00:01
    assert hosts("52-54-00-00-00-02") == ["PC-LK01"]
    assert hosts("mac:52:54:00") == ["PC-BH01", "PC-BH02", "PC-LK01"]  # vendor prefix, DL out of scope
    assert hosts("10.0.2.21") == ["PC-LK01"]
    assert hosts("10.0.0.77") == ["camera-gate"]
    assert hosts("554") == ["camera-gate"]
    assert hosts("aa:bb:cc:00:11:22") == ["camera-gate"]
    assert hosts("camera") == ["camera-gate"]
    assert hosts("22") == ["PC-BH01", "PC-BH02", "PC-LK01"]  # sshd listens on all sample hosts
    assert hosts("sw:openssl@3.0.1") == ["PC-BH02"]
    assert hosts("openssl") == ["PC-BH01", "PC-BH02", "PC-LK01"]
    assert hosts("openssl", who="dl") == ["PC-DL01"]
    assert hosts("clamav") == ["PC-BH01", "PC-BH02", "PC-LK01"]
    assert hosts("pc-lk") == ["PC-LK01"]
    hit = get(world, "dn", "/api/v1/inventory/search", q="10.0.2.21").json()["hits"][0]
    assert hit["host"]["unit"]["code"] == "LK01" and hit["first_seen"] and hit["last_seen"] and hit["current"]
    old = get(world, "dn", "/api/v1/inventory/search", av_older_than=30).json()
    assert {h["host"]["hostname"] for h in old["hits"]} == {"PC-BH01", "PC-BH02", "PC-LK01"}
    assert all(h["signature_age_days"] > 30 for h in old["hits"])
    assert get(world, "dn", "/api/v1/inventory/search", q="").json()["hits"] == []
    assert get(world, "dn", "/api/v1/inventory/search").json() == {"q": "", "field": "none", "hits": [], "count": 0}
    assert get(world, "dn", "/api/v1/inventory/search", q="\x00").json()["hits"] == []
    assert get(world, "dn", "/api/v1/inventory/search", q="mac:zz").status_code == 400
    assert get(world, "dn", "/api/v1/inventory/search", q="x" * 300).status_code == 400
    assert get(world, "dn", "/api/v1/inventory/search", q="100%_").json()["hits"] == []


def test_host_detail_and_envelope(world: dict[str, Any]) -> None:
    with world["world"].db.read() as s:
        host_id = s.scalars(select(Host.id).where(Host.hostname == "PC-BH01")).one()
    body = get(world, "bh", f"/api/v1/hosts/{host_id}").json()
    assert body["host"]["unit"]["code"] == "BH01"
    assert {"software", "interfaces", "ports", "antivirus"} <= set(body["inventory"])
    assert body["reports"][0]["id"] and body["findings"]
    report_id = body["reports"][-1]["id"]
    r = get(world, "bh", f"/api/v1/reports/{report_id}/envelope")
    assert r.status_code == 200 and r.content == world["raws"]["BH01"]
    assert get(world, "bh", "/api/v1/hosts/0").status_code == 400
    assert get(world, "bh", f"/api/v1/hosts/{2**70}").status_code == 400
    # the largest id a PostgreSQL integer key can hold names nothing: 404, not a database error
    assert get(world, "bh", f"/api/v1/hosts/{2**31 - 1}").status_code == 404
    assert get(world, "bh", f"/api/v1/reports/{2**31 - 1}/envelope").status_code == 404


def test_gaps_listed(world: dict[str, Any]) -> None:
    body = get(world, "dn", "/api/v1/units/DN/late").json()
    gap = [g for g in body["gaps"] if g["unit"] == "BH02"]
    assert gap and gap[0]["missing"][0]["first"] == 2 and gap[0]["count"] == 2


def _received(world: dict[str, Any], hostname: str, at: str) -> None:
    with world["world"].db.write() as s:
        s.execute(update(Report).where(Report.hostname == hostname).values(received_at=when(at)))
        index.rebuild_months(s)


def test_late_by_the_three_cadences(world: dict[str, Any]) -> None:
    # Đắk Lắk quarterly by the 25th: on 5 Dec 2026 the closed period is 26 Jun .. 25 Sep
    _received(world, "PC-DL01", "2026-09-20T03:00:00Z")
    body = get(world, "dl", "/api/v1/units/DL/late", as_of="2026-12-05").json()
    assert body["late"] == [] and [p["code"] for p in body["pending"]] == ["DL01"]
    assert body["pending"][0]["period"] == {"start": "2026-09-26", "due": "2026-12-25"}
    body = get(world, "dl", "/api/v1/units/DL/late", as_of="2026-12-26").json()
    assert [(x["code"], x["status"]) for x in body["late"]] == [("DL01", "missing")]
    _received(world, "PC-DL01", "2026-09-25T17:30:00Z")  # 00:30 on 26 Sep in Vietnam: after the due day
    body = get(world, "dl", "/api/v1/units/DL/late", as_of="2026-12-05").json()
    assert [(x["code"], x["status"]) for x in body["late"]] == [("DL01", "late")]
    assert body["pending"] == []  # the same report counts for the open period
    # Đồng Nai yearly by 15 June (LK01 inherits the province's plan)
    _received(world, "PC-LK01", "2026-06-10T03:00:00Z")
    body = get(world, "dn", "/api/v1/units/LK/late", as_of="2026-12-05").json()
    assert body["late"] == [] and body["pending"][0]["period"]["due"] == "2027-06-15"
    body = get(world, "dn", "/api/v1/units/LK/late", as_of="2027-06-16").json()
    assert [(x["code"], x["status"], x["period"]["due"]) for x in body["late"]] == [("LK01", "missing", "2027-06-15")]
    # Biên Hòa by its dates: 10 Oct 2024, 14 Dec 2024, 30 May 2025
    _received(world, "PC-BH01", "2024-10-09T03:00:00Z")
    _received(world, "PC-BH02", "2024-10-12T03:00:00Z")
    body = get(world, "bh", "/api/v1/units/BH/late", as_of="2024-10-20").json()
    assert [(x["code"], x["status"]) for x in body["late"]] == [("BH02", "late")]
    assert sorted(p["code"] for p in body["pending"]) == ["BH01"]
    assert body["on_time"] == []
    body = get(world, "bh", "/api/v1/units/BH/late", as_of="2026-12-05").json()  # the plan has ended
    assert sorted((x["code"], x["status"], x["period"]["due"]) for x in body["late"]) == [
        ("BH01", "missing", "2025-05-30"), ("BH02", "missing", "2025-05-30")]
    assert body["pending"] == [] and body["totals"]["late"] == 2
    pages = [get(world, "bh", "/api/v1/units/BH/late", as_of="2026-12-05", limit="1", offset=str(n)).json()
             for n in (0, 1, 2)]  # paged in a stable order, with the full counts
    assert [[x["code"] for x in page["late"]] for page in pages] == [["BH01"], ["BH02"], []]
    assert {page["totals"]["late"] for page in pages} == {2} and pages[1]["offset"] == 1
    assert get(world, "bh", "/api/v1/units/BH/late", limit="0").status_code == 400  # the API's error shape
    early = get(world, "bh", "/api/v1/units/BH/late", as_of="0001-01-01").json()  # kept within reach
    assert early["as_of"] == "1970-01-01" and early["late"] == [] and early["pending"] != []
    assert get(world, "bh", "/api/v1/units/BH/late", as_of="9999-12-31").json()["as_of"] == "9000-12-31"


def test_history(world: dict[str, Any]) -> None:
    body = get(world, "dn", "/api/v1/units/DN/history").json()
    assert body["months"] and sum(p["reports"] for p in body["months"]) >= 1
    body = get(world, "dn", "/api/v1/units/DN/history", requirement="VN-ACC-01").json()
    assert "requirement" in body


def test_exports(world: dict[str, Any]) -> None:
    r = get(world, "dn", "/api/v1/exports/summary.csv", unit="DN")
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    assert "Mã đơn vị" in r.content.decode("utf-8-sig").splitlines()[0]
    r = get(world, "dn", "/api/v1/exports/summary.csv", unit="DN", table="requirements", lang="en")
    assert r.content.decode("utf-8-sig").startswith("Requirement,")
    r = get(world, "dn", "/api/v1/exports/summary.xlsx", unit="DN")
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Đơn vị", "Yêu cầu", "Máy"]
    assert book["Đơn vị"].max_row == 4  # the header, DN itself, BH, LK
    r = get(world, "dn", "/api/v1/exports/inventory.xlsx", q="openssl")
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).active.max_row == 4
    r = get(world, "dn", "/api/v1/exports/late.csv", unit="DN")
    assert r.status_code == 200
    assert get(world, "dn", "/api/v1/exports/summary.pdf", unit="DN").status_code in (400, 404)


def test_timestamps_parse(world: dict[str, Any]) -> None:
    body = get(world, "dn", "/api/v1/units/DN/summary").json()
    datetime.strptime(body["as_of"], "%Y-%m-%dT%H:%M:%SZ")
