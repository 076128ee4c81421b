"""Checking parsed JSON against the TypedDicts that document it (state files, agent reports), before use.
Snapshot tables are checked against their specs instead (facts/schema.py), with the formats below.

A type hint is read as a shape: `str`, `int` (never a bool), `bool`, `float` (an int too), `None`,
`Any`, unions, `Literal[...]`, `list[X]`, `dict[str, X]`, and TypedDicts (keys in `__required_keys__`
must be there; keys the TypedDict does not declare are left alone, so newer writers stay readable).
`Annotated[str, RFC3339]` and friends add a format. The first mismatch is returned with its field path
("users[3].uid") and what was expected, in both languages; the value itself is never quoted.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from secaudit.timefmt import parse_rfc3339

RFC3339 = "rfc3339"  # 2026-01-31T08:00:00Z, as every time in a snapshot
DATE = "date"  # 2026-01-31
OCTAL = "octal"  # a file mode such as "0640"

Time = Annotated[str, RFC3339]
Day = Annotated[str, DATE]
OctalMode = Annotated[str, OCTAL]


@dataclass(frozen=True)
class Mismatch:
    field: str
    vi: str
    en: str


_NAMES: dict[Any, tuple[str, str]] = {
    str: ("chuỗi", "a string"), int: ("số nguyên", "an integer"), bool: ("true/false", "true or false"),
    float: ("số", "a number"), type(None): ("null", "null"), list: ("danh sách", "a list"),
    dict: ("đối tượng", "an object"),
}
FORMATS = {RFC3339: ("thời điểm dạng 2026-01-31T08:00:00Z", "a time such as 2026-01-31T08:00:00Z"),
           DATE: ("ngày dạng 2026-01-31", "a date such as 2026-01-31"),
           OCTAL: ("quyền dạng bát phân như \"0640\"", "an octal mode such as \"0640\"")}


def format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == RFC3339:
            parse_rfc3339(value)
        elif fmt == DATE:
            date.fromisoformat(value)
        elif fmt == OCTAL:
            return re.fullmatch(r"0?[0-7]{3,4}", value) is not None
    except ValueError:
        return False
    return True


def _strip(hint: Any) -> Any:
    """Required[X] / NotRequired[X] -> X (whether a key is required is read from __required_keys__)."""
    while get_origin(hint) in (typing.Required, typing.NotRequired):
        hint = get_args(hint)[0]
    return hint


@cache
def _hints(td: type) -> tuple[dict[str, Any], frozenset[str]]:
    """Field hints and required keys. With postponed annotations, TypedDict cannot see Required[...]
    in a total=False class itself (__required_keys__ stays empty), so it is read off the hints."""
    raw = typing.get_type_hints(td, include_extras=True)
    required = set(getattr(td, "__required_keys__", ()))
    required |= {k for k, v in raw.items() if get_origin(v) is typing.Required}
    required -= {k for k, v in raw.items() if get_origin(v) is typing.NotRequired}
    return {k: _strip(v) for k, v in raw.items()}, frozenset(required)


def _describe(hint: Any) -> tuple[str, str]:
    """What a value of `hint` looks like, for the message."""
    origin = get_origin(hint)
    if origin is Annotated:
        base, *extra = get_args(hint)
        return FORMATS.get(extra[0], _describe(base)) if extra else _describe(base)
    if origin in (Union, types.UnionType):
        parts = [_describe(a) for a in get_args(hint)]
        return " hoặc ".join(p[0] for p in parts), " or ".join(p[1] for p in parts)
    if origin is Literal:
        values = ", ".join(str(v) for v in get_args(hint))
        return f"một trong {values}", f"one of {values}"
    if origin is not None:
        return _NAMES.get(origin, ("?", "?"))
    if typing.is_typeddict(hint):
        return _NAMES[dict]
    return _NAMES.get(hint, ("?", "?"))


def _fits(value: Any, hint: Any) -> bool:
    """Whether `value` is of `hint`'s outer kind (for choosing a union member)."""
    origin = get_origin(hint) or hint
    if origin is Annotated:
        return _fits(value, get_args(hint)[0])
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    if origin is Literal:
        return value in get_args(hint)
    if typing.is_typeddict(hint) or origin is dict:
        return isinstance(value, dict)
    if origin is list:
        return isinstance(value, list)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True


def check(value: Any, hint: Any, where: str = "") -> Mismatch | None:
    """The first place where `value` does not have the shape `hint`, or None."""
    def wrong(at: str, want: Any) -> Mismatch:
        vi, en = _describe(want)
        return Mismatch(at, f"phải là {vi}", f"must be {en}")

    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        for member in get_args(hint):
            if _fits(value, member):
                return check(value, member, where)
        return wrong(where, hint)
    if not _fits(value, hint):
        return wrong(where, hint)
    if origin is Annotated:
        base, *extra = get_args(hint)
        if extra and extra[0] in FORMATS and isinstance(value, str) and not format_ok(extra[0], value):
            return wrong(where, hint)
        return check(value, base, where)
    if origin is list:
        (item_hint,) = get_args(hint) or (Any,)
        if item_hint is not Any:
            for i, item in enumerate(value):
                found = check(item, item_hint, f"{where}[{i}]")
                if found:
                    return found
    elif origin is dict:
        key_hint, item_hint = get_args(hint) or (Any, Any)
        for key, item in value.items():
            at = f"{where}.{key}" if where else str(key)
            if key_hint is str and not isinstance(key, str):
                return Mismatch(at, "khóa phải là chuỗi", "keys must be strings")
            if item_hint is not Any:
                found = check(item, item_hint, at)
                if found:
                    return found
    elif typing.is_typeddict(hint):
        hints, required = _hints(hint)
        missing = sorted(required - value.keys())
        if missing:
            return Mismatch(f"{where}.{missing[0]}" if where else missing[0], "bắt buộc phải có", "is required")
        for key, item in value.items():
            if key in hints:
                found = check(item, hints[key], f"{where}.{key}" if where else key)
                if found:
                    return found
    return None
