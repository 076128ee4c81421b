"""A mounted root that counts how often each file is read, to show each source is read once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.transport.local import RootTransport


class CountingRoot(RootTransport):
    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.reads: Counter[str] = Counter()

    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        self.reads[path] += 1
        return super().read_bytes(path, limit, cap)


def collect_counting(root: Path, only: set[str] | None = None) -> tuple[Snapshot, Counter[str]]:
    transport = CountingRoot(str(root))
    return collect(transport, AgentConfig(), only=only), transport.reads
