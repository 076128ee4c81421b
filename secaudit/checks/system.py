"""Host firewall, clock synchronisation, OS support window and patching (VN-NET-01, VN-LOG-03,
VN-DEV-03, VN-PAT-01, VN-PAT-02)."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.status import Status
from secaudit.timefmt import parse_rfc3339

CLOSED = ("drop", "reject", "block", "not_configured")  # a Windows profile's NotConfigured: the default, Block
DISABLED_REASONS = ("not_set", "setting_off", "periodic_disabled", "package_missing", "timer_masked", "no_timer",
                    "apply_off", "no_security_origin", "timer_disabled", "lists_off")


def _pick(table: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: table.get(k) for k in keys}


def _closed(value: Any) -> bool:
    return str(value or "").lower() in CLOSED


@check("system.firewall")
def firewall(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    fw: dict[str, Any] = snap.table("firewall")
    evidence = _pick(fw, ("backend", "active", "default_inbound", "default_inbound_ipv6", "rules_count",
                          "configured", "source", "default_inbound_source", "default_inbound_ipv6_source",
                          "ipv6_disabled"))
    profiles: list[dict[str, Any]] = fw.get("profiles") or []
    if profiles:  # Windows: every profile must be on and block inbound by default
        evidence["profiles"] = profiles
        off = [str(pr.get("name")) for pr in profiles if pr.get("enabled") is False]
        open_ = [str(pr.get("name")) for pr in profiles if pr.get("enabled") and not _closed(pr.get("default_inbound"))]
        if off:
            return Outcome("fail", "profiles_off", {"profiles": off}, evidence)
        if open_:
            return Outcome("warn", "profiles_open", {"profiles": open_}, evidence)
        return Outcome("pass", "profiles_pass", {"profiles": [str(pr.get("name")) for pr in profiles]}, evidence)
    backend = str(fw.get("backend") or "none")
    active = fw.get("active")
    if active is None:
        return Outcome("unknown", "unknown", {"backend": backend}, evidence)
    if backend == "none":
        return Outcome("fail", "none", {}, evidence)
    if not active:
        return Outcome("fail", "inactive", {"backend": backend,
                                            "where": fw.get("default_inbound_source") or fw.get("source") or "-"},
                       evidence)
    inbound = fw.get("default_inbound")
    if not _closed(inbound):
        return Outcome("warn", "open_default", {"backend": backend, "policy": inbound or "?",
                                                "where": fw.get("default_inbound_source") or fw.get("source")},
                       evidence)
    if str(fw.get("default_inbound_ipv6") or "").lower() == "accept" and p.get("require_ipv6", True) \
            and not fw.get("ipv6_disabled"):  # IPv6 off on every interface: nothing arrives over it
        return Outcome("warn", "ipv6_open", {"backend": backend, "policy": inbound,
                                             "where": fw.get("default_inbound_ipv6_source") or fw.get("source")},
                       evidence)
    return Outcome("pass", "pass", {"backend": backend, "policy": inbound}, evidence)


@check("system.time_sync")
def time_sync(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    sysinfo: dict[str, Any] = snap.table("system")
    service = str(sysinfo.get("time_sync_service") or "none")
    synced = sysinfo.get("time_synced")
    evidence = _pick(sysinfo, ("time_synced", "time_sync_source", "time_sync_service",
                                            "time_sync_service_source"))
    if synced is True:
        return Outcome("pass", "pass", {"service": service, "source": sysinfo.get("time_sync_source")}, evidence)
    if synced is False:
        if service != "none":
            return Outcome("warn", "not_synced", {"service": service}, evidence)
        return Outcome("fail", "none", {}, evidence)
    evidence["sync_state_unknown"] = snap.why_unknown("system.time_synced")
    if service == "none":
        return Outcome("fail", "none", {}, evidence)
    if sysinfo.get("time_sync_running") is False:
        return Outcome("warn", "not_running", {"service": service}, evidence)
    return Outcome("pass", "configured", {"service": service}, evidence)


@check("system.os_supported")
def os_supported(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    sysinfo: dict[str, Any] = snap.table("system")
    name = f"{sysinfo.get('os_id', '')} {sysinfo.get('os_version', '')}".strip() or "?"
    evidence = _pick(sysinfo, ("os_id", "os_version", "os_support_end", "os_support_note",
                                            "os_eol_table"))
    if sysinfo.get("os_rolling"):
        return Outcome("pass", "rolling", {"os": name}, evidence)
    end_text = sysinfo.get("os_support_end")
    if not end_text:
        return Outcome("unknown", "unknown", {"os": name, "table": sysinfo.get("os_eol_table") or "?"}, evidence)
    end = date.fromisoformat(str(end_text))
    today = env.now.astimezone(UTC).date()
    days = (end - today).days
    evidence["days_left"] = days
    args = {"os": name, "end": end.isoformat(), "days": abs(days)}
    if days < 0:
        return Outcome("fail", "eol", args, evidence)
    if days <= int(p.get("warn_days", 90)):
        return Outcome("warn", "soon", args, evidence)
    return Outcome("pass", "pass", args, evidence)


@check("system.auto_updates")
def auto_updates(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    sysinfo: dict[str, Any] = snap.table("system")
    value = sysinfo.get("auto_updates")
    reason = str(sysinfo.get("auto_updates_reason") or "")
    evidence = _pick(sysinfo, ("auto_updates", "auto_updates_source", "auto_updates_reason"))
    source = sysinfo.get("auto_updates_source") or "-"
    if value is True:
        return Outcome("pass", "pass", {"source": source}, evidence)
    if value is False:
        return Outcome("warn", reason if reason in DISABLED_REASONS else "disabled", {"source": source}, evidence)
    return Outcome("unknown", "unknown", {"source": source}, evidence)


def _worse(a: Status, b: Status) -> Status:
    order = {"pass": 0, "warn": 1, "fail": 2}
    return a if order[a] >= order[b] else b


@check("system.updates_current")
def updates_current(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    sysinfo: dict[str, Any] = snap.table("system")
    last_text = sysinfo.get("last_update_time")
    evidence = _pick(sysinfo, ("last_update_time", "last_update_source", "pending_security_updates",
                                            "pending_updates_source", "reboot_required", "reboot_required_pkgs"))
    if not last_text:
        return Outcome("unknown", "unknown", {}, evidence)
    last = parse_rfc3339(last_text)
    days = max(0, (env.now - last).days)
    evidence["days_since_update"] = days
    max_age, fail_age = int(p.get("max_age_days", 31)), int(p.get("fail_age_days", 60))
    status: Status = "pass" if days <= max_age else "warn" if days <= fail_age else "fail"
    stale = status != "pass"
    pending = sysinfo.get("pending_security_updates")
    if isinstance(pending, int) and pending >= int(p.get("pending_warn", 1)):
        status = _worse(status, "fail" if pending >= int(p.get("pending_fail", 10)) else "warn")
    else:
        pending = None
    reboot = bool(sysinfo.get("reboot_required")) and bool(p.get("warn_reboot_required", True))
    if reboot:
        status = _worse(status, "warn")
    args = {"last": last.date().isoformat(), "days": days, "max": max_age, "n": pending or 0,
            "pkgs": sysinfo.get("reboot_required_pkgs") or ["?"]}
    if stale and pending:
        key = "stale_pending"
    elif stale:
        key = "stale"
    elif pending:
        key = "pending"
    elif reboot:
        key = "reboot"
    else:
        key = "pass"
    return Outcome(status, key, args, evidence)
