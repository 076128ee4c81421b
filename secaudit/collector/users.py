"""API accounts: `collector users add NAME --role admin|officer|responder --scope UNIT` prints a bearer token
once; only its SHA-256 is stored. A user sees its scope unit's subtree (secaudit.collector.scope)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector.models import ROLES, ApiToken, Unit, User, utcnow
from secaudit.collector.scope import token_hash
from secaudit.errors import SecauditError

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")
TOKEN_PREFIX = "sat_"


class UserError(SecauditError):
    """A user cannot be added (exit 2)."""


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    scope: str
    token: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def add(session: Session, name: str, role: str, scope_code: str) -> NewUser:
    if not NAME_RE.fullmatch(name):
        raise UserError(f"Tên người dùng {name[:40]!r} không hợp lệ (chữ, số, '_', '.', '@', '-').",
                        f"The user name {name[:40]!r} is not valid (letters, digits, '_', '.', '@', '-').")
    if role not in ROLES:
        raise UserError(f"Vai trò phải là một trong {', '.join(ROLES)}.",
                        f"The role must be one of {', '.join(ROLES)}.")
    unit = session.scalar(select(Unit).where(Unit.code == scope_code))
    if unit is None:
        raise UserError(f"Không có đơn vị {scope_code[:64]!r}.", f"There is no unit {scope_code[:64]!r}.")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserError(f"Người dùng {name} đã có.", f"The user {name} already exists.")
    user = User(name=name, role=role, scope_unit_id=unit.id, created_at=utcnow())
    session.add(user)
    session.flush()
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_sha256=token_hash(token), created_at=utcnow()))
    session.flush()
    return NewUser(name, role, unit.code, token)


def _find(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserError(f"Không có người dùng {name[:40]!r}.", f"There is no user {name[:40]!r}.")
    return user


def listing(session: Session) -> list[tuple[str, str, str, bool, int]]:
    """(name, role, scope code, disabled, live tokens) of every user."""
    rows = []
    for user in session.scalars(select(User).order_by(User.name)):
        live = sum(1 for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
                   if t.revoked_at is None)
        rows.append((user.name, user.role, user.scope_unit.code, user.disabled, live))
    return rows


def new_api_token(session: Session, name: str) -> NewUser:
    """A new token for the user; its previous tokens stop working (a lost or leaked token)."""
    user = _find(session, name)
    now = utcnow()
    for old in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        old.revoked_at = now
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_sha256=token_hash(token), created_at=now))
    session.flush()
    return NewUser(user.name, user.role, user.scope_unit.code, token)


def set_disabled(session: Session, name: str, disabled: bool) -> None:
    _find(session, name).disabled = disabled
