"""/login (an ordinary HTML form with a CSRF hidden field), /logout (POST with the session's CSRF token),
and the static files of the pages (/static/…, shipped in the package)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from secaudit.collector.db import Database
from secaudit.collector.scope import db_session
from secaudit.collector.web import auth
from secaudit.collector.web.access import check_csrf, client_of, page_router, record, safe_next, web_user
from secaudit.collector.web.render import page, remember_lang

router = page_router()

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml"}
_MAX_FORM = 8192  # bytes of a login form


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_form(request: Request, csrf: str, next_path: str, message: tuple[str, str] | None = None,
                name: str = "", status: int = 200) -> Response:
    response = page(request, "login.html.j2", {"login_csrf": csrf, "next": next_path, "message": message,
                                               "name": name}, status=status)
    response.set_cookie(auth.LOGIN_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(request),
                        path="/login")
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/", session: Session = Depends(db_session)) -> Response:  # noqa: B008
    if auth.lookup(session, request.cookies.get(auth.COOKIE, "")) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    csrf = request.cookies.get(auth.LOGIN_COOKIE) or ""
    return _login_form(request, csrf if 20 <= len(csrf) <= 100 else auth.new_csrf(), safe_next(next))


_MESSAGES = {
    "bad": ("Tên đăng nhập hoặc mật khẩu không đúng.", "The user name or password is not right."),
    "csrf": ("Phiên đăng nhập của biểu mẫu đã hết; hãy thử lại.", "The form has expired; try again."),
}


@router.post("/login")
async def login_submit(request: Request) -> Response:
    if int(request.headers.get("content-length") or 0) > _MAX_FORM:
        return Response(status_code=413)
    form = await request.form(max_files=0, max_fields=10)
    name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or "/"))
    expected = request.cookies.get(auth.LOGIN_COOKIE, "")
    if not auth.csrf_ok(expected, str(form.get("csrf") or "")):
        return _login_form(request, auth.new_csrf(), next_path, _MESSAGES["csrf"], name, status=403)
    database: Database = request.app.state.db
    client = client_of(request)
    with database.write() as session:
        outcome = auth.authenticate(session, name, password, client)
        token = auth.start_session(session, outcome, client)[0] if not isinstance(outcome, auth.Refused) else ""
    if isinstance(outcome, auth.Refused):
        record(request, name, {"bad": "login_failed", "rate": "login_rate_limited", "locked": "login_locked"}
               [outcome.reason], "/login")
        message = _MESSAGES["bad"]
        if outcome.reason == "rate":
            message = (f"Đăng nhập sai quá nhiều lần từ máy này; thử lại sau {outcome.wait_minutes} phút.",
                       f"Too many failed logins from this computer; try again in {outcome.wait_minutes} minutes.")
        elif outcome.reason == "locked":
            message = (f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {outcome.wait_minutes} phút.",
                       f"The account is locked after many failed logins; try again in {outcome.wait_minutes} "
                       "minutes.")
        status = 429 if outcome.reason == "rate" else 401
        return _login_form(request, expected, next_path, message, name, status=status)
    record(request, outcome.name, "login", "/login")
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(auth.COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/")
    response.delete_cookie(auth.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, current: auth.Current = Depends(web_user)) -> Response:  # noqa: B008
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(current, str(form.get("csrf") or ""))
    database: Database = request.app.state.db
    with database.write() as session:
        auth.end_session(session, current.session_id)
    record(request, current.name, "logout", "/logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    remember_lang(request, response)
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC / name
    kind = _STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response("Not found.", status_code=404, media_type="text/plain")
    return Response(path.read_bytes(), media_type=kind, headers={"Cache-Control": "max-age=3600"})
