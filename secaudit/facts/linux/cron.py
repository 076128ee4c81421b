"""Scheduled jobs as Debian's cron runs them, and the files they run (their modes, for checks/hardening.py).

cron (3.0pl1, Debian) reads /etc/crontab and /etc/cron.d/* (system format: five time fields, a user, the
command) and the user crontabs in /var/spool/cron/crontabs (no user field). A file of /etc/cron.d is
skipped when its name is not made only of letters, digits, `_` and `-` (so `backup.sh`, `job.dpkg-old`
never run), and a system crontab is refused when it is not a regular file owned by root or is writable by
group or others ("INSECURE MODE"). /etc/crontab runs `run-parts` on /etc/cron.{hourly,daily,weekly,monthly}:
run-parts runs, as root, the executable regular files whose names are letters, digits, `_` and `-` only.

A job's command is read roughly as a shell would: the absolute path of each program it runs, and of the script
an interpreter is given, is looked at with the mode and owner of the file and of its directory."""

from __future__ import annotations

import re
import stat as stat_mod
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.logrotate import owners_known
from secaudit.transport.base import FactUnavailable

RUN_PARTS_DIRS = ("/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly")
SPOOL_DIRS = ("/var/spool/cron/crontabs", "/var/spool/cron")
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_NICKNAMES = ("@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
MAX_JOBS = 2000
MAX_TARGETS = 8


def _target(ctx: FactContext, path: str) -> dict[str, Any] | None:
    """Mode and owner of a file a job runs, and of its directory. A file that does not exist is kept (mode
    null) when its directory does: whoever can write there can create it. None otherwise."""
    try:
        st = ctx.transport.stat(path)
    except FactUnavailable:
        st = None
    if st is not None and st.is_dir:
        return None
    parent = path.rsplit("/", 1)[0] or "/"
    try:
        pst = ctx.transport.stat(parent)
        dir_mode: str | None = f"{stat_mod.S_IMODE(pst.mode):04o}"
        dir_uid: int | None = pst.uid
    except FactUnavailable:
        if st is None:
            return None
        dir_mode, dir_uid = None, None
    known = ctx.memo("cron.owners_known", lambda: owners_known(ctx))
    return {"path": path, "mode": f"{stat_mod.S_IMODE(st.mode):04o}" if st else None,
            "uid": st.uid if known and st else None, "gid": st.gid if known and st else None,
            "dir": parent, "dir_mode": dir_mode, "dir_uid": dir_uid if known else None}


_TOKEN = re.compile(r"&&|\|\||[;|&(){}]|[^\s;|&(){}]+")
_SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", "{", "}", "then", "do", "else", "elif", "if", "while"}
# programs that run the command after their options, and how many arguments of their own come first
_WRAPPERS = {"nice": 0, "ionice": 0, "nohup": 0, "exec": 0, "time": 0, "sudo": 0, "env": 0, "timeout": 1,
             "flock": 1, "chronic": 0, "run-one": 0, "setsid": 0, "systemd-cat": 0, "cronic": 0, "xargs": 0,
             "command": 0, "!": 0}
_INTERPRETERS = re.compile(r"^(?:sh|bash|dash|zsh|ksh|python[0-9.]*|perl|php[0-9.]*|ruby|node|source|\.)$")


def run_paths(command: str) -> list[str]:
    """The absolute paths a command line runs: each simple command's program (past env settings and
    wrappers such as nice or flock), and the script an interpreter (sh, bash, python, perl, ...) is given.
    Files it only reads, writes or deletes are not run."""
    out: list[str] = []
    start, interpreter, skip, own_args = True, False, False, 0
    for raw in _TOKEN.findall(command):
        tok = raw.strip("\"'")
        if skip:  # the target of a redirection
            skip = False
            continue
        if re.match(r"^[0-9]*[<>]", tok):
            skip = re.fullmatch(r"[0-9]*[<>]+&?[0-9]*", tok) is not None and not tok.endswith("&1")
            continue
        if tok in _SEPARATORS:
            start, interpreter, own_args = True, False, 0
            continue
        if start:
            if ("=" in tok and not tok.startswith(("/", "-"))) or tok.startswith("-") or tok.isdigit():
                continue  # PATH=... before the program; a wrapper's options
            if own_args:  # flock's lock file, timeout's duration
                own_args -= 1
                continue
            name = tok.rsplit("/", 1)[-1]
            if name in _WRAPPERS:
                own_args = _WRAPPERS[name]
                if tok.startswith("/"):
                    out.append(tok)
                continue
            if tok.startswith("/"):
                out.append(tok)
            start, interpreter = False, bool(_INTERPRETERS.match(name))
            continue
        if interpreter:
            if tok.startswith("-"):
                if tok == "-c":
                    interpreter = False  # a command string, not a script file
                continue
            if tok.startswith("/"):
                out.append(tok)
            interpreter = False
    return out


def _targets(ctx: FactContext, command: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in dict.fromkeys(run_paths(command)):
        if path.startswith(("/dev/", "/proc/")):
            continue
        found = _target(ctx, path.rstrip("/"))
        if found is not None:
            out.append(found)
        if len(out) >= MAX_TARGETS:
            break
    return out


def _refused(ctx: FactContext, path: str) -> str | None:
    """Why cron refuses a system crontab file (None: it is read)."""
    try:
        st = ctx.transport.stat(path)
    except FactUnavailable as exc:
        return exc.code
    if not st.is_file:
        return "not a regular file"
    if st.uid != 0 and ctx.memo("cron.owners_known", lambda: owners_known(ctx)):
        return f"owned by uid {st.uid}, not root"
    if st.mode & 0o022:
        return f"mode {stat_mod.S_IMODE(st.mode):04o}: writable by group or others"
    return None


def _crontab_lines(text: str, system: bool) -> list[tuple[int, str, str]]:
    """(line number, user or "", command) of the jobs of a crontab."""
    out: list[tuple[int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue  # an environment setting (SHELL=, PATH=, MAILTO=)
        fields = (1 if line.split(None, 1)[0] in _NICKNAMES else 5) + (1 if system else 0)
        parts = line.split(None, fields)
        if len(parts) <= fields:
            continue
        user = parts[fields - 1] if system else ""
        out.append((number, user, parts[fields].split("%", 1)[0].strip()))
    return out


def _crontab(ctx: FactContext, path: str, system: bool, user: str, rows: list[dict[str, Any]]) -> bool:
    """Add the jobs of one crontab; False when it cannot be read."""
    text = ctx.read_text(path)
    if text is None:
        return False
    for number, job_user, command in _crontab_lines(text, system):
        if len(rows) >= MAX_JOBS:
            return True
        rows.append({"source": f"{path}:{number}", "user": job_user or user, "command": command[:500],
                     "runs": True, "ignored": None, "targets": _targets(ctx, command)})
    return True


def cron_jobs(ctx: FactContext) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    ignored: list[dict[str, str]] = []
    files = []
    for path in ["/etc/crontab"] + [f"/etc/cron.d/{n}" for n in ctx.list_dir("/etc/cron.d")]:
        name = path.rsplit("/", 1)[1]
        if path != "/etc/crontab" and not _NAME.match(name):
            ignored.append({"path": path, "reason": "name not letters, digits, _ and - only"})
            continue
        why = _refused(ctx, path)
        if why == "not_found":
            continue
        if why is not None:
            ignored.append({"path": path, "reason": why})
            continue
        files.append(path)
        _crontab(ctx, path, True, "", rows)
    for directory in RUN_PARTS_DIRS:
        for name in ctx.list_dir(directory):
            path = f"{directory}/{name}"
            try:
                st = ctx.transport.stat(path)
            except FactUnavailable:
                continue
            named = bool(_NAME.match(name))
            runs = named and st.is_file and bool(st.mode & 0o111)
            why = None if runs else ("name not letters, digits, _ and - only" if not named
                                     else "not an executable regular file")
            target = _target(ctx, path)
            rows.append({"source": path, "user": "root", "command": f"run-parts {directory}", "runs": runs,
                         "ignored": why, "targets": [target] if target else []})
    unreadable: list[str] = []
    for spool in SPOOL_DIRS:
        try:
            entries = ctx.transport.list_dir(spool)
        except FactUnavailable as exc:
            if exc.code != "not_found":
                unreadable.append(f"{spool}: {exc.code}")  # 1730 root:crontab: only root lists it
            continue
        names = [n for n in entries if n not in ("crontabs", "atjobs", "atspool") and not n.startswith(".")]
        for name in names:
            path = f"{spool}/{name}"
            if _crontab(ctx, path, False, name, rows):
                files.append(path)
            else:
                unreadable.append(path)
        if names:
            break
    return {"jobs": rows, "ignored": ignored, "files": files, "unreadable": unreadable}
