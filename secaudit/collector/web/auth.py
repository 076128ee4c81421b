"""Web logins on top of the collector's users: argon2id passwords, server-side sessions, CSRF tokens,
rate limiting per account + client address, account lockout.

- A password is set with `secaudit collector users add|password NAME --password-stdin`; only its argon2id
  hash is stored (web_credentials). The API bearer tokens are separate and unchanged.
- A session is a random token in an HttpOnly, SameSite=Strict cookie (Secure when served over TLS); the
  database keeps its SHA-256, the user, the CSRF token of its forms, and its idle and absolute expiry.
- Failed logins: more than RATE_LIMIT from one client address for one account within RATE_WINDOW are
  refused before the password is looked at; LOCK_AFTER failures in a row lock the account for
  LOCK_FOR (whatever the address). An unknown account costs the same argon2 time as a known one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from secaudit.collector.models import User, utcnow
from secaudit.collector.web.models import WebCredential, WebLoginFailure, WebSession
from secaudit.errors import SecauditError

COOKIE = "secaudit_session"
LOGIN_COOKIE = "secaudit_login"  # the CSRF token of the login form, before there is a session
IDLE = timedelta(minutes=60)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=2)  # last_seen is written at most this often
RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=15)
LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD, MAX_PASSWORD = 10, 1024


class PasswordError(SecauditError):
    """A web password cannot be set (exit 2)."""


@cache
def _hasher() -> Any:
    from argon2 import PasswordHasher  # the collector extra; imported only where passwords are handled

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, 64 MiB, p=4)


@cache
def _dummy_hash() -> str:
    return str(_hasher().hash(secrets.token_hex(16)))


def normalize(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return str(_hasher().hash(normalize(password)))


def set_password(session: Session, user: User, password: str) -> None:
    password = normalize(password)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PasswordError(f"Mật khẩu phải dài từ {MIN_PASSWORD} đến {MAX_PASSWORD} ký tự.",
                            f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.")
    cred = session.get(WebCredential, user.id)
    if cred is None:
        cred = WebCredential(user_id=user.id, password_hash="", failures=0)
        session.add(cred)
    cred.password_hash = hash_password(password)
    cred.set_at = utcnow()
    cred.failures, cred.locked_until = 0, None
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))  # a new password ends sessions
    session.flush()


def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, normalize(password)))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Refused:
    """Why a login was refused: `bad` (wrong name or password), `rate` (too many tries from here),
    `locked` (the account is locked): the page says the same for `bad` whatever was wrong."""

    reason: str
    wait_minutes: int = 0


def clip(text: str, n: int) -> str:
    return text.replace("\x00", "")[:n]


def authenticate(session: Session, name: str, password: str, client: str) -> User | Refused:
    """The user when the name and password are right and no limit applies; records failures."""
    now = utcnow()
    account, client = clip(name, 128), clip(client, 64)
    recent = session.scalar(select(func.count()).select_from(WebLoginFailure).where(
        WebLoginFailure.account == account, WebLoginFailure.client == client,
        WebLoginFailure.at >= now - RATE_WINDOW)) or 0
    if recent >= RATE_LIMIT:
        return Refused("rate", _minutes(RATE_WINDOW))
    user = session.scalar(select(User).where(User.name == account)) if account else None
    cred = session.get(WebCredential, user.id) if user is not None else None
    if cred is not None and cred.locked_until is not None and cred.locked_until > now:
        return Refused("locked", _minutes(cred.locked_until - now))
    ok = _verify(cred.password_hash if cred is not None else _dummy_hash(), password[:MAX_PASSWORD * 4])
    if ok and user is not None and cred is not None and not user.disabled:
        cred.failures, cred.locked_until = 0, None
        if _hasher().check_needs_rehash(cred.password_hash):
            cred.password_hash = hash_password(password)
        session.flush()
        return user
    session.add(WebLoginFailure(account=account, client=client, at=now))
    if cred is not None and ok is False:
        cred.failures += 1
        if cred.failures >= LOCK_AFTER:
            cred.failures, cred.locked_until = 0, now + LOCK_FOR
            session.flush()
            return Refused("locked", _minutes(LOCK_FOR))
    session.execute(delete(WebLoginFailure).where(WebLoginFailure.at < now - 2 * RATE_WINDOW))
    session.flush()
    return Refused("bad")


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


# --- sessions -----------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(session: Session, user: User, client: str) -> tuple[str, WebSession]:
    """A new session for the user: (the cookie's token, the row)."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = WebSession(token_sha256=token_hash(token), user_id=user.id, csrf=secrets.token_urlsafe(32),
                     created_at=now, last_seen=now, expires_at=now + ABSOLUTE, client=clip(client, 64))
    session.add(row)
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return token, row


@dataclass(frozen=True)
class Current:
    """The logged-in user of a request and its session."""

    user: User  # bound to the request's read session: for queries, not for templates
    name: str
    role: str
    session_id: int
    csrf: str
    stale: bool  # last_seen should be written again
    whole_tree: bool = False  # an admin whose scope is a root unit: sees what belongs to no unit (quarantine)


def lookup(session: Session, token: str, now: datetime | None = None) -> Current | None:
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == token_hash(token)))
    if row is None or row.expires_at <= now or row.last_seen + IDLE <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled or session.get(WebCredential, user.id) is None:
        return None
    whole_tree = user.role == "admin" and user.scope_unit.parent_id is None
    return Current(user, user.name, user.role, row.id, row.csrf, row.last_seen + TOUCH_EVERY <= now, whole_tree)


def touch(session: Session, session_id: int) -> None:
    row = session.get(WebSession, session_id)
    if row is not None:
        row.last_seen = utcnow()


def end_session(session: Session, session_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8",
                                                                                                        "replace"))


def new_csrf() -> str:
    return secrets.token_urlsafe(32)
