"""CSV and XLSX exports: Excel-friendly CSV, formulas never executed, text cells XLSX accepts."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from secaudit.collector import exports


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
