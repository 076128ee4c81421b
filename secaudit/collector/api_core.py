"""Core routes under /api/v1: health, enroll, reports (upload), receipts/keys, me, units/{code}.

Bodies of enroll and upload are read as bytes under a cap (Content-Length first, then while streaming);
the work runs in the thread pool (database and signature checks block).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secaudit import __version__
from secaudit.collector import enroll as enrollment
from secaudit.collector import migrate, receipts, upload
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Agent, Unit, UnitEvent, User, utcnow
from secaudit.collector.schemas import (
    CollectorKeys,
    ConflictBody,
    Enrollment,
    ErrorBody,
    Health,
    Me,
    Receipt,
    UnitOut,
)
from secaudit.collector.scope import current_user, db_session, unit_in_scope
from secaudit.collector.units import code_path, effective_playbook
from secaudit.limits import ENVELOPE
from secaudit.sign.payload_types import REPORT_TYPE
from secaudit.timefmt import FORMAT

router = APIRouter(prefix="/api/v1")

ENVELOPE_TYPES = ("application/vnd.secaudit.dsse+json", "application/json")
ENROLL_FAILURES = 20  # failed enrollments per client address per window, then 429
ENROLL_WINDOW = 600.0
UPLOAD_SLOTS = 32


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


def _body_doc(description: str, payload_type: str) -> dict[str, Any]:
    schema = {"type": "object", "required": ["payloadType", "payload", "signatures"],
              "properties": {"payloadType": {"type": "string", "enum": [payload_type]},
                             "payload": {"type": "string", "pattern": "^[A-Za-z0-9+/_-]+={0,2}$"},
                             "signatures": {"type": "array", "minItems": 1, "maxItems": 16, "items": {
                                 "type": "object", "required": ["keyid", "sig"], "properties": {
                                     "keyid": {"type": "string"}, "sig": {"type": "string"}}}}}}
    return {"requestBody": {"required": True, "description": description,
                            "content": {t: {"schema": schema} for t in ENVELOPE_TYPES}}}


class _Limiter:
    """Failed attempts per client address in a sliding window (enrollment tokens cannot be brute-forced)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            if len(self._seen) > 100_000:  # bounded memory under a flood of addresses
                self._seen.clear()
            self._recent(key, time.monotonic()).append(time.monotonic())


def _database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def read_body(request: Request, cap: int, *, envelope: bool = True) -> bytes:
    """The request body, refused early when it is too large, of the wrong type or encoding."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if envelope and ctype not in ENVELOPE_TYPES:
        raise ApiError(415, "unsupported_media_type",
                       f"Kiểu nội dung phải là {' hoặc '.join(ENVELOPE_TYPES)}.",
                       f"The content type must be {' or '.join(ENVELOPE_TYPES)}.")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", ""):
        raise ApiError(415, "unsupported_encoding", "Chỉ hỗ trợ mã hóa gzip.", "Only the gzip encoding is supported.")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > cap):
        raise upload.too_large(int(length) if length.isdigit() else None)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise upload.too_large()
        chunks.append(chunk)
    data = b"".join(chunks)
    return upload.gunzip(data, cap) if encoding == "gzip" else data


@router.get("/health", response_model=Health, tags=["core"], responses={503: {"model": Health}})
def health(request: Request) -> JSONResponse:
    db = _database(request)
    try:
        revision = migrate.current(db.engine)
        status = "ok"
    except Exception:  # the database is down: say so, do not crash
        revision, status = None, "degraded"
    return JSONResponse({"status": status, "version": __version__, "database": db.engine.dialect.name,
                         "schema_revision": revision, "server_time": utcnow().strftime(FORMAT)},
                        status_code=200 if status == "ok" else 503)


@router.get("/receipts/keys", response_model=CollectorKeys, tags=["reports"])
def receipt_keys(session: Session = Depends(db_session)) -> dict[str, Any]:  # noqa: B008
    """The collector's keys that sign receipts (public, no account needed: a school or an inspector checks
    a receipt with them), the current one last."""
    return {"keys": receipts.public_keys(session)}


@router.post("/enroll", status_code=201, tags=["agents"],
             openapi_extra=_body_doc("DSSE enrollment request signed by the key it enrolls", enrollment.ENROLL_TYPE),
             responses={201: {"model": Enrollment}, **_errors(400, 401, 403, 409, 413, 415, 429, 503)})
async def enroll(request: Request) -> JSONResponse:
    limiter: _Limiter = request.app.state.enroll_limiter
    client = request.client.host if request.client else "?"
    if limiter.blocked(client):
        raise ApiError(429, "too_many_requests", "Quá nhiều lần đăng ký sai; thử lại sau.",
                       "Too many failed enrollments; try again later.", {"Retry-After": str(int(ENROLL_WINDOW))})
    raw = await read_body(request, enrollment.MAX_REQUEST)
    try:
        response = await run_in_threadpool(enrollment.enroll, _database(request), raw)
    except ApiError as exc:
        if exc.status in (400, 401, 409):
            limiter.failed(client)
        raise
    return JSONResponse(response, status_code=201)


@router.post("/reports", status_code=201, tags=["reports"],
             openapi_extra=_body_doc("The DSSE envelope exactly as secaudit audit wrote it", REPORT_TYPE),
             responses={201: {"model": Receipt}, 200: {"model": Receipt}, 409: {"model": ConflictBody},
                        **_errors(400, 401, 403, 413, 415, 503)})
async def reports(request: Request) -> JSONResponse:
    slots: asyncio.Semaphore = request.app.state.upload_slots
    async with slots:  # bodies of at most UPLOAD_SLOTS uploads in memory at once (16 MiB each at worst)
        raw = await read_body(request, ENVELOPE)
        client = request.client.host if request.client else None
        outcome = await run_in_threadpool(upload.receive, _database(request), raw, "https", client)
    return JSONResponse(outcome.body, status_code=outcome.status)


def _unit_ref(session: Session, unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "path": code_path(session, unit)}


@router.get("/me", response_model=Me, tags=["users"], responses=_errors(401))
def me(user: User = Depends(current_user), session: Session = Depends(db_session)) -> dict[str, Any]:  # noqa: B008
    return {"name": user.name, "role": user.role, "scope": _unit_ref(session, user.scope_unit)}


@router.get("/units/{code}", response_model=UnitOut, tags=["units"], responses=_errors(401, 404))
def unit(code: str, user: User = Depends(current_user),  # noqa: B008
         session: Session = Depends(db_session)) -> dict[str, Any]:  # noqa: B008
    found = unit_in_scope(session, user, code)
    children = session.scalars(select(Unit).where(Unit.parent_id == found.id).order_by(Unit.code)).all()
    agents = session.scalar(select(func.count()).select_from(Agent).where(Agent.unit_id == found.id)) or 0
    events = session.scalars(select(UnitEvent).where(UnitEvent.unit_id == found.id)
                             .order_by(UnitEvent.at.desc(), UnitEvent.id.desc()).limit(200)).all()
    playbook = effective_playbook(session, found)
    return {"code": found.code, "name": found.name, "level": found.level, "path": code_path(session, found),
            "playbook": playbook, "playbook_inherited": found.playbook is None and playbook is not None,
            "children": [{"code": c.code, "name": c.name, "level": c.level} for c in children],
            "agents": agents,
            "history": [{"at": e.at.strftime(FORMAT), "kind": e.kind, "old": e.old_value, "new": e.new_value}
                        for e in events]}


def make_limiter() -> _Limiter:
    return _Limiter(ENROLL_FAILURES, ENROLL_WINDOW)


def make_upload_slots() -> asyncio.Semaphore:
    return asyncio.Semaphore(UPLOAD_SLOTS)
