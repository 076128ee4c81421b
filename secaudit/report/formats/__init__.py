"""Output formats as a registry (pip-audit's `_format/`): `FORMATS` is the one list every command
offers (`--format` of audit, evaluate, backup verify, scan, render and the remote audit).

A new format is one module beside these, a `Format` subclass (report/formats/interface.py), and one
entry in `FORMATS`.
"""

from __future__ import annotations

from secaudit.report.formats.csv import Csv
from secaudit.report.formats.html import Html
from secaudit.report.formats.interface import Format, RenderError, RenderOptions, Report
from secaudit.report.formats.json import Json
from secaudit.report.formats.md import Markdown
from secaudit.report.formats.pdf import Pdf
from secaudit.report.formats.sarif import Sarif
from secaudit.report.formats.text import Text

FORMATS: dict[str, Format] = {fmt.name: fmt for fmt in (Text(), Json(), Html(), Markdown(), Pdf(), Sarif(), Csv())}


def get(name: str) -> Format:
    """The format called `name`, or one sentence naming the choices."""
    fmt = FORMATS.get(name)
    if fmt is None:
        choices = ", ".join(FORMATS)
        raise RenderError(f"Định dạng '{name[:20]}' không được hỗ trợ (chọn: {choices}).",
                          f"The format '{name[:20]}' is not supported (choose: {choices}).")
    return fmt


__all__ = ["FORMATS", "Format", "RenderError", "RenderOptions", "Report", "get"]
