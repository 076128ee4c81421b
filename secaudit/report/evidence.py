"""Evidence as the renderings show it: nested tables (HTML, PDF) or one readable line (Markdown).

Each list or object is capped and says how many entries it left out, including those the report
itself did not carry (report/fit.py's `<key>_truncated` counts).
"""

from __future__ import annotations

import json
from typing import Any

from secaudit.report.fit import SUFFIX, truncated
from secaudit.report.fmt import Fmt
from secaudit.report.texts import Obj


def _scalar(text: str) -> Obj:
    return Obj(k="s", v=text)


class _Budget:
    def __init__(self, cells: int) -> None:
        self.left = cells


def _key(fmt: Fmt, key: Any) -> str:
    return fmt.line(str(key).replace("_", " "), 80)


def _members(obj: dict[str, Any]) -> list[tuple[Any, Any, int]]:
    """(key, value, entries the report left out of that value) for each member shown: a list's
    `<key>_truncated` count (report/fit.py) is folded into the list, not shown as a row of its own."""
    out = []
    for key, item in obj.items():
        if isinstance(key, str) and key.endswith(SUFFIX) and isinstance(obj.get(key[: -len(SUFFIX)]), list) \
                and truncated(obj, key[: -len(SUFFIX)]):
            continue
        out.append((key, item, truncated(obj, key) if isinstance(item, list) and isinstance(key, str) else 0))
    return out


def _summary(fmt: Fmt, value: Any, left_out: int) -> str:
    """A value the cell budget has no room for: still counted when it is a list."""
    if isinstance(value, list | dict) and len(value) + left_out:
        return "… " + fmt.t["n_items"].format(n=fmt.num(len(value) + left_out))
    return "…"


def evidence_tree(fmt: Fmt, value: Any, depth: int = 0, budget: _Budget | None = None,
                  left_out: int = 0) -> dict[str, Any]:
    """A JSON value as nodes a template lays out as nested tables:
    s (scalar text), l (list of scalars), m (object: key/value rows), t (list of similar objects:
    a table), ml (list of other things). Each list or object is capped; `more` counts the rest,
    including the `left_out` entries the report itself did not carry. Every key of an object is
    named even when the cell budget is spent (its value is then only summarised)."""
    budget = budget or _Budget(fmt.caps.cells)
    caps = fmt.caps
    if budget.left <= 0:
        return _scalar(_summary(fmt, value, left_out))
    if isinstance(value, dict):
        if not value:
            return _scalar(fmt.t["empty"])
        if depth >= caps.depth:
            budget.left -= 1
            return _scalar(fmt.text(_compact(value)))
        members = _members(value)
        pairs = []
        for key, item, n in members[: caps.items]:
            budget.left -= 1
            pairs.append(Obj(key=_key(fmt, key), node=evidence_tree(fmt, item, depth + 1, budget, n)))
        return Obj(k="m", rows=pairs, more=more(fmt, len(members) - len(pairs)))
    if isinstance(value, list):
        if not value:
            return _scalar(fmt.t["empty"])
        total = len(value) + left_out
        head = value[: caps.items]
        if all(not isinstance(v, dict | list) for v in head):
            budget.left -= len(head)
            entries = [fmt.scalar(v) for v in head]
            rest = more(fmt, total - len(head))
            if sum(len(e) for e in entries) <= 160 and all("\n" not in e for e in entries):
                return _scalar(", ".join(entries) + (f" {rest}" if rest else ""))
            return Obj(k="l", entries=entries, more=rest)
        if total == 1:
            return evidence_tree(fmt, value[0], depth, budget)
        if depth >= caps.depth:
            budget.left -= 1
            return _scalar(fmt.text(_compact(value)))
        columns = list(dict.fromkeys(k for v in head if isinstance(v, dict) for k, _, _ in _members(v)))
        if all(isinstance(v, dict) for v in head) and len(columns) <= 6:
            rows: list[list[dict[str, Any]]] = []
            for item in head:
                if budget.left <= 0:
                    break
                budget.left -= len(columns)
                rows.append([evidence_tree(fmt, item[c], depth + 2, budget, truncated(item, c)) if c in item
                             else _scalar("—") for c in columns])
            return Obj(k="t", cols=[_key(fmt, c) for c in columns], rows=rows,
                       more=more(fmt, total - len(rows)))
        items = []
        for item in head:
            if budget.left <= 0:
                break
            items.append(evidence_tree(fmt, item, depth + 1, budget))
        return Obj(k="ml", entries=items, more=more(fmt, total - len(items)))
    budget.left -= 1
    return _scalar(fmt.scalar(value))


def more(fmt: Fmt, n: int, key: str = "more_items") -> str:
    return fmt.t[key].format(n=fmt.num(n)) if n > 0 else ""


_FLAT_ITEMS = 30


def flat(value: Any, depth: int = 0, left_out: int = 0, width: int = 600) -> str:
    """Evidence as one readable line of about `width` characters: "key: value; list (N): a, b, …;
    objects: (k: v), (k: v)". Each key of the top object gets its share of the line, so every one
    stays named; a list that was cut says how many entries it had."""
    if isinstance(value, dict):
        members = _members(value)[:_FLAT_ITEMS]
        share = max(24, width // max(1, len(members)) - 4)
        parts = []
        for key, item, n in members:
            total = len(item) + n if isinstance(item, list) else 0
            label = f"{key} ({total})" if isinstance(item, list) and total > min(len(item), _FLAT_ITEMS) else str(key)
            text = flat(item, depth + 1, n)
            if depth == 0 and len(text) > share:
                text = text[:share].rstrip() + "…"
            parts.append(f"{label}: {text}")
        text = "; ".join(parts)
        return f"({text})" if depth else text
    if isinstance(value, list):
        shown = ", ".join(flat(v, depth + 1) for v in value[:_FLAT_ITEMS])
        return (shown + (", …" if len(value) + left_out > _FLAT_ITEMS or left_out else "")) or "[]"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
