"""sshd_config read the way sshd reads it (OpenSSH servconf.c), through a transport.

- Keywords are case-insensitive; `Keyword value`, `Keyword=value` and `Keyword = value` all work.
- Arguments are split like sshd's argv_split: double or single quotes, backslash escapes,
  a word starting with `#` ends the line.
- `Include` takes globs (relative ones are under /etc/ssh), expands them where it stands,
  recursively, files in lexical order; a glob that matches nothing is skipped silently, and so is
  a directory (`Include /etc/ssh/sshd_config.d` without `*.conf`: sshd reads it as an empty file).
- `Match` starts a conditional block that lasts until the next `Match`; `Match all` returns
  to the context the file was included from (all connections at the top level). An
  `Include` inside a Match block belongs to that block, and a Match inside an included file
  ends with that file.

The parser keeps every directive with its block and `file:line`; the caller decides the
first-value-wins semantics per keyword (`SshdConfig.first`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secaudit.transport.base import FactUnavailable, TooLarge, Transport
from secaudit.transport.paths import expand_glob

SSHDIR = "/etc/ssh"
MAX_DEPTH = 16  # SERVCONF_MAX_DEPTH
# Beyond what sshd itself checks: two drop-ins that include each other are 2^16 files at depth 16
# (sshd would never start; the agent must not run out of memory). Past either budget the rest is
# recorded as unreadable, so settings not decided before it are unknown, never a default.
MAX_FILES = 256
MAX_DIRECTIVES = 20_000
MAX_ERRORS = 100  # complaints listed; a file of a million bad lines must not become a million strings
_WS = " \t\r\n"
_KEYWORD = re.compile(r"[^ \t\r\n=]*")


@dataclass(frozen=True)
class Directive:
    keyword: str  # lower-case
    args: tuple[str, ...]
    source: str  # file:line
    block: int | None  # index into SshdConfig.blocks; None: applies to all connections


@dataclass(frozen=True)
class MatchBlock:
    criteria: str
    source: str


@dataclass(frozen=True)
class Unreadable:
    """An included file (or directory of a glob) that could not be read."""

    path: str
    code: str
    detail: str
    included_from: str  # file:line of the Include
    position: int  # number of directives parsed before it
    block: int | None  # the Match block the Include stands in


@dataclass
class SshdConfig:
    path: str
    directives: list[Directive] = field(default_factory=list)
    blocks: list[MatchBlock] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def first(self, *keywords: str, block: int | None = None) -> Directive | None:
        """The value sshd uses: the first directive naming any of `keywords` in `block`."""
        wanted = {k.lower() for k in keywords}
        for d in self.directives:
            if d.block == block and d.keyword in wanted:
                return d
        return None

    def every(self, *keywords: str, block: int | None = None) -> list[Directive]:
        wanted = {k.lower() for k in keywords}
        return [d for d in self.directives if d.block == block and d.keyword in wanted]


def argv_split(text: str) -> list[str] | None:
    """Split arguments as OpenSSH's argv_split(..., terminate_on_comment=1); None on unbalanced quotes."""
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        quote = ""
        word: list[str] = []
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                word.append(text[i + 1])
                i += 2
                continue
            if not quote and c in " \t":
                break
            if not quote and c in "'\"":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                word.append(c)
            i += 1
        if quote:
            return None
        args.append("".join(word))
    return args


def split_line(line: str) -> tuple[str, list[str]] | None:
    """(keyword in lower case, arguments) of one config line, or None for blank/comment lines.
    Raises ValueError with sshd's complaint for lines sshd would reject."""
    text = line.rstrip(_WS + "\f").lstrip(_WS)
    if not text or text.startswith("#"):
        return None
    if text.startswith('"'):  # strdelim accepts a quoted keyword
        end = text.find('"', 1)
        if end < 0:
            raise ValueError("invalid quotes")
        keyword, rest = text[1:end], text[end + 1 :]
    else:
        m = _KEYWORD.match(text)
        keyword = m.group(0) if m else ""
        rest = text[len(keyword) :]
    rest = rest.lstrip(_WS)
    if rest.startswith("="):
        rest = rest[1:].lstrip(_WS)
    if not keyword:
        raise ValueError("missing keyword")
    args = argv_split(rest)
    if args is None:
        raise ValueError("invalid quotes")
    if not args:
        raise ValueError("missing argument")
    return keyword.lower(), args


class _Parser:
    def __init__(self, transport: Transport, config: SshdConfig) -> None:
        self.transport = transport
        self.cfg = config
        self.stopped = False  # a budget is spent: nothing more is read
        self.statements = 0  # directives, Match and Include lines, in every file

    def error(self, message: str) -> None:
        if len(self.cfg.errors) < MAX_ERRORS:
            self.cfg.errors.append(message)
        elif len(self.cfg.errors) == MAX_ERRORS:
            self.cfg.errors.append(f"more than {MAX_ERRORS} errors; the rest are not listed")

    def stop(self, path: str, source: str, block: int | None, why: str) -> None:
        self.stopped = True
        self.error(f"{source}: {why}; the rest of the configuration is not read")
        self.unreadable(path, TooLarge(f"{path}: {why}"), source, block)

    def parse_file(self, path: str, text: str, depth: int, base_block: int | None) -> None:
        self.cfg.files.append(path)
        block = base_block
        for number, line in enumerate(text.splitlines(), 1):
            if self.stopped:
                return
            source = f"{path}:{number}"
            try:
                parsed = split_line(line)
            except ValueError as exc:
                self.error(f"{source}: {exc}")
                continue
            if parsed is None:
                continue
            self.statements += 1
            if self.statements > MAX_DIRECTIVES:
                self.stop(path, source, block, f"more than {MAX_DIRECTIVES} directives")
                return
            keyword, args = parsed
            if keyword == "match":
                if len(args) == 1 and args[0].lower() == "all":
                    block = base_block
                    continue
                criteria = " ".join(args)
                if base_block is not None:  # nested in an Include inside a Match: both must match
                    criteria = f"{self.cfg.blocks[base_block].criteria} {criteria}"
                self.cfg.blocks.append(MatchBlock(criteria, source))
                block = len(self.cfg.blocks) - 1
                continue
            if keyword == "include":
                self.include(args, source, depth, block)
                continue
            self.cfg.directives.append(Directive(keyword, tuple(args), source, block))

    def include(self, args: list[str], source: str, depth: int, block: int | None) -> None:
        if depth + 1 > MAX_DEPTH:
            self.error(f"{source}: too many recursive includes")
            return
        for arg in args:
            pattern = arg if arg.startswith("/") else f"{SSHDIR}/{arg}"
            try:
                paths = expand_glob(self.transport, pattern)
            except FactUnavailable as exc:
                self.unreadable(pattern, exc, source, block)
                continue
            for path in paths:
                if self.stopped:
                    return
                if len(self.cfg.files) >= MAX_FILES:
                    self.stop(path, source, block, f"more than {MAX_FILES} included files")
                    return
                try:
                    text = self.transport.read_text(path)
                except FactUnavailable as exc:
                    if exc.code == "not_regular" and self._is_dir(path):
                        # sshd opens it and getline() fails with EISDIR: an empty file, no complaint
                        self.error(f"{source}: {path} is a directory; sshd reads nothing from it")
                        continue
                    if exc.code != "not_found":  # a glob match that vanished
                        self.unreadable(path, exc, source, block)
                    continue
                self.parse_file(path, text, depth + 1, block)

    def _is_dir(self, path: str) -> bool:
        try:
            return self.transport.stat(path).is_dir
        except FactUnavailable:
            return False

    def unreadable(self, path: str, exc: FactUnavailable, source: str, block: int | None) -> None:
        # A bounded list: the first entry outside Match blocks is the one that decides what is unknown.
        have_global = any(u.block is None for u in self.cfg.unreadable)
        if len(self.cfg.unreadable) >= MAX_ERRORS and (block is not None or have_global):
            return
        self.cfg.unreadable.append(
            Unreadable(path, exc.code, exc.detail, source, len(self.cfg.directives), block))


def parse_sshd_config(transport: Transport, path: str = f"{SSHDIR}/sshd_config") -> SshdConfig:
    """Parse `path` and everything it includes. Raises FactUnavailable if `path` itself cannot be read."""
    text = transport.read_text(path)
    config = SshdConfig(path)
    _Parser(transport, config).parse_file(path, text, 0, None)
    return config
