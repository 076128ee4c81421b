"""The official Vietnamese document (NĐ 30/2020 layout): what the school fills in, the header,
recipient, fixed sentences and signature block, and the embedded serif fonts of the PDF."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from secaudit.report.fmt import Fmt


@dataclass
class DocInfo:
    """What the school fills in the official header and signature block; None means: use the
    value the report carries (unit name), else a dotted placeholder."""

    parent: str | None = None  # cơ quan chủ quản, e.g. "Sở Giáo dục và Đào tạo tỉnh Đồng Nai"
    unit_name: str | None = None
    place: str | None = None  # địa danh of the date line
    symbol: str | None = None  # ký hiệu after "BC-"
    recipient: str | None = None  # "Kính gửi"; defaults to the parent body
    signer_title: str | None = None  # e.g. "HIỆU TRƯỞNG", "KT. HIỆU TRƯỞNG\nPHÓ HIỆU TRƯỞNG"
    signer_name: str | None = None
    blank_date: bool = False  # leave day and month for the văn thư, like the number


def _abbreviation(name: str) -> str:
    """"Trường THCS Nguyễn Du" -> "THCSND": the usual ký hiệu of a school (the văn thư may change it)."""
    words = [w for w in re.split(r"[\s,.;:()/-]+", name) if w]
    if words and words[0].casefold() in ("trường", "truong"):
        words = words[1:]
    out = "".join(w if w.isupper() and len(w) > 1 else w[0].upper() for w in words)
    out = unicodedata.normalize("NFKD", out.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in out if ch.isascii() and ch.isalnum())[:16]


def official_view(fmt: Fmt, unit: dict[str, Any], when: datetime | None, doc: DocInfo | None,
                  playbook: dict[str, str] | None = None) -> dict[str, Any]:
    """Header, recipient, fixed sentences and signature block of the official report. `unit` is the
    report's unit object (name, code, and parent/place/signer fields when the agent config has them)."""
    t = fmt.t
    doc = doc or DocInfo()

    def given(*values: Any) -> str:
        for value in values:
            if isinstance(value, str) and value.strip():
                return fmt.line(value, 300)
        return ""

    unit_name = given(doc.unit_name, unit.get("name"), unit.get("code"))
    parent = given(doc.parent, unit.get("parent"))
    symbol = given(doc.symbol, unit.get("symbol")) or _abbreviation(unit_name) or given(unit.get("code"))
    place = given(doc.place, unit.get("place"))
    raw_signer = next((v for v in (doc.signer_title, unit.get("signer_title")) if isinstance(v, str) and v.strip()),
                      t["signer_title"])
    signer_lines = [fmt.line(x, 120).upper() for x in raw_signer.replace("\\n", "\n").split("\n") if x.strip()]
    dated = None if doc.blank_date else when
    date_short = fmt.date(dated) if dated else "....../....../........."
    unit_plain = unit_name or t["placeholder"]
    return {
        "parent": parent.upper() if parent else t["placeholder"],
        "unit_name": unit_name.upper() if unit_name else t["placeholder"],
        "unit_plain": unit_plain,
        "symbol": symbol or t["placeholder"],
        "place_date": f"{place or t['placeholder']}, {fmt.formal_date(dated)}",
        "recipient": given(doc.recipient) or parent or t["placeholder"],
        "pursuant": t["pursuant"].format(**playbook) if playbook and playbook.get("title") else "",
        "intro": t["intro"].format(unit=unit_plain),
        "closing": t["closing"].format(unit=unit_plain),
        "appendix_ref": t["appendix_ref"].format(number=f"......./BC-{symbol or '...'}", date=date_short,
                                                 unit=unit_plain),
        "signer_title": signer_lines,
        "signer_name": given(doc.signer_name, unit.get("signer_name")),
        "fonts": font_faces(),
    }


# Liberation Serif has the metrics of Times New Roman (the font of official documents) and every
# Vietnamese letter; embedding the local files makes the PDF look the same on every machine.
_FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
              "/usr/share/fonts/liberation-serif", "/usr/share/fonts/liberation")
_FACES = (("normal", "normal", "Regular"), ("bold", "normal", "Bold"), ("normal", "italic", "Italic"),
          ("bold", "italic", "BoldItalic"))
_WINDOWS_TIMES = {"Regular": "times.ttf", "Bold": "timesbd.ttf", "Italic": "timesi.ttf", "BoldItalic": "timesbi.ttf"}


def font_faces() -> list[dict[str, str]]:
    """@font-face entries (family, weight, style, file URL) for the serif of the official report."""
    for directory in _FONT_DIRS:
        paths = {name: Path(directory) / f"LiberationSerif-{name}.ttf" for _, _, name in _FACES}
        if all(p.is_file() for p in paths.values()):
            return [{"family": "Liberation Serif", "weight": w, "style": s, "url": paths[n].as_uri()}
                    for w, s, n in _FACES]
    windir = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    paths = {name: windir / file for name, file in _WINDOWS_TIMES.items()}
    if all(p.is_file() for p in paths.values()):
        return [{"family": "Times New Roman", "weight": w, "style": s, "url": paths[n].as_uri()} for w, s, n in _FACES]
    return []
