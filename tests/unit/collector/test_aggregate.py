"""Which units must report and under which plan: leaves and units with agents, playbooks inherited; the
page's cut of the late units (late_overview) against late()."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from secaudit.collector import aggregate, index
from secaudit.collector.models import Report, Unit
from tests.unit.collector.world import (
    DB_KINDS,
    World,
    all_pass,
    report,
    scan_report,
    url_for,
    when,
    with_attestation,
)


def test_reporting_units_and_their_plans(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.units()
    world.agent("BH")  # a district office with its own PC reports too
    with world.db.read() as s:
        dn = s.scalars(select(Unit).where(Unit.code == "DN")).one()
        got = {u.code: playbook for u, playbook in aggregate._reporting_units(s, dn)}
        assert got == {"BH": "bien-hoa-2024-2025", "BH01": "bien-hoa-2024-2025", "BH02": "bien-hoa-2024-2025",
                       "LK01": "dong-nai-2026"}
        bh01 = s.scalars(select(Unit).where(Unit.code == "BH01")).one()
        assert {u.code: p for u, p in aggregate._reporting_units(s, bh01)} == {"BH01": "bien-hoa-2024-2025"}
        assert aggregate.playbook_cadence("bien-hoa-2024-2025")["kind"] == "school_year"
        assert aggregate.playbook_cadence("no-such-plan") == {} and aggregate.playbook_cadence(None) == {}


TREE = """code,name,parent,level,playbook
DN,Sở GDĐT Đồng Nai,,province,dong-nai-2026
BH,Phòng GDĐT Biên Hòa,DN,district,bien-hoa-2024-2025
BH01,Trường 1,BH,school,
BH02,Trường 2,BH,school,
BH03,Trường 3,BH,school,dak-lak-2026
LK,Phòng GDĐT Long Khánh,DN,district,
LK01,Trường 4,LK,school,
LK02,Trường 5,LK,school,baseline
LK03,Trường 6,LK,school,
TX,Phòng GDĐT Trảng Bom,DN,district,
TX01,Trường 7,TX,school,
"""
# LK02's plan has no cadence; unit code -> receipt times of its reports (LK03: a conflict, an audit, a scan)
RECEIVED = {"BH": ["2024-10-09T03:00:00Z"], "BH01": ["2024-10-09T16:59:59Z", "2025-05-29T10:00:00Z"],
            "BH02": ["2024-10-12T03:00:00Z", "2026-06-14T17:00:00Z"], "BH03": ["2026-09-25T17:30:00Z"],
            "LK01": ["2026-06-10T03:00:00Z", "2027-03-01T00:00:00Z"], "LK02": ["2025-01-01T00:00:00Z"],
            "LK03": ["2025-06-01T03:00:00Z", "2026-07-02T03:00:00Z", "2025-06-14T16:59:59Z"]}


@pytest.mark.parametrize("kind", DB_KINDS)
def test_late_overview_is_late_cut_for_the_page(tmp_path: Path, kind: str) -> None:
    """late_overview (one statement over the subtree) answers what the page took from late(): the first
    rows of each list in the page's order, the totals, the gaps; on every day around the three plans'
    due dates, for the province, a district and a school; the months of the history are those received."""
    world = World(tmp_path, url_for(kind))
    world.units(TREE)
    for code, times in RECEIVED.items():
        agent = world.agent(code)
        for i, _ in enumerate(times):
            if code == "LK03" and i == 2:
                world.upload(agent, scan_report([], hostname=f"PC-{code}"))
            else:
                world.upload(agent, report(hostname=f"PC-{code}", seed=i))
    with world.db.write() as s:
        for code, times in RECEIVED.items():
            ids = s.scalars(select(Report.id).where(Report.hostname == f"PC-{code}").order_by(Report.id)).all()
            for report_id, at in zip(ids, times, strict=True):
                conflict = code == "LK03" and at < "2025-06-02"
                s.execute(update(Report).where(Report.id == report_id).values(received_at=when(at), conflict=conflict))
        index.rebuild_months(s)  # the receipt times changed under the unit months
    days = [date(2024, 10, 1) + timedelta(days=d) for d in range(0, 1050, 9)]
    days += [date(2024, 10, 10), date(2024, 10, 11), date(2025, 5, 30), date(2025, 5, 31), date(2026, 6, 15),
             date(2026, 6, 16), date(2026, 9, 25), date(2026, 9, 26), date(2026, 12, 25), date(2026, 12, 26)]
    seen = set()
    with world.db.read() as s:
        for code in ("DN", "BH", "LK", "BH03"):
            unit = s.scalars(select(Unit).where(Unit.code == code)).one()
            for day in days:
                full = aggregate.late(s, unit, day)
                late = sorted(full["late"], key=lambda r: (-r["days_overdue"], r["code"]))
                pending = sorted(full["pending"], key=lambda r: (r["days_left"], r["code"]))
                for shown in (1, 2, 100):
                    assert aggregate.late_overview(s, unit, shown, day) == {
                        "unit": code, "as_of": day.isoformat(), "late": late[:shown], "late_total": len(late),
                        "pending": pending[:shown], "pending_total": len(pending), "on_time": len(full["on_time"]),
                        "no_cadence": len(full["no_cadence"]), "gaps": full["gaps"][:shown]}, (code, day, shown)
                seen |= {(r["status"], r["playbook"]) for r in full["late"] + full["pending"]}
        dn = s.scalars(select(Unit).where(Unit.code == "DN")).one()
        months = [m["month"] for m in aggregate.history(s, dn, months=1000)["months"]]
    assert {"late", "missing", "pending"} <= {status for status, _ in seen}
    assert {"bien-hoa-2024-2025", "dak-lak-2026", "dong-nai-2026"} <= {book for _, book in seen}
    assert months == sorted({at[:7] for code, times in RECEIVED.items() for at in times[:2 if code == "LK03" else 9]})


@pytest.mark.parametrize("kind", DB_KINDS)
def test_summary_counts_attested_apart_from_pass(tmp_path: Path, kind: str) -> None:
    """Attested requirements (the school's "yes") are counted in the summary's requirements and clauses and
    in a requirement's history, never as pass: the pass rate is over what the machine judged (null when the
    schools' word is all there is); the hosts' overall counts stay the machine's."""
    world = World(tmp_path, url_for(kind))
    world.units()
    first, second, third = world.agent("LK01"), world.agent("LK01"), world.agent("BH01")
    world.upload(first, with_attestation(report(seed=3, hostname="PC-A")))
    world.upload(third, with_attestation(report(seed=4, hostname="PC-C")))

    def dn() -> dict[str, Any]:
        with world.db.read() as s:
            return aggregate.summary(s, s.scalars(select(Unit).where(Unit.code == "DN")).one())

    def gov(summary: dict[str, Any]) -> dict[str, Any]:
        return next(r for r in summary["requirements"] if r["id"] == "VN-GOV-02")

    none = dict.fromkeys(("pass", "warn", "fail", "unknown", "not_applicable", "error", "attested"), 0)
    body = dn()
    assert gov(body)["counts"] == {**none, "attested": 2} and gov(body)["pass_rate"] is None
    clause = next(c for c in body["clauses"] if c["clause"] == "II.6.c")
    assert clause["requirements"] == ["VN-GOV-02"] and clause["counts"] == {**none, "attested": 2}
    assert body["totals"]["status"] == {**none, "fail": 2}  # the hosts' worst: attested never
    assert {c["code"]: c["status"]["attested"] for c in body["children"]} == {"BH": 0, "LK": 0}

    machine = all_pass(report(seed=5, hostname="PC-B"))  # the same requirement judged by a machine: pass
    machine["requirements"].append({**with_attestation(machine)["requirements"][-1], "status": "pass",
                                    "attestations": []})
    world.upload(second, machine)
    assert gov(dn())["counts"] == {**none, "pass": 1, "attested": 2} and gov(dn())["pass_rate"] == 100
    world.upload(first, with_attestation(report(seed=3, hostname="PC-A", generated_at="2026-07-05T02:30:00Z"), "no"))
    body = dn()
    assert gov(body)["counts"] == {**none, "pass": 1, "fail": 1, "attested": 1} and gov(body)["pass_rate"] == 50
    assert next(c for c in body["clauses"] if c["clause"] == "II.6.c")["counts"] == gov(body)["counts"]
    with world.db.read() as s:
        lk = s.scalars(select(Unit).where(Unit.code == "LK")).one()
        months = aggregate.history(s, lk, "VN-GOV-02")["requirement"]["months"]
    assert [m["counts"] for m in months] == [{**none, "pass": 1, "fail": 1, "attested": 1}]  # every report
