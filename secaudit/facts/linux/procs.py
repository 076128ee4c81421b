"""Running processes, read from /proc through the transport (local, over SSH, from a recording).

Shared by collectors: `processes(ctx)` lists them once per collection (memoized). In --root
mode (transport.live is False) there are no processes to see.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from secaudit.facts.common import native
from secaudit.facts.common.processes import psutil_process_names
from secaudit.facts.context import FactContext
from secaudit.transport.base import BatchReader, FactUnavailable

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


def _status_uid(raw: bytes) -> int | None:
    for line in raw.decode("utf-8", "replace").splitlines():
        if line.startswith("Uid:") and len(line.split()) > 2:
            uid = line.split()[2]  # the effective uid, the owner of /proc/<pid>
            return int(uid) if _is_number(uid) else None
    return None


def _is_number(text: str) -> bool:
    """ASCII digits only ('²'.isdigit() is true; int() refuses it), and short enough for int()."""
    return text.isascii() and text.isdigit() and len(text) <= 10


def _read_procs_batched(read_many: Callable[[list[str]], dict[str, Any]], pids: list[int]) -> list[Proc]:
    """The same as _read_proc for every pid, in one request of the transport (SSH: one round trip
    instead of about seven per process)."""
    got = read_many([f"/proc/{pid}/{name}" for pid in pids for name in ("comm", "cmdline", "status")])
    out = []
    for pid in pids:
        comm = got.get(f"/proc/{pid}/comm")
        if not isinstance(comm, bytes):
            continue  # the process ended meanwhile (or is hidden): skip it
        raw = got.get(f"/proc/{pid}/cmdline")
        cmdline = tuple(a.decode("utf-8", "replace") for a in raw.rstrip(b"\0").split(b"\0")) \
            if isinstance(raw, bytes) and raw else ()
        status = got.get(f"/proc/{pid}/status")
        uid = _status_uid(status) if isinstance(status, bytes) else None
        out.append(Proc(pid, comm.decode("utf-8", "replace").rstrip("\n"), cmdline, uid))
    return out


def _collect(ctx: FactContext) -> ProcTable:
    if not ctx.transport.live:
        return ProcTable((), False, "no running processes on a mounted filesystem")
    try:
        names = ctx.transport.list_dir("/proc")
    except FactUnavailable as exc:
        return ProcTable((), False, f"/proc: {exc.detail}")
    pids = sorted(int(n) for n in names if _is_number(n))
    if isinstance(ctx.transport, BatchReader):  # SSH: many small files at once
        try:
            procs = tuple(_read_procs_batched(ctx.transport.read_many, pids))
        except FactUnavailable:
            procs = tuple(p for p in (_read_proc(ctx, pid) for pid in pids) if p is not None)
    else:
        procs = tuple(p for p in (_read_proc(ctx, pid) for pid in pids) if p is not None)
    if 1 not in pids:  # hidepid: other users' processes are invisible
        return ProcTable(procs, False, "/proc hides other users' processes (hidepid); run as root")
    return ProcTable(procs, True, "")


def process_table(ctx: FactContext) -> ProcTable:
    return ctx.memo("proc.list", lambda: _collect(ctx))


def processes(ctx: FactContext) -> list[Proc]:
    return list(process_table(ctx).procs)


def process_names(ctx: FactContext) -> set[str] | None:
    """Names (comm) of running processes; None without a running system. psutil on this machine, else the
    /proc walk shared with the other collectors."""
    if not ctx.transport.live:
        return None

    def compute() -> set[str] | None:
        if native(ctx.transport):
            return psutil_process_names()
        return {p.comm for p in process_table(ctx).procs if p.comm} or None

    return ctx.memo("proc.names", compute)
