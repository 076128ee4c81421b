"""The HTML report in headless Chromium: it opens without console errors (no blocked script, style or
image, nothing fetched), prints to PDF with its headings, and a hostile host name stays text."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from secaudit.report.render import render, render_unit
from secaudit.report.sample import sample_report
from tests.conftest import need_tool

pytestmark = pytest.mark.integration


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    argv = [need_tool("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
            "--v=0", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def console_lines(stderr: str, page: Path) -> list[str]:
    """Console messages and blocked loads Chromium logged for this page."""
    url = page.as_uri()
    return [line for line in stderr.splitlines()
            if (":CONSOLE" in line and url in line) or "Uncaught" in line or "Refused to" in line]


def test_console_detection_works(tmp_path: Path) -> None:
    """Control: a page that breaks its own CSP is caught, so a clean run below means something."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                   "content=\"default-src 'none'\"></head><body><script>console.error('x')</script></body></html>")
    result = chromium(tmp_path, "--dump-dom", bad.as_uri())
    assert console_lines(result.stderr, bad), result.stderr[-2000:]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_report_opens_clean_and_prints(tmp_path: Path, lang: str) -> None:
    page = tmp_path / "report.html"
    page.write_bytes(render(sample_report(60, hostile='"><img src=x onerror=alert(1)><script>alert(2)</script>'),
                            "html", lang))
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not console_lines(dom.stderr, page), console_lines(dom.stderr, page)
    assert "<script" not in dom.stdout.split("</style>", 1)[1]  # the live DOM has no script element
    assert "<img" not in dom.stdout
    pdf = tmp_path / "printed.pdf"
    printed = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf.is_file() and pdf.stat().st_size > 10_000, printed.stderr[-2000:]
    text = " ".join(subprocess.run([need_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                                   text=True, check=True, timeout=60).stdout.split())
    expected = (("Báo cáo kiểm tra an toàn thông tin", "Tổng hợp", "Điểm tuân thủ", "Các vấn đề cần khắc phục",
                 "Cách khắc phục", "Danh mục tài sản và cấu hình", "Không đạt")
                if lang == "vi" else
                ("Information security audit report", "Summary", "Compliance score", "Findings to fix",
                 "How to fix", "Inventory"))
    for heading in expected:
        assert heading in text, heading
    assert "<script>alert(2)</script>" in text  # the hostile name is printed as text
    info = subprocess.run([need_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2  # A4
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) >= 2  # type: ignore[union-attr]


def test_screenshot_and_unit_report(tmp_path: Path) -> None:
    page = tmp_path / "unit.html"
    page.write_bytes(render_unit([sample_report(20, hostname=f"PC-{i}", seed=i) for i in range(3)], "html", "vi"))
    shot = tmp_path / "shot.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert not console_lines(result.stderr, page)
    assert shot.is_file() and shot.stat().st_size > 20_000
