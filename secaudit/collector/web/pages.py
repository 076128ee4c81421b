"""The reading pages: / (the overview of the user's scope), /units/{code}, /hosts/{id}, the stored
envelope of a report (/reports/{id}/envelope), and the quarantine of refused envelopes (/quarantine, only for
an admin of a whole tree). Each one is logged (who viewed what) and reads through the
scoping function: anything outside the user's subtree, or that does not exist, is the same 404 page."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from secaudit.collector import quarantine
from secaudit.collector.envelopes import EnvelopeDamaged, unpack
from secaudit.collector.errors import ApiError, not_found
from secaudit.collector.models import MAX_ROW_ID, Report
from secaudit.collector.scope import db_session, require_unit, unit_in_scope
from secaudit.collector.web import auth, views
from secaudit.collector.web.access import page_router, record, web_user
from secaudit.collector.web.render import page

router = page_router()

_USER = Depends(web_user)
_SESSION = Depends(db_session)
PAGE = Query(1, ge=1, le=10**6, alias="page")


def _id(value: str) -> int:
    """A path id: digits within range, else the same 404 as an id that does not exist."""
    if not value.isdigit() or len(value) > 19 or not 1 <= int(value) <= MAX_ROW_ID:
        raise not_found()
    return int(value)


@router.get("/")
def overview(request: Request, page_no: int = PAGE, current: auth.Current = _USER,
             session: Session = _SESSION) -> Response:
    unit = views.scope_unit(session, current.user)
    data = views.unit_page(session, current.user, unit, page_no)
    record(request, current.name, "view")
    return page(request, "unit.html.j2", {**data, "overview": True})


@router.get("/units/{code}")
def unit(request: Request, code: str, page_no: int = PAGE, current: auth.Current = _USER,
         session: Session = _SESSION) -> Response:
    found = unit_in_scope(session, current.user, code)
    data = views.unit_page(session, current.user, found, page_no)
    record(request, current.name, "view")
    return page(request, "unit.html.j2", {**data, "overview": False})


@router.get("/hosts/{host_id}")
def host(request: Request, host_id: str, current: auth.Current = _USER, session: Session = _SESSION) -> Response:
    data = views.host_page(session, current.user, _id(host_id))
    record(request, current.name, "view")
    return page(request, "host.html.j2", data)


@router.get("/reports/{report_id}/envelope")
def envelope(request: Request, report_id: str, current: auth.Current = _USER,
             session: Session = _SESSION) -> Response:
    """The signed envelope exactly as received: `secaudit verify report-N.secaudit.json --pubkey KEY`."""
    report = session.get(Report, _id(report_id))
    if report is None:
        raise not_found()
    require_unit(session, current.user, report.unit_id)
    try:
        raw = unpack(session, report.envelope_z)
    except EnvelopeDamaged:
        raise ApiError(500, "envelope_damaged", "Bản lưu của báo cáo bị hỏng.", "The stored report is damaged.") \
            from None
    record(request, current.name, "download")
    return Response(raw, media_type="application/vnd.secaudit.dsse+json", headers={
        "Content-Disposition": f'attachment; filename="report-{report.id}.secaudit.json"', "Cache-Control": "no-store"})


QUARANTINE_PAGE = 50


def _whole_tree(current: auth.Current) -> None:
    """A refused envelope may belong to no unit: only an admin of a whole tree reads them; others get the
    same 404 as for anything outside their scope."""
    if not current.whole_tree:
        raise not_found()


@router.get("/quarantine")
def quarantine_page(request: Request, page_no: int = PAGE, current: auth.Current = _USER,
                    session: Session = _SESSION) -> Response:
    _whole_tree(current)
    total = quarantine.count(session)
    rows = quarantine.listing(session, QUARANTINE_PAGE, (page_no - 1) * QUARANTINE_PAGE)
    record(request, current.name, "view")
    return page(request, "quarantine.html.j2", {"rows": rows, "total": total, "page_no": page_no,
                                                "pages": max(1, -(-total // QUARANTINE_PAGE))})


@router.get("/quarantine/{row_id}/envelope")
def quarantine_envelope(request: Request, row_id: str, current: auth.Current = _USER,
                        session: Session = _SESSION) -> Response:
    """A refused envelope's exact bytes, as a download only (never shown: they are hostile)."""
    _whole_tree(current)
    found_id = _id(row_id)
    raw = quarantine.envelope(session, found_id)
    if raw is None:
        raise not_found()
    record(request, current.name, "download")
    return Response(raw, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="refused-{found_id}.secaudit.json"',
        "Cache-Control": "no-store"})
