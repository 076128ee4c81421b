"""Checks that only mean something on Windows, where the fact exists only there: Remote Desktop without Network
Level Authentication, SMBv1, UAC off, automatic logon, BitLocker off, and Windows Server Backup / Windows Backup
(VN-NET-02, VN-NET-03, VN-ACC-01, VN-ACC-11, VN-PDP-01, VN-BAK-01)."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check, status_by_role
from secaudit.facts.model import Snapshot
from secaudit.timefmt import parse_rfc3339_or_none


@check("windows.rdp_nla")
def rdp_nla(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rdp = snap.table("remote_login").get("rdp") or {}
    evidence = {k: rdp.get(k) for k in ("enabled", "nla", "port", "security_layer", "source")}
    if rdp.get("enabled") is False:
        return Outcome("pass", "rdp_off", {}, evidence)
    if rdp.get("enabled") is None:
        return Outcome("unknown", "unknown", {}, evidence)
    port = rdp.get("port") or 3389
    if rdp.get("nla") is False:
        return Outcome("fail", "no_nla", {"port": port}, evidence)
    if rdp.get("nla") is None:
        return Outcome("unknown", "nla_unknown", {"port": port}, evidence)
    if rdp.get("security_layer") == "rdp":
        return Outcome("warn", "no_tls", {"port": port}, evidence)
    return Outcome("pass", "nla", {"port": port}, evidence)


@check("windows.smb1")
def smb1(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    smb = snap.table("smb_server")
    evidence = {k: smb.get(k) for k in ("smb1_enabled", "smb2_enabled", "source")}
    if smb.get("smb1_enabled") is True:
        return Outcome("fail", "fail", {}, evidence)
    if smb.get("smb1_enabled") is False:
        return Outcome("pass", "pass", {}, evidence)
    return Outcome("unknown", "unknown", {}, evidence)


@check("windows.uac")
def uac(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    u = snap.table("local_security").get("uac") or {}
    evidence = {k: u.get(k) for k in ("enabled", "admin_prompt", "admin_prompt_name", "source")}
    if u.get("enabled") is False:
        return Outcome("fail", "uac_off", {}, evidence)
    if u.get("enabled") is None:
        # EnableLUA absent: Windows treats UAC as on, but the policy is not what it says
        return Outcome("unknown", "unknown", {}, evidence)
    if u.get("admin_prompt") == 0:
        return Outcome("warn", "no_prompt", {}, evidence)
    return Outcome("pass", "pass", {}, evidence)


@check("windows.auto_logon")
def auto_logon(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    a = snap.table("local_security").get("auto_logon") or {}
    evidence = {k: a.get(k) for k in ("enabled", "user", "password_stored", "source")}
    user = a.get("user") or "?"
    if a.get("enabled") is True:
        key = "stored_password" if a.get("password_stored") else "enabled"
        return Outcome(status_by_role(p, "on_status", env.role), key, {"user": user}, evidence)
    if a.get("password_stored") is True:
        return Outcome("warn", "leftover_password", {"user": user}, evidence)
    if a.get("enabled") is False:
        return Outcome("pass", "pass", {}, evidence)
    return Outcome("unknown", "unknown", {}, evidence)


@check("windows.bitlocker")
def bitlocker(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    volumes = [v for v in snap.table("system").get("disk_encryption") or []
               if str(v.get("kind") or "").lower() == "bitlocker"]
    evidence = {"volumes": volumes}
    on = [str(v.get("device") or v.get("name")) for v in volumes if v.get("active") is True]
    if on:
        return Outcome("pass", "pass", {"volumes": ", ".join(on)}, evidence)
    status = status_by_role(p, "off_status", env.role)
    return Outcome(status, "not_encrypted", {}, evidence)


@check("windows.system_backup")
def system_backup(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    """Windows Server Backup / Windows Backup. No such backup where the config declares [[backup]] sets: those are
    the backups (backup.freshness judges them); where it declares none either, "no backup" is said once, by
    backup.freshness (depends_on), with the same status."""
    wb = snap.tables.get("windows_backup")
    why = snap.why_unknown("windows_backup")
    if wb is None and why is not None:
        return Outcome("unknown", "unknown", {}, {"fact": "windows_backup", **why})
    wb = wb or {}
    events = wb.get("events") or {}
    newest, success = wb.get("newest_time"), events.get("last_success_time")
    times = [t for t in (newest, success) if t]
    evidence = {"newest_version": newest, "versions": wb.get("count"), "targets": wb.get("targets"),
                "events": events, "source": wb.get("source")}
    if not times:
        if env.config.backups:
            return Outcome("not_applicable", "sets_declared", {"n": len(env.config.backups)}, evidence)
        if env.role == "server":
            return Outcome("warn", "no_sets", {}, {**evidence, "role": env.role, "configured_sets": 0})
        return Outcome("not_applicable", "no_sets_na", {}, {**evidence, "role": env.role, "configured_sets": 0})
    latest = max(times)
    when = parse_rfc3339_or_none(latest)
    age_days = None if when is None else max(0, (env.now - when).days)
    limit = int(p.get("max_age_days") or 8)
    args = {"time": latest, "days": age_days if age_days is not None else "?", "limit": limit}
    if events.get("failures_since_success"):
        return Outcome("fail", "failing", {**args, "n": events["failures_since_success"],
                                           "event": events.get("last_failure_id")}, evidence)
    if age_days is not None and age_days > limit:
        return Outcome("fail", "stale", args, evidence)
    return Outcome("pass", "pass", args, evidence)


__all__ = ["auto_logon", "bitlocker", "rdp_nla", "smb1", "system_backup", "uac"]
