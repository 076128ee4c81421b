"""Collectors register here with the tables they fill; `collect` runs them in parallel."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from secaudit import __version__
from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.model import Snapshot
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable, Transport
from secaudit.workers import run_all

CollectFn = Callable[[FactContext], None]


@dataclass(frozen=True)
class Collector:
    name: str
    tables: tuple[str, ...]
    fn: CollectFn
    family: str  # linux | windows
    timeout: float = 20.0


COLLECTORS: list[Collector] = []


def collector(name: str, tables: tuple[str, ...], family: str = "linux", timeout: float = 20.0
              ) -> Callable[[CollectFn], CollectFn]:
    def register(fn: CollectFn) -> CollectFn:
        COLLECTORS.append(Collector(name, tables, fn, family, timeout))
        return fn

    return register


def _run_one(col: Collector, ctx: FactContext) -> None:
    try:
        col.fn(ctx)
    except FactUnavailable as exc:
        for table in col.tables:
            ctx.unknown(table, exc.code, exc.detail)
    except Exception as exc:  # a collector bug must not stop the others
        for table in col.tables:
            ctx.unknown(table, "error", f"{col.name}: {type(exc).__name__}: {exc}")


def collect(transport: Transport, config: AgentConfig, family: str = "linux",
            only: set[str] | None = None) -> Snapshot:
    """Run every collector of `family` (optionally only those named) and return the snapshot."""
    from secaudit.facts import load_collectors

    load_collectors(family)
    started = time.time()
    snap = Snapshot(collected_at=rfc3339(started), mode=transport.mode, tool_version=__version__)
    ctx = FactContext(transport, config, snap, started)
    chosen = [c for c in COLLECTORS if c.family == family and (only is None or c.name in only)]
    deadline = time.monotonic() + max((c.timeout for c in chosen), default=0)
    tasks = run_all([partial(_run_one, c, ctx) for c in chosen], 8, deadline, "facts",
                    timeouts=[c.timeout for c in chosen])
    ctx.close()  # a collector still running past the deadline can no longer change the snapshot
    for col, task in zip(chosen, tasks, strict=True):
        if not task.done.is_set():
            for table in col.tables:
                if table not in snap.tables:
                    snap.unknown.setdefault(table, {"code": "timeout",
                                                    "detail": f"{col.name} did not finish within {col.timeout:.0f} s"})
    snap.duration_ms = int((time.time() - started) * 1000)
    return snap
