"""The dashboard's tables (migration 0003_web), beside the collector's own users:

web_credentials   a user's web password (argon2id hash, never the password), its failed logins in a row
                  and the time its lockout ends
web_sessions      server-side sessions: the cookie holds a random token, the table its SHA-256, the CSRF
                  token of the session's forms, idle and absolute expiry
web_login_failures  failed logins by account and client address (rate limiting per account + address)
web_audit         who viewed or exported what, logins and logouts included
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from secaudit.collector.models import Base, UTCDateTime, utcnow


class WebCredential(Base):
    __tablename__ = "web_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed logins since the last success
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # absolute end
    client: Mapped[str] = mapped_column(String(64), default="")


class WebLoginFailure(Base):
    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_account_at", "account", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(128))
    client: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebAudit(Base):
    __tablename__ = "web_audit"
    __table_args__ = (Index("ix_web_audit_at", "at"), Index("ix_web_audit_user_at", "user_name", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_name: Mapped[str] = mapped_column(String(128), default="")  # as typed, for failed logins
    action: Mapped[str] = mapped_column(String(32))  # login | login_failed | locked | logout | view | export | download
    target: Mapped[str] = mapped_column(Text, default="")  # the path and query viewed or exported
    client: Mapped[str] = mapped_column(String(64), default="")
