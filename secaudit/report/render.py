"""Renderings of a report payload: HTML, Markdown, the official Vietnamese PDF, SARIF and CSV.

Agent strings are untrusted. HTML templates run with autoescape on; the Markdown environment
escapes Markdown and HTML metacharacters of every value it prints; both replace control and
bidi-override characters (see viewmodel.Fmt). Templates only lay out a view model.
Jinja2 and WeasyPrint are imported when a rendering is asked for: `secaudit audit` stays fast.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

from secaudit.errors import SecauditError
from secaudit.report import RENDER_FORMATS as FORMATS
from secaudit.report.viewmodel import HTML_CAPS, PDF_CAPS, DocInfo, Fmt, official_view, report_view, unit_view
from secaudit.resources import shipped_dir
from secaudit.safetext import for_document


class RenderError(SecauditError):
    pass


def render(report: dict[str, Any], fmt: str, lang: str = "vi", *, doc: DocInfo | None = None,
           signature: dict[str, str] | None = None) -> bytes:
    """One host's report in `fmt` (html|md|pdf|sarif|csv). `signature` ({keyid, fingerprint}) is
    shown when the caller verified the envelope; `doc` fills the official PDF's header."""
    lang = _lang(lang)
    if fmt == "html":
        view = report_view(report, lang, HTML_CAPS, signature=signature)
        return _text(_html_env(), "report.html.j2", vm=view, t=view["t"])
    if fmt == "md":
        view = report_view(report, lang, HTML_CAPS, signature=signature, one_line=True)
        return _text(_md_env(), "report.md.j2", vm=view, t=view["t"])
    if fmt == "pdf":
        view = report_view(report, lang, PDF_CAPS, signature=signature)
        head = official_view(Fmt(lang, PDF_CAPS), report.get("unit") or {}, view["generated"]["dt"], doc,
                             view["playbook"])
        html = _html_env().get_template("official.html.j2").render(vm=view, doc=head, t=view["t"])
        return html_to_pdf(html)
    if fmt == "sarif":
        from secaudit.report import sarif

        return bytes(sarif.render([report], lang))
    if fmt == "csv":
        from secaudit.report import csvout

        return bytes(csvout.render([report], lang))
    raise _unknown_format(fmt)


def render_unit(reports: list[dict[str, Any]], fmt: str, lang: str = "vi", *, doc: DocInfo | None = None,
                signatures: list[dict[str, str] | None] | None = None) -> bytes:
    """One document for a school: summary over hosts, roll-up per requirement, then each host."""
    lang = _lang(lang)
    if not reports:
        raise RenderError("Không có báo cáo nào để tổng hợp.", "There are no reports to consolidate.")
    if fmt == "html":
        view = unit_view(reports, lang, HTML_CAPS, signatures)
        return _text(_html_env(), "unit.html.j2", uv=view, t=view["t"])
    if fmt == "md":
        view = unit_view(reports, lang, HTML_CAPS, signatures, one_line=True)
        return _text(_md_env(), "unit.md.j2", uv=view, t=view["t"])
    if fmt == "pdf":
        view = unit_view(reports, lang, PDF_CAPS, signatures)
        head = official_view(Fmt(lang, PDF_CAPS), _unit_of(reports), view["latest"], doc, view["playbook"])
        html = _html_env().get_template("official_unit.html.j2").render(uv=view, doc=head, t=view["t"])
        return html_to_pdf(html)
    if fmt == "sarif":
        from secaudit.report import sarif

        return bytes(sarif.render(reports, lang))
    if fmt == "csv":
        from secaudit.report import csvout

        return bytes(csvout.render(reports, lang))
    raise _unknown_format(fmt)


def _text(env: Any, name: str, **context: Any) -> bytes:
    text: str = env.get_template(name).render(**context)
    return text.encode("utf-8")


def _lang(lang: str) -> str:
    return lang if lang in ("vi", "en") else "vi"


def _unknown_format(fmt: str) -> RenderError:
    return RenderError(f"Định dạng '{fmt[:20]}' không được hỗ trợ (chọn: {', '.join(FORMATS)}).",
                       f"The format '{fmt[:20]}' is not supported (choose: {', '.join(FORMATS)}).")


def _unit_of(reports: list[dict[str, Any]]) -> dict[str, Any]:
    for report in reports:
        unit = report.get("unit") or {}
        if unit.get("name") or unit.get("code"):
            return dict(unit)
    return {}


# --- template environments ---------------------------------------------------------------------


def _html_finalize(value: Any) -> Any:
    if value.__class__ is str:  # Markup and numbers pass; the view model has cleaned agent text already
        return for_document(value)
    return "" if value is None else value


class MdSafe(str):
    """Markdown written by secaudit itself (never agent data): printed as it is."""


_MD_META = re.compile(r"[\\`*_\[\]|~<>&]")
_MD_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_WS = re.compile(r"\s+")


def md_escape(value: Any) -> str:
    """One inline Markdown value: whitespace collapsed to single spaces (no new lines, tables or
    code blocks), emphasis, links, code, pipes and HTML neutralised."""
    if value is None:
        return ""
    if isinstance(value, MdSafe):
        return str(value)
    text = _WS.sub(" ", value if isinstance(value, str) else str(value)).strip()
    text = for_document(text)
    text = _MD_META.sub(lambda m: _MD_ENTITY.get(m.group(), "\\" + m.group()), text)
    if text[:1] in ("#", "+", "-", "=", ">"):
        text = "\\" + text
    return text


@cache
def _html_env() -> Any:
    jinja2 = importlib.import_module("jinja2")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(shipped_dir("report_templates"))),
        autoescape=jinja2.select_autoescape(default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        finalize=_html_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@cache
def _md_env() -> Any:
    jinja2 = importlib.import_module("jinja2")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(shipped_dir("report_templates"))),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=md_escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["md"] = MdSafe
    return env


# --- PDF ---------------------------------------------------------------------------------------


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, fetching nothing but the embedded font files (and data: URLs)."""
    from secaudit.report.viewmodel import font_faces

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
