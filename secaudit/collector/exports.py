"""CSV and XLSX exports of the summary, late-units and inventory views, for the official report.

CSV: one table, UTF-8 with a byte order mark, CRLF, cells defused against formula injection (the report
CSV's own `cell`). XLSX (openpyxl, write-only): every table of the view as a sheet; strings are written as
text (a leading = never becomes a formula) and numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from secaudit.collector.index_models import MACHINE_STATUSES, STATUSES
from secaudit.i18n import STATUS
from secaudit.report.formats.csv import BOM, cell

Table = tuple[str, list[str], list[list[Any]]]  # sheet name, header, rows

_STATUS_VI = {k: v["vi"] for k, v in STATUS.items()}  # the agent's report's words (attested: Tự xác nhận)
_H = {
    "code": ("Mã đơn vị", "Unit code"), "name": ("Tên đơn vị", "Unit name"), "level": ("Cấp", "Level"),
    "hosts": ("Số máy", "Hosts"), "score": ("Điểm", "Score"), "requirement": ("Yêu cầu", "Requirement"),
    "clause": ("Điều khoản", "Clause"), "title": ("Nội dung", "Title"), "pass_rate": ("Tỷ lệ đạt (%)", "Pass rate (%)"),
    "hostname": ("Tên máy", "Hostname"), "unit": ("Đơn vị", "Unit"), "worst": ("Kết quả", "Result"),
    "last_report": ("Báo cáo gần nhất", "Latest report"), "field": ("Trường", "Field"), "value": ("Giá trị", "Value"),
    "first_seen": ("Thấy lần đầu", "First seen"), "last_seen": ("Thấy lần cuối", "Last seen"),
    "current": ("Hiện tại", "Current"), "status": ("Tình trạng", "Status"), "period": ("Kỳ báo cáo", "Period"),
    "due": ("Hạn", "Due"), "playbook": ("Kế hoạch", "Plan"), "kind": ("Loại", "Kind"),
    "signature_age_days": ("Tuổi mẫu nhận diện (ngày)", "Signature age (days)"),
}
_SHEETS = {"units": ("Đơn vị", "Units"), "requirements": ("Yêu cầu", "Requirements"), "hosts": ("Máy", "Hosts"),
           "late": ("Chậm báo cáo", "Late"), "pending": ("Chưa báo cáo", "Pending"),
           "inventory": ("Tra cứu", "Inventory")}


def _h(keys: Iterable[str], lang: str) -> list[str]:
    i = 0 if lang == "vi" else 1
    return [_H[k][i] if k in _H else (_STATUS_VI.get(k, k) if lang == "vi" else k) for k in keys]


def _sheet(key: str, lang: str) -> str:
    return _SHEETS[key][0 if lang == "vi" else 1]


def _title(value: Any, lang: str) -> str:
    return str(value.get(lang) or value.get("en") or "") if isinstance(value, dict) else str(value or "")


def summary_tables(data: dict[str, Any], lang: str) -> list[Table]:
    # units: hosts by their overall status, the machine's (never attested); requirements: every status,
    # `attested` after the six
    units = [[c["code"], c["name"], c["level"], c["hosts"], c["score"], *(c["status"][s] for s in MACHINE_STATUSES)]
             for c in [{**data["totals"], "code": data["unit"]["code"], "name": data["unit"]["name"],
                        "level": data["unit"]["level"]}, *data["children"]]]
    reqs = [[r["id"], r["clause"], _title(r["title"], lang), r["pass_rate"], *(r["counts"][s] for s in STATUSES)]
            for r in data["requirements"]]
    hosts = [[h["hostname"], (h["unit"] or {}).get("code"), h["score"], h["worst"],
              (h["latest_report"] or {}).get("generated_at")] for h in data["hosts"]]
    return [(_sheet("units", lang), _h(["code", "name", "level", "hosts", "score", *MACHINE_STATUSES], lang), units),
            (_sheet("requirements", lang), _h(["requirement", "clause", "title", "pass_rate", *STATUSES], lang), reqs),
            (_sheet("hosts", lang), _h(["hostname", "unit", "score", "worst", "last_report"], lang), hosts)]


def late_tables(data: dict[str, Any], lang: str) -> list[Table]:
    def rows(entries: list[dict[str, Any]]) -> list[list[Any]]:
        return [[e["code"], e["name"], e["playbook"], e["period"]["start"], e["period"]["due"], e["status"],
                 e["last_report_at"]] for e in entries]

    header = _h(["code", "name", "playbook", "period", "due", "status", "last_report"], lang)
    return [(_sheet("late", lang), header, rows(data["late"])),
            (_sheet("pending", lang), header, rows(data["pending"]))]


def inventory_tables(data: dict[str, Any], lang: str) -> list[Table]:
    rows = [[h["host"]["hostname"], (h["host"]["unit"] or {}).get("code"), h["host"]["kind"], h["field"], h["value"],
             h.get("signature_age_days"), h["first_seen"], h["last_seen"], h["current"]] for h in data["hits"]]
    return [(_sheet("inventory", lang), _h(["hostname", "unit", "kind", "field", "value", "signature_age_days",
                                            "first_seen", "last_seen", "current"], lang), rows)]


def to_csv(table: Table, delimiter: str = ",") -> bytes:
    _name, header, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else v if isinstance(v, int) and not isinstance(v, bool) else cell(v)
                         for v in row])
    return BOM + buf.getvalue().encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    for name, header, rows in tables:
        sheet = book.create_sheet(title=name[:31])
        sheet.append(header)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, bool) or value is None or isinstance(value, int):
                    cells.append(value)
                    continue
                c = WriteOnlyCell(sheet, value=_xlsx_text(str(value)))
                c.data_type = "s"  # text, never a formula
                cells.append(c)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold: no control characters XML 1.0 refuses, at most 32,767 characters."""
    cleaned = "".join(ch if ch in "\t\n\r" or ord(ch) >= 0x20 else "\ufffd" for ch in text)
    return cleaned[:32_767]
