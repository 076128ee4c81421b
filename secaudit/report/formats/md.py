"""md: Markdown for a wiki or a ticket; every value escaped, evidence on one line. The view model is
imported when a document is asked for: `secaudit audit` stays fast."""

from __future__ import annotations

from secaudit.report.formats.interface import Format, RenderOptions, Report


class Markdown(Format):
    name = "md"
    suffix = ".md"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        from secaudit.report.fmt import HTML_CAPS
        from secaudit.report.templates import md_env, render_template
        from secaudit.report.viewmodel import report_view

        view = report_view(report, options.language, HTML_CAPS, signature=options.signature(), one_line=True)
        return render_template(md_env(), "report.md.j2", vm=view, t=view["t"])

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        from secaudit.report.fmt import HTML_CAPS
        from secaudit.report.templates import md_env, render_template
        from secaudit.report.viewmodel import unit_view

        view = unit_view(reports, options.language, HTML_CAPS, options.signature_list(), one_line=True)
        return render_template(md_env(), "unit.md.j2", uv=view, t=view["t"])
