"""What a fact collector gets: the transport, the agent config, and a place to put rows."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.transport.base import FactUnavailable, StatResult, Transport

T = TypeVar("T")


class FactContext:
    def __init__(self, transport: Transport, config: AgentConfig, snapshot: Snapshot, now: float) -> None:
        self.transport = transport
        self.config = config
        self.snapshot = snapshot
        self.now = now  # unix time of collection, so that every collector agrees
        self._lock = threading.RLock()
        self._memo: dict[str, Any] = {}
        self._memo_locks: dict[str, threading.Lock] = {}
        self._closed = False

    def close(self) -> None:
        """Collection is over: later writes (from a collector past its deadline) are dropped."""
        with self._lock:
            self._closed = True

    # -- writing -----------------------------------------------------------------
    def put(self, table: str, value: Any) -> None:
        with self._lock:
            if not self._closed:
                self.snapshot.tables[table] = value

    def unknown(self, key: str, code: str, detail: str) -> None:
        with self._lock:
            if not self._closed:
                self.snapshot.unknown.setdefault(key, {"code": code, "detail": detail})

    def unknown_from(self, key: str, exc: FactUnavailable) -> None:
        self.unknown(key, exc.code, exc.detail)

    # -- reading helpers -----------------------------------------------------------
    def read_text(self, path: str, unknown_key: str | None = None, cap: int | None = None) -> str | None:
        """File text, or None. When `unknown_key` is given, a failure other than
        'not found' is recorded as unknown under that key. `cap`: see Transport.read_bytes."""
        try:
            return self.transport.read_text(path, cap=cap)
        except FactUnavailable as exc:
            if unknown_key and exc.code != "not_found":
                self.unknown_from(unknown_key, exc)
            return None

    def read_first(self, paths: Iterable[str], unknown_key: str | None = None) -> tuple[str | None, str | None]:
        """(path, text) of the first of `paths` that can be read (a program's search order), else (None, None)."""
        for path in paths:
            text = self.read_text(path, unknown_key)
            if text is not None:
                return path, text
        return None, None

    def stat(self, path: str) -> StatResult | None:
        """The path's stat, or None when it is absent or cannot be examined."""
        try:
            return self.transport.stat(path)
        except FactUnavailable:
            return None

    def list_dir(self, path: str) -> list[str]:
        try:
            return self.transport.list_dir(path)
        except FactUnavailable:
            return []

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a shared intermediate once (e.g. the parsed passwd file) across collectors."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._memo[key] = value
            return value
