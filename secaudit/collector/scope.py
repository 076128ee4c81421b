"""The one scoping function: what a user may see is the subtree of its scope unit, on every route.

Every read of units, agents, reports, hosts, findings or inventory filters by `visible_units(user)` (a
subquery of unit ids) or loads one object's unit and checks it with `unit_in_scope`/`require_unit`;
anything outside answers 404 (never 403: ids must not reveal what exists elsewhere).

The subtree follows the CURRENT tree (units.path, ids joined by "/"): a school moved to another ward is
visible to the new ward's officer with its history, and no longer to the old one's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError, not_found
from secaudit.collector.models import ApiToken, Unit, User


def _scope_path(session: Session, user: User) -> str:
    path = session.scalar(select(Unit.path).where(Unit.id == user.scope_unit_id))
    if path is None:  # the scope unit is gone: nothing is visible
        return "/none/"
    return path


def visible_units(session: Session, user: User) -> Select[int]:
    """SELECT of the ids of every unit in the user's subtree (its scope unit included)."""
    # paths are digits and "/" and end with "/": the subtree is the range [path, path without its last "/"
    # + "0") ("0" sorts right after "/"), which uses the path index (LIKE with autoescape did not)
    path = _scope_path(session, user)
    return select(Unit.id).where(Unit.path >= path, Unit.path < path[:-1] + "0")


def in_scope(session: Session, user: User, unit: Unit) -> bool:
    return unit.path.startswith(_scope_path(session, user))


def unit_in_scope(session: Session, user: User, code: str) -> Unit:
    """The unit with `code` if the user may see it; otherwise the same 404 as a unit that does not exist."""
    unit = session.scalar(select(Unit).where(Unit.code == code)) if _plausible(code) else None
    if unit is None or not in_scope(session, user, unit):
        raise unit_not_found(code)
    return unit


def _plausible(code: str) -> bool:
    """A code that can be in the table (no NUL: PostgreSQL would refuse the query itself)."""
    return 0 < len(code) <= 64 and "\x00" not in code


def require_unit(session: Session, user: User, unit_id: int) -> Unit:
    """For object routes (a report, a host): the object's unit must be in scope, else 404."""
    unit = session.get(Unit, unit_id)
    if unit is None or not in_scope(session, user, unit):
        raise not_found()
    return unit


def unit_not_found(code: str) -> ApiError:
    shown = code[:64]
    return not_found(f"Không tìm thấy đơn vị {shown!r}.", f"Unit {shown!r} not found.")


# --- FastAPI dependencies: the request's session and the caller --------------------------------

def db_session(request: Request) -> Iterator[Session]:
    """A read session for one request (routes and current_user share it: FastAPI caches dependencies)."""
    database: Database = request.app.state.db
    with database.read() as session:
        yield session


def current_user(request: Request, session: Session = Depends(db_session)) -> User:  # noqa: B008
    """The user of the `Authorization: Bearer <token>` header, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user = lookup_token(session, token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        raise ApiError(401, "unauthorized", "Cần mã truy cập hợp lệ (Authorization: Bearer ...).",
                       "A valid access token is required (Authorization: Bearer ...).",
                       {"WWW-Authenticate": "Bearer"})
    return user


def lookup_token(session: Session, token: str) -> User | None:
    if len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_hash(token)))
    if row is None or row.revoked_at is not None or row.user.disabled:
        return None
    return row.user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
