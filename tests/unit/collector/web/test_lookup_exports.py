"""The responders' pages and the exports through the app: /search (MAC, software, bad input), the device
page of the camera's MAC seen by a LAN scan, CSV/XLSX of a unit and of a search, the consolidated official
PDF of a subtree (pdftotext shows the Vietnamese headings), the audit log of exports, and 404 for what
is out of scope."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from sqlalchemy import select

from secaudit.collector.web.models import WebAudit
from tests.unit.collector.web.dashboard_world import Dashboard


def test_search_a_mac_and_its_device_page(dashboard: Dashboard) -> None:
    client = dashboard.login("officer-bh")
    mac = dashboard.seeded.camera_mac
    page = client.get("/search", params={"q": mac.lower().replace(":", "-")})
    assert page.status_code == 200 and 'id="hits"' in page.text
    assert "camera-cong-truong" in page.text or "10.0.0.77" in page.text
    assert 'href="/devices/aa%3Abb%3Acc%3A00%3A11%3A22"' in page.text
    device = client.get("/devices/aa-bb-cc-00-11-22")
    assert device.status_code == 200 and "aa:bb:cc:00:11:22" in device.text
    assert "Trường TH Biên Hòa 1" in device.text and "quét LAN" in device.text
    assert "Chưa có lịch sử" not in device.text  # the history of what the scan saw


def test_search_is_scoped_and_bad_terms_are_explained(dashboard: Dashboard) -> None:
    other = dashboard.login("officer-lk")
    page = other.get("/search", params={"q": dashboard.seeded.camera_mac})
    assert page.status_code == 200 and 'id="hits"' not in page.text and "camera" not in page.text
    assert other.get("/devices/" + dashboard.seeded.camera_mac).status_code == 404
    assert other.get("/devices/not-a-mac").status_code == 404
    bad = other.get("/search", params={"q": "mac:zz"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    assert other.get("/search", params={"q": "x" * 201}).status_code == 400
    mine = other.get("/search", params={"q": "LK01-SRV"})
    assert "LK01-SRV" in mine.text and "BH01-GV07" not in mine.text


def test_unit_exports_csv_and_xlsx(dashboard: Dashboard) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    client = dashboard.login("officer-bh")
    page = client.get("/units/BH")
    assert 'id="export-pdf"' in page.text and "/exports/units/BH/summary.xlsx" in page.text
    csv = client.get("/exports/units/BH/summary.csv", params={"table": "hosts"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    text = csv.content.decode("utf-8-sig")
    assert text.startswith("Tên máy,") and "BH01-GV07" in text and "LK01-SRV" not in text
    xlsx = client.get("/exports/units/BH/summary.xlsx?lang=en")
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames == ["Units", "Requirements", "Hosts", "Late", "Pending"]
    assert client.get("/exports/units/LK/summary.csv").status_code == 404
    assert client.get("/exports/units/NOPE/summary.xlsx").status_code == 404
    with dashboard.db.read() as session:
        exported = session.scalars(select(WebAudit.target).where(WebAudit.user_name == "officer-bh",
                                                                 WebAudit.action == "export")).all()
    assert "/exports/units/BH/summary.csv?table=hosts" in exported


def test_search_exports(dashboard: Dashboard) -> None:
    client = dashboard.login("admin")
    csv = client.get("/exports/search.csv", params={"q": dashboard.seeded.camera_mac})
    assert csv.status_code == 200 and "aa:bb:cc:00:11:22" in csv.content.decode("utf-8-sig")
    xlsx = client.get("/exports/search.xlsx", params={"q": "BH01"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_official_pdf_of_a_subtree(dashboard: Dashboard) -> None:
    client = dashboard.login("officer-bh")
    pdf = client.get("/exports/units/BH/official.pdf")
    assert pdf.status_code == 200, pdf.text[:500]
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True,
                          check=True, timeout=60).stdout.decode("utf-8")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "/BC-" in text and "Nơi nhận" in text
    assert "PHÒNG GDĐT BIÊN HÒA" in text and "BH01-GV07" in text and "LK01-SRV" not in text
    assert client.get("/exports/units/LK/official.pdf").status_code == 404
    assert client.get("/exports/units/BH/official.pdf?period=1990-01-01").status_code == 404  # no such period
