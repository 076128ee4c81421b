"""Reporting periods from a playbook's `cadence:` block: which period a day falls in and when it is due.

Every plan says when reports are due; the collector turns that into periods that END on a due date:
the period of due date D runs from the day after the previous due date through D (the due day itself
counts as on time). Dates are days in Vietnam (UTC+7, no daylight saving), the plans' own calendar.

- annual (Đồng Nai: due ["06-15"]): one period a year, 16 June .. 15 June;
- quarterly (Đắk Lắk: due ["03-25", "06-25", "09-25", "12-25"]): 26 Dec .. 25 Mar, 26 Mar .. 25 Jun, ...;
  without due dates: the quarters' last days;
- monthly: the day of month of the first due date (default: the last day of each month);
- school_year / dates (Biên Hòa: due ["2024-10-10", "2024-12-14", "2025-05-30"]): the given dates (a
  MM-DD date recurs every year); the first period starts on 1 August, the start of a school year. After
  the last fixed date the plan has ended: its last period stays the one reports are judged against.

A unit is LATE for the last period whose due date has passed when no audit report was received in it;
it is PENDING for the open period (due date ahead) until a report arrives. The collector's receipt
time counts, never the agent's claimed clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

VN_TZ = timezone(timedelta(hours=7), "ICT")
SCHOOL_YEAR_START = (8, 1)  # month, day
_SPAN_YEARS = 2  # recurring dates are expanded this many years either side of the day asked about


@dataclass(frozen=True)
class Period:
    start: date  # first day of the period (inclusive)
    due: date  # last day on time (inclusive)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.due

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "due": self.due.isoformat()}


def local_day(when: datetime) -> date:
    """The day in Vietnam of an aware datetime (naive ones are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(VN_TZ).date()


def _month_day(year: int, month: int, day: int) -> date:
    """The date, with 29 Feb in a common year (and the 31st of a short month) moved to the month's end."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _parse(text: str, year: int) -> date:
    if len(text) == 10:
        return date.fromisoformat(text)
    month, day = (int(part) for part in text.split("-"))
    return _month_day(year, month, day)


def due_dates(cadence: dict[str, Any], around: date) -> list[date]:
    """Every due date of the cadence near `around` (recurring dates within ±2 years), sorted."""
    kind = cadence.get("kind")
    due = [str(d) for d in cadence.get("due") or []]
    years = range(around.year - _SPAN_YEARS, around.year + _SPAN_YEARS + 1)
    out: set[date] = set()
    if kind == "monthly":
        day = int(due[0][-2:]) if due else 31
        for year in years:
            for month in range(1, 13):
                out.add(_month_day(year, month, day))
        return sorted(out)
    if not due:
        if kind == "quarterly":
            due = ["03-31", "06-30", "09-30", "12-31"]
        elif kind == "annual":
            due = ["12-31"]
        else:
            return []
    for text in due:
        if len(text) == 10:
            out.add(date.fromisoformat(text))
        else:
            out.update(_parse(text, year) for year in years)
    return sorted(out)


def _recurring(cadence: dict[str, Any]) -> bool:
    due = [str(d) for d in cadence.get("due") or []]
    return cadence.get("kind") in ("annual", "quarterly", "monthly") or any(len(d) != 10 for d in due)


def periods(cadence: dict[str, Any], around: date) -> list[Period]:
    """The periods ending on each due date near `around`, oldest first."""
    dates = due_dates(cadence, around)
    if not dates:
        return []
    out: list[Period] = []
    for i, due in enumerate(dates):
        if i:
            start = dates[i - 1] + timedelta(days=1)
        elif _recurring(cadence):
            continue  # the first recurring date has no known predecessor: periods begin at the second
        else:
            month, day = SCHOOL_YEAR_START
            year = due.year if (due.month, due.day) >= (month, day) else due.year - 1
            start = date(year, month, day)
        out.append(Period(start, due))
    return out


@dataclass(frozen=True)
class Standing:
    """Where a unit stands on `today` for one cadence."""

    closed: Period | None  # the last period whose due date has passed (judged: on time, late or missing)
    open: Period | None  # the period still running (due date today or ahead), None after a plan's last date
    ended: bool  # a plan with fixed dates whose last due date has passed


def standing(cadence: dict[str, Any], today: date) -> Standing:
    all_periods = periods(cadence, today)
    closed = [p for p in all_periods if p.due < today]
    running = [p for p in all_periods if p.due >= today]
    return Standing(closed[-1] if closed else None, running[0] if running else None,
                    bool(all_periods) and not running)


def judge(period: Period, received: list[date]) -> str:
    """`on_time` when a report was received within the period, `late` when the first one after its start
    came after the due date, else `missing`."""
    if any(period.contains(day) for day in received):
        return "on_time"
    if any(day > period.due for day in received):
        return "late"
    return "missing"
