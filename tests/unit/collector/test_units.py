"""Unit tree import: any depth, re-import renames and moves keeping history, playbook inheritance, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from secaudit.collector.db import Database
from secaudit.collector.models import Unit, UnitEvent
from secaudit.collector.units import UnitsError, code_path, effective_playbook, import_units, parse_csv, read_csv
from tests.unit.collector.helpers import TREE


def _import(db: Database, text: str) -> None:
    with db.write() as s:
        import_units(s, parse_csv(text, "u.csv"), "u.csv", "u.csv")


def _unit(db: Database, code: str) -> tuple[list[str], str | None, str]:
    with db.read() as s:
        unit = s.scalar(select(Unit).where(Unit.code == code))
        assert unit is not None
        return code_path(s, unit), effective_playbook(s, unit), unit.name


def test_tree_and_inheritance(db: Database) -> None:
    assert _unit(db, "TH1") == (["DN", "BH", "TH1"], "bien-hoa-2024-2025", "Trường Tiểu học Số 1")
    assert _unit(db, "TH3") == (["DN", "LK", "TH3"], "dong-nai-2026", "Trường THPT Long Khánh")
    assert _unit(db, "TH9")[1] == "dak-lak-2026"


def test_reimport_moves_and_renames_keep_history(db: Database) -> None:
    with db.read() as s:
        before = s.scalar(select(Unit.id).where(Unit.code == "TH1"))
    _import(db, "code,name,parent,level\nTH1,Trường Tiểu học Số Một,LK,school\n")
    path, playbook, name = _unit(db, "TH1")
    assert path == ["DN", "LK", "TH1"] and playbook == "dong-nai-2026" and name == "Trường Tiểu học Số Một"
    with db.read() as s:
        unit = s.scalar(select(Unit).where(Unit.code == "TH1"))
        assert unit is not None and unit.id == before
        events = s.scalars(select(UnitEvent).where(UnitEvent.unit_id == before))
        kinds = {(e.kind, e.old_value, e.new_value) for e in events}
        assert ("moved", "BH", "LK") in kinds and ("renamed", "Trường Tiểu học Số 1", "Trường Tiểu học Số Một") in kinds
        assert len(list(s.scalars(select(Unit)))) == 8  # units absent from the file are kept


def test_moving_a_subtree_moves_its_paths(db: Database) -> None:
    _import(db, "code,name,parent,level\nBH,Phòng GDĐT Biên Hòa,DL,district\n")
    assert _unit(db, "TH2")[0] == ["DL", "BH", "TH2"]


@pytest.mark.parametrize("text, match", [
    ("code,name\nA,x\n", "parent"),
    ("code,name,parent\nA,x,NOPE\n", "NOPE"),
    ("code,name,parent\nA,x,B\nB,y,A\n", "cycle"),
    ("code,name,parent\nA,x,\nA,y,\n", "already"),
    ("code,name,parent\na b,x,\n", "not valid"),
    ("code,name,parent\nA,,\n", "empty"),
    ("code,name,parent,level,playbook\nA,x,,,nope-2099\n", "playbook"),
    ("", "empty"),
])
def test_refusals_change_nothing(db: Database, text: str, match: str) -> None:
    with pytest.raises(UnitsError, match=match):
        _import(db, text)
    with db.read() as s:
        assert len(list(s.scalars(select(Unit)))) == 8


def test_cycle_through_the_database(db: Database) -> None:
    with pytest.raises(UnitsError, match="cycle"):
        _import(db, "code,name,parent\nDN,Sở,TH1\n")


def test_excel_semicolons_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes("\ufeffcode;name;parent;level\nQ;Quảng Trị;;province\n".encode())
    rows = read_csv(path)
    assert [(r.code, r.name, r.level) for r in rows] == [("Q", "Quảng Trị", "province")]
    assert parse_csv(TREE, "t")[0].playbook == "dong-nai-2026"
