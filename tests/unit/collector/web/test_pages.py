"""The skeleton end to end through the app: login, the overview of the user's scope, a unit, a host with its
failing finding's evidence and remediation, the envelope link, the language switch, logout."""

from __future__ import annotations

from tests.unit.collector.web.dashboard_world import Dashboard, csrf_of


def test_overview_shows_the_scope(dashboard: Dashboard) -> None:
    client = dashboard.login("admin")
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Sở GDĐT Đồng Nai" in page.text and "Phòng GDĐT Biên Hòa" in page.text
    assert "Sở GDĐT Đắk Lắk" not in page.text  # another province
    assert "<svg" in page.text and dashboard.seeded.failing_host in page.text


def test_unit_and_host_drill_down(dashboard: Dashboard) -> None:
    client = dashboard.login("officer-bh")
    unit = client.get("/units/BH01")
    assert unit.status_code == 200 and dashboard.seeded.failing_host in unit.text
    host_id = dashboard.seeded.hosts[dashboard.seeded.failing_host]
    host = client.get(f"/hosts/{host_id}")
    assert host.status_code == 200
    assert f'id="f-{dashboard.seeded.failing_check}"' in host.text
    assert "Bằng chứng" in host.text and "Cách khắc phục" in host.text
    report_id = dashboard.seeded.reports[dashboard.seeded.failing_host]
    assert f'href="/reports/{report_id}/envelope"' in host.text
    envelope = client.get(f"/reports/{report_id}/envelope")
    assert envelope.status_code == 200 and b'"signatures"' in envelope.content


def test_out_of_scope_is_404(dashboard: Dashboard) -> None:
    client = dashboard.login("officer-bh")
    assert client.get("/units/LK01").status_code == 404
    assert client.get("/units/NOPE").status_code == 404
    for other in ("LK01-SRV", "PC-DL01"):
        assert client.get(f"/hosts/{dashboard.seeded.hosts[other]}").status_code == 404
    assert client.get("/hosts/999999").status_code == 404
    assert client.get("/hosts/abc").status_code == 404


def test_language_switch_and_logout(dashboard: Dashboard) -> None:
    client = dashboard.login("admin")
    english = client.get("/?lang=en")
    assert 'lang="en"' in english.text and "Overview" in english.text
    assert 'lang="en"' in client.get("/").text  # remembered
    out = client.post("/logout", data={"csrf": csrf_of(english.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/").status_code == 303
