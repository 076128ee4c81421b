"""The transport interface: how the agent reaches a system. Transports never judge."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class FactUnavailable(Exception):
    """A primitive could not answer. `code` is machine-readable, `detail` names the thing."""

    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PermissionDenied(FactUnavailable):
    code = "permission_denied"


class NotFound(FactUnavailable):
    code = "not_found"


class NotApplicable(FactUnavailable):
    code = "not_applicable"


class CommandFailed(FactUnavailable):
    code = "command_failed"


class TimedOut(FactUnavailable):
    code = "timeout"


class NotRegular(FactUnavailable):
    """A device, FIFO, socket or directory where a file was expected: never opened for reading."""

    code = "not_regular"


class TooLarge(FactUnavailable):
    """Larger than the cap for this kind of input (or the run's read budget is spent): not read."""

    code = "too_large"


class ReadBudget:
    """Bytes one transport may still read in this run (every read and command output charges it), so
    that many files just under their caps cannot add up to exhaust the agent either."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total
        self._lock = threading.Lock()

    def charge(self, n: int, what: str) -> None:
        with self._lock:
            self.left -= n
            spent = self.left < 0
        if spent:
            raise TooLarge(f"{what}: read budget of {self.total >> 20} MiB for this run is spent")


@dataclass(frozen=True)
class StatResult:
    mode: int  # permission bits and file type, as os.stat's st_mode
    uid: int
    gid: int
    size: int
    mtime: int  # unix seconds
    is_dir: bool
    is_file: bool
    dev: int = 0


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


class Transport(Protocol):
    """Primitives only: read, stat, list, run. Paths are absolute paths on the audited system."""

    mode: str  # local | root | ssh | replay
    live: bool  # sockets/processes of the audited system are observable

    @property
    def family(self) -> str:
        """OS family of the audited system: linux | windows (transport/family.py says how it is known)."""
        ...

    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        """A regular file's bytes. `limit`: read only the first `limit` bytes. Otherwise the whole
        file, refused with TooLarge when over `cap` (default limits.CONFIG_FILE). NotRegular for
        anything but a regular file (checked before opening and again on the open descriptor)."""
        ...

    def read_text(self, path: str, cap: int | None = None) -> str: ...

    def stat(self, path: str) -> StatResult: ...

    def list_dir(self, path: str) -> list[str]: ...

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult: ...

    def exists(self, path: str) -> bool: ...


@runtime_checkable
class BatchReader(Protocol):
    """An optional capability: many small files in one request (SSH: one round trip for hundreds of
    /proc files instead of several each). Callers ask with isinstance(transport, BatchReader)."""

    def read_many(self, paths: list[str], limit: int | None = None) -> dict[str, bytes | FactUnavailable]:
        """Each path's bytes (at most `limit` of them), or the FactUnavailable that reading it raised."""
        ...


@runtime_checkable
class Native(Protocol):
    """An optional capability: `native` is true when the audited system is the machine this process runs on
    and is running, so its OS APIs (psutil) answer for it (the local transport; not a mounted root)."""

    native: bool


@runtime_checkable
class ProbeSource(Protocol):
    """An optional capability of Windows transports: the outputs of the probe catalogue
    (secaudit/data/windows_probes.yaml), run once in one PowerShell process (collect.ps1) or replayed from
    a recording. `recorded_at` is the recording's collected_at (ages are counted from it), else None."""

    recorded_at: str | None

    def probe(self, probe_id: str) -> CommandResult:
        """The probe's rc, stdout and stderr; NotFound when the probe was not run (never a pass)."""
        ...

