"""HTML and Markdown renderings: structure, language, and hostile agent strings rendered inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from secaudit.report.render import render, render_unit
from secaudit.report.sample import sample_report
from secaudit.report.templates import md_escape

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "header", "main", "footer", "section",
                "article", "h1", "h2", "h3", "h4", "h5", "p", "span", "strong", "small", "code", "b", "br", "dl",
                "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "a", "details", "summary"}
LONG = "A" * 10_000
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)' x='",
    "admin\u202egnp.exe",
    LONG,
    "| col | `code` **bold** [link](http://evil.example) <b>x</b> ![i](http://evil.example/i.png)",
    "=cmd|' /C calc'!A0",
    "line1\n# Heading\n<script>alert(2)</script>",
]


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.metas: list[dict[str, str | None]] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "meta":
            self.metas.append(dict(attrs))
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def assert_inert(page: Page, raw: str) -> None:
    assert set(page.tags) <= ALLOWED_TAGS, set(page.tags) - ALLOWED_TAGS
    assert page.tags.count("style") == 1
    names = {name for name, _ in page.attrs}
    assert not [n for n in names if n.startswith("on")]
    assert not names & {"src", "srcdoc", "action", "formaction", "background", "style"}
    assert all(value and value.startswith("#") for name, value in page.attrs if name == "href")
    assert "\u202e" not in raw


def shown(hostile: str) -> str:
    """How the view model shows an untrusted string (bidi marks made visible, no new lines in names)."""
    return hostile.replace("\u202e", "[U+202E]")


def test_html_structure_vietnamese() -> None:
    html = render(sample_report(40), "html", "vi").decode("utf-8")
    page = parse(html)
    assert_inert(page, html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.html_lang == "vi"
    assert {"charset": "utf-8"} in page.metas
    assert {"http-equiv": "Content-Security-Policy", "content": CSP} in page.metas
    text = " ".join(page.text)
    for word in ("Tổng hợp", "Điểm tuân thủ", "Đạt", "Cảnh báo", "Không đạt", "Không xác định", "Không áp dụng",
                 "Lỗi", "Mã yêu cầu", "Điều khoản", "Nội dung", "Kết quả", "Cách khắc phục", "Minh chứng",
                 "Tài khoản", "Phần mềm phòng chống mã độc", "Cổng đang mở", "Giao diện mạng", "Phần cứng",
                 "300 phần mềm", "ngày" if False else "05/06/2026"):
        assert word in text, word
    # summary first: the score comes before the first finding, the inventory last
    assert html.index("Điểm tuân thủ") < html.index('class="finding') < html.index("Danh mục tài sản")
    assert "<details>" in html  # software list collapsed
    assert "http://" not in html and "https://" not in html  # self-contained


def test_html_english() -> None:
    html = render(sample_report(10), "html", "en").decode("utf-8")
    page = parse(html)
    assert page.html_lang == "en"
    text = " ".join(page.text)
    assert "How to fix" in text and "Compliance score" in text and "Cách khắc phục" not in text


def test_html_requirement_rows_link_to_findings() -> None:
    html = render(sample_report(20), "html", "vi").decode("utf-8")
    anchors = set(re.findall(r'id="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links and links <= anchors


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_html_hostile_strings_are_inert(hostile: str) -> None:
    for html in (render(sample_report(21, hostile=hostile), "html", "vi").decode("utf-8"),
                 render_unit([sample_report(8, hostile=hostile), sample_report(8, hostname="PC-2", seed=2)],
                             "html", "vi").decode("utf-8")):
        page = parse(html)
        assert_inert(page, html)
        text = "".join(page.text)
        if hostile is LONG:
            assert LONG not in text  # capped: a 10 kB name cannot bury the report
            assert "A" * 255 in text and "ký tự)" in text
        else:
            expected = shown(hostile)
            assert expected in text or " ".join(expected.split()) in text


def test_html_title_and_headings_cannot_break_out() -> None:
    html = render(sample_report(5, hostile="</title><script>x</script>"), "html", "vi").decode("utf-8")
    assert "<script>" not in html and "&lt;/title&gt;&lt;script&gt;" in html


# --- Markdown ----------------------------------------------------------------------------------


def markdown_to_html(md: str) -> str:
    # raw HTML enabled, as many ticket systems render it: escaping must not rely on it being off
    return str(MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(md))


def test_md_escape() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("`x` *y* _z_ [l](u) ~s~") == "\\`x\\` \\*y\\* \\_z\\_ \\[l\\](u) \\~s\\~"
    assert md_escape("<script>&amp;") == "&lt;script&gt;&amp;amp;"
    assert md_escape("a\n# b\r\n\tc") == "a # b c"
    assert md_escape("# title") == "\\# title"
    assert md_escape("- item") == "\\- item"
    assert md_escape("x\u202ey") == "x\\[U+202E\\]y"
    assert md_escape(None) == ""
    assert md_escape(12) == "12"


def test_markdown_structure() -> None:
    md = render(sample_report(40), "md", "vi").decode("utf-8")
    assert md.startswith("# Báo cáo kiểm tra an toàn thông tin: PC-PHONGMAY-01\n")
    assert "| Mã yêu cầu | Điều khoản | Nội dung | Kết quả |" in md
    assert "**Cách khắc phục:**" in md
    html = markdown_to_html(md)
    assert html.count("<table>") == 2
    assert "<h3>" in html and "<strong>Cách khắc phục:</strong>" in html
    english = render(sample_report(10), "md", "en").decode("utf-8")
    assert "**How to fix:**" in english


def _table_widths(md: str) -> set[int]:
    return {len(re.findall(r"(?<!\\)\|", line)) for line in md.splitlines() if line.startswith("|")}


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_hostile_strings_are_inert(hostile: str) -> None:
    for md in (render(sample_report(21, hostile=hostile), "md", "vi").decode("utf-8"),
               render_unit([sample_report(8, hostile=hostile), sample_report(8, hostname="PC-2", seed=2)],
                           "md", "vi").decode("utf-8")):
        assert "\u202e" not in md
        assert not re.search(r"^(# Heading|<script)", md, re.MULTILINE)
        html = markdown_to_html(md)
        page = parse(html)
        assert not set(page.tags) & {"script", "img", "a", "b", "code", "em", "iframe", "del", "s"}
        assert not [n for n, _ in page.attrs if n.startswith("on")]
        # every table row keeps its columns: no pipe from agent data splits a cell
        for table in re.findall(r"<table>.*?</table>", html, re.DOTALL):
            widths = {row.count("<td") + row.count("<th") for row in re.findall(r"<tr>.*?</tr>", table, re.DOTALL)}
            assert len(widths) == 1, widths
        text = "".join(page.text)
        if hostile is not LONG:
            assert " ".join(shown(hostile).split()) in " ".join(text.split())


def test_markdown_unit_report() -> None:
    reports: list[dict[str, Any]] = [sample_report(8, hostname=f"PC-{i}", seed=i, software=3) for i in range(3)]
    md = render_unit(reports, "md", "vi").decode("utf-8")
    html = markdown_to_html(md)
    for name in ("PC-0", "PC-1", "PC-2"):
        assert f"<h3>{reports.index(next(r for r in reports if r['host']['hostname'] == name)) + 1}. Máy {name}</h3>" \
            in html
    assert "Tổng hợp theo yêu cầu" in html and "Tổng hợp theo máy" in html
