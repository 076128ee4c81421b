"""RFC 3339 UTC times, as every table and report writes them ("2026-11-20T08:30:00Z")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Times outside what RFC 3339 can write (a file touched to year 30000 in an image) are pinned to its ends.
_FIRST, _LAST = -62135596800, 253402300799  # 0001-01-01T00:00:00Z, 9999-12-31T23:59:59Z


def rfc3339(ts: float) -> str:
    """Unix seconds as an RFC 3339 UTC string; never raises (NaN is the epoch, ±inf the ends)."""
    if ts != ts:  # NaN
        ts = 0
    seconds = int(min(max(ts, _FIRST), _LAST))
    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def parse_rfc3339(value: object) -> datetime:
    """An aware UTC datetime from our own format; ValueError for anything else."""
    return datetime.strptime(str(value), FORMAT).replace(tzinfo=UTC)


def parse_rfc3339_or_none(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None
