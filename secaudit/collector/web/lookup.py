"""The responders' pages: /search?q=… (hostname, IP, MAC, port, software@version, antivirus; LAN-scan
devices beside agent hosts: the collector's search.search within the user's scope) and /devices/{mac}
(every host and LAN device of the scope that had the MAC, the units it was seen in, its reports over
time: its addresses, device facts and open ports as each
version was first and last reported). A MAC nothing in scope had is the same 404 page as one that does not exist."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from secaudit.collector import inventory as inv
from secaudit.collector import search
from secaudit.collector.errors import ApiError, not_found
from secaudit.collector.models import User
from secaudit.collector.scope import db_session
from secaudit.collector.web import auth
from secaudit.collector.web.access import page_router, record, web_user
from secaudit.collector.web.render import page

router = page_router()

SHOWN = 100
DEVICE_HOSTS = 20
_USER = Depends(web_user)
_SESSION = Depends(db_session)
_FIELD_TEXT = {
    "mac": ("Địa chỉ MAC", "MAC address"), "ip": ("Địa chỉ IP", "IP address"), "port": ("Cổng mở", "Open port"),
    "software": ("Phần mềm", "Software"), "antivirus": ("Phần mềm diệt virus", "Antivirus"),
    "hostname": ("Tên máy", "Hostname"), "device_name": ("Tên thiết bị", "Device name"), "name": ("Tên", "Name"),
    "none": ("", ""),
}


def _mac_of(hit: dict[str, Any]) -> str | None:
    if hit["field"] not in ("mac", "ip"):
        return None
    for part in str(hit["value"]).replace(",", " ").split():
        mac = inv.normalize_mac(part)
        if mac:
            return mac
    return None


def search_view(session: Session, user: User, q: str, av_older_than: int | None) -> dict[str, Any]:
    error: tuple[str, str] | None = None
    try:
        data = (search.antivirus_older_than(session, user, av_older_than, SHOWN) if av_older_than is not None
                else search.search(session, user, q, SHOWN))
    except ApiError as exc:
        if exc.status != 400:
            raise
        data, error = {"q": q, "field": "none", "hits": [], "count": 0}, (exc.vi, exc.en)
    hits = [{**hit, "mac": _mac_of(hit)} for hit in data["hits"]]
    params = {"av_older_than": str(av_older_than)} if av_older_than is not None else {"q": q}
    asked = bool(q.strip()) or av_older_than is not None
    return {"q": q, "av_older_than": av_older_than, "field": data["field"], "field_text": _FIELD_TEXT.get(
        data["field"], (data["field"], data["field"])), "hits": hits, "count": len(hits), "error": error,
        "asked": asked, "full": len(hits) >= SHOWN, "export_query": urlencode(params)}


@router.get("/search")
def search_page(request: Request, q: str = Query("", max_length=200),
                av_older_than: int | None = Query(None, ge=0, le=36500), current: auth.Current = _USER,
                session: Session = _SESSION) -> Response:
    data = search_view(session, current.user, q, av_older_than)
    if data["asked"]:
        record(request, current.name, "search")
    return page(request, "search.html.j2", data)


def device_view(session: Session, user: User, mac: str) -> dict[str, Any]:
    found = search.search(session, user, f"mac:{mac}", SHOWN)["hits"]
    if not found:
        raise not_found()
    units: dict[str, dict[str, Any]] = {}
    timeline: list[dict[str, Any]] = []
    for hit in found:
        host = hit["host"]
        unit = host["unit"] or {"code": "", "name": ""}
        seen = units.setdefault(unit["code"], {**unit, "first_seen": hit["first_seen"], "last_seen": hit["last_seen"],
                                               "hosts": 0})
        seen["hosts"] += 1
        seen["first_seen"] = min(filter(None, (seen["first_seen"], hit["first_seen"])), default=None)
        seen["last_seen"] = max(filter(None, (seen["last_seen"], hit["last_seen"])), default=None)
    for hit in found[:DEVICE_HOSTS]:
        detail = search.host_detail(session, user, hit["host"]["id"], history_limit=1)
        for change in detail["inventory_history"]:  # what the host or scan reported, from when to when
            if change["kind"] in ("interfaces", "device", "ports"):
                timeline.append({**change, "host": hit["host"]})
    timeline.sort(key=lambda r: (r["last_seen"] or "", r["first_seen"] or ""), reverse=True)
    agents = sum(1 for h in found if h["host"]["kind"] == "host")
    return {"mac": mac, "hits": found, "units": sorted(units.values(), key=lambda u: u["code"]),
            "timeline": timeline[:200], "agents": agents, "devices": len(found) - agents}


@router.get("/devices/{mac}")
def device_page(request: Request, mac: str, current: auth.Current = _USER, session: Session = _SESSION) -> Response:
    normal = inv.normalize_mac(mac) if len(mac) <= 64 else None
    if normal is None:
        raise not_found()
    data = device_view(session, current.user, normal)
    record(request, current.name, "view")
    return page(request, "device.html.j2", data)
