"""Read routes under /api/v1 for officers and incident responders: unit summary, late units and gaps,
history, inventory search, a host with its history, a report's original envelope, CSV/XLSX exports.

Every route authenticates the caller (scope.current_user) and reads only through the scoping function:
a unit by scope.unit_in_scope, an object by scope.require_unit, lists filtered by scope.visible_units;
anything outside the caller's subtree answers 404 like something that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from secaudit.collector import aggregate, exports, search
from secaudit.collector import schemas_reports as sr
from secaudit.collector.envelopes import EnvelopeDamaged, unpack
from secaudit.collector.errors import ApiError, not_found
from secaudit.collector.models import MAX_ROW_ID, Report, User
from secaudit.collector.schemas import ErrorBody
from secaudit.collector.scope import current_user, db_session, require_unit, unit_in_scope

router = APIRouter(prefix="/api/v1")

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorBody} for code in (400, 401, 404)}
_USER = Depends(current_user)
_SESSION = Depends(db_session)
CODE = Path(min_length=1, max_length=64, description="Mã đơn vị / unit code")
LANG = Query("vi", pattern="^(vi|en)$")
AS_OF = Query(None, description="YYYY-MM-DD (default: today, in Vietnam)")


def _as_of(value: date | None) -> date | None:
    """The day asked about, kept within years the calendar arithmetic can reach (the answer says which)."""
    if value is None:
        return None
    return min(max(value, date(1970, 1, 1)), date(9000, 12, 31))


@router.get("/units/{code}/summary", tags=["aggregation"], responses=_ERRORS, response_model=sr.Summary)
def unit_summary(code: str = CODE, limit: int = Query(aggregate.HOSTS_PAGE, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=10**9), user: User = _USER,
                 session: Session = _SESSION) -> dict[str, Any]:
    """Per child unit and per requirement/clause: status counts of the hosts' latest reports, score,
    worst hosts, each host's latest report (paged)."""
    return aggregate.summary(session, unit_in_scope(session, user, code), limit, offset)


@router.get("/units/{code}/late", tags=["aggregation"], responses=_ERRORS, response_model=sr.Late)
def unit_late(code: str = CODE, as_of: date | None = AS_OF,
              limit: int = Query(aggregate.LATE_PAGE, ge=1, le=10000), offset: int = Query(0, ge=0, le=10**9),
              user: User = _USER, session: Session = _SESSION) -> dict[str, Any]:
    """Units of the subtree late for the last period of their plan's cadence (most overdue first), pending
    for the open one (fewest days left first), on time, without a cadence, and agents with sequence gaps;
    each list paged by `limit`/`offset`, with its full length in `totals`."""
    return aggregate.late_page(aggregate.late(session, unit_in_scope(session, user, code), _as_of(as_of)),
                               limit, offset)


@router.get("/units/{code}/history", tags=["aggregation"], responses=_ERRORS, response_model=sr.History)
def unit_history(code: str = CODE, requirement: str | None = Query(None, max_length=200),
                 months: int = Query(24, ge=1, le=120), user: User = _USER,
                 session: Session = _SESSION) -> dict[str, Any]:
    """Per month: reports, hosts reporting, average score, failures; with `requirement`, its status counts."""
    return aggregate.history(session, unit_in_scope(session, user, code), requirement, months)


@router.get("/inventory/search", tags=["inventory"], responses=_ERRORS, response_model=sr.SearchResult)
def inventory_search(q: str | None = Query(None, max_length=200), av_older_than: int | None = Query(
                         None, ge=0, le=36500, description="antivirus signatures older than N days"),
                     limit: int = Query(search.LIMIT, ge=1, le=1000), user: User = _USER,
                     session: Session = _SESSION) -> dict[str, Any]:
    """Hostnames, IPs, MACs (any spelling), open ports, software name@version, antivirus products (and
    their signature age with av_older_than), LAN devices included, within the caller's scope."""
    if av_older_than is not None:
        return search.antivirus_older_than(session, user, av_older_than, limit)
    return search.search(session, user, q or "", limit)


@router.get("/hosts/{host_id}", tags=["inventory"], responses=_ERRORS, response_model=sr.HostDetail)
def host(host_id: int = Path(ge=1, le=MAX_ROW_ID), user: User = _USER, session: Session = _SESSION) -> dict[str, Any]:
    """A host or LAN device: its unit, current inventory, inventory changes, reports, latest findings."""
    return search.host_detail(session, user, host_id)


@router.get("/reports/{report_id}/envelope", tags=["reports"], responses={
    **_ERRORS, 200: {"content": {"application/vnd.secaudit.dsse+json": {}}}})
def report_envelope(report_id: int = Path(ge=1, le=MAX_ROW_ID), user: User = _USER,
                    session: Session = _SESSION) -> Response:
    """The signed envelope exactly as received (verify it with `secaudit verify`)."""
    report = session.get(Report, report_id)
    if report is None:
        raise not_found()
    require_unit(session, user, report.unit_id)
    try:
        raw = unpack(session, report.envelope_z)
    except EnvelopeDamaged:
        raise ApiError(500, "envelope_damaged", "Bản lưu của báo cáo bị hỏng.", "The stored report is damaged.") \
            from None
    return Response(raw, media_type="application/vnd.secaudit.dsse+json",
                    headers={"Content-Disposition": f'attachment; filename="report-{report.id}.secaudit.json"'})


_MEDIA = {"csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_EXPORT_DOC: dict[int | str, dict[str, Any]] = {**_ERRORS, 200: {"content": {m: {} for m in _MEDIA.values()}}}


def _export(tables: list[exports.Table], name: str, fmt: str, table: int = 0) -> Response:
    data = exports.to_xlsx(tables) if fmt == "xlsx" else exports.to_csv(tables[min(table, len(tables) - 1)])
    return Response(data, media_type=_MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/exports/summary.{fmt}", tags=["exports"], responses=_EXPORT_DOC)
def export_summary(fmt: Literal["csv", "xlsx"], unit: str = Query(min_length=1, max_length=64),
                   table: Literal["units", "requirements", "hosts"] = "units", lang: str = LANG,
                   user: User = _USER, session: Session = _SESSION) -> Response:
    """The summary of a unit: CSV (one table: units, requirements or hosts) or XLSX (all three sheets)."""
    data = aggregate.summary(session, unit_in_scope(session, user, unit), limit=100_000)
    index = ("units", "requirements", "hosts").index(table)
    return _export(exports.summary_tables(data, lang), f"summary-{_safe(unit)}", fmt, index)


@router.get("/exports/late.{fmt}", tags=["exports"], responses=_EXPORT_DOC)
def export_late(fmt: Literal["csv", "xlsx"], unit: str = Query(min_length=1, max_length=64),
                as_of: date | None = None, lang: str = LANG, user: User = _USER,
                session: Session = _SESSION) -> Response:
    """Late and pending units: CSV (late only) or XLSX (both sheets)."""
    data = aggregate.late(session, unit_in_scope(session, user, unit), _as_of(as_of))
    return _export(exports.late_tables(data, lang), f"late-{_safe(unit)}", fmt)


@router.get("/exports/inventory.{fmt}", tags=["exports"], responses=_EXPORT_DOC)
def export_inventory(fmt: Literal["csv", "xlsx"], q: str | None = Query(None, max_length=200),
                     av_older_than: int | None = Query(None, ge=0, le=36500), lang: str = LANG,
                     user: User = _USER, session: Session = _SESSION) -> Response:
    """The hits of an inventory search."""
    limit = 10_000
    data = (search.antivirus_older_than(session, user, av_older_than, limit) if av_older_than is not None
            else search.search(session, user, q or "", limit))
    return _export(exports.inventory_tables(data, lang), "inventory", fmt)


def _safe(code: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in code)[:64]
