"""The one terminal implementation of secaudit.progress.Progress, for scan, backup verify and the
remote audit: a rich bar (or spinner, without a total) on stderr while stderr is a terminal, never in
pipes, files or tests; the notes are lines on stderr either way. Labels come from configs and audited
systems: shown as plain text (no markup), escapes made visible."""

from __future__ import annotations

import sys
from typing import Any

import click

from secaudit.safetext import for_terminal


class TerminalProgress:
    def __init__(self, in_bytes: bool = False, live: bool | None = None) -> None:
        self._in_bytes = in_bytes  # totals are bytes (a transfer rate is shown) rather than items
        self._live = sys.stderr.isatty() if live is None else live
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> TerminalProgress:
        if self._live:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            counts: tuple[Any, ...] = (DownloadColumn(), TransferSpeedColumn()) if self._in_bytes \
                else (MofNCompleteColumn(),)
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                                 *counts, TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def start(self, label: str, total: int | None = None) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(for_terminal(label), total=total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def end(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = None

    def note(self, text: str) -> None:
        if self._bar is not None:
            from rich.text import Text

            self._bar.console.print(Text(text))
        else:
            click.echo(text, err=True)
