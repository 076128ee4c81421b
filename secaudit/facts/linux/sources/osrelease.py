"""What the operating system says it is: /etc/os-release (or /usr/lib/os-release), else the older
/etc/lsb-release or /etc/redhat-release mapped onto os-release keys. Read once per collection."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable


def _unquote(value: str) -> str:
    """A shell-style value as os-release allows: '...', "..." with backslash escapes, bare words.
    Malformed quoting is kept nearly raw rather than dropped."""
    if not any(c in value for c in "\"'\\"):
        return value
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(value):
        c = value[i]
        if quote == "'":
            if c == "'":
                quote = ""
            else:
                out.append(c)
        elif c == "\\" and i + 1 < len(value) and (not quote or value[i + 1] in '$"\\`'):
            i += 1
            out.append(value[i])
        elif quote and c == quote:
            quote = ""
        elif not quote and c in "\"'":
            quote = c
        else:
            out.append(c)
        i += 1
    return value.strip("\"'") if quote else "".join(out)


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines in the shell-like syntax of os-release (also read for other such files:
    /etc/sysconfig/*, ifcfg-*, sysfs uevent)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.startswith("export "):
            key = key[7:].strip()
        if not key.replace("_", "").isalnum():
            continue
        out[key] = _unquote(value.strip())
    return out


def parse_lsb_release(text: str) -> dict[str, str]:
    """/etc/lsb-release (old Ubuntu/Mint without os-release) mapped onto os-release keys."""
    lsb = parse_os_release(text)
    mapped = {"DISTRIB_ID": "ID", "DISTRIB_RELEASE": "VERSION_ID", "DISTRIB_CODENAME": "VERSION_CODENAME",
              "DISTRIB_DESCRIPTION": "PRETTY_NAME"}
    out = {new: lsb[old] for old, new in mapped.items() if lsb.get(old)}
    if "ID" in out:
        out["NAME"] = out["ID"]
        out["ID"] = out["ID"].lower()
    return out


def parse_redhat_release(text: str) -> dict[str, str]:
    """'CentOS release 6.10 (Final)' -> os-release keys (systems older than os-release)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    # Searched, not matched as (.+?)\s+release: that backtracks quadratically on a long line of blanks.
    m = re.search(r"\srelease\s+([0-9.]+)\s*(?:\((.*)\))?", line)
    name = line[:m.start()].strip() if m else ""
    if not m or not name:
        return {"PRETTY_NAME": line} if line else {}
    ident = {"centos": "centos", "red hat": "rhel", "fedora": "fedora", "rocky": "rocky",
             "almalinux": "almalinux", "oracle": "ol"}
    found = next((v for k, v in ident.items() if name.lower().startswith(k)), name.split()[0].lower())
    return {"PRETTY_NAME": line, "NAME": name, "ID": found, "VERSION_ID": m.group(1),
            "VERSION_CODENAME": (m.group(2) or "").lower()}


RELEASE_FILES: tuple[tuple[str, Callable[[str], dict[str, str]]], ...] = (
    ("/etc/os-release", parse_os_release), ("/usr/lib/os-release", parse_os_release),
    ("/etc/lsb-release", parse_lsb_release), ("/etc/redhat-release", parse_redhat_release))


@dataclass(frozen=True)
class Release:
    keys: dict[str, str]  # os-release keys; empty when no file said anything
    path: str | None  # the file they came from
    problems: tuple[FactUnavailable, ...]  # files present but unreadable, tried before it


def os_release(ctx: FactContext) -> Release:
    """The first of RELEASE_FILES that reads and says something."""
    def compute() -> Release:
        problems: list[FactUnavailable] = []
        for path, parse in RELEASE_FILES:
            try:
                text = ctx.transport.read_text(path)
            except FactUnavailable as exc:
                if exc.code != "not_found":
                    problems.append(exc)
                continue
            keys = parse(text)
            if keys:
                return Release(keys, path, tuple(problems))
        return Release({}, None, tuple(problems))

    return ctx.memo("os_release", compute)
