"""Installed programs from the Uninstall keys, 64-bit (HKLM\\Software\\...\\Uninstall) and 32-bit
(WOW6432Node), as the catalogue's probe reads them (entries with a DisplayName). The probe merges both keys
and keeps no key path, so neither the architecture nor the key of a row is known."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import rows

SOURCE = "HKLM Uninstall keys (64-bit and WOW6432Node)"
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
MAX_ROWS = 20000


def _str(value: Any, cap: int = 300) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip()[:cap] or None if isinstance(value, str) else None


def install_date(value: Any) -> str | None:
    """InstallDate "20260915" (REG_SZ, as installers write it) -> "2026-09-15"; anything else -> None."""
    text = _str(value, 20)
    m = _DATE.match(text or "")
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def software_row(item: dict[str, Any]) -> dict[str, Any] | None:
    name = _str(item.get("DisplayName"))
    if name is None:
        return None
    return {"name": name, "version": _str(item.get("DisplayVersion"), 100), "arch": None,
            "publisher": _str(item.get("Publisher"), 200), "manager": "registry", "source": SOURCE,
            "install_date": install_date(item.get("InstallDate"))}


@collector("software", ("software",))
def collect_software(ctx: FactContext) -> None:
    found = rows(ctx, "software", "software")
    if found is None:
        return
    out = [r for r in (software_row(item) for item in found[:MAX_ROWS]) if r is not None]
    out.sort(key=lambda r: (r["name"].lower(), r["version"] or ""))
    ctx.put("software", out)
