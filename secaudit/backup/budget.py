"""The verify budget: how much one `secaudit backup verify` may do (time, bytes)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from secaudit.units import format_duration, format_size, parse_duration, parse_size


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
