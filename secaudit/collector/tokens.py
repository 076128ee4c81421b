"""Enrollment tokens: one-time (or N uses), expiring, bound to a unit, stored only as SHA-256.

A token is 125 random bits written as five groups of five base32 letters and digits ("K7QPA-..."), easy to
read over the phone; dashes, spaces and case do not matter when it is typed back.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector.models import EnrollToken, Unit, utcnow
from secaudit.errors import SecauditError

MAX_TTL = timedelta(days=30)
DEFAULT_TTL = timedelta(days=7)
MAX_USES = 10_000
_TTL_RE = re.compile(r"(\d{1,6})([mhd])")
_TOKEN_RE = re.compile(r"[A-Z2-7]{25}")


class TokenError(SecauditError):
    """A token cannot be created (exit 2)."""


@dataclass(frozen=True)
class NewToken:
    token: str
    unit_code: str
    expires_at: datetime
    max_uses: int


def parse_ttl(text: str) -> timedelta:
    match = _TTL_RE.fullmatch(text.strip().lower())
    if not match:
        raise TokenError(f"Thời hạn {text[:20]!r} không hợp lệ (ví dụ 7d, 24h, 30m).",
                         f"The lifetime {text[:20]!r} is not valid (e.g. 7d, 24h, 30m).")
    n, unit = int(match.group(1)), match.group(2)
    ttl = timedelta(minutes=n) if unit == "m" else timedelta(hours=n) if unit == "h" else timedelta(days=n)
    if not timedelta(minutes=1) <= ttl <= MAX_TTL:
        raise TokenError("Thời hạn của mã đăng ký phải từ 1 phút đến 30 ngày.",
                         "An enrollment token's lifetime must be between 1 minute and 30 days.")
    return ttl


def normalise(token: str) -> str | None:
    """The canonical form of a typed token, or None when it cannot be one of ours."""
    if not isinstance(token, str) or len(token) > 64:
        return None
    cleaned = re.sub(r"[\s-]", "", token).upper()
    return cleaned if _TOKEN_RE.fullmatch(cleaned) else None


def token_sha256(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _generate() -> str:
    raw = base64.b32encode(secrets.token_bytes(16)).decode("ascii")[:25]
    return "-".join(raw[i:i + 5] for i in range(0, 25, 5))


def create(session: Session, unit_code: str, ttl: timedelta = DEFAULT_TTL, uses: int = 1, note: str = "") -> NewToken:
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise TokenError(f"Không có đơn vị {unit_code[:64]!r} (nhập cây đơn vị bằng 'collector units import').",
                         f"There is no unit {unit_code[:64]!r} (import the unit tree with 'collector units import').")
    if not 1 <= uses <= MAX_USES:
        raise TokenError(f"Số lần dùng phải từ 1 đến {MAX_USES}.", f"The number of uses must be 1 to {MAX_USES}.")
    token = _generate()
    now = utcnow()
    row = EnrollToken(token_sha256=token_sha256(token.replace("-", "")), unit_id=unit.id, created_at=now,
                      expires_at=now + ttl, max_uses=uses, uses=0, note=note[:300])
    session.add(row)
    session.flush()
    return NewToken(token, unit.code, row.expires_at, uses)


def find_usable(session: Session, token: str, now: datetime) -> EnrollToken | None:
    """The token's row, locked for this transaction, when it exists, is not revoked or expired and has a use
    left; None otherwise (the caller answers the same 401 for unknown, used and expired: no oracle)."""
    canonical = normalise(token)
    if canonical is None:
        return None
    row = session.scalar(select(EnrollToken).where(EnrollToken.token_sha256 == token_sha256(canonical))
                         .with_for_update())
    if row is None or row.revoked_at is not None or row.expires_at <= now or row.uses >= row.max_uses:
        return None
    return row


@dataclass(frozen=True)
class TokenRow:
    id: int
    unit: str
    created_at: datetime
    expires_at: datetime
    uses: int
    max_uses: int
    state: str  # usable | used | expired | revoked


def listing(session: Session, now: datetime) -> list[TokenRow]:
    rows = []
    for row in session.scalars(select(EnrollToken).order_by(EnrollToken.id)):
        state = ("revoked" if row.revoked_at is not None else "used" if row.uses >= row.max_uses
                 else "expired" if row.expires_at <= now else "usable")
        rows.append(TokenRow(row.id, row.unit.code, row.created_at, row.expires_at, row.uses, row.max_uses, state))
    return rows


def revoke(session: Session, token_id: int, now: datetime) -> None:
    row = session.get(EnrollToken, token_id)
    if row is None:
        raise TokenError(f"Không có mã đăng ký số {token_id}.", f"There is no enrollment token number {token_id}.")
    row.revoked_at = row.revoked_at or now
