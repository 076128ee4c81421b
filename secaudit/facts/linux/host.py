"""Host identity: names, OS, kernel, architecture, time zone, boot time and who is logged in.

Runtime facts (/proc, utmp) are read only from a live system; on a mounted root (--root) they belong to
the auditing machine, so they are recorded as not applicable.
"""

from __future__ import annotations

from typing import Any

from secaudit.facts.common.values import LAST_TIME, first_line, uint, version_key
from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import system_shape
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.osrelease import os_release, parse_os_release
from secaudit.facts.linux.sources.timezone import timezone
from secaudit.facts.linux.utmp import USER_PROCESS, parse_utmp
from secaudit.facts.registry import collector
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable

ROOT_NA = "runtime state of the audited system is not visible on a mounted root (--root)"


def hosts_fqdn(text: str, hostname: str) -> tuple[str, int] | None:
    """The fully qualified name /etc/hosts gives `hostname` (first matching line), and its line."""
    short = hostname.split(".", 1)[0].lower()
    if not short:
        return None
    for lineno, raw in enumerate(text.splitlines(), 1):
        fields = raw.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        names = fields[1:]
        lowered = [n.lower() for n in names]
        if short not in lowered and hostname.lower() not in lowered \
                and not any(n.startswith(short + ".") for n in lowered):
            continue
        for name in names:
            if "." in name and name.lower().startswith(short + "."):
                return name, lineno
    return None


def newest_kernel(modules: list[str], boot: list[str]) -> str | None:
    names = set(modules)
    names.update(n[len("vmlinuz-"):] for n in boot if n.startswith("vmlinuz-") and len(n) > 8)
    return max(names, key=version_key) if names else None


# Files whose presence shows a graphical login (display manager or desktop sessions).
DESKTOP_MARKERS = (
    "/etc/systemd/system/display-manager.service",
    "/usr/sbin/gdm3", "/usr/sbin/gdm", "/usr/sbin/lightdm", "/usr/bin/sddm", "/usr/bin/xdm",
    "/usr/sbin/lxdm", "/usr/bin/lxdm", "/usr/bin/slim", "/usr/sbin/greetd",
)
SESSION_DIRS = ("/usr/share/xsessions", "/usr/share/wayland-sessions")


def _guess_role(ctx: FactContext) -> tuple[str, list[str]]:
    found = [p for p in DESKTOP_MARKERS if ctx.transport.exists(p)]
    for d in SESSION_DIRS:
        sessions = [n for n in ctx.list_dir(d) if n.endswith(".desktop")]
        if sessions:
            found.append(f"{d}/{sessions[0]}")
    return ("workstation" if found else "server"), found


def _os_info(ctx: FactContext) -> tuple[dict[str, Any], str | None]:
    rel = os_release(ctx)
    for problem in rel.problems:
        ctx.unknown_from("host.os", problem)
    keys = rel.keys
    return {
        "family": "linux",
        "name": keys.get("PRETTY_NAME") or " ".join(
            x for x in (keys.get("NAME", ""), keys.get("VERSION", "")) if x) or None,
        "id": keys.get("ID") or None,
        "version": keys.get("VERSION_ID") or None,
        "version_codename": keys.get("VERSION_CODENAME") or keys.get("UBUNTU_CODENAME") or None,
        "build": None,
    }, rel.path


def _hostname(ctx: FactContext, sources: dict[str, str]) -> str | None:
    paths = ("/proc/sys/kernel/hostname", "/etc/hostname") if ctx.transport.live else ("/etc/hostname",)
    for path in paths:
        name = first_line(ctx.read_text(path))
        if name and name != "(none)":
            sources["hostname"] = path
            return name
    if not ctx.transport.live:  # Red Hat before 7 kept it in /etc/sysconfig/network
        conf = parse_os_release(ctx.read_text("/etc/sysconfig/network") or "")
        if conf.get("HOSTNAME"):
            sources["hostname"] = "/etc/sysconfig/network"
            return conf["HOSTNAME"]
    ctx.unknown("host.hostname", "not_found", " ".join(paths))
    return None


def _kernel(ctx: FactContext, sources: dict[str, str]) -> str | None:
    if ctx.transport.live:
        rel = first_line(ctx.read_text("/proc/sys/kernel/osrelease", unknown_key="host.kernel"))
        if rel:
            sources["kernel"] = "/proc/sys/kernel/osrelease"
            return rel
        ctx.unknown("host.kernel", "not_found", "/proc/sys/kernel/osrelease")
        return None
    modules = ctx.list_dir("/lib/modules") or ctx.list_dir("/usr/lib/modules")
    newest = newest_kernel(modules, ctx.list_dir("/boot"))
    if newest is None:
        ctx.unknown("host.kernel", "not_found", "/lib/modules/*, /boot/vmlinuz-*")
        return None
    sources["kernel"] = "newest installed kernel (/lib/modules, /boot)"
    return newest


def _arch(ctx: FactContext, sources: dict[str, str]) -> str | None:
    if ctx.transport.live:
        arch = first_line(ctx.read_text("/proc/sys/kernel/arch"))
        if arch:
            sources["arch"] = "/proc/sys/kernel/arch"
            return arch
        try:
            res = ctx.transport.run(["uname", "-m"], timeout=3)
            if res.rc == 0 and res.stdout.strip():
                sources["arch"] = "uname -m"
                return res.stdout.strip()
        except FactUnavailable:
            pass  # the package database still tells the architecture
    # Packages of the native architecture: dpkg itself and base-files always are.
    by_name = {p.name: p for p in dpkg.packages(ctx) if p.arch not in ("all", "")}
    for pkg in ("dpkg", "base-files"):
        if pkg in by_name:
            sources["arch"] = f"{dpkg.DPKG_STATUS}:{by_name[pkg].line} ({pkg})"
            return by_name[pkg].arch
    arch = first_line(ctx.read_text("/var/lib/dpkg/arch"))
    if arch:
        sources["arch"] = "/var/lib/dpkg/arch"
        return arch
    ctx.unknown("host.arch", "not_found", "/proc/sys/kernel/arch, uname -m, /var/lib/dpkg/status")
    return None


def _timezone(ctx: FactContext, sources: dict[str, str]) -> str | None:
    tz = timezone(ctx)
    if tz.name is None or tz.name_source is None:
        ctx.unknown("host.timezone", "not_found", "/etc/timezone, /etc/localtime")
        return None
    sources["timezone"] = tz.name_source
    return tz.name


def parse_btime(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("btime "):
            fields = line.split()
            value = uint(fields[1]) if len(fields) > 1 else None
            return value if value is not None and value <= LAST_TIME else None
    return None


def parse_uptime(text: str) -> int | None:
    head = text.split(".", 1)[0].split()[:1]
    return uint(head[0]) if head else None


def logged_in(data: bytes) -> list[dict[str, Any]]:
    return [{"user": r.user, "line": r.line, "host": r.host or None, "since": rfc3339(r.time)}
            for r in parse_utmp(data) if r.type == USER_PROCESS and r.user]


def _runtime(ctx: FactContext, host: dict[str, Any], sources: dict[str, str]) -> None:
    if not ctx.transport.live:
        host.update(boot_time=None, uptime_seconds=None, logged_in_users=None)
        for key in ("boot_time", "uptime_seconds", "logged_in_users"):
            ctx.unknown(f"host.{key}", "not_applicable", ROOT_NA)
        return
    btime = parse_btime(ctx.read_text("/proc/stat", unknown_key="host.boot_time") or "")
    host["boot_time"] = rfc3339(btime) if btime else None
    if btime:
        sources["boot_time"] = "/proc/stat"
    else:
        ctx.unknown("host.boot_time", "not_found", "/proc/stat btime")
    uptime = parse_uptime(ctx.read_text("/proc/uptime") or "")
    if uptime is None and btime:
        uptime = max(0, int(ctx.now) - btime)
    host["uptime_seconds"] = uptime
    if uptime is None:
        ctx.unknown("host.uptime_seconds", "not_found", "/proc/uptime")
    for path in ("/run/utmp", "/var/run/utmp"):
        try:
            host["logged_in_users"] = logged_in(ctx.transport.read_bytes(path))
            sources["logged_in_users"] = path
            return
        except FactUnavailable as exc:
            if exc.code != "not_found":
                ctx.unknown_from("host.logged_in_users", exc)
                break
    else:
        ctx.unknown("host.logged_in_users", "not_found", "/run/utmp")
    host["logged_in_users"] = None


@collector("host", ("host",))
def collect_host(ctx: FactContext) -> None:
    sources: dict[str, str] = {}
    os_info, os_source = _os_info(ctx)
    if os_source:
        sources["os"] = os_source
    else:
        ctx.unknown("host.os", "not_found", "/etc/os-release")
    hostname = _hostname(ctx, sources)
    fqdn = None
    if hostname:
        hit = hosts_fqdn(ctx.read_text("/etc/hosts") or "", hostname)
        if hit:
            fqdn = hit[0]
            sources["fqdn"] = f"/etc/hosts:{hit[1]}"
        elif "." in hostname:
            fqdn = hostname
            sources["fqdn"] = sources["hostname"]
    role, role_evidence = _guess_role(ctx)
    host: dict[str, Any] = {
        "hostname": hostname,
        "fqdn": fqdn,
        "os": os_info,
        "kernel": _kernel(ctx, sources),
        "arch": _arch(ctx, sources),
        "role": role,  # a guess from installed desktop parts; the config's role wins
        "role_guess": role,
        "role_evidence": role_evidence,
        "timezone": _timezone(ctx, sources),
    }
    _runtime(ctx, host, sources)
    host.update(system_shape(ctx))  # an empty dir or a data disk under --root: recorded, judged by the engine
    host["sources"] = sources
    ctx.put("host", host)
