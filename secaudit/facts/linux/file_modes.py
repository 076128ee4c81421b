"""Modes and owners of the files whose permissions decide who is root: the account databases and
their backups (passwd-, shadow-...), login.defs, sudoers and its drop-ins, the PAM stacks and
/etc/security (opasswd keeps old password hashes), the SSH server's configuration and host keys, cron's system tables,
the programs on root's PATH, and set-id files left in the world-writable temporary directories or at
the top of people's home directories (/home/*/).

`stat` follows symbolic links (a link's own mode is always 0777 and means nothing); a link that
leads nowhere is passed over like a missing file. Directory entries are listed with dot files
included (a planted `/tmp/.x` must not hide). /bin and /sbin are skipped when they are the same
directory as /usr/bin and /usr/sbin (merged /usr).
"""

from __future__ import annotations

import fnmatch
import posixpath
import stat

from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import gid_names, uid_names
from secaudit.facts.linux.sudoers import include_dir_files
from secaudit.facts.model import FileModeRow
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable, StatResult

CRON_DIRS = ("/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly")
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
WATCHED = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/passwd-", "/etc/group-",
           "/etc/shadow-", "/etc/gshadow-", "/etc/login.defs", "/etc/sudoers", "/etc/sudoers.d", "/etc/pam.d",
           "/etc/security", "/etc/ssh", "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d", "/etc/crontab",
           *CRON_DIRS, *PATH_DIRS)
# Directory -> the entries whose modes are recorded (shell patterns on the name).
ENTRIES: dict[str, str] = {
    "/etc/pam.d": "*",
    "/etc/security": "*",
    "/etc/ssh": "ssh_host_*_key",
    "/etc/ssh/sshd_config.d": "*.conf",
    **{d: "*" for d in CRON_DIRS},
    **{d: "*" for d in PATH_DIRS},
    **{d: "*" for d in TEMP_DIRS},
}
MERGED = {"/bin": "/usr/bin", "/sbin": "/usr/sbin"}
HOMES = "/home"  # the entries of each directory in it (not deeper)
MAX_HOMES = 2000


def _entries(directory: str, names: list[str]) -> list[str]:
    if directory == "/etc/sudoers.d":  # the files sudo's #includedir reads, no others
        return [posixpath.join(directory, n) for n in include_dir_files(names)]
    pattern = ENTRIES.get(directory, "*")  # a home directory: every entry
    return [posixpath.join(directory, n) for n in names if n not in (".", "..") and fnmatch.fnmatchcase(n, pattern)]


def _home_dirs(ctx: FactContext) -> list[str]:
    names = _listing(ctx, HOMES) or []
    out = []
    for name in names:
        path = posixpath.join(HOMES, name)
        try:
            if ctx.transport.stat(path).is_dir:
                out.append(path)
        except FactUnavailable:
            continue
    return out[:MAX_HOMES]


def _listing(ctx: FactContext, directory: str) -> list[str] | None:
    try:
        return ctx.transport.list_dir(directory)
    except FactUnavailable as exc:
        if exc.code not in ("not_found", "not_applicable"):
            ctx.unknown(f"file_modes:{directory}/", exc.code, exc.detail)
        return None


def _row(path: str, st: StatResult, users: dict[int, str], grps: dict[int, str]) -> FileModeRow:
    return {"path": path, "mode": f"{stat.S_IMODE(st.mode):04o}", "uid": st.uid, "gid": st.gid,
            "owner": users.get(st.uid, str(st.uid)), "group": grps.get(st.gid, str(st.gid)),
            "kind": "dir" if st.is_dir else "file" if st.is_file else "other"}


@collector("file_modes", ("file_modes",))
def collect_file_modes(ctx: FactContext) -> None:
    users, grps = uid_names(ctx), gid_names(ctx)
    listings: dict[str, list[str]] = {}
    for directory in ("/etc/sudoers.d", *ENTRIES):
        names = _listing(ctx, directory)
        if names is not None:
            listings[directory] = names
    for home in _home_dirs(ctx):  # people's homes: a set-id copy of a shell planted there
        names = _listing(ctx, home)
        if names is not None:
            listings[home] = names
    for alias, real in MERGED.items():
        if alias in listings and listings.get(real) == listings[alias]:
            del listings[alias]  # /bin -> usr/bin: the same files, recorded once
    paths = [p for p in WATCHED if not (p in MERGED and p not in listings)]
    for directory, names in listings.items():
        paths.extend(_entries(directory, names))
    rows: list[FileModeRow] = []
    for path in dict.fromkeys(paths):
        try:
            st = ctx.transport.stat(path)
        except FactUnavailable as exc:
            if exc.code != "not_found":
                ctx.unknown(f"file_modes:{path}", exc.code, exc.detail)
            continue
        rows.append(_row(path, st, users, grps))
    ctx.put("file_modes", rows)
