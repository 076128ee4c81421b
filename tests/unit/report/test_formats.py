"""report/formats: the registry every command offers, one module per format; each renders one host
and a unit, has its own suffix, and only the PDF is binary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secaudit.errors import SecauditError
from secaudit.report import render as r
from secaudit.report.formats import FORMATS, RenderOptions, get
from secaudit.report.formats.interface import Format
from secaudit.report.sample import sample_report

TEXTUAL = [name for name, form in FORMATS.items() if not form.binary]


def test_the_registry() -> None:
    assert list(FORMATS) == ["text", "json", "html", "md", "pdf", "sarif", "csv"]
    assert all(isinstance(form, Format) and form.name == name for name, form in FORMATS.items())
    suffixes = [form.suffix for form in FORMATS.values()]
    assert len(set(suffixes)) == len(suffixes) and all(s.startswith(".") for s in suffixes)
    assert [n for n, f in FORMATS.items() if f.binary] == ["pdf"]
    assert [n for n, f in FORMATS.items() if f.terminal] == ["text"]


def test_each_module_holds_its_format() -> None:
    package = Path(__file__).resolve().parents[3] / "secaudit" / "report" / "formats"
    modules = {p.stem for p in package.glob("*.py")} - {"__init__", "interface"}
    assert modules == {type(form).__module__.rsplit(".", 1)[1] for form in FORMATS.values()}


@pytest.mark.parametrize("name", TEXTUAL)
def test_every_textual_format_renders_a_host_and_a_unit(name: str) -> None:
    one, two = sample_report(8, hostname="PC-01"), sample_report(8, hostname="PC-02", seed=1)
    form = FORMATS[name]
    single = form.render(one, RenderOptions(lang="en"))
    unit = form.render_unit([one, two], RenderOptions(lang="en"))
    assert isinstance(single, bytes) and single and isinstance(unit, bytes) and unit
    single.decode("utf-8")
    assert b"PC-02" in unit or (name == "sarif" and b'"runs"' in unit)


def test_json_is_the_payload_and_a_unit_is_a_list() -> None:
    report = sample_report(4)
    assert json.loads(FORMATS["json"].render(report, RenderOptions())) == report
    assert json.loads(FORMATS["json"].render_unit([report, report], RenderOptions())) == [report, report]


def test_text_is_the_terminal_summary_with_a_heading_per_host() -> None:
    one, two = sample_report(4, hostname="PC-01"), sample_report(4, hostname="PC-\x1b[2J")
    text = FORMATS["text"].render_unit([one, two], RenderOptions(lang="vi")).decode("utf-8")
    assert "== PC-01 ==" in text and "== PC-\\x1b[2J ==" in text and "\x1b" not in text


def test_csv_delimiter_is_an_option() -> None:
    data = FORMATS["csv"].render(sample_report(4), RenderOptions(csv_delimiter=";"))
    assert data.startswith(b"\xef\xbb\xbfhost;check_id")


def test_unknown_format_is_one_sentence_naming_the_choices() -> None:
    with pytest.raises(SecauditError) as info:
        get("docx")
    assert "docx" in info.value.en and "text, json, html, md, pdf, sarif, csv" in info.value.en
    with pytest.raises(SecauditError):
        r.render(sample_report(2), "docx")
    with pytest.raises(SecauditError) as none:
        r.render_unit([], "html")
    assert "no reports" in none.value.en


def test_render_passes_the_signature_and_options_through() -> None:
    report = sample_report(4)
    html = r.render(report, "html", "en", signature={"keyid": "ed25519:abc", "fingerprint": "SHA256:xyz"})
    assert b"ed25519:abc" in html and b"SHA256:xyz" in html
    verbose: Any = r.render(report, "text", "en", verbose=True)
    quiet: Any = r.render(report, "text", "en")
    assert len(verbose) >= len(quiet)
