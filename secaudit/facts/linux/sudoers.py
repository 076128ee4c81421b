"""A sudoers parser: includes, aliases, tags and their carry-over, as sudo itself reads them.

Only syntax is modelled here: sudo_rules expands a parse into rule rows, and deciding who is an
administrator is policy (secaudit.policy.sudo).
Grammar notes (from sudo's lexer, plugins/sudoers/toke.l):
- `#` starts a comment unless followed by an optional `-` and a digit (`#1000` is a uid,
  `%#1000` a gid); `#include`/`#includedir` at column 0 are directives, as are `@include...`.
- A comment runs to the end of its physical line, so a trailing backslash inside a comment
  does not continue the line; outside comments a final backslash does.
- `#includedir` reads regular files that neither end in `~` nor contain `.`, in byte order.
- Relative include paths are relative to the including file's directory; `%h` is the short host name.
- In a Cmnd_Spec_List, a Runas_Spec or tag applies to the following commands until overridden.
- In a list, the last matching item wins, so `ALL, !bob` excludes bob while `!bob, ALL` does not.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from secaudit.facts.linux.continued import join_continued
from secaudit.transport.base import FactUnavailable

TAGS = ("NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV", "LOG_INPUT", "NOLOG_INPUT",
        "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW", "INTERCEPT", "NOINTERCEPT")
# The tag each one overrides (PASSWD undoes NOPASSWD, ...): the pair shares one slot.
_TAG_SLOT = {t: t[2:] if t.startswith("NO") and t[2:] in TAGS else t for t in TAGS}
OPTIONS = ("ROLE", "TYPE", "PRIVS", "LIMITPRIVS", "NOTBEFORE", "NOTAFTER", "TIMEOUT", "CWD", "CHROOT",
           "APPARMOR_PROFILE")
_TAG_RE = re.compile("(" + "|".join(sorted(TAGS, key=len, reverse=True)) + r")[ \t]*:")
_OPTION_RE = re.compile("(" + "|".join(OPTIONS) + r")[ \t]*=[ \t]*")
_DIGEST_RE = re.compile(r"(sha224|sha256|sha384|sha512)[ \t]*:[ \t]*[A-Za-z0-9+/=]+[ \t]*,?[ \t]*")
ALIAS_NAME = re.compile(r"[A-Z][A-Z0-9_]*$")
_ALIAS_LINE = re.compile(r"[ \t]*(Host|Cmnd|Cmd|User|Runas)_Alias[ \t]+")
_DEFAULTS_LINE = re.compile(r"[ \t]*Defaults([:@>!])?")
_INCLUDE_LINE = re.compile(r"(?:#|[ \t]*@)(include|includedir)[ \t]+(.*)$")
_ID_AFTER_HASH = re.compile(r"-?[0-9]")
_WORD_STOP = frozenset(" \t,=:()!\"")
MAX_DEPTH = 128


@dataclass
class Item:
    negated: bool
    value: str


@dataclass
class CmndSpec:
    runas_users: list[Item] | None
    runas_groups: list[Item] | None
    tags: dict[str, str]  # slot -> tag in force, e.g. {"PASSWD": "NOPASSWD"}
    options: dict[str, str]
    command: Item


@dataclass
class HostBlock:
    hosts: list[Item]
    specs: list[CmndSpec]


@dataclass
class UserSpec:
    users: list[Item]
    blocks: list[HostBlock]
    source: str


@dataclass
class DefaultsEntry:
    binding: str  # "" global, "@" host, ":" user, ">" runas, "!" command
    targets: list[Item]
    name: str
    value: str | None
    negated: bool
    source: str


@dataclass
class Sudoers:
    specs: list[UserSpec] = field(default_factory=list)
    aliases: dict[str, dict[str, list[Item]]] = field(
        default_factory=lambda: {"User": {}, "Runas": {}, "Host": {}, "Cmnd": {}})
    defaults: list[DefaultsEntry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, reason code)
    errors: list[str] = field(default_factory=list)  # "file:line: what"


# --- lines -------------------------------------------------------------------------------


def _strip_comment(line: str) -> tuple[str, bool]:
    """The line without its comment, and whether a comment was cut."""
    i, n, quoted = 0, len(line), False
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and not _ID_AFTER_HASH.match(line, i + 1):
            return line[:i], True
        i += 1
    return line, False


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: comments cut, continuations joined."""
    return join_continued(_physical(text))


def _physical(text: str) -> Iterator[tuple[int, str, bool]]:
    continuing = False
    for number, raw in enumerate(text.splitlines(), 1):
        if not continuing and _INCLUDE_LINE.match(raw):
            yield number, raw.strip(), False
            continue
        body, had_comment = _strip_comment(raw)
        stripped = body.rstrip(" \t\r")
        trailing = len(stripped) - len(stripped.rstrip("\\"))
        continuing = not had_comment and trailing % 2 == 1
        yield number, stripped[:-1] if continuing else stripped, continuing


# --- a cursor over one logical line --------------------------------------------------------


class _Cursor:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def ws(self) -> bool:
        start = self.i
        while self.i < len(self.s) and self.s[self.i] in " \t":
            self.i += 1
        return self.i > start

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def at_end(self) -> bool:
        return self.i >= len(self.s)

    def take(self, ch: str) -> bool:
        self.ws()
        if self.peek() == ch:
            self.i += 1
            return True
        return False

    def bangs(self) -> bool:
        self.ws()
        count = 0
        while self.peek() == "!":
            count += 1
            self.i += 1
            self.ws()
        return count % 2 == 1

    def word(self) -> str:
        """A WORD, #id, %group, %:group or "quoted string"; escapes lose their backslash."""
        self.ws()
        if self.peek() == '"':
            end = self.i + 1
            out = []
            while end < len(self.s) and self.s[end] != '"':
                if self.s[end] == "\\" and end + 1 < len(self.s):
                    end += 1
                out.append(self.s[end])
                end += 1
            self.i = min(end + 1, len(self.s))
            return "".join(out)
        out = []
        if self.s.startswith("%:", self.i):
            out.append("%:")
            self.i += 2
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if c in _WORD_STOP:
                break
            out.append(c)
            self.i += 1
        return "".join(out)

    def match(self, rx: re.Pattern[str]) -> re.Match[str] | None:
        m = rx.match(self.s, self.i)
        if m:
            self.i = m.end()
        return m


def _list(cur: _Cursor, stop_on_space: bool) -> list[Item]:
    """Comma-separated items. A user list ends at the first blank not next to a comma."""
    items: list[Item] = []
    while True:
        negated = cur.bangs()
        value = cur.word()
        if value:
            items.append(Item(negated, value))
        save = cur.i
        cur.ws()
        if cur.peek() == ",":
            cur.i += 1
            continue
        if stop_on_space:
            cur.i = save
        return items


def _command(cur: _Cursor) -> str:
    """A command with its arguments, up to an unescaped ',' or ':' (or the end)."""
    cur.ws()
    while cur.match(_DIGEST_RE):
        pass
    args: list[str] = []
    word: list[str] = []
    while cur.i < len(cur.s):
        c = cur.s[cur.i]
        if c == "\\" and cur.i + 1 < len(cur.s):
            nxt = cur.s[cur.i + 1]
            word.append(nxt if nxt in ":\\,= \t#" else c + nxt)
            cur.i += 2
            continue
        if c in ",:":
            break
        if c in " \t":
            if word:
                args.append("".join(word))
                word = []
            cur.i += 1
            continue
        word.append(c)
        cur.i += 1
    if word:
        args.append("".join(word))
    return " ".join(args)


def _runas(cur: _Cursor) -> tuple[list[Item] | None, list[Item] | None]:
    """Inside '(...)': user_list[:group_list]; either side may be empty."""
    end = cur.s.find(")", cur.i)
    end = len(cur.s) if end < 0 else end
    inner = cur.s[cur.i:end]
    cur.i = min(end + 1, len(cur.s))
    split = re.search(r"(?<!%):", inner)
    user_part, group_part = (inner[:split.start()], inner[split.end():]) if split else (inner, None)
    users = _list(_Cursor(user_part), False)
    groups = _list(_Cursor(group_part), False) if group_part is not None else None
    if not users and not groups:
        return [], []  # "()" or "(:)": the invoking user
    return users, groups


def _cmnd_spec_list(cur: _Cursor) -> list[CmndSpec]:
    specs: list[CmndSpec] = []
    runas_users: list[Item] | None = None
    runas_groups: list[Item] | None = None
    tags: dict[str, str] = {}
    options: dict[str, str] = {}
    while True:
        cur.ws()
        if cur.peek() == "(":
            cur.i += 1
            runas_users, runas_groups = _runas(cur)
        while True:
            cur.ws()
            tag = cur.match(_TAG_RE)
            if tag:
                tags[_TAG_SLOT[tag.group(1)]] = tag.group(1)
                continue
            opt = cur.match(_OPTION_RE)
            if opt:
                options[opt.group(1)] = cur.word()
                continue
            break
        negated = cur.bangs()
        command = _command(cur)
        if command:
            specs.append(CmndSpec(runas_users, runas_groups, dict(tags), dict(options), Item(negated, command)))
        cur.ws()
        if cur.peek() == ",":
            cur.i += 1
            continue
        return specs


def _user_spec(text: str, source: str) -> UserSpec | None:
    cur = _Cursor(text)
    users = _list(cur, stop_on_space=True)
    blocks: list[HostBlock] = []
    while True:
        hosts = _list(cur, stop_on_space=False)
        if not cur.take("="):
            return None
        blocks.append(HostBlock(hosts, _cmnd_spec_list(cur)))
        cur.ws()
        if cur.peek() == ":":
            cur.i += 1
            continue
        break
    if not users or not cur.at_end():
        return None
    return UserSpec(users, blocks, source)


def _alias_line(kind: str, text: str, parsed: Sudoers, source: str) -> bool:
    kind = "Cmnd" if kind == "Cmd" else kind
    cur = _Cursor(text)
    while True:
        name = cur.word()
        if not ALIAS_NAME.match(name) or not cur.take("="):
            return False
        items: list[Item] = []
        if kind == "Cmnd":
            while True:
                negated = cur.bangs()
                command = _command(cur)
                if command:
                    items.append(Item(negated, command))
                if not cur.take(","):
                    break
        else:
            items = _list(cur, stop_on_space=False)
        parsed.aliases[kind][name] = items
        cur.ws()
        if cur.peek() == ":":
            cur.i += 1
            continue
        return cur.at_end()


def _split_params(text: str) -> list[str]:
    out, cur, quoted, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur).strip())
    return [p for p in out if p]


def _defaults_line(m: re.Match[str], text: str, parsed: Sudoers, source: str) -> None:
    binding = m.group(1) or ""
    cur = _Cursor(text[m.end():])
    targets: list[Item] = []
    if binding:
        if binding == "!":
            # Defaults!/usr/bin/foo: the target list is commands (no arguments allowed)
            while True:
                negated = cur.bangs()
                targets.append(Item(negated, cur.word()))
                if not cur.take(","):
                    break
        else:
            targets = _list(cur, stop_on_space=True)
    for param in _split_params(cur.s[cur.i:]):
        negated = False
        while param.startswith("!"):
            negated = not negated
            param = param[1:].lstrip()
        name, value = param, None
        op = re.search(r"\+=|-=|=", param)
        if op:
            name, value = param[:op.start()], param[op.end():].strip().strip('"')
        parsed.defaults.append(DefaultsEntry(binding, targets, name.strip(), value, negated, source))


# --- files and includes ----------------------------------------------------------------------

ReadFn = Callable[[str], str]
ListFn = Callable[[str], list[str]]
IsFileFn = Callable[[str], bool]


@dataclass
class Reader:
    read: ReadFn
    list_dir: ListFn
    is_file: IsFileFn
    short_host: str = ""


def _include_path(rest: str, current: str, short_host: str) -> str:
    """The first word after the directive ("quoted" or with escaped blanks), made absolute."""
    rest = rest.strip()
    if rest.startswith('"'):
        end = rest.find('"', 1)
        target = rest[1:end] if end > 0 else rest[1:]
    else:
        m = re.match(r"(?:\\[ \t]|\S)+", rest)
        target = re.sub(r"\\([ \t])", r"\1", m.group(0)) if m else ""
    if short_host:
        target = target.replace("%h", short_host)
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(current), target)
    return posixpath.normpath(target)


def include_dir_files(names: list[str]) -> list[str]:
    """Names sudo reads from an include dir: no '~' suffix, no '.', sorted bytewise."""
    return sorted((n for n in names if n and not n.endswith("~") and "." not in n),
                  key=lambda n: n.encode("utf-8", "surrogateescape"))


def parse_text(text: str, path: str, parsed: Sudoers, reader: Reader | None = None, depth: int = 0) -> None:
    parsed.files.append(path)
    for number, line in logical_lines(text):
        source = f"{path}:{number}"
        inc = _INCLUDE_LINE.match(line)
        if inc:
            if reader is not None:
                target = _include_path(inc.group(2), path, reader.short_host)
                if inc.group(1) == "includedir":
                    _include_dir(target, parsed, reader, depth + 1, source)
                else:
                    _include_file(target, parsed, reader, depth + 1, source, required=True)
            continue
        alias = _ALIAS_LINE.match(line)
        if alias:
            if not _alias_line(alias.group(1), line[alias.end():], parsed, source):
                parsed.errors.append(f"{source}: cannot parse alias definition")
            continue
        defaults = _DEFAULTS_LINE.match(line)
        if defaults and (defaults.end() == len(line) or line[defaults.end()] in " \t" or defaults.group(1)):
            _defaults_line(defaults, line, parsed, source)
            continue
        spec = _user_spec(line, source)
        if spec is None:
            parsed.errors.append(f"{source}: cannot parse: {line[:80]}")
        else:
            parsed.specs.append(spec)


def _include_file(path: str, parsed: Sudoers, reader: Reader, depth: int, source: str, required: bool) -> None:
    if depth > MAX_DEPTH or path in parsed.files:
        parsed.errors.append(f"{source}: include loop or too deep: {path}")
        return
    try:
        text = reader.read(path)
    except FactUnavailable as exc:
        if required or exc.code != "not_found":
            parsed.unreadable.append((path, exc.code))
        return
    parse_text(text, path, parsed, reader, depth)


def _include_dir(path: str, parsed: Sudoers, reader: Reader, depth: int, source: str) -> None:
    try:
        names = reader.list_dir(path)
    except FactUnavailable as exc:
        if exc.code != "not_found":  # a missing include dir is not an error for sudo either
            parsed.unreadable.append((path, exc.code))
        return
    for name in include_dir_files(names):
        full = posixpath.join(path, name)
        if reader.is_file(full):
            _include_file(full, parsed, reader, depth, source, required=False)


def parse_sudoers(reader: Reader, path: str = "/etc/sudoers") -> Sudoers | None:
    """Parse `path` and everything it includes. None when sudoers does not exist (no sudo)."""
    parsed = Sudoers()
    try:
        text = reader.read(path)
    except FactUnavailable as exc:
        if exc.code == "not_found":
            return None
        parsed.unreadable.append((path, exc.code))
        return parsed
    parse_text(text, path, parsed, reader)
    return parsed
