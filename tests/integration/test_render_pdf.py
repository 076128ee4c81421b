"""The official PDF (WeasyPrint) read back with poppler: Vietnamese text with correct diacritics, embedded
fonts, A4, page numbers from page 2, a sane page count, and hostile strings that neither run nor break
the layout."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from secaudit.report.formats import pdf as render_mod
from secaudit.report.official import DocInfo
from secaudit.report.render import render, render_unit
from secaudit.report.sample import sample_report
from tests.conftest import IN_CI, need_tool

pytestmark = pytest.mark.integration

A4 = (595.28, 841.89)
MM = 72 / 25.4
TEXT_LEFT, TEXT_RIGHT = 30 * MM, A4[0] - 15 * MM
HEADINGS_VI = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO",
               "Kết quả kiểm tra, đánh giá an toàn thông tin", "I. THÔNG TIN CHUNG",
               "II. KẾT QUẢ KIỂM TRA, ĐÁNH GIÁ", "1. Tổng hợp", "2. Chi tiết theo yêu cầu", "III. TỒN TẠI, HẠN CHẾ",
               "IV. KIẾN NGHỊ, KẾ HOẠCH KHẮC PHỤC", "Nơi nhận:", "- Như trên;", "- Lưu: VT.", "HIỆU TRƯỞNG",
               "PHỤ LỤC", "TRƯỜNG THCS NGUYỄN DU", "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH ĐỒNG NAI",
               "Biên Hòa, ngày 05 tháng 6 năm 2026", "Số:", "/BC-THCSND", "Kính gửi:")


def need_weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        message = f"WeasyPrint is not usable: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    need_weasyprint()
    return {name: need_tool(name) for name in ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm")}


def run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


def pdftext(path: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return run("pdftotext", "-enc", "UTF-8", *pages, str(path), "-")


def pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(path)), re.M).group(1))  # type: ignore[union-attr]


def flat(text: str) -> str:
    return "".join(text.split())


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    assert data.startswith(b"%PDF-")
    return path


DOC = DocInfo(parent="Sở Giáo dục và Đào tạo tỉnh Đồng Nai", place="Biên Hòa", signer_name="Nguyễn Văn An")


def test_official_pdf_vietnamese(tools: Any, tmp_path: Path) -> None:
    pdf = write(tmp_path, "r.pdf", render(sample_report(40), "pdf", "vi", doc=DOC))
    text = pdftext(pdf)
    assert unicodedata.is_normalized("NFC", text)
    spaced = " ".join(text.split())
    for heading in HEADINGS_VI:
        assert unicodedata.normalize("NFC", heading) in spaced, heading
    assert re.search(r"\./\.", text)  # the body ends with "./."
    assert "Nguyễn Văn An" in text
    info = run("pdfinfo", str(pdf))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and abs(float(size.group(1)) - A4[0]) < 1 and abs(float(size.group(2)) - A4[1]) < 1
    # page numbers: centred at the top from page 2, none on page 1
    assert pdftext(pdf, 2, 2).split()[0] == "2"
    assert pdftext(pdf, 1, 1).split()[0] != "1"


def test_fonts_are_embedded(tools: Any, tmp_path: Path) -> None:
    pdf = write(tmp_path, "r.pdf", render(sample_report(10), "pdf", "vi"))
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # embedded, subset, with a Unicode map
    assert any("Liberation" in row or "Times" in row for row in rows)


def _dark_share(pgm: bytes, x0: float, x1: float, y0: float, y1: float) -> float:
    """Share of dark pixels inside a box given in fractions of the page (binary PGM from pdftoppm)."""
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    assert match
    width, height = int(match.group(1)), int(match.group(2))
    pixels = pgm[match.end():]
    dark = total = 0
    for y in range(int(y0 * height), int(y1 * height)):
        row = pixels[y * width:(y + 1) * width]
        for x in range(int(x0 * width), int(x1 * width)):
            total += 1
            dark += row[x] < 128
    return dark / total


def test_page_one_renders_like_an_administrative_document(tools: Any, tmp_path: Path) -> None:
    pdf = write(tmp_path, "r.pdf", render(sample_report(40), "pdf", "vi", doc=DOC))
    prefix = tmp_path / "page1"
    subprocess.run(["pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
                   check=True, timeout=60)
    pgm = (tmp_path / "page1.pgm").read_bytes()
    left, right = TEXT_LEFT / A4[0], TEXT_RIGHT / A4[0]
    middle = left + (right - left) * 0.4
    assert _dark_share(pgm, left, middle, 0.06, 0.14) > 0.02  # governing body and unit name, top left
    assert _dark_share(pgm, middle, right, 0.06, 0.14) > 0.02  # Quốc hiệu and Tiêu ngữ, top right
    assert _dark_share(pgm, 0, left - 0.01, 0, 1) < 0.001  # nothing in the 30 mm binding margin
    assert _dark_share(pgm, 0, 1, 0, 0.05) < 0.001  # no page number on page 1
    png = tmp_path / "page1-color"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
                   check=True, timeout=60)
    assert (tmp_path / "page1-color.png").stat().st_size > 5000


def test_page_count_is_sane_for_200_findings(tools: Any, tmp_path: Path) -> None:
    pdf = write(tmp_path, "r.pdf", render(sample_report(200), "pdf", "vi"))
    assert 1 < pages(pdf) < 60


def test_english_companion(tools: Any, tmp_path: Path) -> None:
    pdf = write(tmp_path, "r.pdf", render(sample_report(10), "pdf", "en"))
    text = " ".join(pdftext(pdf).split())
    for heading in ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness", "REPORT",
                    "I. GENERAL INFORMATION", "IV. RECOMMENDATIONS AND REMEDIATION PLAN", "PRINCIPAL",
                    "Recipients:", "5 June 2026"):
        assert heading in text, heading


def test_unit_pdf_has_every_host(tools: Any, tmp_path: Path) -> None:
    reports = [sample_report(12, hostname=f"PC-LAB-{i:02d}", seed=i, software=5) for i in range(3)]
    pdf = write(tmp_path, "u.pdf", render_unit(reports, "pdf", "vi", doc=DOC))
    text = " ".join(pdftext(pdf).split())
    for heading in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Tổng hợp theo yêu cầu", "PHỤ LỤC", "Chi tiết từng máy"):
        assert heading in text
    for i in range(3):
        assert f"Máy PC-LAB-{i:02d}" in text
    assert "Đã đánh giá" in text and "trên 3 máy" in text


def _words_outside_text_area(pdf: Path) -> list[str]:
    html = run("pdftotext", "-bbox", str(pdf), "-")
    outside = []
    word_box = r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>'
    for x_min, x_max, word in re.findall(word_box, html):
        if float(x_min) < TEXT_LEFT - 2 or float(x_max) > TEXT_RIGHT + 2:
            outside.append(word)
    return outside


HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "admin\u202egnp.exe", "Z" * 10_000,
           "| `code` **b** [l](http://evil.example)", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_strings_in_pdf(tools: Any, tmp_path: Path, hostile: str) -> None:
    pdf = write(tmp_path, "h.pdf", render(sample_report(15, hostile=hostile), "pdf", "vi"))
    text = pdftext(pdf)
    assert not _words_outside_text_area(pdf)  # long strings wrap inside the text block
    if len(hostile) > 1000:
        assert "Z" * 200 in flat(text) and "Z" * 10_000 not in flat(text)  # shown, but capped
    else:
        assert flat(hostile.replace("\u202e", "[U+202E]")) in flat(text)
    assert "\u202e" not in text


def test_pdf_fetches_nothing_but_the_fonts(tools: Any, tmp_path: Path) -> None:
    import weasyprint

    fetcher = render_mod._fetcher(weasyprint, {"file:///usr/share/fonts/x.ttf"})
    fetch = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://example.invalid/x.png"):
        with pytest.raises(ValueError):
            fetch(url)
    html = '<p>x</p><img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    pdf = write(tmp_path, "f.pdf", render_mod.html_to_pdf(html))
    assert pdftext(pdf).strip() == "x"
