"""Inventory: host identity, hardware, network interfaces and installed software.

Runtime facts (/proc, /sys, utmp, addresses) are read only from a live system; on a mounted
root (--root) they belong to the auditing machine, so they are recorded as not applicable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from secaudit import limits
from secaudit.facts.common import native
from secaudit.facts.common.addresses import mask_bits, psutil_addresses, with_prefix
from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import system_shape
from secaudit.facts.linux.utmp import USER_PROCESS, parse_utmp
from secaudit.facts.registry import collector
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable

ROOT_NA = "runtime state of the audited system is not visible on a mounted root (--root)"
DPKG_STATUS = "/var/lib/dpkg/status"

# ---------------------------------------------------------------------------------------------
# Host identity
# ---------------------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    """A shell-style value as os-release allows: '...', "..." with backslash escapes, bare words.
    Malformed quoting is kept nearly raw rather than dropped."""
    if not any(c in value for c in "\"'\\"):
        return value
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(value):
        c = value[i]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
        elif c == "\\" and i + 1 < len(value) and (not quote or value[i + 1] in '$"\\`'):
            i += 1
            out.append(value[i])
        elif quote and c == quote:
            quote = ""
        elif not quote and c in "\"'":
            quote = c
        else:
            out.append(c)
        i += 1
    return value.strip("\"'") if quote else "".join(out)


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.startswith("export "):
            key = key[7:].strip()
        if not key.replace("_", "").isalnum():
            continue
        out[key] = _unquote(value.strip())
    return out


def parse_lsb_release(text: str) -> dict[str, str]:
    """/etc/lsb-release (old Ubuntu/Mint without os-release) mapped onto os-release keys."""
    lsb = parse_os_release(text)
    mapped = {"DISTRIB_ID": "ID", "DISTRIB_RELEASE": "VERSION_ID", "DISTRIB_CODENAME": "VERSION_CODENAME",
              "DISTRIB_DESCRIPTION": "PRETTY_NAME"}
    out = {new: lsb[old] for old, new in mapped.items() if lsb.get(old)}
    if "ID" in out:
        out["NAME"] = out["ID"]
        out["ID"] = out["ID"].lower()
    return out


def parse_redhat_release(text: str) -> dict[str, str]:
    """'CentOS release 6.10 (Final)' -> os-release keys (systems older than os-release)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    # Searched, not matched as (.+?)\s+release: that backtracks quadratically on a long line of blanks.
    m = re.search(r"\srelease\s+([0-9.]+)\s*(?:\((.*)\))?", line)
    name = line[:m.start()].strip() if m else ""
    if not m or not name:
        return {"PRETTY_NAME": line} if line else {}
    ident = {"centos": "centos", "red hat": "rhel", "fedora": "fedora", "rocky": "rocky",
             "almalinux": "almalinux", "oracle": "ol"}
    found = next((v for k, v in ident.items() if name.lower().startswith(k)), name.split()[0].lower())
    return {"PRETTY_NAME": line, "NAME": name, "ID": found, "VERSION_ID": m.group(1),
            "VERSION_CODENAME": (m.group(2) or "").lower()}


def first_line(text: str | None) -> str:
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return ""


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


LAST_TIME = 253402300799  # 9999-12-31T23:59:59Z: the last second rfc3339() can write


def uint(text: str, digits: int = 18) -> int | None:
    """A non-negative number written in ASCII digits, or None. Not isdigit() alone: it accepts '²',
    which int() refuses, and int() refuses more than 4300 digits."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def version_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Natural sort key: '6.1.0-10-amd64' < '6.1.0-9-amd64' is wrong, this gets it right."""
    return tuple((0, int(p)) if p[0] in "0123456789" else (1, p) for p in re.findall(r"[0-9]{1,18}|[^0-9]+", name))


def newest_kernel(modules: list[str], boot: list[str]) -> str | None:
    names = set(modules)
    names.update(n[len("vmlinuz-"):] for n in boot if n.startswith("vmlinuz-") and len(n) > 8)
    return max(names, key=version_key) if names else None


def tzif_rule(data: bytes) -> str | None:
    """The POSIX TZ rule a TZif v2+ file ends with (e.g. '<+07>-7'): a zone when no name is known."""
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    start = data.rfind(b"\n", 0, len(data) - 1)
    if start < 0:
        return None
    rule = data[start + 1:-1].decode("ascii", errors="replace").strip()
    return rule or None


TZIF_MAX = 64 * 1024  # real TZif files are under 4 KiB


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


def _zone_from_link(target: str) -> str | None:
    marker = "zoneinfo/"
    i = target.find(marker)
    if i < 0:
        return None
    zone = target[i + len(marker):]
    for prefix in ("posix/", "right/"):
        zone = zone.removeprefix(prefix)
    return zone or None


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
    for path, parse in (("/etc/os-release", parse_os_release), ("/usr/lib/os-release", parse_os_release),
                        ("/etc/lsb-release", parse_lsb_release), ("/etc/redhat-release", parse_redhat_release)):
        text = ctx.read_text(path, unknown_key="host.os")
        if text is None:
            continue
        rel = parse(text)
        if rel:
            return {
                "family": "linux",
                "name": rel.get("PRETTY_NAME") or " ".join(
                    x for x in (rel.get("NAME", ""), rel.get("VERSION", "")) if x) or None,
                "id": rel.get("ID") or None,
                "version": rel.get("VERSION_ID") or None,
                "version_codename": rel.get("VERSION_CODENAME") or rel.get("UBUNTU_CODENAME") or None,
                "build": None,
            }, path
    return {"family": "linux", "name": None, "id": None, "version": None, "version_codename": None,
            "build": None}, None


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
    by_name = {p.name: p for p in dpkg_packages(ctx) if p.arch not in ("all", "")}
    for pkg in ("dpkg", "base-files"):
        if pkg in by_name:
            sources["arch"] = f"{DPKG_STATUS}:{by_name[pkg].line} ({pkg})"
            return by_name[pkg].arch
    arch = first_line(ctx.read_text("/var/lib/dpkg/arch"))
    if arch:
        sources["arch"] = "/var/lib/dpkg/arch"
        return arch
    ctx.unknown("host.arch", "not_found", "/proc/sys/kernel/arch, uname -m, /var/lib/dpkg/status")
    return None


def _timezone(ctx: FactContext, sources: dict[str, str]) -> str | None:
    zone = first_line(ctx.read_text("/etc/timezone"))
    if zone:
        sources["timezone"] = "/etc/timezone"
        return zone
    if ctx.transport.live:  # the transport cannot read a link, readlink can
        try:
            res = ctx.transport.run(["readlink", "/etc/localtime"], timeout=2)
            linked = _zone_from_link(res.stdout.strip()) if res.rc == 0 else None
            if linked:
                sources["timezone"] = "/etc/localtime -> " + res.stdout.strip()
                return linked
        except FactUnavailable:
            pass
    clock = parse_os_release(ctx.read_text("/etc/sysconfig/clock") or "")
    if clock.get("ZONE"):
        sources["timezone"] = "/etc/sysconfig/clock"
        return clock["ZONE"]
    try:
        rule = tzif_rule(ctx.transport.read_bytes("/etc/localtime"))
    except FactUnavailable:
        rule = None
    if rule:
        sources["timezone"] = "/etc/localtime (POSIX TZ rule)"
        return rule
    ctx.unknown("host.timezone", "not_found", "/etc/timezone, /etc/localtime")
    return None


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


# ---------------------------------------------------------------------------------------------
# Hardware
# ---------------------------------------------------------------------------------------------

DMI = "/sys/class/dmi/id"
DMI_FIELDS = {"vendor": "sys_vendor", "model": "product_name", "serial": "product_serial",
              "board_vendor": "board_vendor", "board": "board_name", "bios_vendor": "bios_vendor",
              "bios_version": "bios_version", "bios_date": "bios_date", "chassis_type": "chassis_type"}
# Block devices that are not disks: loop files, RAM disks, device-mapper, software RAID, ...
VIRTUAL_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "drbd", "rbd", "fd", "zd")


def parse_cpuinfo(text: str) -> dict[str, Any]:
    model = None
    count = 0
    flags: set[str] = set()
    fallback: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "processor":
            count += 1
        elif key == "model name" and model is None:
            model = value
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key in ("Processor", "cpu model", "cpu", "Hardware") and key not in fallback:
            fallback[key] = value
    model = model or next((fallback[k] for k in ("Processor", "cpu model", "cpu", "Hardware") if k in fallback),
                          None)
    return {"model": model, "logical_cpus": count or None, "hypervisor": "hypervisor" in flags}


def parse_meminfo_total(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            kib = uint(parts[1]) if len(parts) >= 2 else None
            if kib is not None:
                return kib * 1024  # the kernel always reports kB (KiB)
    return None


def _sysfs(ctx: FactContext, path: str) -> str | None:
    try:
        value = ctx.transport.read_text(path).replace("\0", "").strip()
    except FactUnavailable:
        return None
    return value or None


def _dmi(ctx: FactContext, hw: dict[str, Any], sources: dict[str, str]) -> None:
    have_dmi = ctx.transport.exists(DMI)
    for field, name in DMI_FIELDS.items():
        path = f"{DMI}/{name}"
        try:
            value: str | None = ctx.transport.read_text(path).strip() or None
            sources[field] = path
        except FactUnavailable as exc:
            value = None
            if field == "serial" and (have_dmi or exc.code != "not_found"):
                ctx.unknown_from("hardware.serial", exc)
        hw[field] = value
    if hw["chassis_type"] is not None:
        hw["chassis_type"] = uint(hw["chassis_type"], 3)
    if have_dmi:
        return
    # Boards without firmware tables (Raspberry Pi, ARM SBCs) describe themselves in the device tree.
    base = "/sys/firmware/devicetree/base"
    hw["model"] = _sysfs(ctx, f"{base}/model")
    hw["serial"] = _sysfs(ctx, f"{base}/serial-number")
    if hw["model"]:
        sources["model"] = f"{base}/model"
    if hw["serial"]:
        sources["serial"] = f"{base}/serial-number"
    else:
        ctx.unknown("hardware.serial", "not_found", f"{DMI}/product_serial (no DMI firmware tables)")


def _disks(ctx: FactContext) -> list[dict[str, Any]]:
    disks = []
    for name in ctx.list_dir("/sys/block"):
        if name.startswith(VIRTUAL_DISKS) or re.fullmatch(r"mmcblk\d+(boot\d+|rpmb)", name):
            continue  # not disks; eMMC boot areas are parts of their disk
        base = f"/sys/block/{name}"
        size = _sysfs(ctx, f"{base}/size")
        rotational = _sysfs(ctx, f"{base}/queue/rotational")
        removable = _sysfs(ctx, f"{base}/removable")
        disks.append({
            "name": name,
            "size_bytes": sectors * 512 if (sectors := uint(size or "")) is not None else None,
            "model": _sysfs(ctx, f"{base}/device/model") or _sysfs(ctx, f"{base}/device/name"),
            "vendor": _sysfs(ctx, f"{base}/device/vendor"),
            "serial": _sysfs(ctx, f"{base}/device/serial"),
            "rotational": None if rotational is None else rotational == "1",
            "removable": None if removable is None else removable == "1",
            "source": base,
        })
    return disks


@collector("hardware", ("hardware",))
def collect_hardware(ctx: FactContext) -> None:
    keys = (*DMI_FIELDS, "cpu", "cpu_count", "memory_bytes", "disks", "virtual")
    if not ctx.transport.live:
        ctx.unknown("hardware", "not_applicable", "hardware is read from the running machine; " + ROOT_NA)
        ctx.put("hardware", {**dict.fromkeys(keys), "disks": []})
        return
    hw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    _dmi(ctx, hw, sources)
    cpu = parse_cpuinfo(ctx.read_text("/proc/cpuinfo", unknown_key="hardware.cpu") or "")
    hw["virtual"] = cpu["hypervisor"] or ctx.transport.exists("/sys/hypervisor/type")
    hw["cpu"] = cpu["model"]
    hw["cpu_count"] = cpu["logical_cpus"]
    if hw["cpu"] is None:
        ctx.unknown("hardware.cpu", "not_found", "/proc/cpuinfo model name")
    hw["memory_bytes"] = parse_meminfo_total(ctx.read_text("/proc/meminfo") or "")
    if hw["memory_bytes"] is None:
        ctx.unknown("hardware.memory_bytes", "not_found", "/proc/meminfo MemTotal")
    hw["disks"] = _disks(ctx)
    sources.update(cpu="/proc/cpuinfo", memory_bytes="/proc/meminfo", disks="/sys/block")
    hw["sources"] = sources
    ctx.put("hardware", hw)


# ---------------------------------------------------------------------------------------------
# Network interfaces
# ---------------------------------------------------------------------------------------------

NET = "/sys/class/net"
IFF_UP = 0x1
ARPHRD = {1: "ether", 772: "loopback", 512: "ppp", 768: "tunnel", 776: "tunnel", 778: "tunnel",
          823: "tunnel", 65534: "tun"}


def parse_ip_json(text: str) -> dict[str, dict[str, Any]]:
    """`ip -j addr` output -> {name: {mac, ipv4[], ipv6[], up, operstate, link_type}}. ValueError when
    it is not JSON; values of an unexpected type are left out."""
    if len(text) > limits.CONFIG_FILE:  # as objects, JSON takes tens of times its size
        raise ValueError(f"output larger than {limits.mib(limits.CONFIG_FILE)}")
    try:
        data = json.loads(text or "[]")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    out: dict[str, dict[str, Any]] = {}
    for link in data if isinstance(data, list) else []:
        if not isinstance(link, dict) or not link.get("ifname"):
            continue
        link_type = link.get("link_type") if isinstance(link.get("link_type"), str) else None
        flags, addrs = link.get("flags"), link.get("addr_info")
        row = out.setdefault(str(link["ifname"]), {"mac": None, "ipv4": [], "ipv6": []})
        mac = link.get("address")
        row["mac"] = mac if isinstance(mac, str) and link_type not in ("none", None) else None
        row["up"] = isinstance(flags, list) and "UP" in flags
        row["operstate"] = str(link.get("operstate", "")).lower() or None
        row["link_type"] = link_type
        for ai in addrs if isinstance(addrs, list) else []:
            if not isinstance(ai, dict) or "local" not in ai:
                continue
            family = {"inet": "ipv4", "inet6": "ipv6"}.get(str(ai.get("family")))
            prefix = ai.get("prefixlen")
            if family:
                good = type(prefix) is int and 0 <= prefix <= 128  # not bool, not a float
                row[family].append(with_prefix(str(ai["local"]), prefix if good else None))
    return out


def _kind(ctx: FactContext, base: str, arphrd: int | None, devtype: str | None) -> str:
    if arphrd == 772:
        return "loopback"
    if devtype == "wlan" or ctx.transport.exists(f"{base}/wireless") or ctx.transport.exists(f"{base}/phy80211"):
        return "wireless"
    if devtype:
        return devtype  # bridge, bond, vlan, wireguard, ...
    if ctx.transport.exists(f"{base}/tun_flags"):
        return "tun"
    if arphrd == 1:
        return "ether" if ctx.transport.exists(f"{base}/device") else "virtual"
    return ARPHRD.get(arphrd or -1, "virtual")


def _sysfs_link(ctx: FactContext, name: str) -> dict[str, Any] | None:
    base = f"{NET}/{name}"
    uevent = parse_os_release(_sysfs(ctx, f"{base}/uevent") or "")
    arphrd_s = _sysfs(ctx, f"{base}/type")
    if arphrd_s is None and not uevent:
        return None  # e.g. /sys/class/net/bonding_masters is a file, not a link
    arphrd = uint(arphrd_s or "", 6)
    flags_s = _sysfs(ctx, f"{base}/flags")
    try:
        flags = int(flags_s, 16) if flags_s else None
    except ValueError:
        flags = None
    return {
        "name": name,
        "mac": _sysfs(ctx, f"{base}/address"),
        "ipv4": [],
        "ipv6": [],
        "up": None if flags is None else bool(flags & IFF_UP),
        "operstate": _sysfs(ctx, f"{base}/operstate"),
        "kind": _kind(ctx, base, arphrd, uevent.get("DEVTYPE")),
        "source": base,
    }


def _live_interfaces(ctx: FactContext) -> list[dict[str, Any]]:
    rows = {n: r for n in ctx.list_dir(NET) if (r := _sysfs_link(ctx, n)) is not None}
    addresses: dict[str, dict[str, Any]] = {}
    try:
        if native(ctx.transport):
            addresses = psutil_addresses(set(rows))
        else:
            res = ctx.transport.run(["ip", "-j", "addr", "show"], timeout=5)
            if res.rc != 0:
                raise FactUnavailable(f"ip -j addr show: {res.stderr.strip()[:200]}")
            addresses = parse_ip_json(res.stdout)
    except FactUnavailable as exc:
        ctx.unknown_from("interfaces.addresses", exc)
    except ValueError as exc:
        ctx.unknown("interfaces.addresses", "error", f"ip -j addr show: {exc}")
    for name, got in addresses.items():
        row = rows.get(name)
        if row is None:  # not in /sys (hidden /sys, or replayed command only)
            link_type = got.get("link_type")
            row = rows[name] = {"name": name, "mac": got.get("mac"), "ipv4": [], "ipv6": [],
                                "up": got.get("up"), "operstate": got.get("operstate"),
                                "kind": {"none": "tun", None: "virtual"}.get(link_type, link_type),
                                "source": "ip -j addr show"}
        row["ipv4"] = got["ipv4"]
        row["ipv6"] = got["ipv6"]
    return [rows[n] for n in sorted(rows)]


# -- configured interfaces (--root) -----------------------------------------------------------


def _config_row(name: str, source: str, method: str | None = None) -> dict[str, Any]:
    return {"name": name, "mac": None, "ipv4": [], "ipv6": [], "up": None, "operstate": None,
            "kind": None, "configured": True, "method": method, "source": source}


def _add_address(row: dict[str, Any], addr: str) -> None:
    addr = addr.strip().strip("\"'")
    if addr:
        row["ipv6" if ":" in addr.split("/", 1)[0] else "ipv4"].append(addr)


def _glob_dir(ctx: FactContext, pattern: str) -> list[str]:
    import fnmatch
    import posixpath

    directory, name = posixpath.split(pattern)
    if not any(c in name for c in "*?["):
        return [pattern]
    return [f"{directory}/{n}" for n in ctx.list_dir(directory) if fnmatch.fnmatch(n, name)]


def _apply_mask(row: dict[str, Any], family: str, mask: str) -> None:
    """`netmask` may come before or after `address`: give it to the last address without one."""
    addrs = row[family]
    if not addrs or "/" in addrs[-1]:
        return
    bits = uint(mask, 3)
    if bits is None or bits > 128:
        bits = mask_bits(mask)
    if bits is not None:
        addrs[-1] += f"/{bits}"


IFUPDOWN_DEPTH = 16  # `source` nesting followed; a chain of thousands would exhaust the stack


def ifupdown_rows(ctx: FactContext, path: str = "/etc/network/interfaces",
                  seen: set[str] | None = None, depth: int = 0) -> list[dict[str, Any]]:
    """ifupdown stanzas, following `source` (globs) and `source-directory` where they stand."""
    import posixpath

    seen = seen if seen is not None else set()
    if path in seen:
        return []
    if depth > IFUPDOWN_DEPTH:
        ctx.unknown("interfaces.configured", "error", f"{path}: `source` nested more than {IFUPDOWN_DEPTH} deep")
        return []
    seen.add(path)
    text = ctx.read_text(path, unknown_key="interfaces.configured")
    if text is None:
        return []
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    family = "ipv4"
    netmask: str | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i].strip()
        i += 1
        if line.startswith("#"):  # only whole-line comments exist in this format
            continue
        parts = [line]  # joined once: adding to a growing string is quadratic over many lines
        while parts[-1].endswith("\\") and i < len(lines):  # a backslash continues the line
            parts[-1] = parts[-1][:-1]
            parts.append(lines[i].strip())
            i += 1
        line = " ".join(parts)
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key in ("source", "source-directory") and len(words) > 1:
            current = None
            target = posixpath.join(posixpath.dirname(path), words[1])
            if key == "source":
                for inc in sorted(_glob_dir(ctx, target)):
                    rows += ifupdown_rows(ctx, inc, seen, depth + 1)
            else:  # run-parts names only: letters, digits, _ and -
                for n in ctx.list_dir(target):
                    if re.fullmatch(r"[A-Za-z0-9_-]+", n):
                        rows += ifupdown_rows(ctx, f"{target}/{n}", seen, depth + 1)
        elif key == "iface" and len(words) >= 4:
            current = _config_row(words[1], f"{path}:{lineno}", words[3])
            current["kind"] = "loopback" if words[3] == "loopback" else None
            family = "ipv6" if words[2] == "inet6" else "ipv4"
            netmask = None
            rows.append(current)
        elif key in ("auto", "mapping", "rename") or key.startswith("allow-"):
            current = None  # any stanza keyword ends the previous stanza
        elif current is not None and len(words) > 1:
            value = words[1]
            if key == "address":
                current[family].append(value)
                if netmask:
                    _apply_mask(current, family, netmask)
            elif key == "netmask":
                netmask = value
                _apply_mask(current, family, value)
            elif key in ("hwaddress", "hwaddr"):
                current["mac"] = words[-1].lower()
            elif key.startswith(("wpa-", "wireless-")):
                current["kind"] = "wireless"
            elif key in ("bridge_ports", "bridge-ports"):
                current["kind"] = "bridge"
            elif key in ("bond-slaves", "bond_slaves", "bond-mode"):
                current["kind"] = "bond"
    return rows


def netplan_rows(ctx: FactContext) -> list[dict[str, Any]]:
    """Netplan YAML; a file in /etc/netplan shadows one of the same name in /lib/netplan, and
    later files (by name) override a device's earlier definition. The files belong to the audited
    system: safeyaml refuses aliases and over-deep or over-large documents, every value's type is
    checked before use, and a refused file's reason names the line, never its content."""
    from secaudit import safeyaml

    kinds = {"ethernets": "ether", "wifis": "wireless", "bridges": "bridge", "bonds": "bond", "vlans": "vlan",
             "tunnels": "tunnel", "modems": "ppp"}
    files: dict[str, str] = {}
    for d in ("/lib/netplan", "/etc/netplan"):
        files.update({n: f"{d}/{n}" for n in ctx.list_dir(d) if n.endswith(".yaml")})
    rows: dict[str, dict[str, Any]] = {}
    for n in sorted(files):
        path = files[n]
        try:
            doc = safeyaml.load(ctx.read_text(path, unknown_key="interfaces.configured") or "")
        except safeyaml.YamlRefused as exc:
            ctx.unknown("interfaces.configured", "error", f"{path}:{exc.line}: {exc.en}")
            continue
        network = doc.get("network") if isinstance(doc, dict) else None
        for section, kind in kinds.items():
            devs = network.get(section) if isinstance(network, dict) else None
            for name, conf in devs.items() if isinstance(devs, dict) else ():
                if not isinstance(name, str | int) or isinstance(name, bool):
                    continue  # not an interface name
                conf = conf if isinstance(conf, dict) else {}
                dhcp = any(conf.get(k) in (True, "yes", "true") for k in ("dhcp4", "dhcp6"))
                row = _config_row(str(name), path, "dhcp" if dhcp else "static")
                row["kind"] = kind
                match = conf.get("match")
                mac = conf.get("macaddress") or (match.get("macaddress") if isinstance(match, dict) else None)
                if isinstance(mac, int) and not isinstance(mac, bool) and 0 <= mac < 60 ** 6:
                    # an unquoted all-digit MAC (00:11:22:33:44:55) is a YAML 1.1 base-60 integer
                    mac = ":".join(f"{mac // 60 ** i % 60:02d}" for i in range(5, -1, -1))
                row["mac"] = mac.lower() if isinstance(mac, str) and mac else None
                addresses = conf.get("addresses")
                for addr in addresses if isinstance(addresses, list) else ():
                    # "10.0.0.5/24", or {"10.0.0.5/24": {lifetime: ...}}
                    if isinstance(addr, dict) and len(addr) == 1:
                        addr = next(iter(addr))
                    if isinstance(addr, str):
                        _add_address(row, addr)
                rows[str(name)] = row
    return list(rows.values())


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    section = out.setdefault("", {})
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1].strip(), {})
        elif "=" in line:
            k, _, v = line.partition("=")
            section[k.strip()] = v.strip()
    return out


def nm_rows(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/etc/NetworkManager/system-connections"
    rows = []
    for n in ctx.list_dir(base):
        if n.endswith("~"):
            continue
        text = ctx.read_text(f"{base}/{n}", unknown_key="interfaces.configured")
        if text is None:
            continue
        ini = parse_ini(text)
        conn = ini.get("connection", {})
        ctype = conn.get("type", "")
        kind = {"802-3-ethernet": "ether", "ethernet": "ether", "802-11-wireless": "wireless", "wifi": "wireless",
                "bridge": "bridge", "bond": "bond", "vlan": "vlan", "wireguard": "wireguard",
                "vpn": "vpn"}.get(ctype, ctype or None)
        ipv4 = ini.get("ipv4", {})
        row = _config_row(conn.get("interface-name") or conn.get("id") or n, f"{base}/{n}",
                          ipv4.get("method") or None)
        row["kind"] = kind
        mac = (ini.get("ethernet") or ini.get("802-3-ethernet") or ini.get("wifi")
               or ini.get("802-11-wireless") or {}).get("mac-address")
        row["mac"] = mac.lower() if mac else None
        for fam in ("ipv4", "ipv6"):
            for k, v in sorted(ini.get(fam, {}).items()):
                if re.fullmatch(r"address(es)?\d*", k):
                    # "10.0.0.5/24,10.0.0.1", or the old "10.0.0.5;24;10.0.0.1;"
                    parts = v.split(";")
                    legacy = len(parts) > 1 and parts[1].isdigit() and "/" not in parts[0]
                    _add_address(row, f"{parts[0]}/{parts[1]}" if legacy else v.split(",", 1)[0])
        rows.append(row)
    return rows


def ifcfg_rows(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/etc/sysconfig/network-scripts"
    rows = []
    for n in ctx.list_dir(base):
        if not n.startswith("ifcfg-"):
            continue
        conf = parse_os_release(ctx.read_text(f"{base}/{n}") or "")
        row = _config_row(conf.get("DEVICE") or n[6:], f"{base}/{n}", (conf.get("BOOTPROTO") or "").lower() or None)
        row["mac"] = (conf.get("HWADDR") or conf.get("MACADDR") or "").lower() or None
        for suffix in ("", "0", "1", "2"):
            addr = conf.get(f"IPADDR{suffix}")
            if addr:
                prefix = conf.get(f"PREFIX{suffix}") or (mask_bits(conf[f"NETMASK{suffix}"])
                                                         if conf.get(f"NETMASK{suffix}") else None)
                row["ipv4"].append(f"{addr}/{prefix}" if prefix else addr)
        if conf.get("IPV6ADDR"):
            row["ipv6"].append(conf["IPV6ADDR"])
        row["kind"] = "loopback" if row["name"] == "lo" else (conf.get("TYPE") or "").lower() or None
        rows.append(row)
    return rows


@collector("interfaces", ("interfaces",))
def collect_interfaces(ctx: FactContext) -> None:
    if ctx.transport.live:
        ctx.put("interfaces", _live_interfaces(ctx))
        return
    for key in ("interfaces.mac", "interfaces.addresses"):
        ctx.unknown(key, "not_applicable", ROOT_NA + "; only configured interfaces are listed")
    ctx.put("interfaces", ifupdown_rows(ctx) + netplan_rows(ctx) + nm_rows(ctx) + ifcfg_rows(ctx))


# ---------------------------------------------------------------------------------------------
# Installed software
# ---------------------------------------------------------------------------------------------

# dpkg states in which the package's files are on disk (not "not-installed" / "config-files").
DPKG_PRESENT = frozenset({"installed", "half-installed", "unpacked", "half-configured", "triggers-awaited",
                          "triggers-pending"})
RPM_DBS = ("/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
           "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db")
RPM_QF = "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{ARCH}\\n"


@dataclass(frozen=True)
class DpkgPackage:
    name: str
    version: str
    arch: str
    maintainer: str
    state: str  # third word of Status: installed, config-files, half-configured, ...
    line: int  # line of the stanza's first field


# Real systems have a few thousand packages. A 64 MiB database of 13-byte stanzas would be five million
# (gigabytes of rows): past this the package list is unknown rather than the agent out of memory.
MAX_PACKAGES = 100_000


class TooManyPackages(ValueError):
    pass


def parse_dpkg_status(text: str) -> list[DpkgPackage]:
    """Every stanza of a dpkg status file (all states). Fast: only the fields we keep are split.
    TooManyPackages past MAX_PACKAGES."""
    out: list[DpkgPackage] = []
    name = version = arch = maint = status = ""
    start = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        first = line[:1]
        if first == " " or first == "\t":
            if not line.isspace():
                continue  # continuation line (Description, Conffiles, ...)
            first = ""  # a whitespace-only line also separates stanzas
        if first == "":
            if name:
                out.append(DpkgPackage(name, version, arch, maint, status.rpartition(" ")[2], start))
                if len(out) > MAX_PACKAGES:
                    raise TooManyPackages(f"{DPKG_STATUS}: more than {MAX_PACKAGES} packages")
            name = version = arch = maint = status = ""
            start = 0
            continue
        if not start:
            start = lineno
        if first not in "PSVAMpsvam":
            continue
        key, _, value = line.partition(":")
        key = key.lower()
        if key == "package":
            name = value.strip()
        elif key == "status":
            status = " ".join(value.split())
        elif key == "version":
            version = value.strip()
        elif key == "architecture":
            arch = value.strip()
        elif key == "maintainer":
            maint = value.strip()
    if name:
        out.append(DpkgPackage(name, version, arch, maint, status.rpartition(" ")[2], start))
    return out


def dpkg_packages(ctx: FactContext) -> list[DpkgPackage]:
    """Parsed /var/lib/dpkg/status, shared between collectors."""
    def compute() -> list[DpkgPackage]:
        text = ctx.read_text(DPKG_STATUS, unknown_key="software.dpkg", cap=limits.PACKAGE_DB)
        try:
            return parse_dpkg_status(text) if text else []
        except TooManyPackages as exc:
            ctx.unknown("software.dpkg", "too_large", str(exc))
            return []
    return ctx.memo("inventory.dpkg_status", compute)


def parse_rpm_qa(text: str) -> list[dict[str, Any]]:
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0] or parts[0] == "gpg-pubkey":
            continue
        vendor = parts[2].strip() if len(parts) > 2 else ""
        rows.append({"name": parts[0], "version": parts[1], "arch": parts[3] if len(parts) > 3 else None,
                     "publisher": None if vendor in ("", "(none)") else vendor,
                     "manager": "rpm", "source": "rpm -qa"})
        if len(rows) > MAX_PACKAGES:
            raise TooManyPackages(f"rpm -qa: more than {MAX_PACKAGES} packages")
    return rows


def _rpm(ctx: FactContext) -> list[dict[str, Any]] | None:
    db = next((p for p in RPM_DBS if ctx.transport.exists(p)), None)
    if db is None:
        return None
    if not ctx.transport.live:
        ctx.unknown("software.rpm", "not_applicable", f"{db}: the rpm database is only queried on a live system")
        return None
    try:
        res = ctx.transport.run(["rpm", "-qa", "--qf", RPM_QF], timeout=10)
    except FactUnavailable as exc:
        ctx.unknown_from("software.rpm", exc)
        return None
    if res.rc != 0:
        ctx.unknown("software.rpm", "command_failed", f"rpm -qa: {res.stderr.strip()[:200]}")
        return None
    try:
        return parse_rpm_qa(res.stdout)
    except TooManyPackages as exc:
        ctx.unknown("software.rpm", "too_large", str(exc))
        return None


# The value: non-blank, non-quote characters with single runs of blanks between them, so that no two
# parts of the pattern can take the same characters (a lazy group before \s*$ backtracks quadratically).
_SNAP_VERSION = re.compile(r"^version:\s*['\"]?((?:[^'\"\s]|[^\S\n]+[^'\"\s])+)['\"]?[^\S\n]*$", re.M)


def _snaps(ctx: FactContext) -> list[dict[str, Any]]:
    revisions: dict[str, str] = {}
    for n in ctx.list_dir("/var/lib/snapd/snaps"):
        m = re.fullmatch(r"(.+)_(x?\d+)\.snap", n)
        if m and version_key(m.group(2)) >= version_key(revisions.get(m.group(1), "")):
            revisions[m.group(1)] = m.group(2)
    names = set(revisions) | {n for n in ctx.list_dir("/snap") if n not in ("bin", "README")}
    rows = []
    for name in sorted(names):
        path = f"/snap/{name}/current/meta/snap.yaml"
        m = _SNAP_VERSION.search(ctx.read_text(path) or "")
        if not m and name not in revisions:
            continue  # a stray directory, not a snap
        rows.append({"name": name, "version": m.group(1) if m else None, "arch": None, "publisher": None,
                     "revision": revisions.get(name), "manager": "snap",
                     "source": path if m else f"/var/lib/snapd/snaps/{name}_{revisions[name]}.snap"})
    return rows


def _flatpaks(ctx: FactContext) -> list[dict[str, Any]]:
    base = "/var/lib/flatpak/app"
    rows = []
    for app in ctx.list_dir(base):
        files = f"{base}/{app}/current/active/files/share"
        text = ""
        for meta in (f"{files}/metainfo/{app}.metainfo.xml", f"{files}/appdata/{app}.appdata.xml"):
            text = ctx.read_text(meta) or ""
            if text:
                break
        # [^<>]: a tag ends before the next '<', so thousands of unclosed tags are not rescanned each
        version = re.search(r"<release\b[^<>]*\bversion=\"([^\"<>]+)\"", text)
        dev = re.search(r"<developer_name[^<>]*>([^<]+)<|<developer\b[^<>]*>\s*<name[^<>]*>([^<]+)<", text)
        rows.append({"name": app, "version": version.group(1) if version else None, "arch": None,
                     "publisher": (dev.group(1) or dev.group(2)).strip() if dev else None,
                     "manager": "flatpak", "source": f"{base}/{app}"})
    return rows


@collector("software", ("software",))
def collect_software(ctx: FactContext) -> None:
    rows: list[dict[str, Any]] = [
        {"name": p.name, "version": p.version, "arch": p.arch or None, "publisher": p.maintainer or None,
         "manager": "dpkg", "source": f"{DPKG_STATUS}:{p.line}",
         **({} if p.state == "installed" else {"state": p.state})}
        for p in dpkg_packages(ctx) if p.state in DPKG_PRESENT
    ]
    have_dpkg = ctx.transport.exists(DPKG_STATUS)
    unread = ctx.snapshot.why_unknown("software.dpkg")
    if have_dpkg and unread:  # the package list would be empty, not "nothing installed"
        ctx.unknown("software", unread["code"], unread["detail"])
    rpm = _rpm(ctx)
    rows += rpm or []
    if not have_dpkg and rpm is None:
        why = ctx.snapshot.why_unknown("software.rpm")
        if why:
            ctx.unknown("software", why["code"], why["detail"])
        else:
            ctx.unknown("software", "not_found", f"no package database ({DPKG_STATUS}, /var/lib/rpm)")
    rows += _snaps(ctx) + _flatpaks(ctx)
    ctx.put("software", rows)
