"""Transport capabilities the collectors ask about: native (psutil answers) and BatchReader (read_many)."""

from __future__ import annotations

from pathlib import Path

from secaudit.config import AgentConfig
from secaudit.facts.common import native
from secaudit.facts.context import FactContext
from secaudit.facts.linux.procs import process_names, process_table
from secaudit.facts.model import Snapshot
from secaudit.transport.base import BatchReader, FactUnavailable, NotFound
from secaudit.transport.local import LocalTransport, RootTransport
from secaudit.transport.replay import ReplayTransport

PROC = {"/proc/1/comm": "systemd\n", "/proc/1/cmdline": "/sbin/init\0", "/proc/1/status": "Uid:\t0\t0\t0\t0\n",
        "/proc/42/comm": "clamd\n", "/proc/42/cmdline": "/usr/sbin/clamd\0", "/proc/42/status": "Uid:\t0\t0\t0\t0\n"}


def _ctx(transport: object) -> FactContext:
    return FactContext(transport, AgentConfig(), Snapshot(collected_at="2026-11-20T00:00:00Z", mode="replay"),
                       0.0)  # type: ignore[arg-type]


class Batched(ReplayTransport):
    """A replay that also answers many files at once, as the SSH transport does."""

    def __init__(self) -> None:
        super().__init__({"files": PROC})
        self.batches = 0

    def read_many(self, paths: list[str], limit: int | None = None) -> dict[str, bytes | FactUnavailable]:
        self.batches += 1
        return {p: PROC[p].encode() if p in PROC else NotFound(p) for p in paths}


def test_only_the_local_machine_is_native(tmp_path: Path) -> None:
    assert native(LocalTransport())
    assert not native(RootTransport(str(tmp_path)))
    assert not native(ReplayTransport({"files": {}}))


def test_batch_reading_is_a_capability_asked_by_isinstance() -> None:
    assert not isinstance(ReplayTransport({"files": {}}), BatchReader)
    assert not isinstance(LocalTransport(), BatchReader)
    transport = Batched()
    assert isinstance(transport, BatchReader)
    table = process_table(_ctx(transport))
    assert transport.batches == 1
    assert [(p.pid, p.comm, p.uid) for p in table.procs] == [(1, "systemd", 0), (42, "clamd", 0)]


def test_process_names_without_psutil_come_from_proc() -> None:
    assert process_names(_ctx(ReplayTransport({"files": PROC}))) == {"systemd", "clamd"}
    assert process_names(_ctx(ReplayTransport({"files": PROC}, live=False))) is None
