"""How long-running work says where it is (pip-audit's AuditState): the domain code (backup
verification, the network scan, the remote audit) calls a `Progress`; the command decides how it is
shown (secaudit/commands/progress.py: a bar on a terminal, plain lines otherwise). The domain never
prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int | None = None) -> None:
        """A step begins: a backup set (total in bytes), a scan phase (no total), the hosts of a remote
        audit (total in hosts)."""

    def advance(self, n: int = 1) -> None:
        """`n` more of the current step's total are done."""

    def end(self) -> None:
        """The current step is over."""

    def note(self, text: str) -> None:
        """A line that stays (one host audited, a sweep that failed). `text` is already safe for a terminal."""


class Silent:
    """Shows nothing."""

    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def end(self) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@contextmanager
def step(progress: Progress, label: str, total: int | None = None) -> Iterator[None]:
    """`with step(progress, "ARP 10.0.0.0/24"):` a step that ends however the block does."""
    progress.start(label, total)
    try:
        yield
    finally:
        progress.end()
