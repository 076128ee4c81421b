"""Pages from the Jinja2 templates in report_templates/dashboard/ (autoescaped: every agent-supplied
string is escaped), with the security headers every dashboard answer carries."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from secaudit.collector.web import i18n
from secaudit.resources import shipped_dir

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LANG_MAX_AGE = 365 * 24 * 3600


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(shipped_dir("report_templates") / "dashboard")),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals["status_class"] = lambda status: f"st-{status}" if status else "st-none"
    return env


def lang_links(request: Request) -> dict[str, str]:
    """The current URL with ?lang=vi and ?lang=en (other parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    path = quote(request.url.path, safe="/")
    return {lang: path + "?" + urlencode([*params, ("lang", lang)]) for lang in i18n.LANGS}


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = i18n.language(request)
    current = getattr(request.state, "web_user", None)
    ctx = {"lang": lang, "tr": i18n.translator(lang), "txt": i18n.pick(lang),
           "status_text": lambda s: i18n.status_text(lang, s), "severity_text": lambda s: i18n.severity_text(lang, s),
           "lang_links": lang_links(request),
           "user": {"name": current.name, "role": current.role, "whole_tree": current.whole_tree} if current else None,
           "csrf": current.csrf if current else "", **context}
    html = environment().get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    remember_lang(request, response)
    return response


def remember_lang(request: Request, response: Response) -> None:
    asked = i18n.asked(request)
    if asked is not None and request.cookies.get(i18n.COOKIE) != asked:
        response.set_cookie(i18n.COOKIE, asked, max_age=LANG_MAX_AGE, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS on every answer outside /api/ (the API's JSON and its OpenAPI docs
    page keep their own), where the answer does not set them itself. Plain ASGI: starlette's
    BaseHTTPMiddleware costs every request (uploads too) an extra task and a copy of the body stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, sending)
