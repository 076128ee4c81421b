"""Collectors register here with the tables they fill; `collect` runs them in parallel."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

from secaudit import __version__
from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.model import Snapshot
from secaudit.facts.tables import FAMILIES
from secaudit.facts.tables import table as table_spec
from secaudit.timefmt import parse_rfc3339, rfc3339
from secaudit.transport.base import FactUnavailable, ProbeSource, Transport
from secaudit.workers import run_all

CollectFn = Callable[[FactContext], None]


@dataclass(frozen=True)
class Collector:
    name: str
    tables: tuple[str, ...]
    fn: CollectFn
    family: str  # linux | windows
    timeout: float = 20.0

    @property
    def target(self) -> str:
        """module:function, as a spec's `implementations:` names it."""
        return f"{self.fn.__module__}:{self.fn.__name__}"


COLLECTORS: list[Collector] = []


class RegistrationError(Exception):
    """A collector for a table no spec declares, or for an OS its spec does not give it: a programming
    error, raised when the module is imported."""


def _family_of(module: str) -> str | None:
    """secaudit.facts.<family>.x -> family."""
    parts = module.split(".")
    return parts[2] if len(parts) > 3 and parts[:2] == ["secaudit", "facts"] and parts[2] in FAMILIES else None


def collector(name: str, tables: tuple[str, ...], family: str | None = None, timeout: float = 20.0
              ) -> Callable[[CollectFn], CollectFn]:
    """Register `fn` as the collector `name` filling `tables` on `family` (by default the OS of its package,
    secaudit/facts/<family>/). Every table must be declared by a spec (facts/tables/<table>.yaml) that gives
    it to that OS, and be filled by one collector per OS."""

    def register(fn: CollectFn) -> CollectFn:
        fam = family or _family_of(fn.__module__)
        where = f"collector {name!r} ({fn.__module__}:{fn.__name__})"
        if fam not in FAMILIES:
            raise RegistrationError(f"{where}: no OS family; put it under secaudit/facts/<{'|'.join(FAMILIES)}>/ "
                                    f"or pass family=")
        for table in tables:
            spec = table_spec(table)
            if spec is None:
                raise RegistrationError(f"{where} fills table {table!r}, which no spec declares: add "
                                        f"secaudit/facts/tables/{table}.yaml")
            if fam not in spec.platforms:
                raise RegistrationError(f"{where} fills table {table!r} on {fam}, but its spec gives it only to "
                                        f"{', '.join(spec.platforms)} (platforms:)")
            other = next((c for c in COLLECTORS if c.family == fam and table in c.tables and c.name != name), None)
            if other is not None:
                raise RegistrationError(f"{where} fills table {table!r} on {fam}, which collector {other.name!r} "
                                        f"fills already")
        COLLECTORS.append(Collector(name, tables, fn, fam, timeout))
        return fn

    return register


@cache
def load_collectors(family: str) -> None:
    """Import every module under secaudit/facts/<family>/ (sub-packages too): collectors register themselves
    with @collector, so a new module is found by being there, with no list to keep. An OS without a package
    has no collectors yet."""
    if family not in FAMILIES:
        return
    name = f"secaudit.facts.{family}"
    try:
        package = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return
        raise
    for info in pkgutil.walk_packages(package.__path__, f"{name}."):
        importlib.import_module(info.name)


def _run_one(col: Collector, ctx: FactContext) -> None:
    try:
        col.fn(ctx)
    except FactUnavailable as exc:
        for table in col.tables:
            ctx.unknown(table, exc.code, exc.detail)
    except Exception as exc:  # a collector bug must not stop the others
        for table in col.tables:
            ctx.unknown(table, "error", f"{col.name}: {type(exc).__name__}: {exc}")


def collect(transport: Transport, config: AgentConfig, only: set[str] | None = None) -> Snapshot:
    """Run every collector of the OS family the transport reaches (optionally only those named) and return the
    snapshot, which records that family."""
    family = transport.family
    load_collectors(family)
    started = time.time()
    # A recording is evaluated as of when it was made: ages count from its collected_at, whenever it is replayed.
    recorded_at = transport.recorded_at if isinstance(transport, ProbeSource) else None
    snap = Snapshot(collected_at=recorded_at or rfc3339(started), mode=transport.mode, tool_version=__version__,
                    family=family)
    ctx = FactContext(transport, config, snap, parse_rfc3339(snap.collected_at).timestamp() if recorded_at else started)
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
