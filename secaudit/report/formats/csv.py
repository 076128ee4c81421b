"""CSV export: one row per finding, for spreadsheets; then one row per attestation (the unit's own answer,
check_id "attestation:<id>", status attested/expired/unanswered), after the findings.

UTF-8 with a byte order mark (so Excel on Vietnamese Windows reads the diacritics), RFC 4180
quoting and CRLF line ends. Cells are defused against formula injection: a cell starting with
= + - @ TAB CR or LF gets a leading apostrophe, which Excel and LibreOffice show as text.
Control and bidi-override characters are written as a visible [U+202E]. The delimiter is a comma;
pass ";" for Excel set to a Vietnamese regional format (its list separator is ";"). The evidence
cell is cut to fit a spreadsheet cell (32,767 characters), every kind of evidence still named.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from secaudit.report.fit import within
from secaudit.report.formats.interface import Format, RenderOptions, Report
from secaudit.safetext import for_document

COLUMNS = ("host", "check_id", "status", "severity", "requirements", "title", "message", "remediation", "evidence")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = b"\xef\xbb\xbf"
CELL_MAX = 32_767  # characters Excel and LibreOffice keep in one cell


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return for_document(text)


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("vi") or "")
    return "" if value is None else str(value)


def _evidence(evidence: Any) -> str:
    """The evidence as compact JSON that fits one spreadsheet cell, every key kept (lists cut, with
    their `<key>_truncated` counts: report/fit.py)."""
    budget = CELL_MAX
    while True:
        text = json.dumps(within(evidence, budget), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        if len(cell(text)) <= CELL_MAX or budget < 256:
            return text
        budget //= 2


def render(reports: list[dict[str, Any]], lang: str, delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for report in reports:
        hostname = (report.get("host") or {}).get("hostname") or ""
        for f in report.get("findings") or []:
            writer.writerow([cell(v) for v in (
                hostname,
                f.get("check_id"),
                f.get("status"),
                f.get("severity"),
                "; ".join(str(r) for r in f.get("requirements") or []),
                _text(f.get("title"), lang),
                _text(f.get("message"), lang),
                _text(f.get("remediation"), lang),
                _evidence(f.get("evidence") or {}),
            )])
        for a in report.get("attestations") or []:  # after the findings, marked as attestations
            if not isinstance(a, dict):
                continue
            said = {"yes": {"vi": "có", "en": "yes"}, "no": {"vi": "không", "en": "no"}}.get(str(a.get("answer")))
            writer.writerow([cell(v) for v in (
                hostname,
                f"attestation:{a.get('id')}",
                a.get("status"),
                "",
                "; ".join(str(r) for r in a.get("requirements") or []),
                _text(a.get("question"), lang),
                " · ".join(x for x in (_text(said, lang) if said else "", str(a.get("answered_by") or ""),
                                       str(a.get("answered_at") or ""), str(a.get("document") or "")) if x),
                _text(a.get("evidence"), lang),
                json.dumps({"expires_at": a.get("expires_at")}, ensure_ascii=False),
            )])
    return BOM + buf.getvalue().encode("utf-8", "replace")


class Csv(Format):
    name = "csv"
    suffix = ".csv"
    description = "Excel"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return render([report], options.language, delimiter=options.csv_delimiter)

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        return render(reports, options.language, delimiter=options.csv_delimiter)
