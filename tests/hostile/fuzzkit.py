"""Shared pieces of the parser fuzz tests (issue 9): a reproducible hypothesis profile, mutations
of real-looking samples, real files of this machine as extra seeds, and an in-memory transport
so collectors can be fed hostile files and command outputs.

Mutations splice the nasty things a broken disk or an attacker produces into a good sample:
NUL, CR, invalid UTF-8, huge and negative numbers, digits that str.isdigit() accepts but int()
refuses ('²'), deep nesting, long runs of one character, escape sequences.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import shlex
import stat as stat_mod
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.model import Snapshot
from secaudit.transport.base import CommandResult, FactUnavailable, NotFound, StatResult, TooLarge

# Reproducible in CI: no example database, derandomized; slow examples are fine (deadline=None).
# Sized so that every fuzz file together runs in well under a minute on two cores.
FUZZ = settings(max_examples=250, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FUZZ_FEW = settings(FUZZ, max_examples=100)  # whole collectors, several files each

NASTY_TEXT: tuple[str, ...] = (
    "\0", "\r", "\r\n", "\n", "\n\n", "\t", " ", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\ufeff",
    "\x1b[31m", "\u202e", "\xa0", "é", "Việt", "\ufffd",
    '"', "'", "\\", "\\\n", "{", "}", "[", "]", "(", ")", "<", ">", "&", ";", ":", "=", "#", "/", "*", "-",
    ",", "%", "$", "@", "|", "!", "?", ".", "..", "../",
    "0", "-1", "-0", "+5", "00", "1e999", "nan", "inf", "0x1F", "0b1", "1_000", "2147483648", "-2147483649",
    "4294967296", "18446744073709551616", "9" * 40, "9" * 5000,
    "²", "①", "٣", "１", "½",  # isdigit()/isnumeric() but not what int() or a regex expect
    "a" * 3000, " " * 3000, "\\" * 1001, '"' * 501, "{" * 2000, "[" * 3000, "<a>" * 500, "." * 3000,
)
NASTY_BYTES: tuple[bytes, ...] = (
    b"\xff", b"\xfe\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\0" * 17,
    b"\xff" * 64,
)


def token_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12), st.integers().map(str))


def token_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(NASTY_BYTES), token_text().map(lambda s: s.encode("utf-8")),
                     st.binary(max_size=12))


@st.composite
def _mutate(draw: st.DrawFn, samples: tuple[Any, ...], tokens: st.SearchStrategy[Any]) -> Any:
    data = draw(st.sampled_from(samples))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(("insert", "insert", "replace", "delete", "duplicate", "truncate", "swap")))
        i = draw(st.integers(0, len(data)))
        j = draw(st.integers(i, min(len(data), i + 80)))
        if op == "insert":
            data = data[:i] + draw(tokens) + data[i:]
        elif op == "replace":
            data = data[:i] + draw(tokens) + data[j:]
        elif op == "delete":
            data = data[:i] + data[j:]
        elif op == "duplicate":
            data = data[:j] + data[i:j] * draw(st.integers(1, 3)) + data[j:]
        elif op == "truncate":
            data = data[:i]
        else:  # swap two slices
            k = draw(st.integers(j, min(len(data), j + 80)))
            data = data[:i] + data[j:k] + data[i:j] + data[k:]
    return data


def mutated(samples: Iterable[str]) -> st.SearchStrategy[str]:
    """Real-looking text, spliced with nasty tokens; sometimes just arbitrary text."""
    pool = tuple(s for s in samples if s)
    return st.one_of(_mutate(pool, token_text()), st.text(max_size=200))


def mutated_bytes(samples: Iterable[bytes]) -> st.SearchStrategy[bytes]:
    """The same for binary data (invalid UTF-8 included); sometimes arbitrary bytes."""
    pool = tuple(s for s in samples if s)
    return st.one_of(_mutate(pool, token_bytes()), st.binary(max_size=400))


def real_file(path: str, limit: int = 64 * 1024) -> str | None:
    """A file of this machine as a seed (its first `limit` bytes), or None when unreadable."""
    data = real_bytes(path, limit)
    return data.decode("utf-8", "replace") if data is not None else None


def real_bytes(path: str, limit: int = 64 * 1024) -> bytes | None:
    try:
        p = Path(path)
        if not p.is_file():
            return None
        with p.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def seeds(*texts: str | None) -> tuple[str, ...]:
    return tuple(t for t in texts if t)


# -- an in-memory system ----------------------------------------------------------------------------


class MemTransport:
    """Files, directories and command outputs held in memory; behaves like a live replay transport."""

    mode = "replay"
    family = "linux"  # a Linux tree: every transport says the OS family it reaches

    def __init__(self, files: Mapping[str, str | bytes] | None = None,
                 commands: Mapping[str, str | tuple[int, str, str]] | None = None, live: bool = True,
                 mtime: int = 1_763_500_000) -> None:
        self.files = {p: v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v
                      for p, v in (files or {}).items()}
        self.commands = {k: (v if isinstance(v, tuple) else (0, v, "")) for k, v in (commands or {}).items()}
        self.live = live
        self.mtime = mtime
        self.dirs = {"/"}
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent not in self.dirs:
                self.dirs.add(parent)
                parent = posixpath.dirname(parent)

    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        if path not in self.files:
            raise NotFound(path)
        data = self.files[path]
        if limit is not None:
            return data[:limit]
        if cap is not None and len(data) > cap:
            raise TooLarge(path)
        return data

    def read_text(self, path: str, cap: int | None = None) -> str:
        return self.read_bytes(path, cap=cap).decode("utf-8", errors="replace")

    def stat(self, path: str) -> StatResult:
        if path in self.files:
            mode = stat_mod.S_IFREG | 0o644
        elif path in self.dirs:
            mode = stat_mod.S_IFDIR | 0o755
        else:
            raise NotFound(path)
        return StatResult(mode=mode, uid=0, gid=0, size=len(self.files.get(path, b"")), mtime=self.mtime,
                          is_dir=stat_mod.S_ISDIR(mode), is_file=stat_mod.S_ISREG(mode))

    def list_dir(self, path: str) -> list[str]:
        path = path.rstrip("/") or "/"
        if path not in self.dirs:
            raise NotFound(path)
        prefix = "/" if path == "/" else path + "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in [*self.files, *self.dirs]
                 if p.startswith(prefix) and p != path}
        return sorted(n for n in names if n)

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.dirs

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        rec = self.commands.get(shlex.join(argv))
        if rec is None:
            raise NotFound(argv[0])
        return CommandResult(*rec)


def context(transport: MemTransport, config: AgentConfig | None = None) -> FactContext:
    now = time.time()
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode=transport.mode)
    return FactContext(transport, config or AgentConfig(), snap, now)


def collect_one(fn: Callable[[FactContext], None], transport: MemTransport) -> dict[str, Any]:
    """Run one collector directly (the registry would hide a crash as an `error` unknown). It may
    raise FactUnavailable (the registry records that as unknown), nothing else; what it puts in the
    snapshot must stay JSON."""
    ctx = context(transport)
    with contextlib.suppress(FactUnavailable):
        fn(ctx)
    json.dumps(ctx.snapshot.tables)
    json.dumps(ctx.snapshot.unknown)
    return ctx.snapshot.tables


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
