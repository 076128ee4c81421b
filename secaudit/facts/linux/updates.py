"""Updates: whether they install themselves (apt's unattended-upgrades, dnf-automatic, yum-cron), when the
system was last updated (apt/dnf/yum history, else the package database's mtime), and what is pending
(Ubuntu's update-notifier, a reboot the last upgrade asked for)."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, tzinfo

from secaudit import limits
from secaudit.facts.context import FactContext
from secaudit.facts.linux.apt import apt_config, apt_lists, parse_apt_history
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import (
    disabled_package_unit,
    enabled_unit,
    unit_masked,
)
from secaudit.facts.linux.sources.timezone import local_zone
from secaudit.facts.model import SystemTable
from secaudit.fsutil import TooLarge, gunzip_capped
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable


def _interval_on(value: str) -> bool:
    """APT::Periodic intervals: "0" or "" is off; "1", "7", "always", "1d", "12h" are on."""
    v = value.strip().lower()
    if v == "always":
        return True
    m = re.fullmatch(r"([0-9]+)\s*[smhd]?", v)
    return bool(m and m.group(1).lstrip("0"))  # not int(): a 5000-digit value must not raise


_UU_LISTS = ("unattended-upgrade::origins-pattern", "unattended-upgrade::allowed-origins")
_RESTRICTING = {"codename", "n", "archive", "a", "suite", "label", "l"}


def security_origin(item: str, pattern: bool) -> bool:
    """Whether one unattended-upgrades origin lets security updates through. An Origins-Pattern
    ("origin=Debian,codename=${distro_codename},label=Debian-Security") does when a value names security
    or when nothing restricts the archive of Debian or Ubuntu ("origin=Debian" takes all); an Allowed-Origins
    entry ("${distro_id}:${distro_codename}-security") when its archive does. Ubuntu Pro's ESM origins
    need a subscription and do not count."""
    if pattern:
        fields = [part.partition("=") for part in re.split(r"(?<!\\),", item)]
        pairs = {k.strip().lower(): v.strip() for k, eq, v in fields if eq}
        if "esm" in pairs.get("origin", pairs.get("o", "")).lower():
            return False
        if any("security" in v.lower() for v in pairs.values()):
            return True
        origin = pairs.get("origin", pairs.get("o", "*")).lower()
        return (bool(pairs) and origin in ("debian", "ubuntu", "${distro_id}", "*")
                and not any(k in _RESTRICTING and v != "*" for k, v in pairs.items()))
    origin, _, archive = item.rpartition(":")
    return "esm" not in origin.lower() and "security" in archive.lower()


def _security_origins(ctx: FactContext) -> tuple[bool | None, str]:
    """(True/False, where) when unattended-upgrades' origins are configured; (None, "") when unset."""
    lists = apt_lists(ctx)
    items = [(item, where, key == _UU_LISTS[0]) for key in _UU_LISTS for item, where in lists.get(key, [])]
    if not items:
        return None, ""
    good = [where for item, where, pattern in items if security_origin(item, pattern)]
    if good:
        return True, good[0]
    shown = "; ".join(f'{where}: "{item}"' for item, where, _ in items[:5]) + ("; ..." if len(items) > 5 else "")
    return False, f"Unattended-Upgrade::Origins-Pattern/Allowed-Origins: {shown}"


def auto_updates(ctx: FactContext) -> tuple[bool | None, str | None, str | None]:
    """(enabled, source, reason). Reasons: enabled, not_set, setting_off, periodic_disabled,
    package_missing, lists_off, timer_masked, timer_disabled, no_security_origin (unattended-upgrades runs
    but no allowed origin takes the security archive: it installs no security update), no_timer,
    apply_off, unreadable."""
    if ctx.transport.exists("/var/lib/dpkg/status") or ctx.transport.exists("/etc/apt"):
        conf = apt_config(ctx)
        enable = conf.get("apt::periodic::enable")
        if enable is not None and enable[0].strip() == "0":
            return False, f'{enable[1]}: APT::Periodic::Enable "0"', "periodic_disabled"
        setting = conf.get("apt::periodic::unattended-upgrade")
        if setting is None:
            return False, "APT::Periodic::Unattended-Upgrade", "not_set"
        source = f'{setting[1]}: APT::Periodic::Unattended-Upgrade "{setting[0]}"'
        if not _interval_on(setting[0]):
            return False, source, "setting_off"
        lists = conf.get("apt::periodic::update-package-lists")
        if lists is not None and not _interval_on(lists[0]):
            # apt.systemd.daily then never runs `apt-get update`: unattended-upgrade sees no new version
            return False, f'{lists[1]}: APT::Periodic::Update-Package-Lists "{lists[0]}"', "lists_off"
        if dpkg.is_installed(ctx, "unattended-upgrades") is False:
            return False, "/var/lib/dpkg/status: unattended-upgrades", "package_missing"
        for timer in ("apt-daily-upgrade.timer", "apt-daily.timer"):
            if unit_masked(ctx, timer):
                return False, f"/etc/systemd/system/{timer} -> /dev/null", "timer_masked"
            # `systemctl disable` removes the timers.target.wants link of a timer apt installed: apt-daily
            # updates the lists, apt-daily-upgrade installs; without either nothing new is installed.
            if disabled_package_unit(ctx, timer):
                return False, f"{timer} (no link in a .wants directory)", "timer_disabled"
        has_security, where = _security_origins(ctx)
        if has_security is False:
            return False, where, "no_security_origin"
        if has_security is None and dpkg.is_installed(ctx, "unattended-upgrades") is True:
            return False, ("no Unattended-Upgrade::Origins-Pattern or Allowed-Origins in /etc/apt/apt.conf.d "
                           "(50unattended-upgrades missing?)"), "no_security_origin"
        return True, source, "enabled"
    if ctx.transport.exists("/etc/dnf") or ctx.transport.exists("/etc/yum.conf"):
        link = enabled_unit(ctx, "dnf-automatic-install.timer")
        if link:
            return True, link, "enabled"
        link = enabled_unit(ctx, "dnf-automatic.timer", "dnf5-automatic.timer")
        conf_path = "/etc/dnf/automatic.conf"
        if link is None:
            link = enabled_unit(ctx, "yum-cron.service")
            conf_path = "/etc/yum/yum-cron.conf"
        if link is None:
            return False, "dnf-automatic.timer, yum-cron.service", "no_timer"
        import configparser

        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(ctx.read_text(conf_path) or "")
        except configparser.Error:
            return None, conf_path, "unreadable"
        apply = parser.get("commands", "apply_updates", fallback="no").strip().lower()
        on = apply in ("yes", "true", "1", "on")
        return on, f"{link}; {conf_path}: apply_updates = {apply}", "enabled" if on else "apply_off"
    return None, None, None


def _history_files(ctx: FactContext, directory: str, base: str) -> list[str]:
    """history.log, history.log.1, history.log.2.gz, ... newest first (also -YYYYMMDD suffixes)."""
    def order(name: str) -> tuple[int, str]:
        rest = name[len(base):].removesuffix(".gz")
        if rest == "":
            return (0, "")
        if rest.startswith(".") and rest[1:].isascii() and rest[1:].isdigit() and len(rest) < 12:
            return (int(rest[1:]), "")
        return (1, "~" + "".join(chr(0x10FFFF - ord(c)) for c in rest))  # dates: newest first

    names = [n for n in ctx.list_dir(directory) if n == base or n.startswith(base + ".")
             or n.startswith(base + "-")]
    return [f"{directory}/{n}" for n in sorted(names, key=order)]


def _read_log(ctx: FactContext, path: str) -> str | None:
    try:
        raw = ctx.transport.read_bytes(path, cap=limits.LOG_FILE)
        if path.endswith(".gz"):
            raw = gunzip_capped(raw, limits.LOG_FILE)
    except (FactUnavailable, TooLarge, OSError, EOFError, zlib.error):
        return None
    return raw.decode("utf-8", errors="replace")


def _to_utc(local: str, zone: tzinfo) -> str | None:
    try:
        return _utc_text(datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone))
    except ValueError:
        return None


def _utc_text(dt: datetime) -> str | None:
    """RFC 3339 UTC of an aware time from a log, or None when it has no such time (year 1 at
    +07:00 is year 0 in UTC; a damaged zone gives offsets datetime refuses)."""
    try:
        return rfc3339(dt.timestamp())
    except (ValueError, OverflowError, OSError):
        return None


def _dnf_time(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:  # month 13, hour 25...
        return None


def last_update(ctx: FactContext) -> tuple[str | None, str | None]:
    files = _history_files(ctx, "/var/log/apt", "history.log")
    if files:
        zone = None
        oldest: tuple[str, str] | None = None
        for path in files:
            text = _read_log(ctx, path)
            if text is None:
                continue
            try:
                entries = parse_apt_history(text, path)
            except ValueError:
                continue  # not a log apt wrote: as if unreadable (an older file may still tell)
            ups = [e for e in entries if e[1]]
            zone = zone or local_zone(ctx)
            if ups:
                stamp, _, where = max(ups)
                return _to_utc(stamp, zone), f"{where} (newest apt upgrade)"
            if entries:
                stamp, _, where = min(entries)
                oldest = (stamp, where) if oldest is None or stamp < oldest[0] else oldest
        if oldest is not None and zone is not None:
            return _to_utc(oldest[0], zone), f"{oldest[1]} (no upgrade logged; oldest apt history entry)"
    files = _history_files(ctx, "/var/log", "dnf.rpm.log")
    for path in files:
        text = _read_log(ctx, path) or ""
        stamps = re.findall(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{4}))\s+\S+\s+Upgraded?:", text, re.M)
        parsed = [t for t in map(_dnf_time, stamps) if t is not None]
        newest = _utc_text(max(parsed)) if parsed else None
        if newest:
            return newest, f"{path} (newest dnf upgrade)"
    text = _read_log(ctx, "/var/log/yum.log")
    if text:
        found = _yum_last(ctx, text)
        if found:
            return found, "/var/log/yum.log (newest yum update)"
    for path in ("/var/lib/dpkg/status", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages"):
        try:
            st = ctx.transport.stat(path)
        except FactUnavailable:
            continue
        return rfc3339(st.mtime), f"mtime of {path} (approximate: last package change of any kind)"
    return None, None


def _yum_last(ctx: FactContext, text: str) -> str | None:
    """yum.log lines 'Nov 02 10:15:33 Updated: pkg' carry no year: take it from the file's mtime."""
    try:
        mtime = datetime.fromtimestamp(ctx.transport.stat("/var/log/yum.log").mtime, UTC)
    except (FactUnavailable, ValueError, OverflowError, OSError):  # an image can carry any mtime
        return None
    zone = local_zone(ctx)
    newest: datetime | None = None
    for m in re.finditer(r"^([A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}) Updated: ", text, re.M):
        try:
            dt = datetime.strptime(f"{mtime.year} {m.group(1)}", "%Y %b %d %H:%M:%S").replace(tzinfo=zone)
            if dt > mtime.replace(tzinfo=UTC):
                dt = dt.replace(year=dt.year - 1)
            newest = dt if newest is None or dt > newest else newest
        except (ValueError, OverflowError):  # 30 Feb; a year before 1; a damaged zone's offsets
            continue
    return _utc_text(newest) if newest else None


_UN_TOTAL = re.compile(r"^([0-9]{1,9}) (?:updates? can be applied immediately|packages? can be updated)", re.M)
_UN_SECURITY = re.compile(
    r"^([0-9]{1,9}) (?:of these updates (?:is a|are) (?:standard )?security updates?"
    r"|updates? (?:is a|are) security updates?"
    r"|of these updates? (?:is|are) (?:a )?(?:standard )?security updates?)", re.M)


def parse_updates_available(text: str) -> tuple[int, int] | None:
    """(updates, security updates) from Ubuntu's update-notifier text, or None if unrecognised.
    ESM updates that need an Ubuntu Pro subscription are not counted."""
    total = _UN_TOTAL.search(text)
    if total is None:
        return None
    sec = _UN_SECURITY.search(text)
    return int(total.group(1)), int(sec.group(1)) if sec else 0


def pending(ctx: FactContext, table: SystemTable) -> None:
    table["pending_security_updates"], table["pending_updates_source"] = None, None
    path = "/var/lib/update-notifier/updates-available"
    text = ctx.read_text(path)
    if text is not None:
        counts = parse_updates_available(text)
        if counts is not None:
            try:
                asof = rfc3339(ctx.transport.stat(path).mtime)
            except FactUnavailable:
                asof = "?"
            table["pending_security_updates"] = counts[1]
            table["pending_updates_source"] = f"{path} ({counts[0]} updates, {counts[1]} security; as of {asof})"
        else:
            ctx.unknown("system.pending_security_updates", "error", f"{path}: text not recognised")
    else:
        ctx.unknown("system.pending_security_updates", "not_applicable", "not cheap to determine on this system")
    table["reboot_required"], table["reboot_required_pkgs"] = None, []
    if ctx.transport.live and ctx.transport.exists("/var/lib/dpkg/status"):
        flag = ctx.transport.exists("/run/reboot-required") or ctx.transport.exists("/var/run/reboot-required")
        table["reboot_required"] = flag
        if flag:
            pkgs = ctx.read_text("/run/reboot-required.pkgs") or ctx.read_text("/var/run/reboot-required.pkgs") or ""
            table["reboot_required_pkgs"] = sorted({p.strip() for p in pkgs.splitlines() if p.strip()})
