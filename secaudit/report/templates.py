"""The Jinja2 environments of the HTML, Markdown and PDF renderings (templates in report_templates/).

Agent strings are untrusted. HTML templates run with autoescape on; the Markdown environment
escapes Markdown and HTML metacharacters of every value it prints; both replace control and
bidi-override characters (see report/fmt.py). Templates only lay out a view model.
Jinja2 is imported when a rendering is asked for: `secaudit audit` stays fast.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

from secaudit.resources import shipped_dir
from secaudit.safetext import for_document


def render_template(env: Any, name: str, **context: Any) -> bytes:
    text: str = env.get_template(name).render(**context)
    return text.encode("utf-8")


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
def html_env() -> Any:
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
def md_env() -> Any:
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
