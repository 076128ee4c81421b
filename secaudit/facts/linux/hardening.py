"""System hardening facts a school server needs and the peers (Lynis, OpenSCAP) check: home directory modes,
the default umask, sudo's logging, login shells of system accounts, kernel network parameters and GRUB's password.

umask: pam_umask (in a PAM session stack) sets the login's umask from its umask= argument or login.defs UMASK;
then a login shell runs /etc/profile (Debian's sources /etc/bash.bashrc for interactive shells, then
/etc/profile.d/*.sh in name order): the last `umask` command wins. With neither, the umask is the 022 that init
and sshd start sessions with.
sudo: logs every command to syslog (authpriv) unless `Defaults !syslog`; `Defaults logfile=...` adds a file;
`log_output` records the session; `use_pty` runs commands in a pseudo-terminal (no background process can keep
the terminal after sudo ends). Global Defaults only; a later line overrides an earlier one.
"""

from __future__ import annotations

import re
import stat as stat_mod
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux import etcfiles
from secaudit.facts.linux.accounts import sudoers_rules
from secaudit.facts.linux.cron import cron_jobs
from secaudit.facts.linux.ftp import vsftpd
from secaudit.facts.linux.logins import defs_int, login_defs
from secaudit.facts.linux.sysctl import grub, sysctl
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

NO_LOGIN = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false", "/bin/nologin",
            "/usr/bin/nologin"}
SPECIAL = {("sync", "/bin/sync"), ("shutdown", "/sbin/shutdown"), ("halt", "/sbin/halt"),
           ("sync", "/usr/bin/sync"), ("shutdown", "/usr/sbin/shutdown"), ("halt", "/usr/sbin/halt")}
PAM_SESSION_FILES = ("/etc/pam.d/common-session", "/etc/pam.d/login", "/etc/pam.d/sshd", "/etc/pam.d/system-auth",
                     "/etc/pam.d/password-auth", "/etc/pam.d/postlogin")
PROFILE_FILES = ("/etc/profile", "/etc/bash.bashrc")
_UMASK = re.compile(r"^\s*umask\s+(0?[0-7]{3})\s*(?:[;#]|$)")
_UMASK_ARG = re.compile(r"umask=(0?[0-7]{3})")
MAX_HOMES = 2000


def _home_dirs(ctx: FactContext, entries: list[etcfiles.PasswdEntry], uid_min: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for e in entries:
        if (e.uid != 0 and e.uid < uid_min) or e.shell in NO_LOGIN or not e.home.startswith("/") or e.home == "/":
            continue
        if len(rows) >= MAX_HOMES:
            break
        try:
            st = ctx.transport.stat(e.home)
        except FactUnavailable as exc:
            if exc.code != "not_found":
                ctx.unknown("hardening.home_dirs", exc.code, exc.detail)
            continue
        if not stat_mod.S_ISDIR(st.mode):
            continue
        mode = stat_mod.S_IMODE(st.mode)
        rows.append({"user": e.name, "uid": e.uid, "home": e.home, "mode": f"{mode:04o}", "owner_uid": st.uid,
                     "others_read": bool(mode & 0o004), "others_write": bool(mode & 0o002),
                     "group_write": bool(mode & 0o020), "source": e.source})
    return rows


def _system_shells(entries: list[etcfiles.PasswdEntry], uid_min: int) -> list[dict[str, Any]]:
    """System accounts (0 < uid < UID_MIN) whose shell lets them log in (an empty shell is /bin/sh)."""
    return [{"user": e.name, "uid": e.uid, "shell": e.shell or "/bin/sh (empty)", "source": e.source}
            for e in entries if 0 < e.uid < uid_min and e.shell not in NO_LOGIN and (e.name, e.shell) not in SPECIAL]


def _pam_umask(ctx: FactContext) -> tuple[bool, str | None, str | None]:
    for path in PAM_SESSION_FILES:
        text = ctx.read_text(path, "hardening.umask") or ""
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0]
            words = line.split()
            if len(words) >= 3 and words[0].lstrip("-") == "session" and any("pam_umask.so" in w for w in words):
                m = _UMASK_ARG.search(line)
                return True, m.group(1) if m else None, f"{path}:{number}"
    return False, None, None


def _umask(ctx: FactContext) -> dict[str, Any]:
    defs = login_defs(ctx)
    defs_umask = defs.get("UMASK")
    pam, pam_arg, pam_source = _pam_umask(ctx)
    steps: list[dict[str, str]] = []  # every setting in the order a login applies them
    if pam:
        if pam_arg:
            steps.append({"value": pam_arg, "source": str(pam_source)})
        elif defs_umask:
            steps.append({"value": defs_umask[0], "source": f"{defs_umask[1]} (pam_umask, {pam_source})"})
    scripts = list(PROFILE_FILES) + [f"/etc/profile.d/{n}" for n in sorted(ctx.list_dir("/etc/profile.d"))
                                     if n.endswith(".sh")]
    for path in scripts:
        text = ctx.read_text(path, "hardening.umask") or ""
        for number, raw in enumerate(text.splitlines(), 1):
            m = _UMASK.match(raw)
            if m:
                steps.append({"value": m.group(1), "source": f"{path}:{number}"})
    last = steps[-1] if steps else {"value": "022", "source": "default (no pam_umask, no umask in /etc/profile*)"}
    try:
        effective = f"{int(last['value'], 8):03o}"
    except ValueError:
        effective = None
    return {"effective": effective, "source": last["source"], "pam_umask": pam,
            "login_defs": defs_umask[0] if defs_umask else None, "settings": steps}


def _sudo_logging(ctx: FactContext) -> dict[str, Any] | None:
    parsed, _ = sudoers_rules(ctx)
    if parsed is None:
        return None
    flags: dict[str, Any] = {"syslog": True, "logfile": None, "log_output": False, "log_input": False,
                             "use_pty": False}
    sources: dict[str, str] = {}
    for d in parsed.defaults:
        if d.binding or d.name not in flags:
            continue
        if d.name in ("syslog", "logfile"):
            value = (d.value or "").strip('"') or True
            flags[d.name] = (False if d.name == "syslog" else None) if d.negated else value
        else:
            flags[d.name] = not d.negated
        sources[d.name] = d.source
    return {**flags, "sources": sources, "files": list(parsed.files)}


@collector("hardening", ("hardening",))
def collect_hardening(ctx: FactContext) -> None:
    entries = etcfiles.passwd(ctx)
    uid_min = defs_int(login_defs(ctx), "UID_MIN")[0] or 1000
    table: dict[str, Any] = {
        "home_dirs": _home_dirs(ctx, entries, uid_min) if entries is not None else None,
        "system_shells": _system_shells(entries, uid_min) if entries is not None else None,
        "uid_min": uid_min,
        "umask": _umask(ctx),
        "sudo_logging": _sudo_logging(ctx),
        "sysctl": sysctl(ctx),
        "grub": grub(ctx),
        "cron": cron_jobs(ctx),
        "vsftpd": vsftpd(ctx),
    }
    if entries is None:
        ctx.unknown("hardening.home_dirs", "not_found", "/etc/passwd")
    ctx.put("hardening", table)
