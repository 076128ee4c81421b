"""apt's configuration (apt.conf and apt.conf.d, as apt reads them) and its history log (history.log entries,
and which of them were update runs): parsers, and the configuration read once per collection. Used by
facts/linux/updates.py."""

from __future__ import annotations

import re

from secaudit.facts.context import FactContext

_APT_NAME = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def apt_conf_files(ctx: FactContext) -> list[str]:
    """The files apt reads, in order: /etc/apt/apt.conf.d/* (sorted; names of letters, digits,
    _ - : . and either no extension or .conf), then /etc/apt/apt.conf."""
    out = []
    for name in ctx.list_dir("/etc/apt/apt.conf.d"):
        if name.startswith(".") or not _APT_NAME.match(name) or name.endswith("."):
            continue
        if "." in name and name.rsplit(".", 1)[1] != "conf":
            continue
        out.append(f"/etc/apt/apt.conf.d/{name}")
    return [*out, "/etc/apt/apt.conf"]


_APT_TOKEN = re.compile(r'"[^"]*"|[{};]|[^\s{};"]+')


def _strip_apt_comments(text: str) -> list[tuple[int, str]]:
    """Lines without // and # comments (but #clear / #include stay) and /* */ blocks."""
    out: list[tuple[int, str]] = []
    in_block = False
    for lineno, line in enumerate(text.splitlines(), 1):
        buf: list[str] = []
        i, quoted = 0, False
        while i < len(line):
            ch = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    i += 2
                else:
                    i += 1
                continue
            if ch == '"':
                quoted = not quoted
            elif not quoted:
                if line.startswith("/*", i):
                    in_block = True
                    i += 2
                    continue
                if line.startswith("//", i):
                    break
                if ch == "#" and not line.startswith(("#clear", "#include"), i):
                    break
            buf.append(ch)
            i += 1
        out.append((lineno, "".join(buf)))
    return out


def parse_apt_conf(text: str, source: str, into: dict[str, tuple[str, str]],
                   lists: dict[str, list[tuple[str, str]]] | None = None) -> None:
    """Apply one apt.conf file to `into` (lower-case key -> (value, file:line)). Scopes nest with
    `Tag { ... };`, values are `Tag "value";`, keys are case-insensitive, later values win. With `lists`,
    list items (`Key { "a"; "b"; };` or `Key:: "a";`) are appended to lists[key] as (value, file:line),
    items of every file adding up as apt's do.

    Linear in the file: each scope's key prefix is built once, keys longer than APT_MAX_KEY are not
    kept (the keys looked up are short), and `#clear` is applied once at the end of the file."""
    scope: list[tuple[str, str | None]] = []  # (name, key prefix of the scope; None: too long to keep)
    words: list[tuple[str, int]] = []
    state = _AptFile(source, into, lists)
    for lineno, line in _strip_apt_comments(text):
        for tok in _APT_TOKEN.findall(line):
            if tok == "{":
                name = words[0][0].strip('"') if words else ""
                parent = scope[-1][1] if scope else ""
                scope.append((name, _apt_join(parent, name)))
                words = []
            elif tok == "}":
                words = []
                if scope:
                    scope.pop()
            elif tok == ";":
                state.statement(words, scope)
                words = []
            else:
                words.append((tok, lineno))
    if words:
        state.statement(words, scope)
    state.apply_clears()


APT_MAX_KEY = 1024


def _apt_join(prefix: str | None, name: str) -> str | None:
    """`prefix::name` (an empty name adds nothing), or None when it would pass APT_MAX_KEY."""
    if prefix is None or len(prefix) + len(name) + 2 > APT_MAX_KEY:
        return None
    return (f"{prefix}::{name}" if prefix else name) if name else prefix


class _AptFile:
    def __init__(self, source: str, into: dict[str, tuple[str, str]],
                 lists: dict[str, list[tuple[str, str]]] | None = None) -> None:
        self.source, self.into, self.lists = source, into, lists
        self.added: dict[str, list[int]] = {}  # list key -> steps of the items this file appended
        self.step = 0
        self.set_at: dict[str, int] = {}  # key -> step of its last value in this file
        self.cleared: dict[str, int] = {}  # #clear prefix -> step of its last #clear

    def statement(self, words: list[tuple[str, int]], scope: list[tuple[str, str | None]]) -> None:
        if not words:
            return
        self.step += 1
        first, lineno = words[0]
        prefix = scope[-1][1] if scope else ""
        if first == "#clear":
            if any(not name for name, _ in scope):
                return  # inside an anonymous scope the prefix has an empty part: it matches no key
            for w, _ in words[1:]:
                key = _apt_join(prefix, w.strip('"'))
                if key is not None:
                    self.cleared[key.lower()] = self.step
            return
        if self.lists is not None and first.startswith('"') and len(words) == 1 and prefix:
            self._item(prefix, first.strip('"'), lineno)
            return
        if first == "#include" or len(words) < 2 or first.startswith('"'):
            return  # includes are rare in apt.conf.d; list items have no key
        key = _apt_join(prefix, first)
        if key is not None and key.endswith("::"):
            if self.lists is not None:
                self._item(key[:-2], words[1][0].strip('"'), lineno)
            return
        if key is not None:
            key = key.lower()
            self.into[key] = (words[1][0].strip('"'), f"{self.source}:{lineno}")
            self.set_at[key] = self.step

    def _item(self, key: str, value: str, lineno: int) -> None:
        assert self.lists is not None
        self.lists.setdefault(key.lower(), []).append((value, f"{self.source}:{lineno}"))
        self.added.setdefault(key.lower(), []).append(self.step)

    def _cleared_at(self, key: str) -> int:
        """The step of the last #clear of `key` or of a prefix ending at a `::` (-1: none)."""
        ends = [len(key)]
        at = key.find("::")
        while at >= 0:
            ends.append(at)
            at = key.find("::", at + 1)
        return max(self.cleared.get(key[:end], -1) for end in ends)

    def apply_clears(self) -> None:
        """Drop every key (and list item) set before a later #clear of itself or of a prefix ending at a `::`."""
        if not self.cleared:
            return
        for key in list(self.into):
            if self._cleared_at(key) > self.set_at.get(key, 0):
                del self.into[key]
        for key, items in (self.lists or {}).items():
            at = self._cleared_at(key)
            if at < 0:
                continue
            steps = self.added.get(key, [])
            mine = items[len(items) - len(steps):]
            items[:] = [item for item, step in zip(mine, steps, strict=True) if step > at]


def apt_config(ctx: FactContext) -> dict[str, tuple[str, str]]:
    def compute() -> dict[str, tuple[str, str]]:
        conf: dict[str, tuple[str, str]] = {}
        for path in apt_conf_files(ctx):
            text = ctx.read_text(path, unknown_key="system.auto_updates")
            if text is not None:
                parse_apt_conf(text, path, conf)
        return conf

    return ctx.memo("system.apt_config", compute)


def apt_lists(ctx: FactContext) -> dict[str, list[tuple[str, str]]]:
    """apt's list settings (lower-case key -> [(item, file:line)]), e.g. unattended-upgrades' origins."""
    def compute() -> dict[str, list[tuple[str, str]]]:
        conf: dict[str, tuple[str, str]] = {}
        lists: dict[str, list[tuple[str, str]]] = {}
        for path in apt_conf_files(ctx):
            text = ctx.read_text(path)
            if text is not None:
                parse_apt_conf(text, path, conf, lists)
        return lists

    return ctx.memo("system.apt_lists", compute)


# -- history.log ---------------------------------------------------------------------------------

_APT_NON_UPDATE = {"install", "reinstall", "remove", "purge", "autoremove", "autopurge", "build-dep",
                   "markauto", "unmarkauto"}


def _is_update_run(commandline: str | None) -> bool:
    """An entry that upgraded packages counts as an update run unless it was a plain
    `apt install/remove ...` that merely pulled a newer dependency. Entries without a
    Commandline come from unattended-upgrades; aptdaemon/PackageKit entries are GUI updaters."""
    if commandline is None:
        return True
    words = commandline.split()
    if "--only-upgrade" in words:
        return True
    verb, skip = "", False
    for w in words[1:]:
        if skip:
            skip = False
        elif w in ("-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release"):
            skip = True  # the option's value follows
        elif not w.startswith("-"):
            verb = w
            break
    return verb not in _APT_NON_UPDATE


APT_MAX_ENTRIES = 200_000  # a year of hourly runs is 9,000; a 64 MiB log of 15-byte entries is millions


def parse_apt_history(text: str, source: str) -> list[tuple[str, bool, str]]:
    """Entries of apt's history.log as (local end time 'YYYY-MM-DD HH:MM:SS', update run?, file:line).
    Entries are separated by blank lines; an interrupted one has no End-Date (Start-Date is used).
    ValueError past APT_MAX_ENTRIES."""
    out: list[tuple[str, bool, str]] = []
    start: str | None = None
    end: str | None = None
    commandline: str | None = None
    upgraded = False
    line_at = 0
    for lineno, line in enumerate([*text.splitlines(), ""], 1):
        if not line.strip():
            stamp = end or start
            if stamp:
                out.append((" ".join(stamp.split()), upgraded and _is_update_run(commandline),
                            f"{source}:{line_at}"))
                if len(out) > APT_MAX_ENTRIES:
                    raise ValueError(f"{source}: more than {APT_MAX_ENTRIES} entries")
            start = end = commandline = None
            upgraded = False
            continue
        key, _, value = line.partition(":")
        if key == "Start-Date":
            start, line_at = value.strip(), lineno
        elif key == "End-Date":
            end, line_at = value.strip(), lineno
        elif key == "Commandline":
            commandline = value.strip()
        elif key == "Upgrade":
            upgraded = True
    return out
