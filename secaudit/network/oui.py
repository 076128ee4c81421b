"""MAC vendor lookup from a local OUI file, parsed once and cached.

Two formats:
  nmap-mac-prefixes (nmap):      "0050C2 IEEE Registration Authority"  (6, 7 or 9 hex digits)
  oui.txt (Debian ieee-data):    "00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp."
                                 "002272     (base 16)\t\tAmerican Micro-Fuel Device Corp."
The longest matching prefix wins, so MA-M/MA-S blocks override their MA-L parent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

DEFAULT_FILES = ("/usr/share/nmap/nmap-mac-prefixes", "/usr/share/ieee-data/oui.txt")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_IEEE = re.compile(r"^\s*([0-9A-Fa-f]{6})\s+\(base 16\)(.*)$")  # not \s*(.*?)\s*$: quadratic on blanks


def parse_nmap_prefixes(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        prefix, _, vendor = line.partition(" ")
        prefix = prefix.strip()
        if _HEX.match(prefix) and len(prefix) in (6, 7, 9) and vendor.strip():
            out[prefix.upper()] = vendor.strip()
    return out


def parse_ieee_oui(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _IEEE.match(line)
        if m and m.group(2).strip():
            out[m.group(1).upper()] = m.group(2).strip()
    return out


def parse(text: str) -> dict[str, str]:
    """Either format, told apart by the IEEE "(base 16)" marker."""
    return parse_ieee_oui(text) if "(base 16)" in text else parse_nmap_prefixes(text)


@cache
def load(path: str) -> dict[str, str]:
    from secaudit import limits
    from secaudit.fsutil import TooLarge, read_capped

    try:  # a system data file (several MiB for the IEEE registry): regular and capped all the same
        text = read_capped(path, limits.PACKAGE_DB).decode("utf-8", errors="replace")
    except (OSError, TooLarge):
        return {}
    return parse(text)


def database(paths: Sequence[str] = DEFAULT_FILES) -> tuple[str, dict[str, str]]:
    """The first readable, non-empty OUI file: (path, prefixes); ("", {}) when there is none."""
    for path in paths:
        table = load(path)
        if table:
            return path, table
    return "", {}


def normalise_mac(mac: str) -> str:
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2)).lower()


def locally_administered(mac: str) -> bool:
    """Bit 1 of the first octet: set by software (phones' private addresses, VMs), not by a vendor."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    return len(digits) >= 2 and bool(int(digits[:2], 16) & 0x02)


def vendor(mac: str, table: dict[str, str]) -> str | None:
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac).upper()
    if len(digits) != 12:
        return None
    for size in (9, 7, 6):
        name = table.get(digits[:size])
        if name:
            return name
    return None
