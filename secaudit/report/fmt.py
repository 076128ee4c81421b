"""Formatting for the renderings, in one language: dates in Viet Nam time (ICT, UTC+7), numbers,
sizes, status words, and untrusted text.

Every string that came from the audited machine (host and user names, process names, evidence,
messages) goes through `Fmt.text()`: NFC, capped in length, and control or bidirectional-formatting
characters replaced by a visible "[U+202E]" so they cannot reorder or hide text. Escaping for HTML
or Markdown is done by the template environments (report/templates.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from secaudit.i18n import SEVERITY, STATUS
from secaudit.report.texts import MONTHS_EN, labels
from secaudit.safetext import DOCUMENT_UNSAFE, mark

ICT = timezone(timedelta(hours=7), "ICT")

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_SPACES = re.compile(r"\s+")
_ODD_SPACE = re.compile(r"^\s|\s$|[^\S ]|  ")


@dataclass(frozen=True)
class Caps:
    """How much untrusted data one rendering shows (the JSON keeps everything)."""

    text: int = 4000  # characters of one message or evidence value
    name: int = 255  # host, user, process names in headings and tables
    depth: int = 4  # nesting of evidence tables
    items: int = 50  # entries of one evidence list or object
    cells: int = 600  # evidence values per finding
    rows: int = 2000  # rows of one inventory table


HTML_CAPS = Caps()
PDF_CAPS = Caps(text=2000, depth=3, items=20, cells=150, rows=500)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(ICT)
    except ValueError:
        return None


class Fmt:
    """Formatting in one language: dates, numbers, untrusted text."""

    def __init__(self, lang: str, caps: Caps = HTML_CAPS) -> None:
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.caps = caps
        self.t = labels(self.lang)

    # untrusted text
    def text(self, value: Any, limit: int | None = None) -> str:
        if value is None:
            return ""
        text = value if isinstance(value, str) else str(value)
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        cap = self.caps.text if limit is None else limit
        over = len(text) - cap
        if over > 0:
            text = text[:cap]
        if DOCUMENT_UNSAFE.search(text):
            text = DOCUMENT_UNSAFE.sub(mark, text)
        if over > 0:
            text += " " + self.t["more_chars"].format(n=self.num(over))
        return text

    def name(self, value: Any) -> str:
        return self.text(value, self.caps.name)

    def line(self, value: Any, limit: int | None = None) -> str:
        """One line: newlines and tabs become spaces (table cells, headings)."""
        text = self.text(value, limit)
        if _ODD_SPACE.search(text):
            text = _SPACES.sub(" ", text).strip()
        return text

    def pick(self, text: Any, one_line: bool = False) -> str:
        """A {vi, en} text in this language (falling back to the other)."""
        if isinstance(text, dict):
            text = text.get(self.lang) or text.get("vi") or text.get("en") or ""
        return self.line(text) if one_line else self.text(text)

    # numbers
    def num(self, n: int) -> str:
        out = f"{n:,}"
        return out.replace(",", ".") if self.lang == "vi" else out

    def pct(self, part: int, whole: int) -> str:
        if whole <= 0:
            return "—"
        tenths = (2000 * part + whole) // (2 * whole)  # rounded, integers only
        sep = "," if self.lang == "vi" else "."
        return f"{tenths // 10}{sep}{tenths % 10}%"

    def size(self, n: Any) -> str:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            return self.text(n) if n is not None else "—"
        for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if n >= factor:
                tenths = (20 * n + factor) // (2 * factor)
                sep = "," if self.lang == "vi" else "."
                return f"{tenths // 10}{sep}{tenths % 10} {unit}"
        return f"{n} B"

    # dates
    def formal_date(self, when: datetime | None) -> str:
        """vi: "ngày 05 tháng 6 năm 2026" (zero-padded day, and months 1-2); en: "5 June 2026"."""
        if when is None:
            return self.t["date_blank"]
        if self.lang == "vi":
            month = f"{when.month:02d}" if when.month <= 2 else str(when.month)
            return f"ngày {when.day:02d} tháng {month} năm {when.year}"
        return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"

    def date(self, value: Any) -> str:
        when = value if isinstance(value, datetime) else parse_time(value)
        if when is None:
            return "—" if value in (None, "") else self.text(value, 64)
        return f"{when:%d/%m/%Y}" if self.lang == "vi" else f"{when:%Y-%m-%d}"

    def datetime(self, value: Any) -> str:
        when = value if isinstance(value, datetime) else parse_time(value)
        if when is None:
            return "—" if value in (None, "") else self.text(value, 64)
        return f"{when:%d/%m/%Y %H:%M}" if self.lang == "vi" else f"{when:%Y-%m-%d %H:%M}"

    # words
    def status(self, status: str) -> str:
        return STATUS.get(status, {}).get(self.lang) or self.text(status, 32)

    def severity(self, severity: str) -> str:
        return SEVERITY.get(severity, {}).get(self.lang) or self.text(severity, 32)

    def yes_no(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.t["yes"] if value else self.t["no"]
        return self.line(value, 64)

    def role(self, role: Any) -> str:
        return self.t.get(f"role_{role}") or self.line(role, 32)

    def mode(self, mode: Any) -> str:
        return self.t.get(f"mode_{mode}") or self.line(mode, 32)

    def scalar(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, str):
            if not value:
                return self.t["empty"]
            when = parse_time(value)
            return self.datetime(when) if when else self.text(value)
        return self.text(value)

    def joined(self, values: Any, limit: int = 20, left_out: int = 0) -> str:
        if not isinstance(values, list | tuple):
            return self.scalar(values) if values not in (None, "") else "—"
        shown = ", ".join(self.line(v, self.caps.name) for v in values[:limit])
        if len(values) + left_out > min(limit, len(values)):
            shown += " " + self.t["more_items"].format(n=self.num(len(values) + left_out - min(limit, len(values))))
        return shown or "—"
