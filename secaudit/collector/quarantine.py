"""The quarantine: envelopes the collector refused, kept for the security officer (collector-design §6.6,
§6.10: "nothing is silently dropped"). An unknown key may be a school that was never enrolled or a
rogue device; a bad signature, a tampered report; a revoked key still sending, a stolen one.

`keep` runs after the refusal, in a transaction of its own: the refusal's answer never depends on it (a
failure here is logged, not raised). Hostile senders cannot fill the disk: the same bytes again only
count on their row; the bytes are kept (zlib) while the quarantine holds less than MAX_BYTES of them,
after that only what came, from where and why; past MAX_ROWS rows nothing more is written but a log line.
`secaudit collector quarantine list | export | purge` reads and empties it; the dashboard's /quarantine
shows it to an admin of a whole tree (a refused envelope may belong to no unit).
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from secaudit.collector.db import Database
from secaudit.collector.models import Quarantined, utcnow
from secaudit.collector.sqlutil import clip
from secaudit.limits import ENVELOPE
from secaudit.timefmt import FORMAT

MAX_ROWS = 10_000
MAX_BYTES = 256 * 1024 * 1024  # of compressed envelopes
STATUSES = (400, 401, 403, 413)  # refusals of the envelope itself (not of the caller's request)

log = logging.getLogger("secaudit.collector")


@dataclass(frozen=True)
class Refusal:
    channel: str
    source: str | None
    reason: str
    vi: str
    en: str


def keep(db: Database, raw: bytes, refusal: Refusal) -> None:
    """Record a refused envelope; never raises (the refusal is answered whatever happens here)."""
    for attempt in range(2):
        try:
            with db.write() as session:
                _keep(session, raw, refusal, utcnow())
            return
        except SQLAlchemyError as exc:
            if isinstance(exc, IntegrityError) and attempt == 0:
                continue  # the same bytes recorded meanwhile by another process: count on that row
            log.exception("refused envelope %s (%s) not quarantined", hashlib.sha256(raw).hexdigest(),
                          refusal.reason)
            return


def _keep(session: Session, raw: bytes, refusal: Refusal, now: datetime) -> None:
    sha = hashlib.sha256(raw).hexdigest()
    row = session.scalar(select(Quarantined).where(Quarantined.envelope_sha256 == sha))
    if row is not None:
        row.times += 1
        row.last_at = now
        return
    count, stored = session.execute(select(func.count(), func.coalesce(func.sum(Quarantined.stored_size), 0))).one()
    if count >= MAX_ROWS:
        log.warning("quarantine full (%d rows): refused envelope %s (%s, %s) only logged", count, sha,
                    refusal.reason, refusal.source or refusal.channel)
        return
    blob = zlib.compress(raw, 6) if len(raw) <= ENVELOPE else None
    if blob is not None and stored + len(blob) > MAX_BYTES:
        blob = None
    session.add(Quarantined(envelope_sha256=sha, received_at=now, last_at=now, times=1, channel=refusal.channel,
                            source=clip(refusal.source, 300), reason=clip(refusal.reason, 64),
                            message_vi=clip(refusal.vi, 2000), message_en=clip(refusal.en, 2000), size=len(raw),
                            stored_size=len(blob) if blob else 0, raw_z=blob))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Quarantined)) or 0)


def listing(session: Session, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """The newest rows first."""
    rows = session.execute(select(
        Quarantined.id, Quarantined.received_at, Quarantined.last_at, Quarantined.times, Quarantined.channel,
        Quarantined.source, Quarantined.reason, Quarantined.message_vi, Quarantined.message_en, Quarantined.size,
        Quarantined.stored_size, Quarantined.envelope_sha256).order_by(Quarantined.id.desc()).limit(limit)
        .offset(offset))
    return [{"id": r.id, "received_at": r.received_at.strftime(FORMAT), "last_at": r.last_at.strftime(FORMAT),
             "times": r.times, "channel": r.channel, "source": r.source, "reason": r.reason,
             "message": {"vi": r.message_vi, "en": r.message_en}, "size": r.size, "kept": r.stored_size > 0,
             "envelope_sha256": r.envelope_sha256} for r in rows]


def envelope(session: Session, row_id: int) -> bytes | None:
    """The refused envelope's exact bytes; None when there is no such row or its bytes were not kept."""
    blob = session.scalar(select(Quarantined.raw_z).where(Quarantined.id == row_id))
    return zlib.decompress(blob) if blob else None


def exists(session: Session, row_id: int) -> bool:
    return session.scalar(select(Quarantined.id).where(Quarantined.id == row_id)) is not None


def purge(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Delete the rows last seen more than `older_than_days` days ago (0: all); how many."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    done = session.execute(delete(Quarantined).where(Quarantined.last_at <= cutoff))
    return int(getattr(done, "rowcount", 0) or 0)
