"""Who is asking, per request: the session cookie's user (else a redirect to /login), the CSRF check of a
POST, and the audit log of what each user viewed, exported or downloaded.

Reads then go through the one scoping function (collector/scope.py) with that user, like the API's."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from secaudit.collector.db import Database
from secaudit.collector.scope import db_session
from secaudit.collector.web import auth
from secaudit.collector.web.models import WebAudit

log = logging.getLogger("secaudit.collector.web")


def mark_page(request: Request) -> None:
    """Router dependency of every page: its errors answer as HTML pages, not as the API's JSON."""
    request.state.web_route = True


def page_router() -> APIRouter:
    """An APIRouter for dashboard pages: kept out of the OpenAPI schema, errors rendered as pages."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(mark_page)])


class LoginRequired(Exception):
    """No valid session: the app redirects to /login?next=<path>."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(Exception):
    """A POST without the session's CSRF token: 403."""


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def target_of(request: Request) -> str:
    query = request.url.query
    return (request.url.path + ("?" + query if query else ""))[:2000]


def web_user(request: Request, session: Session = Depends(db_session)) -> auth.Current:  # noqa: B008
    """The logged-in user of the request (also kept in request.state.web_user for the templates)."""
    current = auth.lookup(session, request.cookies.get(auth.COOKIE, ""))
    if current is None:
        raise LoginRequired(safe_next(target_of(request)))
    if current.stale:
        database: Database = request.app.state.db
        with database.write() as write:
            auth.touch(write, current.session_id)
    request.state.web_user = current
    return current


def safe_next(path: str) -> str:
    """A local path to return to after login (never another site: //host, \\host, schemes)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or any(ord(c) < 32 for c in path):
        return "/"
    return path[:1000]


def login_url(next_path: str) -> str:
    return "/login" if next_path == "/" else "/login?next=" + quote(next_path, safe="/")


def check_csrf(current: auth.Current, given: str | None) -> None:
    if not auth.csrf_ok(current.csrf, given):
        raise CsrfFailed()


def record(request: Request, user_name: str, action: str, target: str | None = None) -> None:
    """One row of the audit log, in its own transaction."""
    database: Database = request.app.state.db
    with database.write() as session:
        session.add(WebAudit(user_name=auth.clip(user_name, 128), action=action,
                             target=auth.clip(target if target is not None else target_of(request), 2000),
                             client=auth.clip(client_of(request), 64)))
