"""Kernel parameters as configured (sysctl.d) and, on this machine, as running (/proc/sys); GRUB's password.

sysctl.d(5), as systemd-sysctl applies it: *.conf in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
/usr/lib/sysctl.d, /lib/sysctl.d; a file name in an earlier directory hides the same name in later ones; all the
files are applied in file-name order, a later assignment overriding an earlier one, except that a glob never
overrides a key set explicitly in any file (nor one excluded by a `-key` line without a value). systemd-sysctl does not
read /etc/sysctl.conf itself: it applies at boot only through a link in sysctl.d (Debian's procps ships
/etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf), so without one it is left out. Lines are `key = value`;
`#` and `;` start comments; a leading `-` only silences errors; `/` separates like `.`; a key may be a glob
(`net.ipv4.conf.*.rp_filter`), which sets every matching existing key: here, `all` and `default`.

GRUB (grub.cfg as grub-mkconfig writes it; the file GRUB reads at boot): `set superusers="..."` with a
`password_pbkdf2 USER grub.pbkdf2...` (or a plain `password USER TEXT`) protects editing entries and the shell.
RHEL keeps the hash in user.cfg (GRUB2_PASSWORD=...), sourced by grub.cfg.
"""

from __future__ import annotations

import re
import stat as stat_mod
from fnmatch import fnmatchcase
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable

SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
# The network parameters judged (all/default of each interface setting, and the global ones).
KEYS = tuple(
    [f"net.ipv4.conf.{i}.{k}" for k in ("accept_redirects", "secure_redirects", "send_redirects",
                                         "accept_source_route", "rp_filter", "log_martians")
     for i in ("all", "default")]
    + [f"net.ipv6.conf.{i}.{k}" for k in ("accept_redirects", "accept_source_route") for i in ("all", "default")]
    + ["net.ipv4.tcp_syncookies", "net.ipv4.icmp_echo_ignore_broadcasts", "net.ipv4.ip_forward",
       "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"])
GRUB_CFGS = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")
GRUB_CUSTOM = ("/etc/grub.d/40_custom", "/etc/grub.d/01_users")
MAX_FILES = 200
_SET_SUPERUSERS = re.compile(r"^\s*set\s+superusers\s*=\s*(\S+)")
_PASSWORD = re.compile(r"^\s*(password_pbkdf2|password)\s+(\S+)\s+(\S+)")


def _names(ctx: FactContext, directory: str) -> list[str]:
    try:
        return sorted(ctx.transport.list_dir(directory))[:MAX_FILES]
    except FactUnavailable:
        return []


def sysctl_files(ctx: FactContext) -> list[str]:
    chosen: dict[str, str] = {}
    for directory in SYSCTL_DIRS:
        for name in _names(ctx, directory):
            if name.endswith(".conf"):
                chosen.setdefault(name, f"{directory}/{name}")
    return [chosen[k] for k in sorted(chosen)]


def _sysctl_key(raw: str) -> str | None:
    """The dotted key of a sysctl.d name, as systemd-sysctl reads it: when the first separator is `/`, slashes
    separate and dots stay inside names; when it is `.`, the two are swapped. None for a name whose part
    holds a dot (an interface such as enp3s0.200: none of ours)."""
    seps = [i for i in (raw.find("."), raw.find("/")) if i >= 0]
    if seps and raw[min(seps)] == "/":
        return None if "." in raw else raw.replace("/", ".")
    return None if "/" in raw else raw


def _masked(ctx: FactContext, path: str) -> bool:
    """A link to /dev/null (a character device; in a mounted root, a link to it that leads nowhere)."""
    try:
        return stat_mod.S_ISCHR(ctx.transport.stat(path).mode)
    except FactUnavailable:
        return False


def parse_sysctl(text: str, path: str, into: dict[str, dict[str, str]],
                 globbed: dict[str, dict[str, str]] | None = None) -> None:
    """Apply the assignments of one file to `into` (key -> {value, source}), later ones overriding. With
    `globbed`, assignments by a glob go there instead (systemd-sysctl never lets a glob override a key
    set explicitly in any file, whatever the order), and a `-key` line without `=` puts an entry marked
    "exclude" into `into`: the key is then kept out of globs and left at the kernel's value."""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        optional = key.strip().startswith("-")
        name = _sysctl_key(key.strip().lstrip("-").strip())
        if name is None:
            continue
        where = f"{path}:{number}"
        if not sep:
            if optional and globbed is not None and name in KEYS:
                into[name] = {"value": "", "source": where, "exclude": "yes"}
            continue
        value = value.strip()
        # The kernel reads one integer and ignores what follows a blank ("1 # on" sets 1).
        number_first = re.match(r"-?[0-9]+(?=\s|$)", value)
        entry = {"value": number_first.group(0) if number_first else value, "source": where}
        if any(c in name for c in "*?["):
            for known in KEYS:
                if fnmatchcase(known, name):
                    (into if globbed is None else globbed)[known] = entry
        elif name in KEYS:
            into[name] = entry


def sysctl(ctx: FactContext) -> dict[str, Any]:
    """The judged parameters as configured and, on this machine, as running (read once per collection)."""
    return ctx.memo("linux.sysctl", lambda: _sysctl(ctx))


def _sysctl(ctx: FactContext) -> dict[str, Any]:
    explicit: dict[str, dict[str, str]] = {}
    globbed: dict[str, dict[str, str]] = {}
    files = []
    for path in sysctl_files(ctx):
        if _masked(ctx, path):
            continue  # `ln -s /dev/null /etc/sysctl.d/NAME.conf` hides the vendor file of that name
        text = ctx.read_text(path, "hardening.sysctl")
        if text is None:
            continue
        files.append(path)
        parse_sysctl(text, path, explicit, globbed)
    configured = {k: v for k, v in globbed.items() if k not in explicit}
    configured.update({k: v for k, v in explicit.items() if "exclude" not in v})
    live: dict[str, str] | None = None
    if ctx.transport.live:
        live = {}
        for key in KEYS:
            value = ctx.read_text("/proc/sys/" + key.replace(".", "/"))
            if value is not None:
                live[key] = value.strip()
    return {"configured": configured, "live": live, "files": files}


def grub(ctx: FactContext) -> dict[str, Any]:
    cfg, text = ctx.read_first(GRUB_CFGS, "hardening.grub")
    superusers, password, plain, sources = None, False, False, []
    for number, raw in enumerate((text or "").splitlines(), 1):
        m = _SET_SUPERUSERS.match(raw)
        if m:
            superusers = m.group(1).strip("\"'")
            sources.append(f"{cfg}:{number}")
            continue
        m = _PASSWORD.match(raw)
        if m:
            secret = m.group(3)
            if "${GRUB2_PASSWORD}" in secret or "$GRUB2_PASSWORD" in secret:
                user_cfg = (ctx.read_text(cfg.rsplit("/", 1)[0] + "/user.cfg") or "") if cfg else ""
                if not re.search(r"^GRUB2_PASSWORD=grub\.pbkdf2\.", user_cfg, re.M):
                    continue
            password = True
            plain = plain or m.group(1) == "password"
            sources.append(f"{cfg}:{number}")
    custom = [p for p in GRUB_CUSTOM if "password" in (ctx.read_text(p) or "")]
    return {"config": cfg, "superusers": superusers, "password": password and bool(superusers),
            "plain_text": plain, "custom_files": custom, "source": "; ".join(sources)}
