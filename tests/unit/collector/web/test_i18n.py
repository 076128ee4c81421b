"""Every text of the dashboard's templates is bilingual: tr() always gets a Vietnamese and an English
string, both NFC; the text between tags is a tr() call or data, never a bare sentence in one language."""

from __future__ import annotations

import re
import unicodedata

import pytest

from secaudit.collector.web import i18n
from secaudit.resources import shipped_dir

TEMPLATES = sorted((shipped_dir("report_templates") / "dashboard").glob("*.html.j2"))
TR = re.compile(r'tr\(\s*(["\'])(.*?)\1\s*(,\s*(["\'])(.*?)\4\s*)?\)', re.S)
LETTERS = re.compile(r"[A-Za-zÀ-ỹ]{3,}")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_tr_calls_have_both_languages(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert text == unicodedata.normalize("NFC", text)
    for match in TR.finditer(text):
        assert match.group(3), f"{path}: tr() with one language: {match.group(0)[:80]}"
        assert match.group(2).strip() and match.group(5).strip(), match.group(0)[:80]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_bare_sentences(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)  # Jinja out
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    bare = [t.strip() for t in re.sub(r"<[^>]*>", "\n", text).splitlines() if LETTERS.search(t)]
    allowed = {"Tiếng Việt", "English", "CSV", "XLSX", "MAC", "USB"}
    neutral = re.compile(r"[·\s]*(secaudit\b.*|[a-z]+:\S*|\S*@\S*)")  # commands, search prefixes: one language
    assert [t for t in bare if t not in allowed and not neutral.fullmatch(t)] == [], path


def test_translator_and_pick() -> None:
    assert i18n.translator("en")("Đạt", "Pass") == "Pass" and i18n.translator("vi")("Đạt", "Pass") == "Đạt"
    decomposed = unicodedata.normalize("NFD", "Trường")
    assert i18n.translator("vi")(decomposed, "School") == "Trường"
    assert i18n.pick("en")({"vi": "Đạt", "en": ""}) == "Đạt" and i18n.pick("vi")(None) == ""
    assert i18n.status_text("en", "not_applicable") == "Not applicable" and i18n.status_text("vi", "odd") == "odd"


def test_status_words_are_the_agents_reports() -> None:
    """The officer reads the word the school read in its report: attested is Tự xác nhận in both."""
    from secaudit.i18n import STATUS

    assert i18n.status_text("vi", "attested") == STATUS["attested"]["vi"] == "Tự xác nhận"
    assert i18n.status_text("en", "attested") == "Attested"
    assert {s: (t["vi"], t["en"]) for s, t in STATUS.items()} == i18n.STATUS_TEXT
