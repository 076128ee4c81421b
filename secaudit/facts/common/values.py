"""Small value readers shared by the collectors of every OS: numbers written in ASCII digits, natural
version order, the first meaningful line of a file."""

from __future__ import annotations

import re

LAST_TIME = 253402300799  # 9999-12-31T23:59:59Z: the last second rfc3339() can write


def uint(text: str, digits: int = 18) -> int | None:
    """A non-negative number written in ASCII digits, or None. Not isdigit() alone: it accepts '²',
    which int() refuses, and int() refuses more than 4300 digits."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def version_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Natural sort key: '6.1.0-10-amd64' < '6.1.0-9-amd64' is wrong, this gets it right."""
    return tuple((0, int(p)) if p[0] in "0123456789" else (1, p) for p in re.findall(r"[0-9]{1,18}|[^0-9]+", name))


def first_line(text: str | None) -> str:
    """The first line that is not blank once a '#' comment is cut."""
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return ""
