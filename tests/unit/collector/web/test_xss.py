"""A report whose hostname, user names, software names, process names and a LAN device's name hold
`<script>`, quotes and `{{7*7}}` renders inert on every page and export: escaped in the HTML (no element
made of it, the template syntax shown as it is), one plain cell in the CSV and XLSX, text in the PDF."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from secaudit.collector.index_models import Host
from secaudit.report.sample import sample_report
from tests.unit.collector.web.dashboard_world import Dashboard
from tests.unit.collector.world import scan_report

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>{{7*7}}"
DEVICE_MAC = "AA:BB:CC:99:88:77"
RAW = ("<script>alert", "<img src=x", "onerror=alert(2)>")


@pytest.fixture(scope="module")
def hostile(dashboard: Dashboard) -> Iterator[int]:
    payload = sample_report(20, hostile=HOSTILE, software=3)
    payload["unit"] = {"code": "BH02", "name": HOSTILE}
    payload["inventory"]["software"].append({"name": HOSTILE, "version": HOSTILE, "publisher": HOSTILE})
    agent = dashboard.world.agent("BH02")
    dashboard.world.upload(agent, payload)
    dashboard.world.upload(agent, scan_report([{"ip": "10.0.0.99", "mac": DEVICE_MAC, "vendor": HOSTILE,
                                                "names": [HOSTILE]}], hostname=HOSTILE))
    with dashboard.db.read() as session:
        host_id = session.scalar(select(Host.id).where(Host.hostname == HOSTILE, Host.kind == "host"))
    assert host_id is not None
    yield host_id


def _inert(html: str) -> None:
    for raw in RAW:
        assert raw not in html, raw
    assert "{{7*7}}" in html and "&lt;script&gt;" in html  # shown as text, never evaluated


def test_pages_escape_everything(dashboard: Dashboard, hostile: int) -> None:
    client = dashboard.login("officer-bh")
    pages = ["/", "/units/BH", "/units/BH02", f"/hosts/{hostile}", "/search?q=host:script",
             "/search?q=sw:<script>", "/search?q=" + DEVICE_MAC, "/devices/" + DEVICE_MAC,
             "/search?q=52:54:00:12:34:56", "/search?q=port:23"]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        _inert(page.text)
    for lang in ("en", "vi"):  # the evidence (user names, process names) in both languages
        _inert(client.get(f"/hosts/{hostile}?lang={lang}").text)


def test_exports_keep_it_one_plain_cell(dashboard: Dashboard, hostile: int) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    client = dashboard.login("officer-bh")
    for path in ("/exports/units/BH02/summary.csv?table=hosts", "/exports/search.csv?q=host:script"):
        rows = list(csv.reader(io.StringIO(client.get(path).content.decode("utf-8-sig"))))
        assert any(HOSTILE in row for row in rows), path  # whole, in one cell
    for path in ("/exports/units/BH02/summary.xlsx", "/exports/search.xlsx?q=sw:<script>"):
        book = load_workbook(io.BytesIO(client.get(path).content))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value == HOSTILE]
        assert cells and all(c.data_type == "s" for c in cells), path


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_official_pdf_shows_it_as_text(dashboard: Dashboard, hostile: int) -> None:
    client = dashboard.login("officer-bh")
    pdf = client.get("/exports/units/BH02/official.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8")
    flat = "".join(text.split())
    assert "<script>alert(1)</script>" in flat and "{{7*7}}" in flat
