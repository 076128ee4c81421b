"""System logs (VN-LOG-01/02/04/05): kept long enough, bounded so they cannot fill the disk, sent to a central
collector, and the audit daemon on servers."""

from __future__ import annotations

import fnmatch
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.status import Status
from secaudit.timefmt import parse_rfc3339_or_none

DAY = 86400
MiB = 1 << 20
JOURNAL_DEFAULT_CEILING = 4 << 30  # journald's default SystemMaxUse: 10 % of the file system, at most 4 GiB
# What auditd does when auditd.conf leaves a key unset: its built-in defaults (audit-userspace
# src/auditd-config.c, clear_config), not the values the packaged auditd.conf writes (SUSPEND).
AUDIT_DEFAULTS = {"disk_full_action": "ignore", "disk_error_action": "syslog", "admin_space_left_action": "ignore"}


def _stanza_for(path: str, stanzas: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The logrotate stanza rotating `path` (logrotate uses the first that names it)."""
    for st in stanzas:
        if any(p == path or fnmatch.fnmatchcase(path, str(p)) for p in st.get("paths") or []):
            return st
    return None


def _running(part: dict[str, Any]) -> bool:
    return bool(part.get("installed") and part.get("enabled"))


def _file_outputs(log: dict[str, Any], important: list[str] | None = None) -> list[dict[str, Any]]:
    """Log files written by rsyslog or syslog-ng when installed and enabled (the first writer of a path kept)."""
    rs = log.get("rsyslog") or {}
    ng = log.get("syslog_ng") or {}
    outs = [o for o in rs.get("outputs", []) if str(o.get("path", "")).startswith("/")] if _running(rs) else []
    if _running(ng):
        # A pipe or a terminal (/dev/xconsole, /dev/tty10) does not grow on disk.
        outs += [o for o in ng.get("outputs", []) if o.get("driver", "file") == "file"
                 and str(o.get("path", "")).startswith("/") and not str(o["path"]).startswith("/dev/")]
    if important is not None:
        outs = [o for o in outs if o["path"] in important]
    seen: dict[str, dict[str, Any]] = {}
    for o in outs:
        seen.setdefault(o["path"], o)
    return list(seen.values())


def _unreadable(log: dict[str, Any], snap: Snapshot) -> list[str]:
    out: list[str] = []
    for part in ("journald_conf", "rsyslog_conf", "syslog_ng_conf", "logrotate_conf", "auditd_conf"):
        why = snap.unknown.get(f"logging.{part}")
        if why:
            out.append(str(why.get("detail")))
    out += list((log.get("rsyslog") or {}).get("unreadable", []))
    out += list((log.get("syslog_ng") or {}).get("unreadable", []))
    out += list((log.get("logrotate") or {}).get("unreadable", []))
    out += list((log.get("logrotate") or {}).get("unverified", []))  # read, but its mode and owner not known
    return sorted(set(out))


def _ignored(log: dict[str, Any]) -> list[str]:
    """logrotate configuration files logrotate refuses to read, each with what makes it refuse."""
    out = []
    for i in (log.get("logrotate") or {}).get("ignored") or []:
        why = (f"mode {i['mode']}" if "mode" in i else f"uid {i['uid']}" if "uid" in i
               else str(i.get("kind") or "dangling link"))
        out.append(f"{i.get('path')} ({why})")
    return out


def _journal_text(j: dict[str, Any]) -> str:
    cap = j.get("max_retention_sec")
    size = j.get("system_max_use")
    return (f"Storage={j.get('storage')}, MaxRetentionSec={'-' if not cap else f'{cap // DAY}d'}, "
            f"SystemMaxUse={'default' if size is None else f'{size // (1 << 20)}M'}")


def _journal_full(j: dict[str, Any], min_days: int, p: dict[str, Any], env: Env) -> dict[str, Any] | None:
    """A persistent journal deleting entries younger than `min_days` to stay under its size cap.

    Rule: its oldest entry is younger than min_days while its files fill at least journal_near_cap_percent of
    the cap (SystemMaxUse; unset: 10 % of the file system, and when that is not known the 4 GiB no default
    exceeds), so journald is deleting the oldest to make room. A young journal far from its cap (a new
    machine) is not judged here. None when that cannot be shown."""
    disk = j.get("on_disk") or {}
    oldest = parse_rfc3339_or_none(disk.get("oldest"))
    used = disk.get("bytes")
    if not j.get("persistent") or oldest is None or not isinstance(used, int):
        return None
    days = max(0, (env.now - oldest).days)
    cap, fs = j.get("system_max_use"), disk.get("fs_bytes")
    if cap:
        rule = f"SystemMaxUse, {(j.get('sources') or {}).get('systemmaxuse', '-')}"
    elif isinstance(fs, int) and fs > 0:
        cap, rule = min(fs // 10, JOURNAL_DEFAULT_CEILING), f"10% × {fs // MiB} MiB"
    else:
        cap, rule = JOURNAL_DEFAULT_CEILING, "≤ 4 GiB"
    near = used * 100 >= cap * int(p.get("journal_near_cap_percent", 80))
    if days >= min_days or not near:
        return None
    return {"journal_days": days, "oldest": disk["oldest"], "journal_used": f"{used // MiB} MiB",
            "journal_cap": f"{cap // MiB} MiB ({rule})"}


def _label(e: dict[str, Any]) -> str:
    size = e.get("max_size_bytes")
    return f"{e.get('name')} ({'?' if size is None else size // (1 << 20)} MB, {e.get('mode') or '?'})"


def _windows_logs(log: dict[str, Any], p: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The event logs judged (windows_logs), each with its minimum size; and the evidence naming them."""
    sizes = {str(k).lower(): int(v) for k, v in (p.get("windows_min_size_mb") or {}).items()}
    wanted = [str(n).lower() for n in p.get("windows_logs") or ()]
    logs = [dict(e, min_mb=sizes.get(str(e.get("name")).lower(), 0)) for e in log.get("event_logs") or []
            if str(e.get("name")).lower() in wanted]
    return logs, {"event_logs": logs}


def _small(e: dict[str, Any]) -> bool:
    return e.get("max_size_bytes") is None or e["max_size_bytes"] < e["min_mb"] * (1 << 20)


def _retention_windows(log: dict[str, Any], p: dict[str, Any]) -> Outcome:
    logs, evidence = _windows_logs(log, p)
    named = {"logs": [_label(e) for e in logs]}
    if "event_logs" not in log:
        return Outcome("unknown", "unknown_windows", named, evidence)
    off = [_label(e) for e in logs if e.get("enabled") is False]
    overwritten = [_label(e) for e in logs if e.get("mode") == "circular" and _small(e)]
    sized = [_label(e) for e in logs if e.get("mode") == "circular" and not _small(e)]
    unsure = [_label(e) for e in logs if e.get("mode") is None]
    args = {**named, "off": off, "small": overwritten, "sized": sized}
    if off:
        return Outcome("fail", "fail_windows_off", args, evidence)
    if overwritten:
        return Outcome("fail", "fail_windows_small", args, evidence)
    if unsure or not logs:
        return Outcome("unknown", "unknown_windows", args, evidence)
    if sized:
        return Outcome("warn", "warn_windows_size", args, evidence)
    return Outcome("pass", "pass_windows", args, evidence)


@check("logs.retention")
def retention(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    log: dict[str, Any] = snap.table("logging")
    if env.family == "windows":
        return _retention_windows(log, p)
    min_days = int(p["min_days"])
    warn_from = min_days * (100 - int(p.get("warn_within_percent", 10))) / 100
    stanzas = (log.get("logrotate") or {}).get("stanzas", [])
    files: list[dict[str, Any]] = []
    for out in _file_outputs(log, list(p.get("files") or [])):
        st = _stanza_for(out["path"], stanzas)
        days = None if st is None else st.get("retention_days")
        files.append({"path": out["path"], "written_at": out.get("source"), "rotated_at": st and st.get("source"),
                      "retention_days": days, "never_rotated": st is None,
                      "size_only": st is not None and days is None})
    j = log.get("journald") or {}
    cap = j.get("max_retention_sec")
    journal = {"persistent": j.get("persistent"), "storage": j.get("storage"), "max_retention_days":
               cap // DAY if cap else None, "system_max_use": j.get("system_max_use"), "sources": j.get("sources"),
               "on_disk": j.get("on_disk")}
    evidence = {"files": files, "journald": journal, "min_days": min_days,
                "logrotate_ignored": (log.get("logrotate") or {}).get("ignored") or []}
    short = [f for f in files if f["retention_days"] is not None and f["retention_days"] < min_days]
    unsure = [f for f in files if f["size_only"]]

    def text(items: list[dict[str, Any]]) -> list[str]:  # a file never rotated is never deleted: "∞; -"
        return [f"{f['path']} ({'∞' if f['never_rotated'] else f['retention_days']}; {f['rotated_at'] or '-'})"
                for f in items]

    args = {"min": min_days, "journal": _journal_text(j), "files": text(files), "short": text(short),
            "unsure": [f"{f['path']} ({f['rotated_at']})" for f in unsure],
            "paths": ", ".join(p.get("files") or [])}
    if short:
        nearly = all(f["retention_days"] >= warn_from for f in short)
        return Outcome("warn" if nearly else "fail", "warn_files" if nearly else "fail_files", args, evidence)
    unreadable = _unreadable(log, snap)
    if files and not unsure and not (unreadable and any(f["never_rotated"] for f in files)):
        return Outcome("pass", "pass_files", args, evidence)
    journal_ok = j.get("persistent") and (not cap or cap >= min_days * DAY)
    if files and unsure:
        return Outcome("unknown", "unknown_size_only", args, evidence)
    if unreadable:
        return Outcome("unknown", "unknown", {**args, "paths": ", ".join(unreadable)}, evidence)
    if j.get("persistent") and cap and cap < min_days * DAY:
        return Outcome("fail", "fail_journal_cap", {**args, "days": cap // DAY}, evidence)
    full = _journal_full(j, min_days, p, env)
    if full:
        return Outcome("fail", "fail_journal_full", {**args, **full}, evidence)
    if journal_ok:
        # A persistent journal with no shorter time cap keeps entries until its size limit: how many days
        # that is depends on how much is logged, so it cannot be confirmed from the configuration.
        return Outcome("warn", "warn_journal_size", args, evidence)
    return Outcome("fail", "fail_none", args, evidence)


def _disk_windows(log: dict[str, Any], p: dict[str, Any]) -> Outcome:
    logs, evidence = _windows_logs(log, p)
    named = {"logs": [_label(e) for e in logs]}
    if "event_logs" not in log:
        return Outcome("unknown", "unknown_windows", named, evidence)
    retain = [_label(e) for e in logs if e.get("mode") == "retain"]
    small = [_label(e) for e in logs if e.get("mode") == "circular" and _small(e)]
    archived = [_label(e) for e in logs if e.get("mode") == "autobackup"]
    args = {**named, "retain": retain, "small": small, "archived": archived}
    if retain:
        return Outcome("fail", "fail_windows_retain", args, evidence)
    if small:
        return Outcome("fail", "fail_windows_small", args, evidence)
    if any(e.get("mode") is None for e in logs) or not logs:
        return Outcome("unknown", "unknown_windows", args, evidence)
    if archived:
        return Outcome("warn", "warn_windows_archive", args, evidence)
    return Outcome("pass", "pass_windows", args, evidence)


def _audit_stops(a: dict[str, Any], snap: Snapshot) -> list[str]:
    """The auditd.conf actions under which audit records stop being written while the machine runs on:
    `ignore` or `suspend` when the disk is full or fails, `suspend` at admin_space_left (`ignore` there
    only hands over to disk_full_action). Unset keys count with auditd's defaults; nothing is judged when
    auditd is not installed or auditd.conf could not be read."""
    if not a.get("installed") or snap.unknown.get("logging.auditd_conf") or a.get("conf_refused"):
        return []  # not judged, or auditd does not start at all (logs.auditd says so)
    out = []
    sources = a.get("sources") or {}
    for key, default in AUDIT_DEFAULTS.items():
        words = str(a.get(key) or default).lower().split()  # "exec /path": the action is the first word
        action = words[0] if words else default
        bad = ("suspend",) if key == "admin_space_left_action" else ("ignore", "suspend")
        if action in bad:
            out.append(f"{key} = {action}" + (f" ({sources[key]})" if key in sources and key in a else ""))
    return out


@check("logs.disk_bounded")
def disk_bounded(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    log: dict[str, Any] = snap.table("logging")
    if env.family == "windows":
        return _disk_windows(log, p)
    min_days = int(p["min_days"])
    lr = log.get("logrotate") or {}
    stanzas = lr.get("stanzas", [])
    outs = [o for o in _file_outputs(log) if _stanza_for(o["path"], stanzas) is None]
    unrotated = [o for o in outs if o.get("exists") is not False]  # syslog-ng creates a file on its first line
    j = log.get("journald") or {}
    cap = j.get("max_retention_sec")
    a = log.get("auditd") or {}
    audit_unbounded = (bool(a.get("installed")) and not a.get("conf_refused")
                       and a.get("max_log_file_action") == "keep_logs")
    audit_stops = _audit_stops(a, snap)
    evidence = {"unrotated": unrotated, "unrotated_not_created": [o for o in outs if o.get("exists") is False],
                "journald": {"system_max_use": j.get("system_max_use"),
                "system_keep_free": j.get("system_keep_free"), "max_retention_sec": cap, "sources": j.get("sources"),
                             "on_disk": j.get("on_disk")},
                "auditd": {**{k: a.get(k) for k in ("max_log_file_action", "num_logs", "max_log_file",
                                                    "space_left_action", "admin_space_left_action", "disk_full_action",
                                                    "disk_error_action", "sources") if k in a},
                           "stops_writing": audit_stops},
                "logrotate": {k: lr.get(k) for k in ("ignored", "blocked", "invalid", "unverified")}}
    args = {"files": [f"{o['path']} ({o.get('source')})" for o in unrotated], "min": min_days,
            "ignored": _ignored(log), "blocked": lr.get("blocked") or "-",
            "days": (cap or 0) // DAY, "journal": _journal_text(j),
            "audit_source": (a.get("sources") or {}).get("max_log_file_action", "/etc/audit/auditd.conf"),
            "audit_stops": audit_stops}
    problems = []
    unreadable = _unreadable(log, snap)
    if unrotated and not unreadable:  # an unreadable logrotate file may rotate them
        # logrotate hangs on a FIFO among its files and rotates nothing; files it refuses rotate nothing.
        problems.append("fail_logrotate_blocked" if lr.get("blocked") else
                        "fail_unrotated_ignored" if args["ignored"] else "fail_unrotated")
    if j.get("persistent") and cap and cap < min_days * DAY:
        problems.append("fail_journal_cap")
    # Only where the journal is the place logs are kept: rsyslog or syslog-ng files keep their own days.
    full = None if _file_outputs(log) else _journal_full(j, min_days, p, env)
    if full:
        problems.append("fail_journal_full")
        args.update(full)
    if problems:
        return Outcome("fail", problems[0], args, evidence)
    if audit_unbounded:
        return Outcome("warn", "warn_audit_keep", args, evidence)
    if audit_stops:
        return Outcome("warn", "warn_audit_stops", args, evidence)
    if unreadable:
        return Outcome("unknown", "unknown", {**args, "paths": ", ".join(unreadable)}, evidence)
    if not (j.get("installed") or (log.get("rsyslog") or {}).get("installed")
            or (log.get("syslog_ng") or {}).get("installed")):
        return Outcome("unknown", "unknown_none", args, evidence)  # nothing seen that logs: nothing bounded
    return Outcome("pass", "pass", args, evidence)


@check("logs.forwarding")
def forwarding(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    log: dict[str, Any] = snap.table("logging")
    missing = str(p.get("missing_status", "warn"))
    status: Status = "fail" if missing == "fail" else "warn"
    if env.family == "windows":
        managers = log.get("event_forwarding")
        wef = {"event_forwarding": managers}
        if managers is None:
            return Outcome("unknown", "unknown_windows", {}, wef)
        if managers:
            return Outcome("pass", "pass", {"targets": [f"{m} (Windows Event Forwarding)" for m in managers]}, wef)
        return Outcome(status, "none_windows", {}, wef)
    rs = log.get("rsyslog") or {}
    ng = log.get("syslog_ng") or {}
    j = log.get("journald") or {}
    forwards = list(rs.get("forwards", [])) if _running(rs) else []
    forwards += list(ng.get("forwards", [])) if _running(ng) else []
    idle = [] if forwards or _running(rs) else list(rs.get("forwards", []))
    idle_ng = [] if forwards or _running(ng) else list(ng.get("forwards", []))
    targets = [f"{f.get('target')} ({f.get('protocol')}, {f.get('source')})" for f in forwards]
    if j.get("upload_enabled"):
        targets.append(f"systemd-journal-upload → {j.get('upload_url') or '?'} ({j.get('upload_source')})")
    upload = {k: j.get(k) for k in ("upload_enabled", "upload_url", "upload_source")}
    evidence: dict[str, Any] = {"forwards": forwards, "journal_upload": upload, "configured_but_rsyslog_off": idle,
                                "configured_but_syslog_ng_off": idle_ng}
    if ng.get("other_drivers") or ng.get("invalid"):  # what a reader may want to look at by hand
        evidence["syslog_ng"] = {"other_drivers": ng.get("other_drivers"), "invalid": ng.get("invalid")}
    args = {"targets": targets, "idle": [f"{f.get('target')} ({f.get('source')})" for f in idle or idle_ng]}
    if targets:
        return Outcome("pass", "pass", args, evidence)
    if idle:
        return Outcome(status, "rsyslog_off", args, evidence)
    if idle_ng:
        return Outcome(status, "syslog_ng_off", args, evidence)
    unreadable = _unreadable(log, snap)
    if unreadable:
        return Outcome("unknown", "unknown", {**args, "paths": ", ".join(unreadable)}, evidence)
    return Outcome(status, "none", args, evidence)


@check("logs.auditd")
def auditd(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    a: dict[str, Any] = (snap.table("logging").get("auditd") or {})
    evidence = {k: a.get(k) for k in ("installed", "enabled", "enabled_source", "rules", "rule_files",
                                      "conf_refused")}
    args = {"n": len(a.get("rules") or []), "role": env.role, "files": ", ".join(a.get("rule_files") or [])
            or "/etc/audit/rules.d", "refused": a.get("conf_refused") or "-"}
    if env.role not in set(p.get("roles") or ("server",)):
        return Outcome("not_applicable", "not_server", args, evidence)
    if not a.get("installed"):
        return Outcome("fail", "not_installed", args, evidence)
    if not a.get("enabled"):
        return Outcome("fail", "not_enabled", args, evidence)
    if a.get("conf_refused"):
        return Outcome("fail", "conf_refused", args, evidence)  # auditd exits at start: nothing is recorded
    if snap.unknown.get("logging.auditd_conf"):
        return Outcome("unknown", "unknown", args, evidence)
    if not a.get("rules"):
        return Outcome("warn", "no_rules", args, evidence)
    return Outcome("pass", "pass", args, evidence)
