"""rsyslog's configuration as rsyslogd reads it: /etc/rsyslog.conf with its includes where they stand
(legacy `$IncludeConfig` and RainerScript `include(file=...)`, as cnfDoInclude: glob(3) patterns sorted, no
dot files for a wildcard, a directory standing for all its files, subdirectories included in turn, FIFOs and
devices passed over), comments (`#`, `/* */`) and
multi-line statements; what it writes to files (legacy `selector  -/var/log/x` and `action(type="omfile")`)
and where it forwards (`@host` UDP, `@@host` TCP, `:omrelp:`, `action(type="omfwd"|"omrelp")`)."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import enabled_unit
from secaudit.transport.base import FactUnavailable, NotFound

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


def _glob(ctx: FactContext, pattern: str) -> list[str]:
    """Absolute paths matching `pattern` as glob(3) with GLOB_NOMAGIC finds them: wildcards in any component,
    a name starting with "." matched only by a pattern starting with "."; a pattern without wildcards is kept
    as it is (whether it exists is seen later); sorted."""
    if not pattern.startswith("/"):
        return []  # rsyslogd runs from "/", but distributions never write relative includes
    paths = ["/"]
    for part in [p for p in pattern.split("/") if p]:
        found: list[str] = []
        for base in paths:
            if not any(c in part for c in "*?["):
                found.append(f"{base.rstrip('/')}/{part}")
                continue
            found += [f"{base.rstrip('/')}/{n}" for n in ctx.list_dir(base)
                      if fnmatch.fnmatchcase(n, part) and (not n.startswith(".") or part.startswith("."))]
        paths = found
    return sorted(p for p in paths if p != "/")


def parse_rsyslog(ctx: FactContext) -> dict[str, Any]:
    files: list[str] = []
    outputs: list[dict[str, Any]] = []
    forwards: list[dict[str, Any]] = []
    unreadable: list[str] = []

    def include(name: str, depth: int) -> None:
        """rsyslog's cnfDoInclude: a directory named becomes "<name>*"; each match that is a regular file is
        read, a directory is included in turn ("<dir>/*"), anything else (a FIFO, a device) is passed over."""
        if depth > MAX_DEPTH:
            return
        st = ctx.stat(name)
        for path in _glob(ctx, f"{name}*" if st is not None and st.is_dir else name):
            try:
                found = ctx.transport.stat(path)
            except NotFound:
                continue  # a required file missing: rsyslogd says so and goes on without it
            except FactUnavailable as exc:
                ctx.unknown_from("logging.rsyslog_conf", exc)
                unreadable.append(path)
                continue
            if found.is_file:
                visit(path, depth + 1)
            elif found.is_dir:
                include(path.rstrip("/") + "/", depth + 1)

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
                words = stmt.split()
                if len(words) > 1:  # the lexer takes the first word after it
                    include(words[1], depth)
                continue
            for body in _calls(stmt, "include"):
                target = _params(body).get("file")  # mode="optional" only silences a missing file
                if target:
                    include(target, depth)
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
