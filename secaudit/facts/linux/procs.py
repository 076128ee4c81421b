"""Running processes, read from /proc through the transport (local, over SSH, from a recording).

Shared by collectors: `processes(ctx)` lists them once per collection (memoized). In --root
mode (transport.live is False) there are no processes to see.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable

COMM_LEN = 15  # TASK_COMM_LEN - 1: the kernel truncates /proc/N/comm


@dataclass(frozen=True)
class Proc:
    pid: int
    comm: str
    cmdline: tuple[str, ...]
    uid: int | None

    @property
    def exe_name(self) -> str:
        """Basename of argv[0] (a daemon's comm may be truncated or renamed)."""
        return posixpath.basename(self.cmdline[0]) if self.cmdline else ""

    def matches(self, spec: str) -> bool:
        """A bare name matches comm or argv[0]'s basename; "/dir/" matches argv[0] under it;
        another absolute path matches argv[0] exactly."""
        if spec.startswith("/"):
            argv0 = self.cmdline[0] if self.cmdline else ""
            return argv0.startswith(spec) if spec.endswith("/") else argv0 == spec
        return self.comm == spec[:COMM_LEN] or self.exe_name == spec


@dataclass(frozen=True)
class ProcTable:
    procs: tuple[Proc, ...]
    complete: bool  # every process of the system is visible
    reason: str  # why not complete


def _read_proc(ctx: FactContext, pid: int) -> Proc | None:
    base = f"/proc/{pid}"
    try:
        comm = ctx.transport.read_text(f"{base}/comm").rstrip("\n")
    except FactUnavailable:
        return None  # the process ended meanwhile (or is hidden): skip it
    try:
        raw = ctx.transport.read_bytes(f"{base}/cmdline")
        cmdline = tuple(a.decode("utf-8", "replace") for a in raw.rstrip(b"\0").split(b"\0")) if raw else ()
    except FactUnavailable:
        cmdline = ()
    try:
        uid: int | None = ctx.transport.stat(base).uid
    except FactUnavailable:
        uid = None
    return Proc(pid, comm, cmdline, uid)


def _collect(ctx: FactContext) -> ProcTable:
    if not ctx.transport.live:
        return ProcTable((), False, "no running processes on a mounted filesystem")
    try:
        names = ctx.transport.list_dir("/proc")
    except FactUnavailable as exc:
        return ProcTable((), False, f"/proc: {exc.detail}")
    pids = sorted(int(n) for n in names if n.isdigit())
    procs = tuple(p for p in (_read_proc(ctx, pid) for pid in pids) if p is not None)
    if 1 not in pids:  # hidepid: other users' processes are invisible
        return ProcTable(procs, False, "/proc hides other users' processes (hidepid); run as root")
    return ProcTable(procs, True, "")


def process_table(ctx: FactContext) -> ProcTable:
    return ctx.memo("proc.list", lambda: _collect(ctx))


def processes(ctx: FactContext) -> list[Proc]:
    return list(process_table(ctx).procs)
