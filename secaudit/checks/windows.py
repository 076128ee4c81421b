"""Checks that only mean something on Windows, where the fact exists only there: Remote Desktop without Network
Level Authentication, SMBv1, UAC off, automatic logon, the idle lock, BitLocker off, and Windows Server Backup /
Windows Backup (VN-NET-02, VN-NET-03, VN-ACC-01, VN-ACC-11, VN-PDP-01, VN-BAK-01)."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check, status_by_role
from secaudit.facts.model import Snapshot
from secaudit.status import Status
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


# --- idle lock ------------------------------------------------------------------------------------------------

# A user's verdict, worst first within a status: what the finding's message then says.
_USER_ORDER = ("none", "long", "own", "pass")
_USER_STATUS: dict[str, Status] = {"none": "fail", "long": "warn", "own": "warn", "pass": "pass"}


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _saver_seconds(user: dict[str, Any]) -> int | None:
    """Seconds after which this user's screen saver locks the session; None when it never does: not active, no
    program chosen (nothing runs), no password on resume, or a timeout of 0."""
    if user.get("active") is not True or user.get("secure") is not True or not user.get("executable"):
        return None
    return _positive(user.get("timeout_seconds"))


def _user_verdict(user: dict[str, Any], machine: int | None, limit: int) -> tuple[str, int | None]:
    """(none | long | own | pass, the seconds after which the session locks). What the user cannot change (the
    machine limit, a screen saver set wholly by policy) is what passes; the user's own setting only warns."""
    saver = _saver_seconds(user)
    enforced = [s for s in (machine, saver if user.get("from_policy") is True else None) if s is not None]
    every = [s for s in (machine, saver) if s is not None]
    if enforced and min(enforced) <= limit:
        return "pass", min(enforced)
    if not every:
        return "none", None
    if min(every) <= limit:
        return "own", min(every)
    return "long", min(every)


def _detail(snap: Snapshot, key: str, default: str) -> str:
    why = snap.why_unknown(key)
    return str(why.get("detail") or default) if why else default


def _user_name(user: dict[str, Any]) -> str:
    return str(user.get("account") or user.get("sid") or "?")


@check("windows.idle_lock")
def idle_lock(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    lock = snap.table("local_security").get("idle_lock")
    limit = int((p.get("max_seconds") or {}).get(env.role, 900))
    if not isinstance(lock, dict):  # e.g. a snapshot taken before the column existed
        detail = _detail(snap, "local_security.idle_lock", "local_security.idle_lock not collected")
        return Outcome("unknown", "unknown", {"detail": detail}, {"limit": limit, "detail": detail})
    machine = _positive(lock.get("machine_limit_seconds"))
    machine_read = lock.get("machine_read") is True
    users = lock.get("users")
    evidence: dict[str, Any] = {"limit": limit, "role": env.role,
                                "machine_limit_seconds": lock.get("machine_limit_seconds"),
                                "machine_read": machine_read, "machine_source": lock.get("machine_source"),
                                "users": users, "users_source": lock.get("users_source")}
    args: dict[str, Any] = {"limit": limit, "machine": machine if machine is not None else "-"}
    if machine is not None and machine <= limit:  # locks every session, logged on now or not
        return Outcome("pass", "pass_machine", args, evidence)
    if not isinstance(users, list):
        detail = _detail(snap, "local_security.idle_lock.users", "probe screen_savers")
        return Outcome("unknown", "users_unreadable", {**args, "detail": detail}, evidence)
    rows = [u for u in users if isinstance(u, dict)]
    if not rows:  # nobody's hive is loaded: only the machine limit could say
        if machine is not None:
            return Outcome("warn", "machine_long_no_users", args, evidence)
        key = "no_users" if machine_read else "nothing_read"
        return Outcome("unknown", key, args, evidence)
    verdicts = [(u, *_user_verdict(u, machine, limit)) for u in rows]
    evidence["verdicts"] = [{"user": _user_name(u), "verdict": v, "lock_after_seconds": s} for u, v, s in verdicts]
    worst = min((v for _, v, _ in verdicts), key=_USER_ORDER.index)
    if worst != "pass" and not machine_read:
        # the machine limit, unread, may lock these sessions: never a fail or a warning on a guess
        detail = _detail(snap, "local_security.idle_lock.machine_limit_seconds", "probe inactivity_limit")
        return Outcome("unknown", "machine_unreadable", {**args, "detail": detail}, evidence)
    named = [f"{_user_name(u)} ({s} s)" if s is not None else _user_name(u) for u, v, s in verdicts if v == worst]
    args.update(users=", ".join(named), n=len(rows))
    return Outcome(_USER_STATUS[worst], f"users_{worst}", args, evidence)


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


__all__ = ["auto_logon", "bitlocker", "idle_lock", "rdp_nla", "smb1", "system_backup", "uac"]
