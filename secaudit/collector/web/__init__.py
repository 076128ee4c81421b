"""The dashboard: server-rendered pages on the collector for security officers and incident responders.

`install(app)` (called last by collector.app.create_app) adds the page routers (each made with
access.page_router(): out of the OpenAPI schema, errors as pages), answers errors on pages
as HTML (the same 404 page for what is out of scope and what does not exist; a redirect to /login
without a session; 403 for a POST without its CSRF token) while /api/ keeps its JSON errors, and puts
the security headers (CSP without inline scripts or styles, nosniff, no referrer, no framing) on every
answer outside /api/.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from secaudit.collector.errors import ApiError

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _is_page(request: Request, exc: Exception | None = None) -> bool:
    """Whether an error belongs to a page (HTML) rather than to the API (JSON)."""
    if request.url.path.startswith("/api/"):
        return False
    if getattr(request.state, "web_route", False):
        return True
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    from secaudit.collector.web import access, downloads, login, lookup, pages, render

    for router in (login.router, pages.router, lookup.router, downloads.router):
        app.include_router(router)
    json_api: Handler = app.exception_handlers[ApiError]
    json_http: Handler = app.exception_handlers[HTTPException]
    json_validation: Handler = app.exception_handlers[RequestValidationError]

    async def json_error(handler: Handler, request: Request, exc: Exception) -> Response:
        result = handler(request, exc)
        return await result if inspect.isawaitable(result) else result

    def error_page(request: Request, status: int, vi: str, en: str) -> Response:
        return render.page(request, "error.html.j2", {"status": status, "message": (vi, en)}, status=status)

    async def page_or_json(request: Request, exc: Exception, handler: Handler, status: int, vi: str,
                           en: str) -> Response:
        """The API's JSON error, or for a page the error page (one wording for every 404)."""
        if not _is_page(request):
            return await json_error(handler, request, exc)
        if status == 404:
            return error_page(request, 404, "Không tìm thấy trang này.", "This page was not found.")
        return error_page(request, status, vi, en)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return await page_or_json(request, exc, json_api, exc.status, exc.vi, exc.en)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return await page_or_json(request, exc, json_http, exc.status_code, "Yêu cầu không thực hiện được.",
                                  "The request cannot be served.")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return await json_error(json_validation, request, exc)
        return error_page(request, 400, "Địa chỉ trang có tham số không hợp lệ.", "The page address has an invalid "
                                                                                  "parameter.")

    @app.exception_handler(access.LoginRequired)
    async def _login(_request: Request, exc: access.LoginRequired) -> Response:
        return RedirectResponse(access.login_url(exc.next_path), status_code=303)

    @app.exception_handler(access.CsrfFailed)
    async def _csrf(request: Request, _exc: access.CsrfFailed) -> Response:
        return error_page(request, 403, "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang.",
                          "The form has expired or is not valid; reload the page.")

    app.add_middleware(render.SecurityHeaders)
