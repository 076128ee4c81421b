"""The dashboard in headless Chromium (Selenium, Debian's chromium + chromium-driver, a real uvicorn): log
in, the overview shows the seeded units, drill down to a failing finding, search the camera's MAC and open
its device page, export CSV/XLSX/PDF (the PDF's Vietnamese headings through pdftotext), switch language,
log out; a screenshot of each step is kept (tests' tmp dir, or $SECAUDIT_TEST_ARTIFACTS/dashboard) and the
browser console has no error."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from secaudit.collector.web import auth
from tests.conftest import need_tool
from tests.integration.browser import Browser, artifacts_dir, browsing
from tests.unit.collector.web.dashboard_world import PASSWORD, Dashboard, cheap_hasher

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", cheap_hasher)
        seeded = Dashboard(tmp_path_factory.mktemp("dashboard-db"))
        yield seeded
        seeded.close()


@pytest.fixture(scope="module")
def browser(board: Dashboard, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with browsing(board, artifacts_dir(tmp_path_factory)) as running:
        yield running


def _by(kind: str) -> str:
    from selenium.webdriver.common.by import By

    return str(getattr(By, kind))


def test_walk_through(board: Dashboard, browser: Browser) -> None:
    d = browser.driver
    browser.open("/")
    assert d.current_url.endswith("/login"), d.current_url
    d.find_element(_by("NAME"), "name").send_keys("officer-bh")
    d.find_element(_by("NAME"), "password").send_keys(PASSWORD)
    browser.shot("01-login")
    browser.follow(d.find_element(_by("CSS_SELECTOR"), "form.stack button[type=submit], form button[type=submit]"))
    assert d.find_element(_by("TAG_NAME"), "h1").text.startswith("Tổng quan")
    children = d.find_element(_by("ID"), "children").text
    assert "Trường TH Biên Hòa 1" in children and "Trường TH Biên Hòa 2" in children
    assert "Long Khánh" not in d.page_source
    browser.shot("02-overview")

    # drill down: unit -> host -> its failing finding with evidence and remediation
    browser.follow(d.find_element(_by("LINK_TEXT"), "Trường TH Biên Hòa 1"))
    browser.follow(d.find_element(_by("LINK_TEXT"), board.seeded.failing_host))
    finding = d.find_element(_by("ID"), f"f-{board.seeded.failing_check}")
    assert "Không đạt" in finding.text and "Bằng chứng" in finding.text and "Cách khắc phục" in finding.text
    d.execute_script("arguments[0].scrollIntoView()", finding)
    browser.shot("03-host-failing-finding")

    # search the camera's MAC from the top bar, then its device page
    box = d.find_element(_by("ID"), "top-q")
    box.send_keys(board.seeded.camera_mac.lower())
    browser.follow(box, submit=True)
    hits = d.find_element(_by("ID"), "hits").text
    assert "thiết bị mạng (quét LAN)" in hits and "aa:bb:cc:00:11:22" in hits
    browser.shot("04-search-mac")
    browser.follow(d.find_element(_by("CSS_SELECTOR"), "#hits a.device"))
    assert "aa:bb:cc:00:11:22" in d.find_element(_by("TAG_NAME"), "h1").text
    assert "Trường TH Biên Hòa 1" in d.find_element(_by("ID"), "units").text
    browser.shot("05-device")
    browser.collect_console()


def test_exports_download(board: Dashboard, browser: Browser) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    d = browser.driver
    browser.open("/units/BH")
    links = {e.get_attribute("id"): e.get_attribute("href") for e in
             d.find_elements(_by("CSS_SELECTOR"), "#exports a[id^=export-]")}
    assert set(links) == {"export-csv", "export-xlsx", "export-pdf"}
    csv = browser.download(links["export-csv"].removeprefix(browser.base), ".csv")
    text = csv.read_bytes().decode("utf-8-sig")
    assert text.startswith("Mã đơn vị,") and "BH01" in text and "LK01" not in text
    xlsx = browser.download(links["export-xlsx"].removeprefix(browser.base), ".xlsx")
    assert "Máy" in load_workbook(io.BytesIO(xlsx.read_bytes()), read_only=True).sheetnames
    pdf = browser.download(links["export-pdf"].removeprefix(browser.base), ".pdf", timeout=240)
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    for heading in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "/BC-", "Nơi nhận"):
        assert heading in text, heading
    assert "PHÒNG GDĐT BIÊN HÒA" in text
    _pdf_page_png(pdf, browser.shots / "06-official-pdf-page1")


def _pdf_page_png(pdf: Path, stem: Path) -> None:
    """The PDF's first page as a PNG beside the screenshots (pdftoppm), to look at."""
    subprocess.run([need_tool("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(stem)], check=True, timeout=120, capture_output=True)


def test_language_switch_and_logout(browser: Browser) -> None:
    d = browser.driver
    browser.open("/")
    browser.follow(d.find_element(_by("LINK_TEXT"), "English"))
    assert d.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == "en"
    assert d.find_element(_by("TAG_NAME"), "h1").text.startswith("Overview")
    browser.shot("07-overview-english")
    browser.open("/search?q=BH01")
    assert "Results" in d.page_source  # the language is remembered
    browser.follow(d.find_element(_by("CSS_SELECTOR"), "form[action='/logout'] button"))
    assert d.current_url.endswith("/login")
    browser.shot("08-logged-out")
    browser.open("/units/BH")
    assert "/login" in d.current_url


def test_console_has_no_errors(browser: Browser) -> None:
    assert browser.errors() == [], browser.errors()
