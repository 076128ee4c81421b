"""html: one self-contained page (no script, no remote resource), autoescaped. The view model is
imported when a page is asked for: `secaudit audit` stays fast."""

from __future__ import annotations

from secaudit.report.formats.interface import Format, RenderOptions, Report


class Html(Format):
    name = "html"
    suffix = ".html"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        from secaudit.report.fmt import HTML_CAPS
        from secaudit.report.templates import html_env, render_template
        from secaudit.report.viewmodel import report_view

        view = report_view(report, options.language, HTML_CAPS, signature=options.signature())
        return render_template(html_env(), "report.html.j2", vm=view, t=view["t"])

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        from secaudit.report.fmt import HTML_CAPS
        from secaudit.report.templates import html_env, render_template
        from secaudit.report.viewmodel import unit_view

        view = unit_view(reports, options.language, HTML_CAPS, options.signature_list())
        return render_template(html_env(), "unit.html.j2", uv=view, t=view["t"])

