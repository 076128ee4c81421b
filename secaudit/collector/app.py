"""The FastAPI application: routers, the error format, OpenAPI at /api/v1/openapi.json.

Every error, ours or the framework's (unknown route, bad query parameter, a bug), answers
`{"error": {"code", "message": {"vi", "en"}}}`; an unexpected exception is logged and answers 500
without details (its transaction was rolled back: nothing stored is lost).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from secaudit import __version__
from secaudit.collector import api_core, api_reports, web
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError, error_body

log = logging.getLogger("secaudit.collector")

_HTTP_TEXTS = {
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ ở đây.", "Method not allowed here."),
}


def create_app(db: Database) -> FastAPI:
    app = FastAPI(title="secaudit collector", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    app.state.db = db
    app.state.enroll_limiter = api_core.make_limiter()
    app.state.upload_slots = api_core.make_upload_slots()
    app.include_router(api_core.router)
    app.include_router(api_reports.router)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        where = ", ".join(".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()[:3])
        return JSONResponse(error_body("bad_request", f"Tham số không hợp lệ: {where}.",
                                       f"Invalid parameter: {where}."), status_code=400)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code, vi, en = _HTTP_TEXTS.get(exc.status_code, ("http_error", "Yêu cầu không thực hiện được.",
                                                         "The request cannot be served."))
        return JSONResponse(error_body(code, vi, en), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        cause = getattr(exc, "orig", None) or exc
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    str(cause).splitlines()[0] if str(cause) else type(cause).__name__)
        return JSONResponse(error_body("database_unavailable", "Cơ sở dữ liệu tạm thời không dùng được; gửi lại sau.",
                                       "The database is unavailable for now; send again later."),
                            status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> JSONResponse:  # e.g. a NUL PostgreSQL refuses
        log.warning("data refused by the database on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("bad_request", "Dữ liệu gửi lên không hợp lệ.", "The data sent is not valid."),
                            status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "Lỗi máy chủ; yêu cầu không được ghi nhận.",
                                       "Server error; the request was not recorded."), status_code=500)

    web.install(app)  # the dashboard's pages: after the handlers above, which its own wrap for /api/
    return app

