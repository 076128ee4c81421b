"""pdf: the official Vietnamese report (NĐ 30/2020 layout) through WeasyPrint, which fetches nothing
but the embedded font files. WeasyPrint and the view model are imported when a PDF is asked for:
`secaudit audit` stays fast."""

from __future__ import annotations

import importlib
from typing import Any

from secaudit.report.formats.interface import Format, RenderError, RenderOptions, Report


class Pdf(Format):
    name = "pdf"
    suffix = ".pdf"
    binary = True
    description = "văn bản hành chính / official document"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        from secaudit.report.fmt import PDF_CAPS, Fmt
        from secaudit.report.official import official_view
        from secaudit.report.templates import html_env
        from secaudit.report.viewmodel import report_view

        lang = options.language
        view = report_view(report, lang, PDF_CAPS, signature=options.signature())
        head = official_view(Fmt(lang, PDF_CAPS), report.get("unit") or {}, view["generated"]["dt"], options.doc,
                             view["playbook"])
        return html_to_pdf(html_env().get_template("official.html.j2").render(vm=view, doc=head, t=view["t"]))

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        from secaudit.report.fmt import PDF_CAPS, Fmt
        from secaudit.report.official import official_view
        from secaudit.report.templates import html_env
        from secaudit.report.viewmodel import unit_view

        lang = options.language
        view = unit_view(reports, lang, PDF_CAPS, options.signature_list())
        head = official_view(Fmt(lang, PDF_CAPS), _unit_of(reports), view["latest"], options.doc, view["playbook"])
        return html_to_pdf(html_env().get_template("official_unit.html.j2").render(uv=view, doc=head, t=view["t"]))


def _unit_of(reports: list[Report]) -> dict[str, Any]:
    for report in reports:
        unit = report.get("unit") or {}
        if unit.get("name") or unit.get("code"):
            return dict(unit)
    return {}


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, fetching nothing but the embedded font files (and data: URLs)."""
    from secaudit.report.official import font_faces

    try:
        weasyprint = importlib.import_module("weasyprint")
        fonts_mod = importlib.import_module("weasyprint.text.fonts")
    except (ImportError, OSError) as exc:  # OSError: the Pango libraries are missing
        raise RenderError(
            f"Không tạo được PDF: thiếu WeasyPrint hoặc thư viện Pango ({str(exc)[:120]}). Cài bằng: "
            "pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2.",
            f"Cannot make a PDF: WeasyPrint or the Pango libraries are missing ({str(exc)[:120]}). Install: "
            "pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2.",
        ) from None
    allowed = {face["url"] for face in font_faces()}
    fetcher = _fetcher(weasyprint, allowed)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    pdf: bytes = document.write_pdf(font_config=fonts_mod.FontConfiguration())
    return pdf


def _fetcher(weasyprint: Any, allowed: set[str]) -> Any:
    def check(url: str) -> None:
        if url not in allowed and not url.startswith("data:"):
            raise ValueError(f"secaudit renders offline; not fetched: {url[:100]}")

    base = getattr(weasyprint, "URLFetcher", None)
    if base is not None:  # WeasyPrint >= 68
        class Fetcher(base):  # type: ignore[misc, valid-type]
            def fetch(self, url: str, headers: Any = None) -> Any:
                check(url)
                return super().fetch(url, headers)

        return Fetcher(allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> Any:
        check(url)
        return weasyprint.default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)

    return fetch
