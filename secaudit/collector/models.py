"""The core tables (SQLAlchemy 2). Times are stored as naive UTC and read back aware (UTCDateTime).

units            the unit tree as data (province -> ward/district -> school, any depth); `path` is the chain
                 of unit ids "/1/7/42/" so a subtree is one prefix (ids are digits: no LIKE wildcard can
                 hide in it); the playbook is the unit's own setting, inherited from the parent when empty
unit_events      history of the tree: created, renamed, moved (old and new parent), level and playbook changes
enroll_tokens    one-time enrollment tokens, stored as SHA-256, bound to a unit, with expiry and uses
agents           enrolled agents (agent id kept across key rotations), their unit and status
agent_keys       public keys by key id (the envelope's keyid is only a hint to find them)
reports          every accepted envelope, compressed, with what the receipt says; the unit is the agent's
                 at receipt (never the payload's); same agent and sequence with other bytes: both flagged
users, api_tokens  API accounts (role + scope unit) and their bearer tokens (SHA-256)
collector_keys   the key that signs receipts (and retired ones); receipts: every receipt as signed, numbered
                 in one hash chain whose head is receipt_chain (collector/receipts.py)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

AGENT_STATUSES = ("active", "suspended", "revoked")
ROLES = ("admin", "officer", "responder")
REPORT_KINDS = ("audit", "scan")
MAX_ROW_ID = 2**31 - 1  # Integer primary keys are 32-bit on PostgreSQL: a larger id names nothing (404)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC in the database (SQLite has no zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (Index("ix_units_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[str] = mapped_column(String(64), default="")
    playbook: Mapped[str | None] = mapped_column(String(128))  # own setting; None: the parent's
    path: Mapped[str] = mapped_column(String(2000))  # "/1/7/42/", indexed in __table_args__
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class UnitEvent(Base):
    __tablename__ = "unit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))  # created | renamed | moved | level | playbook
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300), default="")  # e.g. the CSV file imported


class EnrollToken(Base):
    __tablename__ = "enroll_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")

    unit: Mapped[Unit] = relationship()


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("enroll_tokens.id"))
    hostname: Mapped[str] = mapped_column(String(300), default="")
    os: Mapped[str] = mapped_column(String(300), default="")
    machine_id_sha256: Mapped[str] = mapped_column(String(64), default="")
    macs: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, as enrolled
    last_sequence: Mapped[int | None] = mapped_column(BigInteger)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    keys: Mapped[list[AgentKey]] = relationship(back_populates="agent")


class AgentKey(Base):
    __tablename__ = "agent_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_pk: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    public_key: Mapped[str] = mapped_column(Text)  # PEM
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent: Mapped[Agent] = relationship(back_populates="keys")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_agent_sequence", "agent_pk", "sequence"),
                      Index("ix_reports_unit_received", "unit_id", "received_at"),
                      # covering index of the dashboard's late/history queries (migration 0004)
                      Index("ix_reports_unit_kind_received", "unit_id", "kind", "received_at", "conflict", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_pk: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    key_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the agent's unit at receipt
    unit_path_at_receipt: Mapped[str] = mapped_column(Text, default="")  # codes root..unit, "/"-joined
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    envelope_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    envelope_z: Mapped[bytes] = mapped_column(LargeBinary)  # zlib of the exact envelope bytes
    envelope_size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16), default="https")  # https | usb
    kind: Mapped[str] = mapped_column(String(16), default="audit")  # audit | scan
    report_uuid: Mapped[str] = mapped_column(String(64), default="")
    playbook_id: Mapped[str] = mapped_column(String(128), default="")
    playbook_version: Mapped[str] = mapped_column(String(64), default="")
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hostname: Mapped[str] = mapped_column(String(300), default="")
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)  # same agent+sequence, other bytes

    agent: Mapped[Agent] = relationship()
    unit: Mapped[Unit] = relationship()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)

    scope_unit: Mapped[Unit] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class CollectorKey(Base):
    """The collector's Ed25519 key that signs receipts: one current key per database, kept with it (a
    backup carries it, so a restored collector continues its chain); a retired key stays listed so that
    the receipts it signed can still be checked."""

    __tablename__ = "collector_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(Text)  # PEM
    private_key: Mapped[str | None] = mapped_column(Text)  # PEM (PKCS#8); None once retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReceiptChain(Base):
    """The head of the receipt log (one row, id 1): every new receipt locks it, so receipts are numbered
    without gaps or forks even with several collector processes on one database."""

    __tablename__ = "receipt_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_index: Mapped[int] = mapped_column(BigInteger, default=0)
    head_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(64))  # the current signing key (None: not made yet)


class ReceiptRow(Base):
    """A signed receipt as handed out (DSSE bytes); `payload_sha256` is what the next receipt names as
    its predecessor."""

    __tablename__ = "receipts"

    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("collector_keys.key_id"))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)


class Quarantined(Base):
    """An envelope the collector refused (bad signature, unknown or revoked key, wrong schema...), kept for
    the security officer to examine rather than silently dropped (collector/quarantine.py). The same bytes
    refused again count on their row; the bytes themselves (zlib) only while the quarantine is under its
    size cap, else the row says what came, from where and why."""

    __tablename__ = "quarantine"
    __table_args__ = (Index("ix_quarantine_received", "received_at"),
                      Index("ix_quarantine_stored", "stored_size"))  # covering: the cap's sum is an index scan

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    envelope_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    times: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(16))  # https | usb
    source: Mapped[str] = mapped_column(String(300), default="")  # the client's address, or the file
    reason: Mapped[str] = mapped_column(String(64))  # the refusal's error code
    message_vi: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer)
    stored_size: Mapped[int] = mapped_column(Integer, default=0)  # len(raw_z); 0 when not kept
    raw_z: Mapped[bytes | None] = mapped_column(LargeBinary)
