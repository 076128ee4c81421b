"""The Windows machine itself: name, operating system (Win32_OperatingSystem, Win32_ComputerSystem), role from
ProductType, boot time, the console user, and where this build stands in the shipped support table
(secaudit/data/os_eol.yaml, `windows:`)."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_bool, as_int, one, ps_time
from secaudit.resources import load_data
from secaudit.timefmt import parse_rfc3339_or_none
from secaudit.transport.base import CommandResult, FactUnavailable, ProbeSource

OS_SOURCE = "Get-CimInstance Win32_OperatingSystem"
CS_SOURCE = "Get-CimInstance Win32_ComputerSystem"
PRODUCT_TYPES = {1: "workstation", 2: "domain controller", 3: "server"}
_VERSION_NAME = re.compile(r"\b(\d{4}|\d\dH\d)\b")


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def probes_run(ctx: FactContext, table: str) -> bool:
    """Whether the transport runs the probe catalogue (this Windows machine, a recording); otherwise (a mounted
    Windows disk) `table` is unknown, not a row of nulls."""
    if isinstance(ctx.transport, ProbeSource):
        return True
    ctx.unknown(table, "not_applicable", "a mounted Windows disk: these facts come from the probes of a running "
                                         "Windows (collect.ps1) or a recording of them")
    return False


def probe_result(ctx: FactContext, probe_id: str, unknown_key: str) -> CommandResult | None:
    """The probe's result even when it failed (rc != 0: the caller reads why), or None (unknown recorded under
    `unknown_key`) when it was not run."""
    transport = ctx.transport
    if not isinstance(transport, ProbeSource):
        ctx.unknown(unknown_key, "not_applicable", f"probe {probe_id}: this transport runs no Windows probes")
        return None
    try:
        return ctx.memo(f"probe:{probe_id}", lambda: transport.probe(probe_id))
    except FactUnavailable as exc:
        ctx.unknown_from(unknown_key, exc)
        return None


def os_object(ctx: FactContext) -> dict[str, Any] | None:
    """The os probe's object (once per run); None with `host.os` unknown when it did not answer."""
    return ctx.memo("windows.os", lambda: one(ctx, "os", "host.os"))


def edition_group(caption: str) -> str:
    """home_pro | enterprise | ltsc from the Caption ("Microsoft Windows 11 Education"): editions are not
    translated in a Vietnamese UI. An edition not recognised reads as home_pro, the shorter window."""
    text = caption.lower()
    if "ltsc" in text or "ltsb" in text:
        return "ltsc"
    if "pro education" in text:
        return "home_pro"
    if "enterprise" in text or "education" in text:
        return "enterprise"
    return "home_pro"


def support(table: dict[str, Any], build: str | None, caption: str, product_type: int | None) -> dict[str, Any]:
    """{key, name, end, note} for a Windows build from the `windows:` part of the end-of-life table; end None
    when the build is not listed."""
    server = product_type in (2, 3)
    rows = (table.get("windows") or {}).get("server" if server else "client") or {}
    entry = rows.get(build or "")
    if not isinstance(entry, dict):
        kind = "Windows Server" if server else "Windows"
        return {"key": f"{kind} build {build or '?'}", "name": None, "end": None, "note": None}
    if server:
        return {"key": entry["name"], "name": entry["name"], "end": str(entry["end"]),
                "note": f"{entry['name']}: end of extended support; paid ESU not counted"}
    group = edition_group(caption)
    if group == "ltsc" and "ltsc" in entry:
        name = str(entry.get("ltsc_name") or entry["name"])
        return {"key": name, "name": name, "end": str(entry["ltsc"]), "note": f"{name}: long-term servicing"}
    if group == "ltsc":
        group = "enterprise"
    label = {"home_pro": "Home/Pro/Pro Education", "enterprise": "Enterprise/Education"}[group]
    return {"key": f"{entry['name']} {label}", "name": entry["name"], "end": str(entry[group]),
            "note": f"{entry['name']}, {label} servicing; paid ESU not counted"}


def display_version(name: str | None) -> str | None:
    """"Windows 11 24H2" -> "24H2"; "Windows 10 1809" -> "1809"; "Windows Server 2022" -> None."""
    if not name or "Server" in name:
        return None
    m = _VERSION_NAME.search(name.split("Windows", 1)[-1].split(None, 1)[-1])
    return m.group(1) if m else None


def os_support(ctx: FactContext) -> dict[str, Any] | None:
    """The OS as the host and system tables need it: caption, version, build, product type, the support
    table's entry; None when the os probe did not answer."""
    def load() -> dict[str, Any] | None:
        obj = os_object(ctx)
        if obj is None:
            return None
        caption = _str(obj.get("Caption")) or ""
        build = _str(obj.get("BuildNumber"))
        product_type = as_int(obj.get("ProductType"))
        eol = support(load_data("os_eol.yaml"), build, caption, product_type)
        return {"caption": caption, "version": _str(obj.get("Version")), "build": build,
                "product_type": product_type, "arch": _str(obj.get("OSArchitecture")), "support": eol,
                "boot_time": ps_time(obj.get("LastBootUpTime")), "install_date": ps_time(obj.get("InstallDate"))}

    return ctx.memo("windows.os_support", load)


def arch_of(text: str | None) -> str | None:
    """OSArchitecture ("64-bit", "32-bit", "ARM 64-bit Processor", localised around the digits) -> x64 | x86 |
    arm64."""
    if not text:
        return None
    low = text.lower()
    if "arm" in low:
        return "arm64" if "64" in low else "arm"
    return "x64" if "64" in low else "x86" if "32" in low else None


@collector("host", ("host",))
def collect_host(ctx: FactContext) -> None:
    if not probes_run(ctx, "host"):
        return
    sources: dict[str, str] = {}
    info = os_support(ctx)
    cs = ctx.memo("windows.computer_system", lambda: one(ctx, "computer_system", "host.hostname"))
    os_info: dict[str, Any] = {"family": "windows", "name": None, "id": "windows", "version": None,
                               "version_codename": None, "build": None}
    host: dict[str, Any] = {"hostname": None, "fqdn": None, "os": os_info, "kernel": None, "arch": None,
                            "timezone": None, "boot_time": None, "uptime_seconds": None, "console_user": None,
                            "product_type": None}
    if info is not None:
        os_info.update({"name": info["caption"] or None, "version": info["version"], "build": info["build"],
                        "version_codename": display_version(info["support"]["name"])})
        host.update({"kernel": info["version"], "arch": arch_of(info["arch"]), "boot_time": info["boot_time"],
                     "product_type": info["product_type"]})
        for column in ("os", "kernel", "arch", "boot_time", "product_type"):
            sources[column] = OS_SOURCE
        boot = parse_rfc3339_or_none(info["boot_time"])
        if boot is not None:
            host["uptime_seconds"] = max(0, int(ctx.now - boot.timestamp()))
    if cs is not None:
        name = _str(cs.get("Name"))
        host["hostname"] = name
        domain = _str(cs.get("Domain"))
        if name and domain and as_bool(cs.get("PartOfDomain")) is True:
            host["fqdn"] = f"{name}.{domain}".lower()
            sources["fqdn"] = f"{CS_SOURCE} (Name, Domain)"
        host["console_user"] = _str(cs.get("UserName"))
        sources["hostname"] = sources["console_user"] = CS_SOURCE
    ptype = host["product_type"]
    role = "workstation" if ptype == 1 else "server" if ptype in (2, 3) else "workstation"
    host["role"] = host["role_guess"] = role  # the configured role wins (the engine applies it)
    host["role_evidence"] = [f"{OS_SOURCE} ProductType {ptype} ({PRODUCT_TYPES[ptype]})"] if ptype in PRODUCT_TYPES \
        else []
    host["logged_in_users"] = None  # the probes list no sessions (console_user is the one at the console)
    ctx.unknown("host.logged_in_users", "not_applicable", "no Windows probe lists the open sessions")
    ctx.unknown("host.timezone", "not_applicable", "no Windows probe reads the time zone")
    answered = [f"probe {p}" for p, got in (("os", info), ("computer_system", cs)) if got is not None]
    host["looks_like_system"] = bool(answered)
    host["system_markers"] = answered
    host["system_markers_checked"] = ["probe os", "probe computer_system"]
    host["sources"] = sources
    ctx.put("host", host)
