"""Exports of the current view, in the user's language, each one logged (who exported what):

/exports/units/{code}/summary.csv?table=units|requirements|hosts|late|pending   one table of a unit's page
/exports/units/{code}/summary.xlsx                                                every table, one sheet each
/exports/units/{code}/official.pdf?period=YYYY-MM-DD   the consolidated official report of the subtree
/exports/search.csv?q=… and /exports/search.xlsx?q=…   the hits of an inventory search

The tables are the collector's own (aggregate.summary/late, search.search through exports.py); the unit
goes through the scoping function: out of scope or unknown is the page's 404."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from secaudit.collector import aggregate, exports, search
from secaudit.collector.scope import db_session, unit_in_scope
from secaudit.collector.web import auth, i18n, official
from secaudit.collector.web.access import page_router, record, web_user

router = page_router()

EXPORT_ROWS = 10_000
_MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "pdf": "application/pdf"}
_TABLES = ("units", "requirements", "hosts", "late", "pending")
_USER = Depends(web_user)
_SESSION = Depends(db_session)


def safe_name(code: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in code)[:64] or "unit"


def _download(data: bytes, name: str, fmt: str) -> Response:
    return Response(data, media_type=_MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})


def unit_tables(session: Session, unit_code: str, current: auth.Current, lang: str) -> list[exports.Table]:
    unit = unit_in_scope(session, current.user, unit_code)
    summary = aggregate.summary(session, unit, limit=EXPORT_ROWS)
    return exports.summary_tables(summary, lang) + exports.late_tables(aggregate.late(session, unit), lang)


@router.get("/exports/units/{code}/summary.{fmt}")
def unit_export(request: Request, code: str, fmt: Literal["csv", "xlsx"],
                table: Literal["units", "requirements", "hosts", "late", "pending"] = "units",
                current: auth.Current = _USER, session: Session = _SESSION) -> Response:
    tables = unit_tables(session, code, current, i18n.language(request))
    data = exports.to_xlsx(tables) if fmt == "xlsx" else exports.to_csv(tables[_TABLES.index(table)])
    record(request, current.name, "export")
    suffix = "" if fmt == "xlsx" else f"-{table}"
    return _download(data, f"secaudit-{safe_name(code)}{suffix}", fmt)


@router.get("/exports/units/{code}/official.pdf")
def official_pdf(request: Request, code: str, period: date | None = None, current: auth.Current = _USER,
                 session: Session = _SESSION) -> Response:
    unit = unit_in_scope(session, current.user, code)
    window = official.choose_period(session, unit, period)
    data = official.render(session, unit, window, i18n.language(request))
    record(request, current.name, "export")
    return _download(data, f"bao-cao-{safe_name(code)}-{window.label}", "pdf")


@router.get("/exports/search.{fmt}")
def search_export(request: Request, fmt: Literal["csv", "xlsx"], q: str = Query("", max_length=200),
                  av_older_than: int | None = Query(None, ge=0, le=36500), current: auth.Current = _USER,
                  session: Session = _SESSION) -> Response:
    data = (search.antivirus_older_than(session, current.user, av_older_than, EXPORT_ROWS)
            if av_older_than is not None else search.search(session, current.user, q, EXPORT_ROWS))
    tables = exports.inventory_tables(data, i18n.language(request))
    record(request, current.name, "export")
    return _download(exports.to_xlsx(tables) if fmt == "xlsx" else exports.to_csv(tables[0]), "secaudit-search", fmt)
