"""Root-equivalence of sudo rules: whether a rule lets its principal run a command as root that amounts to a
root shell. OS-neutral judgement over `sudo_rules` rows, read by both sides: the checks (with their
parameters) and the Linux collector (with the defaults, for users.admin_via).

The command lists have this one home: the checks take them as default parameters (PARAM_DEFAULTS), so a
playbook or the config may override them per check.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

# Shells and interpreters: a root shell when run bare or with a login, command or script-from-stdin flag.
SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "csh", "tcsh", "fish", "ash",
          "busybox", "su", "sudo", "sudoedit", "visudo", "env", "python", "python2", "python3", "perl",
          "ruby", "lua", "node", "php", "tclsh", "wish", "expect", "script", "screen", "tmux")
# Programs that open a shell from inside whatever their arguments are (editors, pagers, ...).
ESCAPES = ("vi", "vim", "vim.basic", "vim.tiny", "nvim", "view", "rvim", "emacs", "nano", "less", "more", "man",
           "find", "awk", "gawk", "mawk", "nawk", "gdb", "ftp", "ed", "crontab", "systemd-run", "chroot",
           "vipw", "vigr", "chpasswd", "newusers", "pico", "joe", "mcedit", "mc")
# Programs that write (or change the owner or mode of) the files they are given: root-equivalent when
# their arguments are free or name a system file such as sudoers, shadow or passwd.
WRITERS = ("tee", "cp", "mv", "dd", "install", "ln", "chmod", "chown", "chgrp", "rsync", "tar", "sed",
           "truncate", "unzip", "patch", "curl", "wget", "touch", "setfacl", "chattr", "mount", "passwd",
           "usermod", "useradd", "groupadd", "groupmod", "gpasswd", "adduser", "addgroup", "openssl", "zip")
# Programs that run other programs or install code: root-equivalent when their arguments are free or
# name a shell.
RUNNERS = ("xargs", "nice", "ionice", "timeout", "stdbuf", "nohup", "setsid", "taskset", "chrt", "strace",
           "ltrace", "time", "watch", "flock", "unshare", "nsenter", "docker", "podman", "ctr", "apt", "apt-get",
           "aptitude", "dpkg", "yum", "dnf", "rpm", "snap", "pip", "pip3", "npm", "gem", "make", "git", "ssh",
           "scp", "gcc", "cc", "journalctl", "systemctl", "service", "mysql", "psql", "sqlite3", "nmap", "capsh",
           "run-parts", "start-stop-daemon", "runuser", "pkexec", "doas")
# Writing here (or into a directory above them) is writing the system's trust: accounts, sudo, PAM,
# boot and login scripts, programs root runs.
SENSITIVE_PATHS = ("/etc/sudoers", "/etc/sudoers.d", "/etc/shadow", "/etc/gshadow", "/etc/passwd", "/etc/group",
                   "/etc/pam.d", "/etc/security", "/etc/crontab", "/etc/cron.d", "/etc/cron.hourly",
                   "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly", "/var/spool/cron", "/etc/systemd",
                   "/lib/systemd", "/usr/lib/systemd", "/etc/init.d", "/etc/rc.local", "/etc/profile",
                   "/etc/profile.d", "/etc/bash.bashrc", "/etc/environment", "/etc/ld.so.preload",
                   "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/root", "/etc/ssh", "/usr/bin", "/usr/sbin", "/bin",
                   "/sbin", "/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/local/bin", "/usr/local/sbin",
                   "/boot", "/etc/polkit-1", "/etc/apt", "/etc/udev", "/etc/modprobe.d", "/etc/modules-load.d",
                   "/etc/secaudit", "/dev", "/proc", "/sys")
_INTERPRETER = re.compile(r"python[0-9.]*|perl[0-9.]*|ruby[0-9.]*")
_WILD = re.compile(r"[*?\[]")
Names = tuple[str, ...] | list[str]


def runs_as_root(row: dict[str, object]) -> bool:
    """Whether the rule lets the command run as root (no Runas_Spec is recorded as ["root"]).
    The last matching entry wins, so "(ALL, !root)" does not."""
    users = row.get("runas_users") or []
    assert isinstance(users, list)
    for item in reversed(users):
        value = str(item).lstrip("!")
        if value in ("ALL", "root", "#0"):
            return not str(item).startswith("!")
    return False


def _free(args: list[str]) -> bool:
    """sudoers: a command listed without arguments may be given any; a wildcard or a regular
    expression matches anything (spaces and slashes too); "" means none at all."""
    if not args:
        return True
    if args == ['""']:
        return False
    return any(_WILD.search(a) for a in args) or args[0].startswith("^") or args[-1].endswith("$")


def _sensitive(arg: str, sensitive: Names) -> str | None:
    """The system path an argument writes to, if any: itself, a value after '=' (dd of=, --target-directory=),
    or a directory holding system files; a relative path is written wherever the caller stands."""
    value = arg.partition("=")[2] if "=" in arg else arg
    if not value.startswith("/"):
        return value if "/" in value and not value.startswith("-") else None
    path = "/" + posixpath.normpath(value).lstrip("/")
    for s in sensitive:
        if path == s or path.startswith(s.rstrip("/") + "/") or s.startswith(path.rstrip("/") + "/"):
            return path
    return None


def _destinations(base: str, args: list[str]) -> list[str]:
    """The arguments a writer writes to: dd's of=, a copy's last operand or -t directory, an archive's
    extraction directory ("." when it extracts where the caller stands); every argument otherwise."""
    operands = [a for a in args if not a.startswith("-")]
    if base == "dd":
        return [a for a in args if a.startswith("of=")]
    if base in ("cp", "mv", "install", "ln", "rsync"):
        targets = [a.partition("=")[2] for a in args if a.startswith("--target-directory=")]
        targets += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-t"]
        return targets or operands[-1:]
    if base in ("tar", "unzip"):
        extracting = base == "unzip" or "--extract" in args or "--get" in args or any(
            a.startswith("-") and not a.startswith("--") and "x" in a for a in args) or (
            bool(args) and not args[0].startswith("-") and "x" in args[0])
        if not extracting:
            return []  # creating an archive reads its operands
        where = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-C", "-d", "--directory")]
        where += [a.partition("=")[2] for a in args if a.startswith("--directory=")]
        return where or ["./"]
    return args


def root_equivalent(command: str, shells: Names = SHELLS, escapes: Names = ESCAPES, writers: Names = WRITERS,
                    runners: Names = RUNNERS, sensitive: Names = SENSITIVE_PATHS) -> str | None:
    """Why running `command` as root amounts to a root shell, or None: "all", "directory" (any program
    in a directory), "shell", "escape" (an editor or pager), "sudoedit" (of any file or a system file),
    "free_args" (a writer or runner with arguments left open), "writes <path>", "runs <program>"."""
    if command.startswith("!"):
        return None
    parts = command.split()
    if not parts:
        return None
    path, args = parts[0], parts[1:]
    if path == "ALL":
        return "all"
    if path.endswith("/") or path.endswith("/*"):
        return "directory"
    base = posixpath.basename(path)
    if base in escapes:
        return "escape"
    if base == "sudoedit":
        if _free(args):
            return "sudoedit"
        hit = next((h for h in (_sensitive(a, sensitive) for a in args) if h), None)
        return f"sudoedit {hit}" if hit else None
    if base in writers or base in runners:
        if _free(args):
            return "free_args"
        if base in writers:
            hit = next((h for h in (_sensitive(a, sensitive) for a in _destinations(base, args)) if h), None)
            if hit:
                return f"writes {hit}"
        inner = next((a for a in args if posixpath.basename(a) in shells or posixpath.basename(a) in escapes
                      or _INTERPRETER.fullmatch(posixpath.basename(a))), None)
        return f"runs {inner}" if base in runners and inner else None
    if base not in shells and not _INTERPRETER.fullmatch(base):
        return None
    if not args:
        return "shell"
    if base == "su":
        names = [a for a in args if not a.startswith("-")]
        return "shell" if not names or names[0] in ("root", "*") else None
    if base in ("sudo", "env"):
        return "shell"
    if any("*" in a for a in args) or any(a in ("-i", "-s", "-l", "--login", "-", "-c", "-e") for a in args):
        return "shell"
    return None


def is_shell_command(command: str, shells: Names = SHELLS, escapes: Names = ESCAPES) -> bool:
    """A command that amounts to a root shell (see root_equivalent)."""
    return root_equivalent(command, shells, escapes) is not None


def grants_root_shell(row: dict[str, object], shells: Names = SHELLS, escapes: Names = ESCAPES,
                      writers: Names = WRITERS, runners: Names = RUNNERS, sensitive: Names = SENSITIVE_PATHS) -> bool:
    return bool(root_reasons(row, shells, escapes, writers, runners, sensitive))


def root_reasons(row: dict[str, object], shells: Names = SHELLS, escapes: Names = ESCAPES, writers: Names = WRITERS,
                 runners: Names = RUNNERS, sensitive: Names = SENSITIVE_PATHS) -> list[str]:
    """"command: why" for each of the rule's commands that is root-equivalent."""
    commands = row.get("commands") or []
    assert isinstance(commands, list)
    if row.get("all_commands"):
        return ["ALL: all"]
    out = []
    for c in commands:
        why = root_equivalent(str(c), shells, escapes, writers, runners, sensitive)
        if why:
            out.append(f"{c}: {why}")
    return out


# Check parameter -> default list, in the order root_reasons() takes them.
PARAM_DEFAULTS: dict[str, tuple[str, ...]] = {
    "shell_commands": SHELLS,
    "escape_commands": ESCAPES,
    "write_commands": WRITERS,
    "run_commands": RUNNERS,
    "sensitive_paths": SENSITIVE_PATHS,
}


def root_reasons_with(row: dict[str, object], params: Mapping[str, Any]) -> list[str]:
    """root_reasons() with the lists a check's parameters give (PARAM_DEFAULTS where one is missing)."""
    shells, escapes, writers, runners, sensitive = (list(params.get(name, default))
                                                    for name, default in PARAM_DEFAULTS.items())
    return root_reasons(row, shells, escapes, writers, runners, sensitive)


def grants_admin(row: dict[str, object]) -> bool:
    """The rule runs as root a command that amounts to a root shell (with the default lists)."""
    return runs_as_root(row) and grants_root_shell(row)
