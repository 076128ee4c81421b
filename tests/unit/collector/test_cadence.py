"""Periods and due dates of the three plans' cadences, read from the shipped playbooks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from secaudit import pipeline
from secaudit import playbook as pb
from secaudit.collector import cadence as cd


@pytest.fixture(scope="module")
def books() -> dict[str, pb.Playbook]:
    catalog = pipeline.check_catalog()
    return {p.stem: pb.load(p, catalog) for p in pb.list_shipped()}


def test_dong_nai_yearly_by_15_june(books: dict[str, pb.Playbook]) -> None:
    cad = books["dong-nai-2026"].cadence
    st = cd.standing(cad, date(2026, 12, 5))
    assert st.closed == cd.Period(date(2025, 6, 16), date(2026, 6, 15))
    assert st.open == cd.Period(date(2026, 6, 16), date(2027, 6, 15))
    assert not st.ended
    on_due = cd.standing(cad, date(2026, 6, 15))  # the due day itself is still open
    assert on_due.open is not None and on_due.open.due == date(2026, 6, 15)


def test_dak_lak_quarterly_by_the_25th(books: dict[str, pb.Playbook]) -> None:
    cad = books["dak-lak-2026"].cadence
    st = cd.standing(cad, date(2026, 12, 5))
    assert st.closed == cd.Period(date(2026, 6, 26), date(2026, 9, 25))
    assert st.open == cd.Period(date(2026, 9, 26), date(2026, 12, 25))
    st = cd.standing(cad, date(2027, 1, 2))
    assert st.closed == cd.Period(date(2026, 9, 26), date(2026, 12, 25))
    assert st.open == cd.Period(date(2026, 12, 26), date(2027, 3, 25))


def test_bien_hoa_dates_and_end(books: dict[str, pb.Playbook]) -> None:
    cad = books["bien-hoa-2024-2025"].cadence
    assert [p.as_dict() for p in cd.periods(cad, date(2024, 11, 1))] == [
        {"start": "2024-08-01", "due": "2024-10-10"},
        {"start": "2024-10-11", "due": "2024-12-14"},
        {"start": "2024-12-15", "due": "2025-05-30"},
    ]
    st = cd.standing(cad, date(2024, 11, 1))
    assert st.closed is not None and st.closed.due == date(2024, 10, 10)
    assert st.open is not None and st.open.due == date(2024, 12, 14)
    before = cd.standing(cad, date(2024, 9, 1))
    assert before.closed is None and before.open is not None
    after = cd.standing(cad, date(2026, 12, 5))
    assert after.ended and after.open is None
    assert after.closed == cd.Period(date(2024, 12, 15), date(2025, 5, 30))


def test_no_cadence_and_defaults() -> None:
    assert cd.standing({}, date(2026, 1, 1)) == cd.Standing(None, None, False)
    quarters = cd.standing({"kind": "quarterly", "due": []}, date(2026, 5, 1))
    assert quarters.open == cd.Period(date(2026, 4, 1), date(2026, 6, 30))
    monthly = cd.standing({"kind": "monthly", "due": ["01-31"]}, date(2026, 2, 10))
    assert monthly.open == cd.Period(date(2026, 2, 1), date(2026, 2, 28))
    leap = cd.due_dates({"kind": "annual", "due": ["02-29"]}, date(2026, 1, 1))
    assert date(2026, 2, 28) in leap and date(2028, 2, 29) in leap


def test_judge_and_local_day() -> None:
    period = cd.Period(date(2026, 3, 26), date(2026, 6, 25))
    assert cd.judge(period, [date(2026, 6, 25)]) == "on_time"
    assert cd.judge(period, [date(2026, 6, 26)]) == "late"
    assert cd.judge(period, [date(2026, 3, 25)]) == "missing"
    # 17:30 UTC on 25 June is 00:30 on 26 June in Vietnam: after the due day
    assert cd.local_day(datetime(2026, 6, 25, 17, 30, tzinfo=UTC)) == date(2026, 6, 26)
    assert cd.local_day(datetime(2026, 6, 25, 16, 59)) == date(2026, 6, 25)
