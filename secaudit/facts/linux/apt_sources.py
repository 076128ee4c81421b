"""Where apt takes packages from: /etc/apt/sources.list and sources.list.d/ (one-line `*.list` and deb822
`*.sources` files, as apt reads them), one row per type × URI × suite, disabled and commented-out entries kept
and marked. Which pocket an entry is (security, updates, ...) is read off its suite and URI; judging whether
the host can receive security updates is the check's (checks/updates.py)."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.apt import apt_config
from secaudit.facts.linux.sources.osrelease import os_release
from secaudit.facts.registry import collector

# apt's sources.list.d: names of letters, digits, _ - . ending .list or .sources; other files are ignored.
_PART_NAME = re.compile(r"^[A-Za-z0-9_.\-]+\.(list|sources)$")
_TYPES = ("deb", "deb-src")
_TRUE = {"yes", "true", "with", "on", "enable", "1"}
_FALSE = {"no", "false", "without", "off", "disable", "0"}
_SECURITY_URI = re.compile(r"(^|[/.])security\.(debian\.org|ubuntu\.com)(/|$)|/debian-security/?$", re.I)
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")
MAX_ENTRIES = 10_000


def pocket_of(uri: str, suite: str) -> str:
    """security | updates | backports | proposed | release: the Debian/Ubuntu pocket an entry names.
    Debian ≤ 10 named its security suite `<codename>/updates` on security.debian.org."""
    s = suite.lower().rstrip("/")
    if s.endswith("-security") or (s.endswith("/updates") and _SECURITY_URI.search(uri.rstrip("/"))):
        return "security"
    if _SECURITY_URI.search(uri.rstrip("/")):
        return "security"
    for pocket in ("updates", "backports", "proposed"):
        if s.endswith(f"-{pocket}"):
            return pocket
    return "release"


def _codename(suite: str) -> str:
    s = suite.lower().rstrip("/")
    for sep in ("-", "/"):
        if sep in s:
            return s.split(sep, 1)[0]
    return s


def _words(text: str) -> list[str]:
    """apt's ParseQuoteWord: whitespace separates words, except inside "..." or [...] (cdrom:[Debian 12 ...]/)."""
    out: list[str] = []
    buf: list[str] = []
    closing = ""
    for ch in text:
        if closing:
            buf.append(ch)
            if ch == closing:
                closing = ""
        elif ch in "\"[":
            closing = '"' if ch == '"' else "]"
            buf.append(ch)
        elif ch.isspace():
            if buf:
                out.append("".join(buf))
                buf = []
        else:
            buf.append(ch)
    if buf:
        out.append("".join(buf))
    return [w.replace('"', "") for w in out]


def _options(text: str) -> dict[str, str] | None:
    """`[ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ]` -> {"arch": "amd64", ...}; None when malformed."""
    out: dict[str, str] = {}
    for word in text.split():
        key, eq, value = word.partition("=")
        if not eq or not key:
            return None
        out[key.rstrip("+-").lower()] = value
    return out


def _entry(kind: str, uri: str, suite: str, components: list[str], options: dict[str, str], enabled: bool,
           fmt: str, source: str, disabled_by: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"type": kind, "uri": uri, "suite": suite, "components": components, "options": options,
                           "enabled": enabled, "format": fmt, "pocket": pocket_of(uri, suite),
                           "codename": _codename(suite), "source": source}
    if disabled_by:
        row["disabled_by"] = disabled_by
    return row


def parse_one_line(line: str, source: str, commented: bool = False) -> dict[str, Any] | None:
    """One sources.list line (comment already cut) as an entry; None when it is not one."""
    text = line.strip()
    kind, _, rest = text.partition(" ")
    kind = kind.strip()
    if kind not in _TYPES:
        return None
    rest = rest.strip()
    options: dict[str, str] = {}
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            return None
        parsed = _options(rest[1:end])
        if parsed is None:
            return None
        options, rest = parsed, rest[end + 1:]
    words = _words(rest)
    if len(words) < 2:
        return None
    uri, suite, components = words[0], words[1], words[2:]
    if not suite.endswith("/") and not components:
        return None  # apt: a suite that is not an exact path needs components
    return _entry(kind, uri, suite, components, options, not commented, "one-line", source,
                  "comment" if commented else None)


def parse_list(text: str, path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """A one-line file: (entries, file:line of lines that are neither entries, comments nor blank).
    `#` starts a comment anywhere; a line that is a commented-out entry is kept as disabled."""
    entries: list[dict[str, Any]] = []
    bad: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{path}:{lineno}"
        stripped = raw.strip()
        if stripped.startswith("#"):
            inner = stripped.lstrip("#").split("#", 1)[0]
            entry = parse_one_line(inner, where, commented=True)
            if entry is not None:
                entries.append(entry)
            continue
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        entry = parse_one_line(line, where)
        if entry is None:
            bad.append(where)
        else:
            entries.append(entry)
    return entries, bad


def _paragraphs(text: str) -> list[tuple[int, list[tuple[int, str]], bool]]:
    """deb822 paragraphs as (first line, [(line, text)], all lines commented out). Comment lines (`#` in the
    first column) inside a paragraph are dropped; a run of commented field lines alone is kept as a commented
    paragraph, so a disabled-by-comment entry is still seen."""
    out: list[tuple[int, list[tuple[int, str]], bool]] = []
    live: list[tuple[int, str]] = []
    dead: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal live, dead
        if live:
            out.append((live[0][0], live, False))
        elif dead:
            out.append((dead[0][0], dead, True))
        live, dead = [], []

    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            flush()
        elif line.startswith("#"):
            inner = line.lstrip("#").strip()
            if inner:
                dead.append((lineno, inner if _FIELD.match(inner) else " " + inner))
            elif dead and not live:
                flush()  # "#" alone separates commented paragraphs
        else:
            live.append((lineno, line))
    flush()
    return out


def _fields(lines: list[tuple[int, str]]) -> dict[str, tuple[str, int]] | None:
    parts: dict[str, tuple[list[str], int]] = {}
    current: str | None = None
    for lineno, line in lines:
        if line[:1].isspace():
            if current is None:
                return None
            parts[current][0].append(line.strip())  # a continuation line (joined once: a long key stays linear)
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            return None
        current = name.strip().lower()
        parts[current] = ([value.strip()], lineno)
    return {k: (" ".join(v for v in vals if v), at) for k, (vals, at) in parts.items()}


def parse_sources(text: str, path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """A deb822 `.sources` file: (entries, file:line of paragraphs apt would refuse)."""
    entries: list[dict[str, Any]] = []
    bad: list[str] = []
    for first, lines, commented in _paragraphs(text):
        where = f"{path}:{first}"
        fields = _fields(lines)
        need = ("types", "uris", "suites")
        if fields is None or any(not fields.get(k, ("", 0))[0] for k in need):
            if not commented:
                bad.append(where)
            continue  # commented prose is not an entry
        enabled_text = fields.get("enabled", ("yes", 0))[0].strip().lower()
        if enabled_text not in _TRUE | _FALSE:
            if not commented:
                bad.append(f"{path}:{fields['enabled'][1]}")
            continue
        enabled = enabled_text in _TRUE and not commented
        disabled_by = "comment" if commented else (None if enabled else f"{path}:{fields['enabled'][1]}: Enabled: "
                                                                        f"{fields['enabled'][0]}")
        components = fields.get("components", ("", 0))[0].split()
        suites = fields["suites"][0].split()
        if not components and any(not s.endswith("/") for s in suites):
            if not commented:
                bad.append(where)
            continue
        options = {k: v[0] for k, v in fields.items()
                   if k not in ("types", "uris", "suites", "components", "enabled") and k != "signed-by"}
        if "signed-by" in fields:
            options["signed-by"] = "(inline key)" if "BEGIN PGP" in fields["signed-by"][0] \
                else fields["signed-by"][0]
        for kind in fields["types"][0].split():
            if kind not in _TYPES:
                continue
            for uri in fields["uris"][0].split():
                for suite in suites:
                    entries.append(_entry(kind, uri, suite, components, options, enabled, "deb822", where,
                                          disabled_by))
    return entries, bad


def source_files(ctx: FactContext) -> list[str]:
    """The files apt reads, in its order: Dir::Etc::SourceList, then Dir::Etc::SourceParts/ sorted."""
    conf = apt_config(ctx)

    def where(key: str, default: str) -> str:
        value = conf.get(f"dir::etc::{key}", (default, ""))[0]
        if value.startswith("/"):
            return value.rstrip("/")
        base = conf.get("dir::etc", ("etc/apt/", ""))[0]
        base = base if base.startswith("/") else "/" + base
        return f"{base.rstrip('/')}/{value}".rstrip("/")

    main = where("sourcelist", "sources.list")
    parts = where("sourceparts", "sources.list.d")
    return [main, *(f"{parts}/{n}" for n in sorted(ctx.list_dir(parts)) if _PART_NAME.match(n))]


@collector("update_sources", ("update_sources",))
def collect_update_sources(ctx: FactContext) -> None:
    if not (ctx.transport.exists("/etc/apt") or ctx.transport.exists("/var/lib/dpkg/status")):
        ctx.put("update_sources", {"manager": None, "entries": [], "files": [], "unparsed": [], "codenames": []})
        ctx.unknown("update_sources", "not_applicable", "no apt on this system (/etc/apt)")
        return
    entries: list[dict[str, Any]] = []
    files: list[str] = []
    unparsed: list[str] = []
    for path in source_files(ctx):
        if not ctx.transport.exists(path):
            continue
        text = ctx.read_text(path, unknown_key="update_sources.unreadable")
        if text is None:
            unparsed.append(f"{path} (unreadable)")
            continue
        files.append(path)
        found, bad = (parse_sources if path.endswith(".sources") else parse_list)(text, path)
        entries += found
        unparsed += bad
        if len(entries) > MAX_ENTRIES:
            unparsed.append(f"{path} (more than {MAX_ENTRIES} entries; the rest not read)")
            break
    if unparsed:
        ctx.unknown("update_sources.parse", "error", ", ".join(unparsed[:20]))
    rel = os_release(ctx).keys
    # Derivatives name their own release but use their base's suites (Linux Mint "wilma" -> Ubuntu "noble").
    codenames = [rel[k].lower() for k in ("VERSION_CODENAME", "UBUNTU_CODENAME", "DEBIAN_CODENAME")
                 if rel.get(k)]
    ctx.put("update_sources", {"manager": "apt", "entries": entries[:MAX_ENTRIES], "files": files,
                               "unparsed": unparsed, "codenames": list(dict.fromkeys(codenames))})
