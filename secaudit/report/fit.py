"""A report always fits its envelope, and every kind of evidence stays named when lists are cut.

A list in a finding's evidence keeps its first `limits.EVIDENCE_ITEMS` entries and gains a sibling
key `<name>_truncated` with the number left out; an inventory table keeps `limits.INVENTORY_ROWS`
rows (`inventory.<table>_truncated`); a string from the audited system keeps `limits.REPORT_TEXT`
characters; values nested deeper than `limits.REPORT_DEPTH` become one compact JSON string. If the
signed report would still exceed `limits.ENVELOPE` (the cap `secaudit verify` reads), the caps are
lowered step by step until it fits: what `audit` signs, `verify` accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from secaudit import limits
from secaudit.errors import SecauditError

SUFFIX = "_truncated"
_SURROGATE = re.compile("[\ud800-\udfff]")  # undecodable file names: no UTF-8 writer can output them


@dataclass(frozen=True)
class Caps:
    items: int  # entries of one evidence list (and of lists inside inventory rows)
    rows: int  # rows of one inventory table
    chars: int  # characters of one string
    depth: int = limits.REPORT_DEPTH


# Mildest first; the inventory and long strings give way before the evidence of findings does.
STEPS = (
    Caps(limits.EVIDENCE_ITEMS, limits.INVENTORY_ROWS, limits.REPORT_TEXT),
    Caps(limits.EVIDENCE_ITEMS, 5000, 2048), Caps(limits.EVIDENCE_ITEMS, 2000, 1024),
    Caps(limits.EVIDENCE_ITEMS, 500, 512), Caps(100, 200, 512), Caps(50, 100, 256), Caps(20, 50, 256),
    Caps(10, 20, 128), Caps(5, 10, 128), Caps(1, 1, 64, 4),
)


def payload_budget(envelope: int = limits.ENVELOPE) -> int:
    """The largest payload (bytes) whose envelope fits `envelope`: base64 is 4/3 of it, and 64 KiB
    is left for the envelope's JSON and up to 16 signatures."""
    return (envelope - 64 * limits.KiB) // 4 * 3


def size(value: Any) -> int:
    """Bytes of the canonical serialisation (sorted keys do not change the length)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def _text(text: str, chars: int) -> str:
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) <= chars:
        return text
    return f"{text[:chars]}…[+{len(text) - chars}]"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def trim(value: Any, caps: Caps, depth: int = 0) -> Any:
    """`value` with every list cut to caps.items (counted in a sibling `<key>_truncated`, or in a last
    "…[+N]" entry for a list directly inside a list), strings cut, deep nesting flattened."""
    if isinstance(value, str):
        return _text(value, caps.chars)
    if isinstance(value, dict):
        if depth >= caps.depth:
            return _text(_compact(value), caps.chars)
        return _trim_members(value, caps, caps.items, depth)
    if isinstance(value, list | tuple):
        if depth >= caps.depth:
            return _text(_compact(value), caps.chars)
        out = [trim(v, caps, depth + 1) for v in value[: caps.items]]
        if len(value) > caps.items:
            out.append(f"…[+{len(value) - caps.items}]")
        return out
    return value


def _trim_members(obj: dict[str, Any], caps: Caps, items: int, depth: int) -> dict[str, Any]:
    """Members of one object; `items` is the cap for the lists directly in it."""
    out: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for raw_key, member in obj.items():
        key = _text(raw_key, caps.chars) if isinstance(raw_key, str) else raw_key
        if isinstance(member, list | tuple) and depth + 1 < caps.depth:
            out[key] = [trim(v, caps, depth + 2) for v in member[:items]]
            if len(member) > items:
                counts[key + SUFFIX] = len(member) - items
        else:
            out[key] = trim(member, caps, depth + 1)
    for key, n in counts.items():
        before = obj.get(key)  # a report fitted again: the counts add up
        out[key] = n + (before if isinstance(before, int) and not isinstance(before, bool) else 0)
    return out


def truncated(obj: dict[str, Any], key: str) -> int:
    """How many entries of obj[key] were left out of the report (0 when none)."""
    n = obj.get(key + SUFFIX)
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 0


def _fit_once(payload: dict[str, Any], caps: Caps) -> dict[str, Any]:
    out = dict(payload)
    out["findings"] = [
        {**f, "message": trim(f.get("message"), caps), "evidence": trim(f.get("evidence"), caps)}
        if isinstance(f, dict) else f for f in payload.get("findings") or []
    ]
    if isinstance(payload.get("host"), dict):
        out["host"] = trim(payload["host"], caps)
    inventory = payload.get("inventory")
    if isinstance(inventory, dict):
        out["inventory"] = _trim_members(inventory, caps, caps.rows, 0)
    return out


def fit(payload: dict[str, Any], envelope: int = limits.ENVELOPE) -> dict[str, Any]:
    """The payload cut (STEPS, mildest first) so that, signed, it stays within `envelope`."""
    budget = payload_budget(envelope)
    for caps in STEPS:
        out = _fit_once(payload, caps)
        if size(out) <= budget:
            return out
    raise SecauditError(
        f"Báo cáo quá lớn để ký (hơn {limits.mib(envelope)}) ngay cả khi đã rút gọn bằng chứng.",
        f"The report is too large to sign (over {limits.mib(envelope)}) even with its evidence cut down.")


def within(value: Any, max_bytes: int) -> Any:
    """`value` (one finding's evidence) cut down until its compact JSON is at most `max_bytes`, every
    key kept: for renderings with a size limit of their own (a spreadsheet cell)."""
    for caps in STEPS:
        out = trim(value, caps)
        if size(out) <= max_bytes:
            return out
    return trim(value, Caps(1, 1, 32, 2))
