"""The one terminal progress (scan, backup verify, remote audit): nothing but notes off a terminal,
a rich bar on one; labels and notes from audited systems shown as plain text."""

from __future__ import annotations

import pytest

from secaudit.agent.hosts import parse_target
from secaudit.agent.remote import HostResult
from secaudit.commands.progress import TerminalProgress
from secaudit.commands.remote import host_done
from secaudit.progress import Progress, Silent, step


def _drive(progress: Progress) -> None:
    with step(progress, "[bold]set\x1b[2J", total=10):
        progress.advance(4)
        progress.note("a note")
        progress.advance(6)


def test_off_a_terminal_only_the_notes_show(capsys: pytest.CaptureFixture[str]) -> None:
    with TerminalProgress(live=False) as progress:
        _drive(progress)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "a note\n"


def test_on_a_terminal_the_bar_runs_and_the_notes_stay(capsys: pytest.CaptureFixture[str]) -> None:
    with TerminalProgress(in_bytes=True, live=True) as progress:
        _drive(progress)
        progress.start("no total")  # a spinner
        progress.end()
    err = capsys.readouterr().err
    assert "a note" in err and "\x1b[2J" not in err


def test_silent_and_the_protocol() -> None:
    _drive(Silent())
    progress: Progress = TerminalProgress(live=False)
    assert hasattr(progress, "note")


def test_each_host_is_a_note_and_a_step(capsys: pytest.CaptureFixture[str]) -> None:
    advanced: list[int] = []

    class Counting(Silent):
        def advance(self, n: int = 1) -> None:
            advanced.append(n)

        def note(self, text: str) -> None:
            print(text)

    result = HostResult(parse_target("u@h"), "unreachable", {"vi": "cổng đóng\u202e", "en": "port closed\u202e"})
    host_done("en", Counting())(result, 1, 2)
    out = capsys.readouterr().out
    assert out.startswith("[1/2] u@h: unreachable — port closed\\u202e") and advanced == [1]
