"""Durations ("26h", "7d", "1d12h") and sizes ("10GiB", "500MB"), and the verify budget."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Budget:
    """How much one `secaudit backup verify` may do: seconds, bytes, both, or neither (everything)."""

    seconds: int | None = None
    bytes: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.seconds is None and self.bytes is None

    def describe(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(format_duration(self.seconds))
        if self.bytes is not None:
            parts.append(format_size(self.bytes))
        return " + ".join(parts) or "unlimited"


def parse_budget(text: str | None) -> Budget:
    """"60s", "10GiB", or both separated by a comma ("10m,50GiB"). None or "" means no limit."""
    if not text or not text.strip():
        return Budget()
    seconds: int | None = None
    size: int | None = None
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            value = parse_duration(part)
        except ValueError:
            try:
                value = parse_size(part)
            except ValueError:
                raise ValueError(f"invalid budget {part!r} (use a time such as 60s or 10m, "
                                 f"or a size such as 10GiB or 500MB)") from None
            if size is not None:
                raise ValueError("the budget names two sizes") from None
            size = value
            continue
        if seconds is not None:
            raise ValueError("the budget names two durations")
        seconds = value
    if seconds == 0 or size == 0:
        raise ValueError("a budget of zero verifies nothing")
    return Budget(seconds, size)


class Allowance:
    """A running share of the budget: bytes and a deadline. Thread-safe enough for counters
    updated by worker threads (ints under the GIL) and read by the scheduler."""

    def __init__(self, seconds: float | None, nbytes: int | None) -> None:
        self.started = time.monotonic()
        self.deadline = None if seconds is None else self.started + seconds
        self.bytes = nbytes
        self.used = 0

    def exhausted(self, planned: int = 0) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return True
        return self.bytes is not None and self.used + planned > self.bytes

    def seconds_left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def bytes_left(self) -> int | None:
        return None if self.bytes is None else max(0, self.bytes - self.used)

    @property
    def unlimited(self) -> bool:
        return self.deadline is None and self.bytes is None
