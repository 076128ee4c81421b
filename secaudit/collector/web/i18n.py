"""The dashboard's language: Vietnamese unless `?lang=en` (remembered in a cookie) or the cookie says
otherwise. Every string of the pages is written in both languages where it is used: `tr(vi, en)`."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from secaudit.i18n import STATUS

LANGS = ("vi", "en")
COOKIE = "secaudit_lang"

# The agent's report's words (secaudit.i18n.STATUS), so the officer and the school read the same one
# (attested: "Tự xác nhận").
STATUS_TEXT = {status: (text["vi"], text["en"]) for status, text in STATUS.items()}
SEVERITY_TEXT = {
    "info": ("Thông tin", "Info"),
    "low": ("Thấp", "Low"),
    "medium": ("Trung bình", "Medium"),
    "high": ("Cao", "High"),
    "critical": ("Nghiêm trọng", "Critical"),
}


def asked(request: Request) -> str | None:
    """The language the query string asks for, if it names one."""
    value = request.query_params.get("lang")
    return value if value in LANGS else None


def language(request: Request) -> str:
    cookie = request.cookies.get(COOKIE)
    return asked(request) or (cookie if cookie in LANGS else "vi")


def translator(lang: str) -> Callable[[str, str], str]:
    def tr(vi: str, en: str) -> str:
        return unicodedata.normalize("NFC", en if lang == "en" else vi)

    return tr


def pick(lang: str) -> Callable[[Any], str]:
    """A {"vi": ..., "en": ...} mapping (as reports carry) in the language, falling back to the other one."""
    other = "vi" if lang == "en" else "en"

    def text(value: Any) -> str:
        if isinstance(value, dict):
            chosen = value.get(lang) or value.get(other) or ""
            return unicodedata.normalize("NFC", str(chosen))
        return "" if value is None else unicodedata.normalize("NFC", str(value))

    return text


def status_text(lang: str, status: str | None) -> str:
    vi, en = STATUS_TEXT.get(status or "", (status or "", status or ""))
    return en if lang == "en" else vi


def severity_text(lang: str, severity: str | None) -> str:
    vi, en = SEVERITY_TEXT.get(severity or "", (severity or "", severity or ""))
    return en if lang == "en" else vi
