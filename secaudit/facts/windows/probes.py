"""Reading probe outputs: Windows PowerShell 5.1's ConvertTo-Json quirks, failures and missing probes.

- A pipeline of one object prints a JSON object, of none prints nothing: `rows` always gives a list.
- Dates are "\\/Date(1791446400000)\\/" (milliseconds since the epoch, UTC): `ps_time` turns them into RFC 3339.
- A probe that failed (rc != 0) or was not run is `unknown` with the reason, never an empty result.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.resources import load_data
from secaudit.timefmt import rfc3339
from secaudit.transport.base import CommandResult, FactUnavailable, ProbeSource

_DATE = re.compile(r"^/Date\((-?\d{1,15})(?:[+-]\d{4})?\)/$")
_MAX_JSON_DEPTH = 64
NEVER = 4294967295  # uint32 max: "never" in Defender's scan ages


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Probe id -> its catalogue entry (command, facts)."""
    return {p["id"]: p for p in load_data("windows_probes.yaml")["probes"]}


def run_probe(ctx: FactContext, probe_id: str, unknown_key: str) -> CommandResult | None:
    """The probe's result when it ran and succeeded; otherwise None, with `unknown_key` recorded as unknown:
    not run (not in the recording, or no probe source), failed (rc != 0: its first error line)."""
    transport = ctx.transport
    if not isinstance(transport, ProbeSource):
        ctx.unknown(unknown_key, "not_applicable", f"probe {probe_id}: this transport runs no Windows probes")
        return None
    try:
        res = ctx.memo(f"probe:{probe_id}", lambda: transport.probe(probe_id))
    except FactUnavailable as exc:
        ctx.unknown_from(unknown_key, exc)
        return None
    if res.rc != 0:
        first = next((line.strip() for line in res.stderr.splitlines() if line.strip()), f"exit {res.rc}")
        ctx.unknown(unknown_key, "command_failed", f"probe {probe_id}: {first[:200]}")
        return None
    return res


def parse_json(text: str) -> Any:
    """ConvertTo-Json output -> Python; an empty output (an empty pipeline) is None. ValueError on bad JSON."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        return None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def as_rows(value: Any) -> list[dict[str, Any]]:
    """A pipeline's objects as a list, whether ConvertTo-Json printed an object, an array or nothing."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def rows(ctx: FactContext, probe_id: str, unknown_key: str) -> list[dict[str, Any]] | None:
    """The probe's objects, or None (unknown recorded) when it did not run, failed or printed no JSON."""
    res = run_probe(ctx, probe_id, unknown_key)
    if res is None:
        return None
    try:
        return as_rows(parse_json(res.stdout))
    except ValueError as exc:
        ctx.unknown(unknown_key, "error", f"probe {probe_id}: output is not JSON ({exc})")
        return None


def one(ctx: FactContext, probe_id: str, unknown_key: str) -> dict[str, Any] | None:
    """The probe's single object (a registry key, the OS), or None (unknown recorded)."""
    found = rows(ctx, probe_id, unknown_key)
    if found is None:
        return None
    if not found:
        ctx.unknown(unknown_key, "not_found", f"probe {probe_id}: no object")
        return None
    return found[0]


def text(ctx: FactContext, probe_id: str, unknown_key: str) -> str | None:
    """A classic command's text output (secedit, wbadmin, w32tm), or None (unknown recorded)."""
    res = run_probe(ctx, probe_id, unknown_key)
    return None if res is None else res.stdout


def ps_time(value: Any) -> str | None:
    """"\\/Date(ms)\\/" (as ConvertTo-Json prints DateTime, which json.loads reads as "/Date(ms)/") or an ISO
    8601 string -> RFC 3339 UTC; None for null, the FILETIME-0 sentinel (1601) and anything else."""
    if not isinstance(value, str):
        return None
    m = _DATE.match(value.strip())
    if m:
        ms = int(m.group(1))
        if ms <= -11644473600000:  # 1601-01-01, FILETIME 0: "never"
            return None
        return rfc3339(ms / 1000)
    from datetime import datetime

    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year <= 1601:
        return None
    if parsed.tzinfo is None:
        return None  # a local time without its zone cannot be placed on the UTC axis
    return rfc3339(parsed.timestamp())


def as_int(value: Any) -> int | None:
    """An integer field (bool excluded); strings of digits too (some providers print them so)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
