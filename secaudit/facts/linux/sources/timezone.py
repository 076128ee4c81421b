"""The audited system's time zone, read once per collection: as a tzinfo, for local times in logs
(package history, scan summaries), and as a name, for the host table.

The files belong to the audited system: TZif bytes are fenced in before zoneinfo reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo

from secaudit.facts.common.values import first_line
from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources.osrelease import parse_os_release
from secaudit.transport.base import FactUnavailable

TZIF_MAX = 64 * 1024  # real TZif files are under 4 KiB


def tzif_rule(data: bytes) -> str | None:
    """The POSIX TZ rule a TZif v2+ file ends with (e.g. '<+07>-7'): a zone when no name is known."""
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    start = data.rfind(b"\n", 0, len(data) - 1)
    if start < 0:
        return None
    rule = data[start + 1:-1].decode("ascii", errors="replace").strip()
    return rule or None


def zone_from_tzif(data: bytes) -> tzinfo | None:
    """The time zone of TZif bytes (/etc/localtime), or None when they are not a usable TZif file.
    zoneinfo's reader trusts its input: it loops forever on a v2+ file without its final newline and
    raises struct.error, AssertionError, ValueError... on damaged ones, so it is fenced in here."""
    if len(data) > TZIF_MAX or not data.startswith(b"TZif"):
        return None
    if data[4:5] not in (b"\0", b"1") and not data.endswith(b"\n"):
        return None  # the v2+ footer is read byte by byte until a newline: there must be one
    import io
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo.from_file(io.BytesIO(data))
        for year in (1970, 2000, 2026, 2038, 2100):  # offsets of 24 h or more fail only when used
            datetime(year, 6, 1, tzinfo=zone).utcoffset()
    except Exception:  # a stdlib decoder of foreign bytes: any failure means "no zone"
        return None
    return zone


def zone_from_link(target: str) -> str | None:
    """'../usr/share/zoneinfo/Asia/Ho_Chi_Minh' -> 'Asia/Ho_Chi_Minh' (the target of /etc/localtime)."""
    marker = "zoneinfo/"
    i = target.find(marker)
    if i < 0:
        return None
    zone = target[i + len(marker):]
    for prefix in ("posix/", "right/"):
        zone = zone.removeprefix(prefix)
    return zone or None


@dataclass(frozen=True)
class TimeZone:
    zone: tzinfo  # UTC when none is found
    zone_source: str
    name: str | None  # an IANA name, or a POSIX TZ rule; None when none is found
    name_source: str | None


def timezone(ctx: FactContext) -> TimeZone:
    def compute() -> TimeZone:
        try:
            localtime: bytes | None = ctx.transport.read_bytes("/etc/localtime")
        except FactUnavailable:
            localtime = None
        configured = first_line(ctx.read_text("/etc/timezone"))
        zone, zone_source = _zone(localtime, configured)
        name, name_source = _name(ctx, localtime, configured)
        return TimeZone(zone, zone_source, name, name_source)

    return ctx.memo("timezone", compute)


def local_zone(ctx: FactContext) -> tzinfo:
    """The audited system's time zone, for local times in its logs."""
    return timezone(ctx).zone


def _zone(localtime: bytes | None, configured: str) -> tuple[tzinfo, str]:
    """/etc/localtime is what the C library uses; /etc/timezone names it on Debian."""
    zone = zone_from_tzif(localtime) if localtime is not None else None
    if zone is not None:
        return zone, "/etc/localtime"
    if configured:
        from zoneinfo import ZoneInfo

        try:
            return ZoneInfo(configured), "/etc/timezone"
        except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            pass
    return UTC, "UTC (no time zone found)"


def _name(ctx: FactContext, localtime: bytes | None, configured: str) -> tuple[str | None, str | None]:
    if configured:
        return configured, "/etc/timezone"
    if ctx.transport.live:  # the transport cannot read a link, readlink can
        try:
            res = ctx.transport.run(["readlink", "/etc/localtime"], timeout=2)
            linked = zone_from_link(res.stdout.strip()) if res.rc == 0 else None
            if linked:
                return linked, "/etc/localtime -> " + res.stdout.strip()
        except FactUnavailable:
            pass
    clock = parse_os_release(ctx.read_text("/etc/sysconfig/clock") or "")
    if clock.get("ZONE"):
        return clock["ZONE"], "/etc/sysconfig/clock"
    rule = tzif_rule(localtime) if localtime is not None else None
    if rule:
        return rule, "/etc/localtime (POSIX TZ rule)"
    return None, None
