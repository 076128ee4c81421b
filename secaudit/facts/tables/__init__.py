"""Fact tables declared as data (osquery's table specs): one YAML file per table beside this module.

A spec names the table, says whether it holds rows or one object, and lists its columns with a type,
whether they are required, and a line of documentation. Columns under `columns:` are common to every
OS; columns under `linux:` / `windows:` exist only on that OS (osquery's extended_schema). The spec
also names the collector that fills the table on each OS (`implementations:`), the sub-keys besides
columns a collector may list under the snapshot's `unknown` (`unknown:`), and, for tables that exist
on some OSes only, `platforms:`.

Types: str, int, bool, time (RFC 3339 UTC), date (YYYY-MM-DD), octal (a file mode such as "0640"),
any, enum (with `values:`), object (with its own `columns:`), list[T], map[T] (an object whose keys are
data, e.g. file -> line); a trailing `?` allows null. Objects may have `linux:` / `windows:` columns
too. The specs are the single source: snapshot validation, which tables hold one object
(`single_tables()`), the registry's refusals, the contract test and the Windows-shaped snapshot of
the platform test all read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from secaudit.resources import load_yaml
from secaudit.transport.family import FAMILIES

KINDS = ("rows", "object")
BASES = ("str", "int", "bool", "time", "date", "octal", "any", "enum", "object")
_DIR = Path(__file__).resolve().parent
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TABLE_KEYS = {"table", "description", "kind", "columns", "linux", "windows", "unknown", "key", "platforms",
               "implementations"}
_COLUMN_KEYS = {"type", "doc", "required", "values", "columns", "linux", "windows"}


class SpecError(Exception):
    """A table spec that does not follow the format: names the file and the field."""


@dataclass(frozen=True)
class Type:
    kind: str  # one of BASES, or list / map
    nullable: bool = False
    item: Type | None = None  # list and map: the type of each item
    values: tuple[str, ...] = ()  # enum
    columns: Mapping[str, Column] = field(default_factory=dict)  # object

    def text(self) -> str:
        inner = f"{self.kind}[{self.item.text()}]" if self.item is not None else self.kind
        return inner + ("?" if self.nullable else "")


@dataclass(frozen=True)
class Column:
    name: str
    type: Type
    required: bool = False
    doc: str = ""
    families: tuple[str, ...] | None = None  # None: common to every OS

    def on(self, family: str | None) -> bool:
        """Whether this column exists on `family` (None: on any OS)."""
        return family is None or self.families is None or family in self.families


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    kind: str  # rows | object
    columns: Mapping[str, Column]
    platforms: tuple[str, ...]  # the OSes that have this table
    unknown: Mapping[str, str]  # unknown sub-keys that are not columns -> what they mean
    key: str | None  # the column whose value names a row in an unknown key ("file_modes:/etc/shadow")
    implementations: Mapping[str, str]  # family -> "module:function"
    path: str

    @property
    def single(self) -> bool:
        return self.kind == "object"

    @property
    def row(self) -> Type:
        """The type of one row (rows) or of the table's object."""
        return Type("object", columns=self.columns)

    def columns_on(self, family: str | None) -> dict[str, Column]:
        return {name: col for name, col in self.columns.items() if col.on(family)}


def parse_type(text: Any, where: str) -> Type:
    """`str`, `time?`, `list[str]`, `map[list[str]]`, ... (values and columns are attached by the caller)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{where}: type must be a string such as str, int?, list[str]")
    text = text.strip()
    nullable = text.endswith("?")
    body = text[:-1] if nullable else text
    for outer in ("list", "map"):
        if body.startswith(outer + "[") and body.endswith("]"):
            return Type(outer, nullable, item=parse_type(body[len(outer) + 1:-1], where))
    if body not in BASES:
        raise SpecError(f"{where}: unknown type {text!r} (one of {', '.join(BASES)}, list[T], map[T], T?)")
    return Type(body, nullable)


def _innermost(t: Type) -> Type:
    while t.item is not None:
        t = t.item
    return t


def _attach(t: Type, values: tuple[str, ...], columns: Mapping[str, Column]) -> Type:
    """The type with `values` / `columns` given to its innermost enum / object."""
    if t.item is not None:
        return Type(t.kind, t.nullable, item=_attach(t.item, values, columns))
    return Type(t.kind, t.nullable, values=values, columns=columns)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where}: must be a mapping")
    return value


def _column(name: str, raw: Any, where: str, families: tuple[str, ...] | None) -> Column:
    if not _NAME.fullmatch(name):
        raise SpecError(f"{where}: column name {name!r} must be lower_snake_case")
    if isinstance(raw, str):  # shorthand: `uid: int`
        raw = {"type": raw}
    raw = _mapping(raw, where)
    extra = set(raw) - _COLUMN_KEYS
    if extra:
        raise SpecError(f"{where}: unknown field {sorted(extra)[0]!r}")
    typ = parse_type(raw.get("type"), f"{where}.type")
    inner = _innermost(typ)
    values: tuple[str, ...] = ()
    columns: dict[str, Column] = {}
    if inner.kind == "enum":
        raw_values = raw.get("values")
        if not isinstance(raw_values, list) or not raw_values or not all(isinstance(v, str) for v in raw_values):
            raise SpecError(f"{where}.values: an enum needs a list of string values")
        values = tuple(raw_values)
    elif "values" in raw:
        raise SpecError(f"{where}.values: only an enum has values")
    if inner.kind == "object":
        columns = _columns(raw, where, families)
    elif any(k in raw for k in ("columns", "linux", "windows")):
        raise SpecError(f"{where}.columns: only an object has columns")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise SpecError(f"{where}.required: must be true or false")
    doc = raw.get("doc", "")
    if not isinstance(doc, str):
        raise SpecError(f"{where}.doc: must be a string")
    return Column(name, _attach(typ, values, columns), required, doc.strip(), families)


def _columns(raw: dict[str, Any], where: str, families: tuple[str, ...] | None) -> dict[str, Column]:
    """`columns:` (common, or of the enclosing OS) plus `linux:` / `windows:` extensions."""
    out: dict[str, Column] = {}
    for name, col in _mapping(raw.get("columns"), f"{where}.columns").items():
        out[str(name)] = _column(str(name), col, f"{where}.columns.{name}", families)
    for family in FAMILIES:
        if family not in raw:
            continue
        if families is not None and family not in families:
            raise SpecError(f"{where}.{family}: inside columns of {', '.join(families)} only")
        for name, col in _mapping(raw[family], f"{where}.{family}").items():
            if name in out:
                raise SpecError(f"{where}.{family}.{name}: also declared as a common column")
            out[str(name)] = _column(str(name), col, f"{where}.{family}.{name}", (family,))
    return out


def _families(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return FAMILIES
    if not isinstance(value, list) or not value or any(v not in FAMILIES for v in value):
        raise SpecError(f"{where}: must be a list of {', '.join(FAMILIES)}")
    return tuple(value)


def load_table(path: Path) -> Table:
    where = path.name
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: not a mapping")
    extra = set(raw) - _TABLE_KEYS
    if extra:
        raise SpecError(f"{where}: unknown field {sorted(extra)[0]!r}")
    name = raw.get("table")
    if name != path.stem:
        raise SpecError(f"{where}: table must be {path.stem!r}, the file's name")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip().endswith("."):
        raise SpecError(f"{where}: description must be a sentence ending with a period")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SpecError(f"{where}: kind must be one of {', '.join(KINDS)}")
    platforms = _families(raw.get("platforms"), f"{where}: platforms")
    columns = _columns(raw, where, None if platforms == FAMILIES else platforms)
    if not columns:
        raise SpecError(f"{where}: columns: a table needs columns")
    unknown = {str(k): str(v) for k, v in _mapping(raw.get("unknown"), f"{where}: unknown").items()}
    for sub in unknown:
        if sub in columns:
            raise SpecError(f"{where}: unknown.{sub} is a column already")
    key = raw.get("key")
    if key is not None and (kind != "rows" or key not in columns):
        raise SpecError(f"{where}: key must name a column of a rows table")
    implementations = {str(k): str(v) for k, v in _mapping(raw.get("implementations"),
                                                             f"{where}: implementations").items()}
    for family, target in implementations.items():
        if family not in platforms:
            raise SpecError(f"{where}: implementations.{family}: not one of the table's platforms")
        if not re.fullmatch(r"[a-z_][\w.]*:[A-Za-z_]\w*", target):
            raise SpecError(f"{where}: implementations.{family} must be module:function")
    return Table(name, description.strip(), kind, columns, platforms, unknown, key, implementations, str(path))


@cache
def tables() -> dict[str, Table]:
    """Every shipped table spec, by name."""
    return {path.stem: load_table(path) for path in sorted(_DIR.glob("*.yaml"))}


def table(name: str) -> Table | None:
    return tables().get(name)


@cache
def single_tables() -> frozenset[str]:
    """Tables holding one object rather than a list of rows."""
    return frozenset(name for name, spec in tables().items() if spec.single)


def families_of(key: str) -> tuple[str, ...] | None:
    """The OSes on which a fact key exists, or None when no spec declares it. Keys are what checks list
    in `needs:` and collectors under `unknown`: `table`, `table.column`, `table.column.sub` (into an
    object; anything below a map or `any`), `table.part` (a declared unknown sub-key) and `table:VALUE`
    (one row, for tables with a `key:` column)."""
    name, sep, rest = key.partition(":")
    if sep:
        spec = table(name)
        return spec.platforms if spec is not None and spec.key is not None and rest else None
    name, *path = key.split(".")
    spec = table(name)
    if spec is None:
        return None
    if not path:
        return spec.platforms
    if len(path) == 1 and path[0] in spec.unknown:
        return spec.platforms
    families = spec.platforms
    columns: Mapping[str, Column] = spec.columns
    typ: Type | None = None
    for part in path:
        if typ is not None:
            inner = typ
            while inner.kind == "list" and inner.item is not None:
                inner = inner.item
            if inner.kind in ("map", "any"):
                return families
            if inner.kind != "object":
                return None
            columns = inner.columns
        col = columns.get(part)
        if col is None:
            return None
        if col.families is not None:
            families = tuple(f for f in families if f in col.families)
        typ = col.type
    return families


__all__ = ["FAMILIES", "Column", "SpecError", "Table", "Type", "families_of", "load_table", "parse_type",
           "single_tables", "table", "tables"]
