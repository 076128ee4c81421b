"""Backslash-continued lines, as in sudoers and PAM files: one joiner, each format decides
per physical line what its comment-stripped body is and whether it continues."""

from __future__ import annotations

from collections.abc import Iterable


def join_continued(rows: Iterable[tuple[int, str, bool]]) -> list[tuple[int, str]]:
    """(line number, body without comment and trailing backslash, continues?) rows ->
    (first line number, joined text) of each non-empty logical line."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, body, continued in rows:
        if not pending:
            start = number
        pending.append(body)
        if not continued:
            joined = " ".join(pending).strip()
            pending = []
            if joined:
                out.append((start, joined))
    if pending and " ".join(pending).strip():
        out.append((start, " ".join(pending).strip()))
    return out
