"""Durations ("26h", "7d", "1d12h") and sizes ("10GiB", "500MB"): parsed from configs, shown in reports."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_duration(text: str) -> int:
    """Seconds in "90s", "10m", "26h", "7d", "2w" or a sequence ("1d12h"). Raises ValueError."""
    value = text.strip()
    if not value:
        raise ValueError("empty duration")
    pos, total = 0, 0
    for match in _DURATION.finditer(value):
        if value[pos:match.start()].strip():
            raise ValueError(f"invalid duration {text!r}")
        total += int(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
        pos = match.end()
    if pos == 0 or value[pos:].strip():
        raise ValueError(f"invalid duration {text!r} (use e.g. 60s, 10m, 26h, 7d)")
    return total


def parse_size(text: str) -> int:
    """Bytes in "500MB" (10^6), "10GiB" (2^30), "10G" (2^30, as restic and du read it), "4096"."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"invalid size {text!r} (use e.g. 500MB, 10GiB)")
    number, prefix, binary, unit_b = match.groups()
    prefix = prefix.lower()
    if binary and not prefix:
        raise ValueError(f"invalid size {text!r}")
    # "10GB" is decimal; "10GiB" and bare "10G" are binary.
    base = 1000 if (unit_b and not binary and prefix) else 1024
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(f"invalid size {text!r}") from exc
    return int(amount * (base ** _POWERS[prefix]))


def format_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def format_duration(seconds: int) -> str:
    if seconds % 86400 == 0 and seconds:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60}m"
    return f"{seconds}s"
