"""/etc/audit/auditd.conf as auditd reads it (audit-userspace 3.0.9 as Debian 12 ships it: src/auditd-config.c
load_config, nv_split and lib/strsplit.c; checked by running `auditd -f -n -c DIR` on planted files).

auditd reads a line with fgets into a 160-byte buffer: a line of more than 158 bytes, and a last line with no
newline, are skipped ("too long"). A line is split on spaces only (a tab is part of a word); a first word starting
with "#" makes it a comment. Anything else must be exactly `keyword = value [option]`: no " = " word ("a=b",
"a =b", tabs), no value, an unknown keyword (case-insensitive), an option where the keyword takes none (so a
trailing "# comment"), or a value the keyword's parser refuses, makes load_config fail: auditd logs the line and
exits ("The audit daemon is exiting"), so it does not run and writes no audit record. The file must also be owned
by root and be a regular file (opened with O_NOFOLLOW: a symbolic link is refused too, which a stat that follows
links cannot see). Values are checked here only for the keywords this collector reads."""

from __future__ import annotations

import stat as stat_mod
from typing import Any

from secaudit.transport.base import StatResult

AUDITD_CONF = "/etc/audit/auditd.conf"
LINE_MAX = 158  # fgets(buf, 160): the line, its newline and the NUL
# The keywords auditd 3.0.9 knows (its keyword table); newer ones are added so a newer auditd is not judged
# to refuse what it takes.
KEYWORDS = frozenset((
    "local_events", "write_logs", "log_file", "log_format", "log_group", "flush", "freq", "num_logs", "dispatcher",
    "name_format", "name", "disp_qos", "max_log_file", "max_log_file_action", "space_left", "space_left_action",
    "action_mail_acct", "verify_email", "admin_space_left", "admin_space_left_action", "disk_full_action",
    "disk_error_action", "priority_boost", "tcp_listen_port", "tcp_listen_queue", "tcp_max_per_addr", "use_libwrap",
    "tcp_client_ports", "tcp_client_max_idle", "transport", "enable_krb5", "krb5_principal", "krb5_key_file",
    "distribute_network", "q_depth", "overflow_action", "max_restarts", "plugin_dir", "end_of_event_timeout"))
_OPTIONED = frozenset(("space_left_action", "admin_space_left_action", "disk_full_action", "disk_error_action"))
_SPACE = ("ignore", "syslog", "suspend", "rotate", "email", "exec", "single", "halt")
ACTIONS: dict[str, tuple[str, ...]] = {
    "max_log_file_action": ("ignore", "syslog", "suspend", "rotate", "keep_logs"),
    "space_left_action": _SPACE, "admin_space_left_action": _SPACE,
    "disk_full_action": ("ignore", "syslog", "suspend", "rotate", "exec", "single", "halt"),
    "disk_error_action": ("ignore", "syslog", "suspend", "exec", "single", "halt")}
READ = ("log_file", "num_logs", "max_log_file", *ACTIONS)


def file_refused(st: StatResult | None, owners_known: bool) -> str | None:
    """Why auditd refuses auditd.conf with this stat before reading it, else None."""
    if st is None:
        return None
    if not stat_mod.S_ISREG(st.mode):
        return "not a regular file"
    if owners_known and st.uid != 0:
        return f"owner uid {st.uid}, not root"
    return None


def _value(key: str, value: str, option: str | None) -> tuple[Any, str | None]:
    """(what auditd keeps, None) or (None, why it refuses the value)."""
    if key in ACTIONS:
        action = value.lower()
        if action not in ACTIONS[key]:
            return None, f"option {value!r} not allowed for {key}"
        if action == "exec":
            return (f"exec {option}", None) if option else (None, "executable path needed")
        return action, None
    if key in ("num_logs", "max_log_file"):
        if not (value.isascii() and value.isdigit()):
            return None, f"value {value!r} should only be numbers"
        if len(value.lstrip("0")) > 20 or int(value) >= 1 << 64:
            return None, f"{value!r}: numerical result out of range"
        if key == "num_logs" and int(value) > 999:
            return None, "num_logs must be 999 or less"
        return int(value), None
    return value, None


def parse_auditd_conf(text: str, path: str = AUDITD_CONF) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """(settings read, setting -> file:line, the line auditd refuses and why, or None)."""
    conf: dict[str, Any] = {}
    sources: dict[str, str] = {}
    lines = text.split("\n")[:-1]  # the part after the last newline is skipped
    for n, line in enumerate(lines, 1):
        if len(line.encode("utf-8", "surrogateescape")) > LINE_MAX:
            continue
        words = [w for w in line.split(" ") if w]
        if not words or words[0].startswith("#"):
            continue
        where = f"{path}:{n}"
        if len(words) < 3 or words[1] != "=":
            return conf, sources, f"{where}: not `keyword = value` (spaces around =)"
        key, option = words[0].lower(), (words[3] if len(words) > 3 else None)
        if key not in KEYWORDS:
            return conf, sources, f"{where}: unknown keyword {words[0]!r}"
        if option is not None and key not in _OPTIONED:
            return conf, sources, f"{where}: {key} takes no option ({option!r})"
        if key not in READ:
            continue
        value, why = _value(key, words[2], option)
        if why:
            return conf, sources, f"{where}: {why}"
        conf[key] = value
        sources[key] = where
    return conf, sources, None
