"""The shape of a snapshot read from a file (`secaudit evaluate --facts`, a remote host's output): every
table and row is checked against its spec (facts/tables/*.yaml: types, time and mode formats, enum values,
required columns) before a check sees it, so a malformed snapshot is one sentence naming the file and the
field, never a check that crashes on it.

Loading is lenient where it must be: columns a spec does not declare are left alone (a newer writer stays
readable), and every OS's columns are accepted. The contract test is strict: `table_problem(..., family,
strict=True)` also refuses columns the spec does not give that OS.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from secaudit import shapes
from secaudit.facts.tables import Table, Type, table, tables
from secaudit.shapes import Mismatch

MODES = ("local", "root", "ssh", "replay")
FAMILY = re.compile(r"[a-z][a-z0-9_]{0,31}")  # linux, windows, or another OS's name (no collectors, no checks)


class Unknown(TypedDict):
    code: str  # permission_denied | not_found | not_applicable | command_failed | timeout | error ...
    detail: str


_META: dict[str, Any] = {
    "collected_at": shapes.Time,
    "tool_version": str,
    "duration_ms": int,
    "unknown": dict[str, Unknown],
}
_NAMES = {"str": ("chuỗi", "a string"), "int": ("số nguyên", "an integer"), "bool": ("true/false", "true or false"),
          "list": ("danh sách", "a list"), "map": ("đối tượng", "an object"), "object": ("đối tượng", "an object"),
          "time": shapes.FORMATS[shapes.RFC3339], "date": shapes.FORMATS[shapes.DATE],
          "octal": shapes.FORMATS[shapes.OCTAL]}
_FORMAT = {"time": shapes.RFC3339, "date": shapes.DATE, "octal": shapes.OCTAL}


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _wrong(where: str, typ: Type) -> Mismatch:
    if typ.kind == "enum":
        values = ", ".join(typ.values)
        vi, en = f"một trong {values}", f"one of {values}"
    else:
        vi, en = _NAMES[typ.kind]
    if typ.nullable:
        vi, en = f"{vi} hoặc null", f"{en} or null"
    return Mismatch(where, f"phải là {vi}", f"must be {en}")


def _fits(value: Any, kind: str) -> bool:
    if kind == "any":
        return True
    if kind in ("str", "enum", "time", "date", "octal"):
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, dict)  # map, object


def value_problem(value: Any, typ: Type, where: str, family: str | None = None,
                  strict: bool = False) -> Mismatch | None:
    """The first place where `value` is not of `typ`, or None. `family`: only that OS's columns count
    (None: every OS's); `strict`: a column the spec does not give is a mismatch too."""
    if value is None:
        return None if typ.nullable or typ.kind == "any" else _wrong(where, typ)
    if not _fits(value, typ.kind):
        return _wrong(where, typ)
    if typ.kind == "enum" and value not in typ.values:
        return _wrong(where, typ)
    if typ.kind in _FORMAT and not shapes.format_ok(_FORMAT[typ.kind], value):
        return _wrong(where, typ)
    if typ.kind == "list" and typ.item is not None:
        for i, item in enumerate(value):
            found = value_problem(item, typ.item, f"{where}[{i}]", family, strict)
            if found:
                return found
    elif typ.kind == "map" and typ.item is not None:
        for key, item in value.items():
            if not isinstance(key, str):
                return Mismatch(_at(where, str(key)), "khóa phải là chuỗi", "keys must be strings")
            found = value_problem(item, typ.item, _at(where, key), family, strict)
            if found:
                return found
    elif typ.kind == "object":
        return _object_problem(value, typ, where, family, strict)
    return None


def _object_problem(value: dict[str, Any], typ: Type, where: str, family: str | None,
                    strict: bool) -> Mismatch | None:
    columns = {name: col for name, col in typ.columns.items() if col.on(family)}
    missing = sorted(name for name, col in columns.items() if col.required and name not in value)
    if missing:
        return Mismatch(_at(where, missing[0]), "bắt buộc phải có", "is required")
    for key, item in value.items():
        col = columns.get(key)
        if col is None:
            if strict:
                on = f" trên {family}" if family else ""
                return Mismatch(_at(where, str(key)), f"không được khai báo trong đặc tả bảng{on}",
                                f"is not declared in the table spec{' for ' + family if family else ''}")
            continue
        found = value_problem(item, col.type, _at(where, key), family, strict)
        if found:
            return found
    return None


def table_problem(spec: Table, value: Any, family: str | None = None, strict: bool = False) -> Mismatch | None:
    """The first field of a table's value (a list of rows, or one object) that does not follow its spec."""
    if spec.single:
        return value_problem(value, spec.row, spec.name, family, strict)
    if not isinstance(value, list):
        return Mismatch(spec.name, "phải là danh sách", "must be a list")
    for i, row in enumerate(value):
        found = value_problem(row, spec.row, f"{spec.name}[{i}]", family, strict)
        if found:
            return found
    return None


def problem(data: dict[str, Any]) -> Mismatch | None:
    """The first field of a snapshot dict (schema already checked) that is not of its documented shape."""
    for key, hint in _META.items():
        if key in data:
            found = shapes.check(data[key], hint, key)
            if found:
                return found
    if "mode" in data and data["mode"] not in MODES:
        return Mismatch("mode", f"phải là một trong {', '.join(MODES)}", f"must be one of {', '.join(MODES)}")
    if "family" in data and not (isinstance(data["family"], str) and FAMILY.fullmatch(data["family"])):
        return Mismatch("family", "phải là tên họ hệ điều hành như linux, windows",
                        "must be an OS family name such as linux, windows")
    for name, spec in tables().items():
        if name in data:
            found = table_problem(spec, data[name])
            if found:
                return found
    host = data.get("host")
    os_info = host.get("os") if isinstance(host, dict) else None
    host_family = os_info.get("family") if isinstance(os_info, dict) else None
    if "family" in data and host_family is not None and host_family != data["family"]:
        return Mismatch("family", "khác với host.os.family", "differs from host.os.family")
    return None


__all__ = ["MODES", "Unknown", "problem", "table", "table_problem", "value_problem"]
