"""The unit tree as data: `collector units import FILE.csv` (columns code,name,parent,level and an optional
playbook; UTF-8, a BOM and `;`-separated Excel files are read too; any depth).

A re-import updates names, levels and playbooks and moves units to their new parent, keeping their id and
so every report and agent they have (history follows the unit); each change is a row of unit_events.
Units absent from the file are kept (administrative units are merged or dissolved by decision, not by an
omission in a spreadsheet). The whole file is applied in one transaction, or nothing is.
A unit's playbook is its own setting, else its nearest ancestor's.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit import inputs, limits
from secaudit.collector import index
from secaudit.collector.models import Unit, UnitEvent, utcnow
from secaudit.errors import SecauditError

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
COLUMNS = ("code", "name", "parent", "level")
MAX_UNITS = 200_000
MAX_DEPTH = 32


class UnitsError(SecauditError):
    """The units file cannot be imported (exit 2); nothing was changed."""


@dataclass
class Row:
    line: int
    code: str
    name: str
    parent: str
    level: str
    playbook: str | None  # None: column absent (leave as is); "": inherit


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # level or playbook
    unchanged: int = 0
    not_in_file: int = 0


def _err(path: str | Path, line: int, vi: str, en: str) -> UnitsError:
    return UnitsError(f"Tệp đơn vị {path}, dòng {line}: {vi}.", f"Units file {path}, line {line}: {en}.")


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFC", (value or "").strip())


def shipped_playbooks() -> set[str]:
    from secaudit.playbook import list_shipped

    return {p.stem for p in list_shipped()}


def parse_csv(text: str, path: str | Path) -> list[Row]:
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_clean(h).lower() for h in next(reader)]
    except StopIteration:
        raise UnitsError(f"Tệp đơn vị {path} trống.", f"The units file {path} is empty.") from None
    except csv.Error as exc:
        raise _err(path, 1, f"CSV hỏng ({exc})", f"broken CSV ({exc})") from None
    missing = [c for c in ("code", "name", "parent") if c not in header]
    if missing:
        raise _err(path, 1, f"thiếu cột {', '.join(missing)} (cần code,name,parent,level)",
                   f"missing column {', '.join(missing)} (code,name,parent,level expected)")
    col = {name: header.index(name) for name in (*COLUMNS, "playbook") if name in header}
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_UNITS:
                raise _err(path, line, f"quá nhiều đơn vị (tối đa {MAX_UNITS})",
                           f"too many units (at most {MAX_UNITS})")

            def cell(name: str, record: list[str] = record) -> str:
                i = col.get(name)
                return _clean(record[i]) if i is not None and i < len(record) else ""

            code, name, parent = cell("code"), cell("name"), cell("parent")
            if not CODE_RE.fullmatch(code):
                raise _err(path, line, f"mã đơn vị {code[:70]!r} không hợp lệ (chữ, số, '_', '.', '-'; tối đa 64)",
                           f"the unit code {code[:70]!r} is not valid (letters, digits, '_', '.', '-'; at most 64)")
            if code in seen:
                raise _err(path, line, f"mã {code} đã có ở dòng {seen[code]}", f"the code {code} is already on line "
                           f"{seen[code]}")
            if not name or len(name) > 300:
                raise _err(path, line, "tên đơn vị trống hoặc dài quá 300 ký tự",
                           "the unit name is empty or longer than 300 characters")
            if parent and not CODE_RE.fullmatch(parent):
                raise _err(path, line, f"mã đơn vị cha {parent[:70]!r} không hợp lệ",
                           f"the parent code {parent[:70]!r} is not valid")
            if parent == code:
                raise _err(path, line, "đơn vị không thể là cha của chính nó", "a unit cannot be its own parent")
            seen[code] = line
            rows.append(Row(line, code, name, parent, cell("level")[:64],
                            cell("playbook") if "playbook" in col else None))
    except csv.Error as exc:
        raise _err(path, reader.line_num, f"CSV hỏng ({exc})", f"broken CSV ({exc})") from None
    return rows


def read_csv(path: str | Path) -> list[Row]:
    text = inputs.read_text(path, limits.CONFIG_FILE * 8, "units", UnitsError)
    return parse_csv(text, path)


def _check_tree(rows: list[Row], existing: dict[str, Unit], path: str | Path) -> dict[str, str]:
    """The parent of every unit after the import (code -> parent code or ""), refusing unknown parents,
    cycles and trees deeper than MAX_DEPTH."""
    parents: dict[str, str] = {}
    for code, unit in existing.items():
        parents[code] = unit.parent.code if unit.parent is not None else ""
    for row in rows:
        parents[row.code] = row.parent
    by_code = {row.code: row for row in rows}
    for row in rows:
        if row.parent and row.parent not in parents:
            raise _err(path, row.line, f"đơn vị cha {row.parent} không có trong tệp cũng như trong cơ sở dữ liệu",
                       f"the parent unit {row.parent} is neither in the file nor in the database")
    for row in rows:
        seen = {row.code}
        code = row.parent
        depth = 1
        while code:
            if code in seen or depth > MAX_DEPTH:
                line = by_code[row.code].line
                if code in seen:
                    raise _err(path, line, f"đơn vị {row.code} nằm trong một vòng lặp cha-con",
                               f"the unit {row.code} is in a parent-child cycle")
                raise _err(path, line, f"cây đơn vị sâu quá {MAX_DEPTH} cấp",
                           f"the unit tree is deeper than {MAX_DEPTH}")
            seen.add(code)
            code = parents.get(code, "")
            depth += 1
    return parents


def import_units(session: Session, rows: list[Row], source: str, path: str | Path) -> ImportResult:
    """Apply `rows` in the session's transaction (the caller commits)."""
    existing = {u.code: u for u in session.scalars(select(Unit))}
    _check_tree(rows, existing, path)
    known = shipped_playbooks()
    for row in rows:
        if row.playbook and row.playbook not in known:
            raise _err(path, row.line, f"không có bộ tiêu chí {row.playbook!r} ({', '.join(sorted(known))})",
                       f"there is no playbook {row.playbook!r} ({', '.join(sorted(known))})")
    result = ImportResult()
    now = utcnow()

    def event(unit: Unit, kind: str, old: str | None, new: str | None) -> None:
        session.add(UnitEvent(unit_id=unit.id, at=now, kind=kind, old_value=old, new_value=new, source=source[:300]))

    # create the new units first (parents resolved below), so every row has an id
    for row in rows:
        if row.code not in existing:
            unit = Unit(code=row.code, name=row.name, level=row.level, playbook=row.playbook or None, path="",
                        created_at=now, updated_at=now)
            session.add(unit)
            existing[row.code] = unit
            result.created.append(row.code)
    session.flush()
    for code in result.created:
        event(existing[code], "created", None, existing[code].name)
    created = set(result.created)
    for row in rows:
        unit = existing[row.code]
        parent = existing[row.parent] if row.parent else None
        if row.code in created:
            unit.parent_id = parent.id if parent else None
            continue
        touched = False
        if unit.name != row.name:
            event(unit, "renamed", unit.name, row.name)
            unit.name = row.name
            result.renamed.append(row.code)
            touched = True
        new_parent = parent.id if parent else None
        if unit.parent_id != new_parent:
            old_code = unit.parent.code if unit.parent is not None else ""
            event(unit, "moved", old_code, row.parent)
            unit.parent_id = new_parent
            result.moved.append(row.code)
            touched = True
        if row.level and unit.level != row.level:
            event(unit, "level", unit.level, row.level)
            unit.level = row.level
            touched = True
        if row.playbook is not None and (unit.playbook or "") != row.playbook:
            event(unit, "playbook", unit.playbook, row.playbook or None)
            unit.playbook = row.playbook or None
            touched = True
        if touched:
            unit.updated_at = now
            if row.code not in result.renamed and row.code not in result.moved:
                result.changed.append(row.code)
        else:
            result.unchanged += 1
    in_file = {row.code for row in rows}
    result.not_in_file = sum(1 for code in existing if code not in in_file)
    session.flush()
    recompute_paths(session)
    session.flush()
    index.after_units_changed(session)  # rollups per subtree follow moved units
    return result


def recompute_paths(session: Session) -> None:
    """units.path from the parent links, for every unit (a move changes a whole subtree's paths)."""
    rows = session.execute(select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, parent in rows:
        children.setdefault(parent, []).append(uid)
    paths: dict[int, str] = {}
    stack = [(uid, f"/{uid}/") for uid in children.get(None, [])]
    while stack:
        uid, path = stack.pop()
        paths[uid] = path
        stack.extend((child, f"{path}{child}/") for child in children.get(uid, []))
    for unit in session.scalars(select(Unit)):
        new = paths.get(unit.id, f"/{unit.id}/")
        if unit.path != new:
            unit.path = new


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The unit's chain from the root down to the unit itself."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part.isdigit()]
    found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def effective_playbook(session: Session, unit: Unit) -> str | None:
    """The unit's playbook, else its nearest ancestor's (None: no unit up the tree sets one)."""
    for item in reversed(ancestors(session, unit)):
        if item.playbook:
            return item.playbook
    return None


def code_path(session: Session, unit: Unit) -> list[str]:
    return [u.code for u in ancestors(session, unit)]
