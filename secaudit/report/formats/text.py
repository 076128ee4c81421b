"""text: the terminal summary (grouped by requirement, worst first, with what to do), as plain text
in a file; to standard output it is printed with colours by report/terminal.py."""

from __future__ import annotations

import io

from secaudit.report import terminal
from secaudit.report.formats.interface import Format, RenderOptions, Report
from secaudit.safetext import for_terminal


class Text(Format):
    name = "text"
    suffix = ".txt"
    terminal = True
    description = "tóm tắt / summary"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        buf = io.StringIO()
        terminal.render(report, options.language, file=buf, verbose=options.verbose)
        return buf.getvalue().encode("utf-8")

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        buf = io.StringIO()
        for i, report in enumerate(reports):
            host = (report.get("host") or {}).get("hostname") if isinstance(report.get("host"), dict) else None
            buf.write(("\n" if i else "") + f"== {for_terminal(host or '?')} ==\n")
            terminal.render(report, options.language, file=buf, verbose=options.verbose)
        return buf.getvalue().encode("utf-8")
