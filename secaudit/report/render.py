"""Render a report payload, or the reports of one unit, in a format named by the user (see
report/formats/: one module per format)."""

from __future__ import annotations

from typing import Any

from secaudit.report.formats import RenderError, RenderOptions, get
from secaudit.report.official import DocInfo


def render(report: dict[str, Any], fmt: str, lang: str = "vi", *, doc: DocInfo | None = None,
           signature: dict[str, str] | None = None, verbose: bool = False, csv_delimiter: str = ",") -> bytes:
    """One host's report in `fmt`. `signature` ({keyid, fingerprint}) is shown when the caller
    verified the envelope; `doc` fills the official PDF's header."""
    return get(fmt).render(report, RenderOptions(lang=lang, verbose=verbose, doc=doc, signatures=[signature],
                                                 csv_delimiter=csv_delimiter))


def render_unit(reports: list[dict[str, Any]], fmt: str, lang: str = "vi", *, doc: DocInfo | None = None,
                signatures: list[dict[str, str] | None] | None = None, verbose: bool = False,
                csv_delimiter: str = ",") -> bytes:
    """One document for a school: summary over hosts, roll-up per requirement, then each host."""
    if not reports:
        raise RenderError("Không có báo cáo nào để tổng hợp.", "There are no reports to consolidate.")
    return get(fmt).render_unit(reports, RenderOptions(lang=lang, verbose=verbose, doc=doc, signatures=signatures,
                                                   csv_delimiter=csv_delimiter))
