"""rsyslog's configuration as rsyslogd reads it: /etc/rsyslog.conf with its includes where they stand
(legacy `$IncludeConfig` and RainerScript `include(file=...)`, globs sorted), comments (`#`, `/* */`) and
multi-line statements; what it writes to files (legacy `selector  -/var/log/x` and `action(type="omfile")`)
and where it forwards (`@host` UDP, `@@host` TCP, `:omrelp:`, `action(type="omfwd"|"omrelp")`)."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import enabled_unit

MAIN = "/etc/rsyslog.conf"
MAX_DEPTH = 8
_PARAM = re.compile(r'([A-Za-z][A-Za-z0-9_.]*)\s*=\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s)]+)')
_SELECTOR = re.compile(r"^[A-Za-z0-9*,;.!=<>_-]+\.[A-Za-z0-9*,;.!=<>_-]+$")
_FORWARD = re.compile(r"^(@@?)(?:\([^)]*\))?(\[[^\]]+\]|[^\s:;]+)(?::(\d+))?")


def strip_comments(text: str) -> list[tuple[int, str]]:
    """(line, text) of statements: comments removed (`#` outside quotes, `/* */`), a legacy trailing `\\`
    and RainerScript parentheses spanning lines joined, each statement kept at its first line."""
    out: list[tuple[int, str]] = []
    in_block = False
    buf: list[str] = []
    start = 0
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        chars: list[str] = []
        i, quote, opened = 0, "", depth
        while i < len(line):
            ch = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    i += 2
                else:
                    i += 1
                continue
            if quote:
                if ch == "\\" and i + 1 < len(line):
                    chars.append(line[i:i + 2])
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "\"'" and opened > 0:  # quotes matter inside RainerScript parentheses
                quote = ch
            elif line.startswith("/*", i) and (i == 0 or line[i - 1].isspace()):  # not a path's "/*.conf"
                in_block = True
                i += 2
                continue
            elif ch == "#":
                break
            elif ch in "()":
                opened += 1 if ch == "(" else -1
            chars.append(ch)
            i += 1
        part = "".join(chars)
        if not buf:
            start = lineno
        depth = opened
        if part.rstrip().endswith("\\"):
            buf.append(part.rstrip()[:-1])
            continue
        buf.append(part)
        if depth > 0:
            continue
        depth = 0
        joined = " ".join(b.strip() for b in buf).strip()
        buf = []
        if joined:
            out.append((start, joined))
    if buf and " ".join(buf).strip():
        out.append((start, " ".join(b.strip() for b in buf).strip()))
    return out


def _params(body: str) -> dict[str, str]:
    return {k.lower(): v.strip("\"'") for k, v in _PARAM.findall(body)}


def _calls(statement: str, name: str) -> list[str]:
    """Bodies of `name(...)` calls in a statement (parentheses inside quotes do not count)."""
    bodies: list[str] = []
    for m in re.finditer(rf"\b{name}\s*\(", statement, re.I):
        depth, quote, i = 1, "", m.end()
        while i < len(statement) and depth:
            ch = statement[i]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            i += 1
        bodies.append(statement[m.end():i - 1])
    return bodies


def _expand(ctx: FactContext, pattern: str) -> list[str]:
    if not any(c in pattern for c in "*?["):
        return [pattern] if ctx.transport.exists(pattern) else []
    directory, _, base = pattern.rpartition("/")
    return [f"{directory}/{n}" for n in sorted(ctx.list_dir(directory or "/")) if fnmatch.fnmatchcase(n, base)]


def parse_rsyslog(ctx: FactContext) -> dict[str, Any]:
    files: list[str] = []
    outputs: list[dict[str, Any]] = []
    forwards: list[dict[str, Any]] = []
    unreadable: list[str] = []

    def visit(path: str, depth: int) -> None:
        if depth > MAX_DEPTH or path in files:
            return
        text = ctx.read_text(path, unknown_key="logging.rsyslog_conf")
        if text is None:
            unreadable.append(path)
            return
        files.append(path)
        for lineno, stmt in strip_comments(text):
            where = f"{path}:{lineno}"
            low = stmt.lower()
            if low.startswith("$includeconfig"):
                for inc in _expand(ctx, stmt.split(None, 1)[1].strip() if " " in stmt else ""):
                    if inc.endswith("/"):
                        continue
                    visit(inc, depth + 1)
                continue
            for body in _calls(stmt, "include"):
                target = _params(body).get("file")
                if target:
                    for inc in _expand(ctx, target):
                        visit(inc, depth + 1)
            for body in _calls(stmt, "action"):
                p = _params(body)
                kind = p.get("type", "").lower()
                if kind in ("omfwd", "omrelp") and p.get("target"):
                    proto = "relp" if kind == "omrelp" else p.get("protocol", "udp").lower()
                    forwards.append({"target": p["target"], "port": p.get("port"), "protocol": proto,
                                     "source": where})
                elif kind == "omfile" and (p.get("file") or p.get("dynafile")):
                    outputs.append({"path": p.get("file") or f"(template {p.get('dynafile')})",
                                    "selector": None, "source": where})
            if low.startswith(("$", "module(", "input(", "template(", "global(", "main_queue(", "include(",
                               "action(", "ruleset(", "set ", "unset ", "property(", "parser(", "lookup_table(")):
                continue
            words = stmt.split()
            if not words:
                continue
            last = words[-1].rstrip(";")
            selector = words[0] if len(words) >= 2 and _SELECTOR.match(words[0]) else None
            m = _FORWARD.match(last)
            if m and last.startswith("@"):
                forwards.append({"target": m.group(2).strip("[]"), "port": m.group(3),
                                 "protocol": "tcp" if m.group(1) == "@@" else "udp", "source": where,
                                 "selector": selector})
            elif last.lower().startswith(":omrelp:"):
                target = last.split(":")[2] if last.count(":") >= 2 else ""
                forwards.append({"target": target, "port": None, "protocol": "relp", "source": where,
                                 "selector": selector})
            elif (last.startswith("/") or last.startswith("-/")) and (selector or "then" in low.split()):
                outputs.append({"path": last.lstrip("-"), "selector": selector, "source": where})

    if ctx.transport.exists(MAIN):
        visit(MAIN, 0)
    installed = dpkg.is_installed(ctx, "rsyslog")
    if installed is None:
        installed = ctx.transport.exists("/usr/sbin/rsyslogd") or ctx.transport.exists(MAIN)
    link = enabled_unit(ctx, "rsyslog.service", "syslog.service")
    return {"installed": bool(installed), "enabled": link is not None, "enabled_source": link, "files": files,
            "unreadable": unreadable, "outputs": outputs, "forwards": forwards}
