"""CSV and XLSX exports: Excel-friendly CSV, formulas never executed, text cells XLSX accepts."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from secaudit.collector import aggregate, exports
from secaudit.collector.models import Unit
from tests.unit.collector.world import World, report, with_attestation


def test_csv_and_xlsx_defuse_formulas() -> None:
    table: exports.Table = ("Máy", ["Tên máy", "Điểm"], [["=HYPERLINK(\"http://x\")", 42], ["pc\x01-1", None],
                                                          ["-5", -5], [True, "x" * 40_000]])
    csv = exports.to_csv(table)
    assert csv.startswith(exports.BOM)
    lines = csv.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Tên máy,Điểm"
    assert lines[1].startswith('"\'=HYPERLINK') and lines[1].endswith(",42")
    assert lines[3] == "'-5,-5"
    book = load_workbook(io.BytesIO(exports.to_xlsx([table, ("Second", ["a"], [])])))
    sheet = book["Máy"]
    assert sheet["A2"].value == "=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 42 and sheet["A3"].value == "pc\ufffd-1"
    assert len(sheet["B5"].value) == 32_767
    assert book.sheetnames == ["Máy", "Second"]


def test_summary_requirements_have_an_attested_column(tmp_path: Path) -> None:
    """The requirements table counts `attested` in its own column after the six, headed with the agent's
    report's word (Tự xác nhận); the units table counts hosts by their overall status (the machine's: six)."""
    world = World(tmp_path)
    world.units()
    world.upload(world.agent("LK01"), with_attestation(report(seed=3)))
    with world.db.read() as s:
        data = aggregate.summary(s, s.scalars(select(Unit).where(Unit.code == "DN")).one())
    tables = {lang: {name: (header, rows) for name, header, rows in exports.summary_tables(data, lang)}
              for lang in ("vi", "en")}
    header, rows = tables["vi"]["Yêu cầu"]
    assert header[4:] == ["Đạt", "Cảnh báo", "Không đạt", "Không xác định", "Không áp dụng", "Lỗi", "Tự xác nhận"]
    gov = next(r for r in rows if r[0] == "VN-GOV-02")
    assert gov[3] is None and gov[4:] == [0, 0, 0, 0, 0, 0, 1]  # no pass rate from the school's word alone
    assert tables["en"]["Requirements"][0][-1] == "attested"
    assert tables["vi"]["Đơn vị"][0][-1] == "Lỗi"
    csv = exports.to_csv(("Yêu cầu", header, rows)).decode("utf-8-sig").split("\r\n")
    assert csv[0].endswith(",Lỗi,Tự xác nhận")
    assert any(line.startswith("VN-GOV-02,") and line.endswith(",,0,0,0,0,0,0,1") for line in csv)
    book = load_workbook(io.BytesIO(exports.to_xlsx(exports.summary_tables(data, "en"))))
    assert [c.value for c in book["Requirements"][1]][-1] == "attested"
