"""A sudoers parser: includes, aliases, tags and their carry-over, as sudo itself reads them.

Only syntax is modelled here; deciding who is an administrator is left to callers.
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
_ALIAS_NAME = re.compile(r"[A-Z][A-Z0-9_]*$")
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
        if not _ALIAS_NAME.match(name) or not cur.take("="):
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


# --- expansion into rules -------------------------------------------------------------------


@dataclass
class Expanded:
    negated: bool
    value: str
    alias: str | None = None  # outermost alias it came from


def expand(items: list[Item], aliases: dict[str, list[Item]], _seen: frozenset[str] = frozenset(),
           _via: str | None = None) -> list[Expanded]:
    """Replace alias names by their members; a negated alias flips its members' signs."""
    out: list[Expanded] = []
    for item in items:
        if item.value in aliases and _ALIAS_NAME.match(item.value) and item.value not in _seen:
            for sub in expand(aliases[item.value], aliases, _seen | {item.value}, _via or item.value):
                out.append(Expanded(sub.negated != item.negated, sub.value, sub.alias))
        else:
            out.append(Expanded(item.negated, item.value, _via))
    return out


def principal_kind(value: str) -> str:
    if value == "ALL":
        return "all"
    if value.startswith("%:"):
        return "nonunix_group"
    if value.startswith("%#"):
        return "gid"
    if value.startswith("%"):
        return "group"
    if value.startswith("#"):
        return "uid"
    if value.startswith("+"):
        return "netgroup"
    return "user"


def host_matches(hosts: list[Expanded], hostname: str) -> bool | None:
    """Whether a host list selects this host: last match wins; None when it cannot be told
    (an address, netgroup or wildcard before any definite match, or no known host name)."""
    names = {hostname.lower(), hostname.split(".")[0].lower()} if hostname else set()
    for item in reversed(hosts):
        value = item.value.lower()
        if value == "all":
            return not item.negated
        if not names or value.startswith("+") or any(ch in value for ch in "*?[/:") or value[:1].isdigit():
            return None
        if value in names:
            return not item.negated
    return False


def _runas_text(users: list[Expanded] | None, groups: list[Expanded] | None) -> str:
    def join(items: list[Expanded]) -> str:
        return ",".join(("!" if i.negated else "") + i.value for i in items)

    if users is None and groups is None:
        return "root"
    if not users and not groups:
        return ""  # "()": the invoking user
    text = join(users or [])
    return text + (":" + join(groups) if groups is not None else "")


def _defaults_nopasswd(parsed: Sudoers, principal: str, commands: list[str], hostname: str
                       ) -> tuple[bool | None, str | None]:
    """The `authenticate` Defaults that apply (global, host, user, command), last one wins."""
    state: bool | None = None
    where: str | None = None
    order = {"": 0, "@": 1, ":": 2, ">": 3, "!": 4}
    for entry in sorted(parsed.defaults, key=lambda e: order.get(e.binding, 5)):
        if entry.name != "authenticate":
            continue
        if entry.binding == "@":
            if host_matches(expand(entry.targets, parsed.aliases["Host"]), hostname) is False:
                continue
        elif entry.binding == ":":
            targets = expand(entry.targets, parsed.aliases["User"])
            if not any(t.value in (principal, "ALL") and not t.negated for t in targets):
                continue
        elif entry.binding == "!":
            targets = expand(entry.targets, parsed.aliases["Cmnd"])
            if not any(t.value in commands or t.value == "ALL" for t in targets if not t.negated):
                continue
        elif entry.binding == ">":
            continue  # depends on the target user chosen at run time
        state = not entry.negated
        where = entry.source
    return state, where


def rules(parsed: Sudoers, hostname: str = "") -> list[dict[str, object]]:
    """One row per principal x host block x run of commands sharing run-as user and tags."""
    rows: list[dict[str, object]] = []
    for spec in parsed.specs:
        users = expand(spec.users, parsed.aliases["User"])
        for block in spec.blocks:
            hosts = expand(block.hosts, parsed.aliases["Host"])
            groups: list[tuple[tuple[str, str, tuple[tuple[str, str], ...]], list[CmndSpec]]] = []
            for cs in block.specs:
                ru = expand(cs.runas_users, parsed.aliases["Runas"]) if cs.runas_users is not None else None
                rg = expand(cs.runas_groups, parsed.aliases["Runas"]) if cs.runas_groups is not None else None
                key = (_runas_text(ru, rg), ",".join(sorted(cs.tags.values())), tuple(sorted(cs.options.items())))
                if groups and groups[-1][0] == key:
                    groups[-1][1].append(cs)
                else:
                    groups.append((key, [cs]))
            for (runas, _tags, _opts), members in groups:
                first = members[0]
                commands: list[str] = []
                for cs in members:
                    for c in expand([cs.command], parsed.aliases["Cmnd"]):
                        commands.append(("!" if c.negated else "") + c.value)
                ru = expand(first.runas_users, parsed.aliases["Runas"]) if first.runas_users is not None else None
                rg = expand(first.runas_groups, parsed.aliases["Runas"]) if first.runas_groups is not None else None
                tag_values = sorted(first.tags.values())
                for index, user in enumerate(users):
                    if user.negated:
                        continue
                    excluded = [u.value for u in users[index + 1:] if u.negated]
                    if user.value in excluded:
                        continue  # "gv2, !gv2": the later negation wins
                    nopasswd: bool
                    nopasswd_source = None
                    if "PASSWD" in first.tags:
                        nopasswd = first.tags["PASSWD"] == "NOPASSWD"
                    else:
                        auth, where = _defaults_nopasswd(parsed, user.value, commands, hostname)
                        nopasswd = auth is False
                        nopasswd_source = where if nopasswd else None
                    row: dict[str, object] = {
                        "principal": user.value,
                        "principal_kind": principal_kind(user.value),
                        "hosts": [("!" if h.negated else "") + h.value for h in hosts],
                        "host_match": host_matches(hosts, hostname),
                        "runas": runas,
                        "runas_users": [("!" if r.negated else "") + r.value for r in ru] if ru is not None
                        else ([] if rg is not None else ["root"]),
                        "runas_groups": [("!" if r.negated else "") + r.value for r in rg] if rg is not None else [],
                        "commands": commands,
                        "all_commands": "ALL" in commands,
                        "nopasswd": nopasswd,
                        "tags": tag_values,
                        "source": spec.source,
                    }
                    if excluded:
                        row["except"] = excluded
                    if user.alias:
                        row["via_alias"] = user.alias
                    if first.options:
                        row["options"] = dict(first.options)
                    if nopasswd_source:
                        row["nopasswd_source"] = nopasswd_source
                    rows.append(row)
    return rows


# --- what a rule grants ------------------------------------------------------------------------
# Judgement, kept in this one place (checks pass their parameters in; the collector uses the defaults
# for users.admin_via). It is not a fact and will move out of facts/ with the ground-floor layering.

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
