"""System hardening on Linux: home directory modes, the default umask, sudo logging, login shells of system
accounts, kernel network parameters and GRUB's password (where the unit's config asks for one)."""

from __future__ import annotations

import re
from typing import Any

from secaudit.checks.base import Env, Outcome, check, part_or_unknown
from secaudit.facts.model import Snapshot
from secaudit.status import Status

# Linux's own values when nothing sets a parameter (net/ipv4/devinet.c ipv4_devconf / ipv4_devconf_dflt,
# net/ipv6/addrconf.c, tcp_syncookies 1 since 2.6.x distributions' kernels); used only when neither a sysctl
# file nor /proc/sys says otherwise.
KERNEL_DEFAULTS = {
    "net.ipv4.conf.all.accept_redirects": "1", "net.ipv4.conf.default.accept_redirects": "1",
    "net.ipv4.conf.all.send_redirects": "1", "net.ipv4.conf.default.send_redirects": "1",
    "net.ipv4.conf.all.accept_source_route": "0", "net.ipv4.conf.default.accept_source_route": "1",
    "net.ipv6.conf.all.accept_redirects": "1", "net.ipv6.conf.default.accept_redirects": "1",
    "net.ipv6.conf.all.accept_source_route": "0", "net.ipv6.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.tcp_syncookies": "1", "net.ipv4.icmp_echo_ignore_broadcasts": "1",
}
# (rule name, keys, accepted values, status when not met)
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], Status], ...] = (
    ("accept_redirects", ("net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
                          "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects"),
     ("0",), "fail"),
    ("send_redirects", ("net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects"), ("0",), "fail"),
    ("accept_source_route", ("net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route",
                             "net.ipv6.conf.all.accept_source_route",
                             "net.ipv6.conf.default.accept_source_route"), ("0",), "fail"),
    ("tcp_syncookies", ("net.ipv4.tcp_syncookies",), ("1",), "fail"),
    ("icmp_echo_ignore_broadcasts", ("net.ipv4.icmp_echo_ignore_broadcasts",), ("1",), "warn"),
)
RP_FILTER = ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter")


def _table(snap: Snapshot) -> dict[str, Any]:
    return dict(snap.table("hardening") or {})


def _why(snap: Snapshot, part: str) -> dict[str, Any] | None:
    why = snap.unknown.get(f"hardening.{part}") or snap.unknown.get("hardening")
    return dict(why) if why else None


@check("hardening.home_dirs")
def home_dirs(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    rows = part_or_unknown(snap, "hardening", "home_dirs", "/etc/passwd", list)
    if isinstance(rows, Outcome):
        return rows
    outcomes: list[Outcome] = []
    for row in rows:
        args = {"user": row.get("user", "?"), "home": row.get("home", "?"), "mode": row.get("mode", "?")}
        evidence = {k: row.get(k) for k in ("user", "home", "mode", "owner_uid", "source")}
        missing = [k for k in ("uid", "owner_uid", "others_write", "others_read", "group_write") if row.get(k) is None]
        if missing:  # a row that does not say who owns it or who may write: never a pass
            why = {"code": "incomplete", "detail": f"{args['home']} ({args['user']}): {', '.join(missing)} unknown"}
            outcomes.append(Outcome("unknown", "unreadable", {"detail": why["detail"]}, {**evidence, **why}))
        elif row["owner_uid"] != row["uid"]:
            outcomes.append(Outcome("fail", "not_owner", {**args, "owner": row["owner_uid"]}, evidence))
        elif row["others_write"]:
            outcomes.append(Outcome("fail", "others_write", args, evidence))
        elif row["others_read"] or row["group_write"]:
            outcomes.append(Outcome("warn", "others_read" if row["others_read"] else "group_write", args, evidence))
    if not outcomes:
        return Outcome("pass", "pass", {"count": len(rows)}, {"home_dirs": [r.get("home") for r in rows]})
    return outcomes


@check("hardening.umask")
def umask(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    info = _table(snap).get("umask") or {}
    why = _why(snap, "umask")
    value = info.get("effective")
    if why is None and not (isinstance(value, str) and re.fullmatch(r"[0-7]{1,4}", value.strip())):
        why = {"code": "bad_value", "detail": f"umask {value!r} ({info.get('source', '')})" if value is not None
               else str(info.get("source", ""))}
    if why is not None or not isinstance(value, str):
        why = why or {"code": "bad_value", "detail": str(info.get("source", ""))}
        return Outcome("unknown", "unreadable", {"detail": why["detail"]}, why)
    mask = int(value.strip(), 8)
    args = {"umask": value, "source": info.get("source", "")}
    evidence = {"umask": value, "source": info.get("source"), "settings": info.get("settings", []),
                "pam_umask": info.get("pam_umask"), "login_defs": info.get("login_defs")}
    if not mask & 0o002:
        return Outcome("fail", "others_write", args, evidence)
    if mask & 0o027 != 0o027:
        return Outcome("warn", "others_read", args, evidence)
    return Outcome("pass", "pass", args, evidence)


@check("hardening.sudo_logging")
def sudo_logging(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    info = _table(snap).get("sudo_logging")
    sudo_why = snap.unknown.get("sudo_rules")
    if info is None:
        if sudo_why is None or sudo_why.get("code") == "not_applicable":
            return Outcome("not_applicable", "no_sudo", {}, {})
        return Outcome("unknown", "unreadable", {"detail": sudo_why["detail"]}, dict(sudo_why))
    if sudo_why is not None:  # an unreadable sudoers include might turn logging off
        return Outcome("unknown", "unreadable", {"detail": sudo_why["detail"]}, dict(sudo_why))
    sources = info.get("sources", {})
    evidence = {k: info.get(k) for k in ("syslog", "logfile", "log_output", "use_pty", "sources")}
    where = "; ".join(f"{k} ({v})" for k, v in sources.items()) or "sudo defaults"
    syslog, logfile = info.get("syslog"), info.get("logfile")
    if syslog is False and not logfile:
        return Outcome("fail", "no_log", {"sources": where}, evidence)
    target = f"syslog {syslog}" if isinstance(syslog, str) else "syslog" if syslog else ""
    if logfile:
        target = f"{target}, {logfile}" if target else str(logfile)
    args = {"target": target, "sources": where, "output": "yes" if info.get("log_output") else "no"}
    if not info.get("use_pty"):
        return Outcome("warn", "no_pty", args, evidence)
    return Outcome("pass", "pass", args, evidence)


@check("hardening.system_shells")
def system_shells(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    table = _table(snap)
    rows = table.get("system_shells")
    if rows is None:
        why = snap.unknown.get("users") or {"code": "not_found", "detail": "/etc/passwd"}
        return Outcome("unknown", "unreadable", {"detail": why["detail"]}, dict(why))
    allowed = set(p.get("allowed", []))
    bad = [r for r in rows if r.get("user") not in allowed]
    if not bad:
        return Outcome("pass", "pass", {"uid_min": table.get("uid_min")}, {"uid_min": table.get("uid_min")})
    return [Outcome("warn", "shell", {k: r.get(k, "?") for k in ("user", "uid", "shell", "source")}, dict(r))
            for r in bad]


def _value(info: dict[str, Any], key: str) -> tuple[str, str]:
    """(value in force, where it comes from): the running value where observable, else the files, else Linux's."""
    live = info.get("live")
    configured = (info.get("configured") or {}).get(key)
    if configured is not None and not (isinstance(configured, dict) and "value" in configured):
        configured = {"value": str(configured), "source": "?"}
    elif configured is not None:
        configured = {"value": str(configured["value"]), "source": str(configured.get("source", "?"))}
    if live and key in live:
        if configured and configured["value"] != live[key]:
            return live[key], f"/proc/sys (running; {configured['source']} says {configured['value']})"
        return live[key], configured["source"] if configured else "/proc/sys (running)"
    if configured:
        return str(configured["value"]), str(configured["source"])
    return KERNEL_DEFAULTS.get(key, "?"), "kernel default"


@check("hardening.network_sysctl")
def network_sysctl(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    info = part_or_unknown(snap, "hardening", "sysctl", "sysctl")
    if isinstance(info, Outcome):
        return info
    outcomes: list[Outcome] = []
    for name, keys, wanted, status in RULES:
        found = {k: _value(info, k) for k in keys}
        bad = {k: v for k, v in found.items() if v[0] not in wanted}
        evidence = {"rule": name, "values": {k: v[0] for k, v in found.items()},
                    "sources": {k: v[1] for k, v in found.items()}}
        if bad:
            shown = "; ".join(f"{k} = {v[0]} ({v[1]})" for k, v in bad.items())
            outcomes.append(Outcome(status, name, {"settings": shown, "wanted": wanted[0]}, evidence))
    rp = {k: _value(info, k) for k in RP_FILTER}
    if max((int(v[0]) if v[0].isdigit() else 0) for v in rp.values()) not in (1, 2):
        shown = "; ".join(f"{k} = {v[0]} ({v[1]})" for k, v in rp.items())
        outcomes.append(Outcome("warn", "rp_filter", {"settings": shown, "wanted": "1"},
                                {"rule": "rp_filter", "values": {k: v[0] for k, v in rp.items()}}))
    if not outcomes:
        return Outcome("pass", "pass", {"files": ", ".join(info.get("files", [])) or "-"},
                       {"files": info.get("files", []), "live": info.get("live") is not None})
    return outcomes


@check("hardening.grub_password")
def grub_password(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    info = _table(snap).get("grub") or {}
    if not p.get("required"):
        return Outcome("not_applicable", "not_asked", {}, dict(info))
    why = _why(snap, "grub")
    if why is not None:
        return Outcome("unknown", "unreadable", {"detail": why["detail"]}, why)
    if info.get("config") is None:
        return Outcome("not_applicable", "no_grub", {}, dict(info))
    args = {"config": info["config"], "source": info.get("source") or info["config"],
            "custom": ", ".join(info.get("custom_files", []))}
    if info.get("password"):
        return Outcome("warn" if info.get("plain_text") else "pass", "plain" if info.get("plain_text") else "pass",
                       args, dict(info))
    if info.get("custom_files"):
        return Outcome("fail", "not_generated", args, dict(info))
    return Outcome("fail", "fail", args, dict(info))


def _cron_problems(job: dict[str, Any], target: dict[str, Any]) -> list[str]:
    """What lets someone other than the job's user change what it runs, in a notation both languages read:
    o+w (anyone can write it), g+w gid N (a group other than root's), uid N (a root job running another
    user's file), and a directory anyone can write without the sticky bit (the file can be replaced)."""
    out = []
    path, mode_text = target.get("path"), target.get("mode")
    mode = int(str(mode_text or "0"), 8)
    if mode & 0o002:
        out.append(f"{path} {mode_text} o+w")
    elif mode & 0o020 and target.get("gid") not in (0, None):
        out.append(f"{path} {mode_text} g+w gid {target.get('gid')}")
    if job.get("user") == "root" and target.get("uid") not in (0, None):
        out.append(f"{path} uid {target.get('uid')}")
    dir_mode = int(str(target.get("dir_mode") or "0"), 8)
    if mode_text is None and dir_mode & 0o002:  # missing, in a directory anyone can create files in
        out.append(f"{path} missing, {target.get('dir')}/ {target.get('dir_mode')} o+w")
    elif dir_mode & 0o002 and not dir_mode & 0o1000:
        out.append(f"{target.get('dir')}/ {target.get('dir_mode')} o+w")
    return out


@check("hardening.cron_scripts")
def cron_scripts(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    info = part_or_unknown(snap, "hardening", "cron", "cron")
    if isinstance(info, Outcome):
        return info
    if not info.get("files") and not info.get("jobs") and not info.get("ignored") and not info.get("unreadable"):
        return Outcome("not_applicable", "no_cron", {}, {"files": []})  # no /etc/crontab: cron is not installed
    jobs = [j for j in info.get("jobs") or [] if j.get("runs")]
    bad = []
    for job in jobs:
        problems = [x for t in job.get("targets") or [] for x in _cron_problems(job, t)]
        if problems:
            bad.append(f"{job.get('source')} [{job.get('user')}]: {', '.join(problems)}")
    evidence = {"jobs": bad or [str(j.get("source")) for j in jobs], "ignored": info.get("ignored", []),
                "files": info.get("files", [])}
    if bad:
        return Outcome("fail", "fail", {"jobs": bad}, evidence)
    if info.get("unreadable"):  # the system crontabs are clean; the users' could not be read
        evidence["unreadable"] = info["unreadable"]
        return Outcome("unknown", "users_unreadable", {"count": len(jobs), "paths": info["unreadable"]}, evidence)
    return Outcome("pass", "pass", {"count": len(jobs)}, evidence)


@check("hardening.ftp_anonymous")
def ftp_anonymous(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    info = _table(snap).get("vsftpd")
    if not isinstance(info, dict):
        return Outcome("not_applicable", "no_vsftpd", {}, {})
    evidence = dict(info)
    args = {"config": info.get("config") or "-", "source": info.get("source") or "-",
            "broken": info.get("broken") or "-", "enabled": info.get("enabled") or "-"}
    if info.get("broken"):
        return Outcome("warn", "broken", args, evidence)
    if info.get("anonymous_enable") and (info.get("enabled") or info.get("installed")):
        return Outcome("fail", "fail", args, evidence)
    if info.get("anonymous_enable") is None:
        return Outcome("unknown", "no_config", args, evidence)
    return Outcome("pass", "pass", args, evidence)
