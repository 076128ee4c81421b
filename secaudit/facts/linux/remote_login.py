"""Remote login: the OpenSSH server's effective settings, parsed from sshd_config and its includes.

`sshd -T` is not run: it needs root, cannot run against a mounted root, and the files are the
source of truth anyway. Values are those sshd uses for connections matched by no Match block
(first value wins); Match blocks are reported beside them with what they change.
"""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.sshd_config import SshdConfig, parse_sshd_config
from secaudit.facts.model import SshFacts, SshMatchBlock
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

CONFIG_PATHS = ("/etc/ssh/sshd_config", "/usr/etc/ssh/sshd_config")  # the second: openSUSE vendor default
BINARIES = ("/usr/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd")

# keyword -> (field, kind). ChallengeResponseAuthentication is an alias since OpenSSH 8.7.
KEYWORDS: dict[str, tuple[str, str]] = {
    "permitrootlogin": ("permit_root_login", "word"),
    "passwordauthentication": ("password_authentication", "word"),
    "permitemptypasswords": ("permit_empty_passwords", "word"),
    "kbdinteractiveauthentication": ("kbd_interactive_authentication", "word"),
    "challengeresponseauthentication": ("kbd_interactive_authentication", "word"),
    "maxauthtries": ("max_auth_tries", "int"),
    "usepam": ("use_pam", "word"),
    "authenticationmethods": ("authentication_methods", "list"),
    "clientaliveinterval": ("client_alive_interval", "time"),
    "clientalivecountmax": ("client_alive_count_max", "int"),
    "logingracetime": ("login_grace_time", "time"),
    "channeltimeout": ("channel_timeout", "list"),
    "ciphers": ("ciphers", "raw"),
    "macs": ("macs", "raw"),
    "kexalgorithms": ("kex_algorithms", "raw"),
}
# Compiled-in OpenSSH defaults (PermitRootLogin prohibit-password since 7.0, 2015).
DEFAULTS: dict[str, Any] = {
    "permit_root_login": "prohibit-password",
    "password_authentication": "yes",
    "permit_empty_passwords": "no",
    "kbd_interactive_authentication": "yes",
    "max_auth_tries": 6,
    "use_pam": "no",
    "authentication_methods": ["any"],
    "client_alive_interval": 0,
    "client_alive_count_max": 3,
    "login_grace_time": 120,
    "channel_timeout": ["none"],
    # Ciphers, MACs, KexAlgorithms: null = OpenSSH's compiled-in default list (nothing added).
    "ciphers": None,
    "macs": None,
    "kex_algorithms": None,
}
_TIME = re.compile(r"(\d+)([sSmMhHdDwW]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def convtime(text: str) -> int | None:
    """Seconds of an sshd time value ("90", "1m30s", "2h"), as misc.c convtime reads it; None if invalid."""
    if not text:
        return None
    total, pos = 0, 0
    while pos < len(text):
        m = _TIME.match(text, pos)
        if m is None:
            return None
        total += int(m.group(1)) * _UNITS[m.group(2).lower()]
        pos = m.end()
    return total if total <= 2**31 - 1 else None


def _value(kind: str, args: tuple[str, ...]) -> Any:
    if kind == "list":
        return list(args)
    if kind == "raw":  # Ciphers, MACs, KexAlgorithms: one comma-separated argument, maybe led by + - ^
        return args[0]
    if kind == "time":
        seconds = convtime(args[0])
        return args[0] if seconds is None else seconds
    if kind == "int":
        try:
            return int(args[0])
        except ValueError:
            return args[0]
    return args[0].lower()


def _keyword_fields() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for keyword, (name, _) in KEYWORDS.items():
        names.setdefault(name, []).append(keyword)
    return names


def settings_of(config: SshdConfig, block: int | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Values and sources of the tracked keywords set in `block` (None: the global section)."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, keywords in _keyword_fields().items():
        d = config.first(*keywords, block=block)
        if d is not None:
            values[name] = _value(KEYWORDS[d.keyword][1], d.args)
            sources[name] = d.source
    return values, sources


def _ports(config: SshdConfig, sources: dict[str, str]) -> list[int]:
    ports = []
    for d in config.every("port"):
        try:
            ports.append(int(d.args[0]))
        except ValueError:
            config.errors.append(f"{d.source}: bad port {d.args[0]!r}")
            continue
        sources.setdefault("port", d.source)
    if not ports:
        sources["port"] = "default"
    return ports or [22]


def ssh_facts(config: SshdConfig) -> SshFacts:
    values, sources = settings_of(config, None)
    for name, default in DEFAULTS.items():
        if name not in values:
            values[name] = default
            sources[name] = "default"
    ports = _ports(config, sources)
    blocks: list[SshMatchBlock] = []
    for index, block in enumerate(config.blocks):
        settings, setting_sources = settings_of(config, index)
        blocks.append({"criteria": block.criteria, "source": block.source,
                       "settings": settings, "sources": setting_sources})
    facts: SshFacts = {
        "present": True,
        "config_path": config.path,
        **values,  # type: ignore[typeddict-item]
        "port": ports[0],
        "ports": ports,
        "listen_addresses": [d.args[0] for d in config.every("listenaddress")],
        "allow_users": [a for d in config.every("allowusers") for a in d.args],
        "allow_groups": [a for d in config.every("allowgroups") for a in d.args],
        "source": sources,
        "match_blocks": blocks,
        "files": config.files,
        "errors": config.errors,
    }
    return facts


def _exists(ctx: FactContext, path: str) -> bool:
    try:
        return ctx.transport.exists(path)
    except FactUnavailable:
        return False


@collector("remote_login", ("remote_login",))
def collect_remote_login(ctx: FactContext) -> None:
    binary = next((b for b in BINARIES if _exists(ctx, b)), None)
    path = next((p for p in CONFIG_PATHS if _exists(ctx, p)), None)
    if path is None and binary is None:
        ctx.put("remote_login", {"ssh": {"present": False, "config_path": None, "binary": None,
                                         "source": {}, "match_blocks": []}, "rdp": None})
        return
    path = path or CONFIG_PATHS[0]
    try:
        config = parse_sshd_config(ctx.transport, path)
    except FactUnavailable as exc:
        if exc.code != "not_found":
            ctx.unknown("remote_login.ssh", exc.code, exc.detail)
            ctx.put("remote_login", {"ssh": {"present": True, "config_path": path, "binary": binary,
                                             "source": {}, "match_blocks": []}, "rdp": None})
            return
        config = SshdConfig(path)  # binary without a config file: sshd's compiled-in defaults
    facts = ssh_facts(config)
    facts["binary"] = binary
    for bad in config.unreadable:
        facts["errors"].append(f"{bad.included_from}: cannot read {bad.path} ({bad.code})")
        if bad.block is not None:  # only that Match block may be incomplete
            continue
        # A setting not already fixed before the unreadable file could come from it.
        decided = {KEYWORDS[d.keyword][0] for d in config.directives[: bad.position]
                   if d.block is None and d.keyword in KEYWORDS}
        detail = f"{bad.path} (Include at {bad.included_from})"
        for name in DEFAULTS:
            if name not in decided:
                ctx.unknown(f"remote_login.ssh.{name}", bad.code, detail)
    ctx.put("remote_login", {"ssh": facts, "rdp": None})
