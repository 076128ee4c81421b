"""Windows Time: `w32tm /query /status` (localised text) and the W32Time service.

The labels are translated in a Vietnamese (or any) UI, so lines are read by position and by the shape of their
values, never by label: the output is always, in this order,

    Leap Indicator: 0(no warning)                       <- a number first
    Stratum: 4 (secondary reference - syncd by (S)NTP)  <- a number first
    Precision: -23 (119.209ns per tick)
    Root Delay: 0.0469513s
    Root Dispersion: 7.8193847s
    ReferenceId: 0x14655A3C (source IP:  20.101.57.60)  <- 0x and 8 hex digits: the anchor
    Last Successful Sync Time: 11/22/2026 2:47:31 PM    <- the line after the anchor (local time, no zone)
    Source: time.windows.com,0x9                        <- the line after that
    Poll Interval: 15 (32768s)

The clock is synchronised when the leap indicator is not 3 (alarm: not synchronised), the stratum is 1-15 and
the reference is not the local clock (ReferenceId 0x4C4F434C "LOCL", or 0: free-running).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFID = re.compile(r"^0x([0-9A-Fa-f]{8})\b")
_LEADING_INT = re.compile(r"^\s*(-?\d+)")
LOCAL_CLOCK_REFIDS = {"4C4F434C", "00000000"}  # "LOCL" (Local CMOS Clock); 0: free-running, never synced
MAX_LINES = 200


@dataclass(frozen=True)
class W32tmStatus:
    leap: int | None
    stratum: int | None
    refid: str | None  # 8 hex digits, upper case
    source: str | None  # "time.windows.com,0x9", a localised "Local CMOS Clock" ...
    last_sync: str | None  # as printed: local time in the UI's format (no zone)

    @property
    def synced(self) -> bool | None:
        """True / False when the status says, None when the text did not have the lines to tell."""
        if self.leap is None and self.stratum is None and self.refid is None:
            return None
        if self.leap == 3 or self.refid in LOCAL_CLOCK_REFIDS:
            return False
        return self.stratum is None or 1 <= self.stratum <= 15

    def describe(self) -> str:
        parts = [f"Source {self.source}" if self.source else None,
                 f"stratum {self.stratum}" if self.stratum is not None else None,
                 f"leap indicator {self.leap}" if self.leap is not None else None,
                 f"ReferenceId 0x{self.refid}" if self.refid else None,
                 f"last sync {self.last_sync} (local time)" if self.last_sync else None]
        return "w32tm /query /status: " + ", ".join(p for p in parts if p)


def _value(line: str) -> str:
    """The value after the label: "Label: value" (the label's colon is the first one; Vietnamese labels have
    none of their own)."""
    return line.split(":", 1)[1].strip() if ":" in line else line.strip()


def _int(text: str) -> int | None:
    m = _LEADING_INT.match(text)
    return int(m.group(1)) if m else None


def parse_w32tm_status(text: str) -> W32tmStatus | None:
    """The status from `w32tm /query /status` in any UI language; None when the text is not a status (an error
    message such as "The following error occurred: The service has not been started. (0x80070426)")."""
    lines = [ln for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_LINES] if ln.strip()]
    values = [_value(ln) for ln in lines if ":" in ln]
    anchor = next((i for i, v in enumerate(values) if _REFID.match(v)), None)
    if anchor is None or anchor < 2:
        return None
    refid_match = _REFID.match(values[anchor])
    assert refid_match is not None
    last_sync = values[anchor + 1] if anchor + 1 < len(values) else None
    source = values[anchor + 2] if anchor + 2 < len(values) else None
    return W32tmStatus(leap=_int(values[0]), stratum=_int(values[1]), refid=refid_match.group(1).upper(),
                       source=(source or None) and source[:200], last_sync=(last_sync or None) and last_sync[:60])
