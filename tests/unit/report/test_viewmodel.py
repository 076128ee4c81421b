"""The view model behind every rendering: dates, numbers, untrusted text, evidence, sorting, roll-ups."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest

from secaudit.report.evidence import evidence_tree
from secaudit.report.fmt import HTML_CAPS, ICT, Caps, Fmt, parse_time
from secaudit.report.official import DocInfo, _abbreviation, official_view
from secaudit.report.sample import sample_report
from secaudit.report.viewmodel import report_view, unit_view


@pytest.mark.parametrize(("iso", "vi", "en"), [
    ("2026-06-04T20:30:00Z", "ngày 05 tháng 6 năm 2026", "5 June 2026"),  # UTC evening is the next day in ICT
    ("2026-02-15T01:00:00Z", "ngày 15 tháng 02 năm 2026", "15 February 2026"),  # months 1-2 keep the zero
    ("2026-01-09T01:00:00Z", "ngày 09 tháng 01 năm 2026", "9 January 2026"),
    ("2026-12-31T16:59:59Z", "ngày 31 tháng 12 năm 2026", "31 December 2026"),
    ("2026-12-31T17:00:00Z", "ngày 01 tháng 01 năm 2027", "1 January 2027"),
])
def test_formal_date_in_viet_nam_time(iso: str, vi: str, en: str) -> None:
    when = parse_time(iso)
    assert when is not None and when.utcoffset() == ICT.utcoffset(None)
    assert Fmt("vi").formal_date(when) == vi
    assert Fmt("en").formal_date(when) == en


def test_table_dates_and_blank_date() -> None:
    assert Fmt("vi").date("2026-06-04T20:30:00Z") == "05/06/2026"
    assert Fmt("vi").datetime("2026-06-04T20:30:00Z") == "05/06/2026 03:30"
    assert Fmt("en").date("2026-06-04T20:30:00Z") == "2026-06-05"
    assert Fmt("vi").date(None) == "—"
    assert Fmt("vi").date("not a time") == "not a time"
    assert Fmt("vi").formal_date(None) == "ngày ...... tháng ...... năm .........."


def test_numbers_use_vietnamese_separators() -> None:
    vi, en = Fmt("vi"), Fmt("en")
    assert vi.num(1234567) == "1.234.567" and en.num(1234567) == "1,234,567"
    assert vi.pct(7, 18) == "38,9%" and en.pct(7, 18) == "38.9%"
    assert vi.pct(0, 0) == "—"
    assert vi.size(8 * 1024 ** 3) == "8,0 GiB"
    assert vi.size(512) == "512 B"


def test_untrusted_text_is_nfc_capped_and_bidi_visible() -> None:
    fmt = Fmt("vi", Caps(text=10))
    decomposed = unicodedata.normalize("NFD", "Hòa")
    assert fmt.text(decomposed) == "Hòa" and unicodedata.is_normalized("NFC", fmt.text(decomposed))
    assert fmt.text("a\u202eb") == "a[U+202E]b"
    assert fmt.text("x\x1b[31mred") == "x[U+001B][31mred"
    assert fmt.text("y" * 25) == "y" * 10 + " … (còn 15 ký tự)"
    assert Fmt("en", Caps(text=3)).text("abcdef") == "abc … (3 more characters)"
    assert fmt.line("a\n\tb  c") == "a b c"
    assert fmt.text("\ud800") == "[U+D800]"  # a lone surrogate could not be written as UTF-8


def test_evidence_tree_shapes() -> None:
    fmt = Fmt("vi")
    assert evidence_tree(fmt, {"path": "/etc/shadow", "mode": "0644"}) == {
        "k": "m", "more": "",
        "rows": [{"key": "path", "node": {"k": "s", "v": "/etc/shadow"}},
                 {"key": "mode", "node": {"k": "s", "v": "0644"}}]}
    short = evidence_tree(fmt, {"services": ["login", "sshd"]})
    assert short["rows"][0]["node"] == {"k": "s", "v": "login, sshd"}
    users = evidence_tree(fmt, {"users": [{"name": "a", "uid": 0}, {"name": "b", "uid": 0}]})
    table = users["rows"][0]["node"]
    assert table["k"] == "t" and table["cols"] == ["name", "uid"]
    assert [[c["v"] for c in row] for row in table["rows"]] == [["a", "0"], ["b", "0"]]
    one = evidence_tree(fmt, {"products": [{"product": "ClamAV", "running": False}]})
    assert one["rows"][0]["node"]["k"] == "m"  # a one-item list shows the item itself
    assert one["rows"][0]["node"]["rows"][1]["node"]["v"] == "Không"
    when = evidence_tree(fmt, {"signature_time": "2026-06-04T20:30:00Z", "last_scan": None, "x": ""})
    assert [r["node"]["v"] for r in when["rows"]] == ["05/06/2026 03:30", "—", "(trống)"]


def test_evidence_tree_is_capped() -> None:
    fmt = Fmt("vi", Caps(depth=2, items=3, cells=10))
    long_list = evidence_tree(fmt, {"lines": [f"/etc/f{i}:{i}" * 10 for i in range(10)]})
    node = long_list["rows"][0]["node"]
    assert node["k"] == "l" and len(node["entries"]) == 3 and node["more"] == "… và 7 mục khác"
    deep = evidence_tree(fmt, {"a": {"b": {"c": {"d": 1}}}})
    assert deep["rows"][0]["node"]["rows"][0]["node"] == {"k": "s", "v": '{"c":{"d":1}}'}
    wide = evidence_tree(Fmt("vi", Caps(items=3)), {str(i): {"x": i} for i in range(5)})
    assert len(wide["rows"]) == 3 and wide["more"] == "… và 2 mục khác"
    budget = evidence_tree(Fmt("vi", Caps(cells=4)), {str(i): str(i) for i in range(20)})
    assert len(budget["rows"]) == 20  # every key stays named; past the budget its value is only summarised
    assert [r["node"]["v"] for r in budget["rows"]][1:4] == ["1", "…", "…"]


def test_report_view_sorts_counts_and_labels() -> None:
    report = sample_report(60)
    view = report_view(report, "vi")
    statuses = [f["status"] for f in view["issues"]]
    assert statuses == sorted(statuses, key=lambda s: s != "fail")  # fail before warn
    fails = [f for f in view["issues"] if f["status"] == "fail"]
    order = ("critical", "high", "medium", "low", "info")
    assert [order.index(f["severity"]) for f in fails] == sorted(order.index(f["severity"]) for f in fails)
    assert {f["label"] for f in view["issues"]} <= {"Không đạt", "Cảnh báo"}
    assert [c["label"] for c in view["summary"]["counts"]] == [
        "Đạt", "Cảnh báo", "Không đạt", "Không xác định", "Không áp dụng", "Lỗi", "Tự xác nhận"]
    assert sum(c["n"] for c in view["summary"]["counts"]) == len(report["requirements"])
    ranks = {"fail": 5, "error": 4, "unknown": 3, "warn": 2, "pass": 1, "not_applicable": 0}
    shown = [ranks[r["status"]] for r in view["requirements"]]
    assert shown == sorted(shown, reverse=True)
    assert [r["id"] for r in view["requirements_plan"]] == [r["id"] for r in report["requirements"]]
    assert view["generated"]["formal"] == "ngày 05 tháng 6 năm 2026"
    assert view["host"]["role"] == "Máy phòng thực hành"
    assert view["inventory"]["software_count"] == "300 phần mềm"
    assert view["inventory"]["accounts"]["rows"][0][3] == "Có"  # administrators first
    english = report_view(report, "en")
    assert english["summary"]["counts"][2]["label"] == "Fail" and english["t"]["fix"] == "How to fix"


def test_report_view_survives_missing_parts() -> None:
    view = report_view({"findings": [{"check_id": "x.y", "status": "weird", "severity": "?"}],
                        "requirements": [{"id": "R-1", "status": "fail", "checks": ["x.y", "gone.check"]}]}, "vi")
    assert view["host"]["name"] == "—" and view["generated"]["formal"].startswith("ngày ......")
    assert view["undetermined"][0]["status"] == "error"
    assert view["requirements"][0]["checks"][0]["check_id"] == "x.y"


def test_unit_view_rolls_up_hosts() -> None:
    reports = [sample_report(12, hostname=name, seed=seed, software=5)
               for name, seed in (("PC-B", 1), ("PC-A", 2), ("PC-C", 3))]
    view = unit_view(reports, "vi", HTML_CAPS)
    assert [h["name"] for h in view["host_rows"]] == ["PC-A", "PC-B", "PC-C"]
    assert view["summary"]["totals"] == [sum(r["summary"].get(s, 0) for r in reports) for s in
                                         ("pass", "warn", "fail", "unknown", "not_applicable", "error", "attested")]
    scores = [r["summary"]["score"] for r in reports]
    assert abs(view["summary"]["average"] - sum(scores) / 3) <= 0.5
    ranks = {"fail": 5, "error": 4, "unknown": 3, "warn": 2, "pass": 1, "not_applicable": 0}
    for row in view["requirements"]:
        statuses = [next(r["status"] for r in rep["requirements"] if r["id"] == row["id"]) for rep in reports]
        assert row["status"] == max(statuses, key=ranks.__getitem__)
        assert len(row["bad"]) == sum(1 for s in statuses if ranks[s] >= ranks["warn"])
    anchors = {h["anchor"] for h in view["host_rows"]}
    assert anchors == {"h1", "h2", "h3"}
    assert view["period"] == "05/06/2026"


def test_abbreviation_of_a_school_name() -> None:
    assert _abbreviation("Trường THCS Nguyễn Du") == "THCSND"
    assert _abbreviation("Trường Tiểu học Đống Đa") == "THDD"
    assert _abbreviation("") == ""


def test_official_header_defaults_and_overrides() -> None:
    fmt = Fmt("vi")
    when = datetime(2026, 6, 5, 9, 30, tzinfo=ICT)
    head = official_view(fmt, {"name": "Trường THCS Nguyễn Du", "code": "TH0042"}, when, None)
    assert head["unit_name"] == "TRƯỜNG THCS NGUYỄN DU"
    assert head["symbol"] == "THCSND"
    assert head["place_date"] == "……………………, ngày 05 tháng 6 năm 2026"
    assert head["signer_title"] == ["HIỆU TRƯỞNG"] and head["signer_name"] == ""
    assert head["closing"].endswith("Trường THCS Nguyễn Du")
    doc = DocInfo(parent="Sở Giáo dục và Đào tạo tỉnh Đồng Nai", place="Biên Hòa", symbol="THCS-ND",
                  signer_title="KT. Hiệu trưởng\nPhó Hiệu trưởng", signer_name="Trần Thị Bình", blank_date=True)
    head = official_view(fmt, {"name": "Trường THCS Nguyễn Du"}, when, doc,
                         {"title": "Kế hoạch", "id": "dong-nai-2026", "version": "2026.1"})
    assert head["parent"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH ĐỒNG NAI"
    assert head["recipient"] == "Sở Giáo dục và Đào tạo tỉnh Đồng Nai"
    assert head["place_date"] == "Biên Hòa, ngày ...... tháng ...... năm .........."
    assert head["signer_title"] == ["KT. HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG"]
    assert head["pursuant"].startswith("Căn cứ bộ yêu cầu kiểm tra theo “Kế hoạch”")
    english = official_view(Fmt("en"), {"name": "X School"}, when, None)
    assert english["place_date"].endswith("5 June 2026") and english["signer_title"] == ["PRINCIPAL"]
