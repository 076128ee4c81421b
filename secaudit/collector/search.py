"""Inventory search for incident responders and a host's detail with its history, always within the
caller's scope (scope.visible_units / scope.require_unit).

`q` is one term, with an optional field prefix (`mac:`, `ip:`, `port:`, `sw:`/`software:`, `av:`,
`host:`); without one the term's shape decides: a MAC in any spelling (or a vendor prefix of 3+ bytes),
an IP address (or a prefix like `10.0.3.`), a port number, else a name searched in hostnames, LAN device
names, software and antivirus products. `sw:openssl@3.0` matches versions starting with 3.0.
`av_older_than=N` lists hosts whose antivirus signatures are older than N days (or unknown).
Every hit names its host and unit, and when the value was first and last seen on that host.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, func, or_, select
from sqlalchemy.orm import Session

from secaudit.collector import inventory as inv
from secaudit.collector.aggregate import host_brief, iso, units_of
from secaudit.collector.errors import ApiError
from secaudit.collector.index_models import (
    MACHINE_STATUSES,
    SEVERITIES,
    CheckEntry,
    FindingRow,
    Host,
    HostSet,
    InvAddress,
    InvAntivirus,
    InvDevice,
    InvPort,
    InvSet,
    InvSoftware,
    ReportIndex,
    SoftwareItem,
)
from secaudit.collector.models import Report, Unit, User, utcnow
from secaudit.collector.scope import require_unit, visible_units

LIMIT = 100
_FIELDS = {"mac": "mac", "ip": "ip", "port": "port", "sw": "software", "software": "software", "av": "antivirus",
           "antivirus": "antivirus", "host": "hostname", "hostname": "hostname"}
_ORDER = ("fail", "error", "unknown", "warn", "pass", "not_applicable")
_IPISH = re.compile(r"^[0-9a-fA-F:.]+$")


def bad_query(vi: str, en: str) -> ApiError:
    return ApiError(400, "bad_query", vi, en)


def parse(q: str) -> tuple[str, str]:
    """(field, term) for a query string."""
    text = q.strip()
    head, sep, rest = text.partition(":")
    if sep and head.lower() in _FIELDS and rest.strip():
        return _FIELDS[head.lower()], rest.strip()
    if inv.normalize_mac(text):
        return "mac", text
    if inv.normalize_ip(text) or (_IPISH.match(text) and text.count(".") >= 2):
        return "ip", text
    if inv.mac_prefix(text) and re.search(r"[:\-]", text):
        return "mac", text
    if text.isdigit() and int(text) <= 65535:
        return "port", text
    return "name", text


def _hits(session: Session, user: User, item: Any, match: Any, value_cols: list[Any], field: str,
          limit: int, sets: Any = None) -> list[dict[str, Any]]:
    """One hit per host having a set with a matching item: the sets are found from the items (never a scan
    of every host's items), the hosts by their links to those sets, within the scope. The links are read
    without sorting or grouping, so a term every host matches stops after `limit` hosts; the page is then
    ordered by when the value was last seen."""
    if sets is None:
        sets = select(item.set_id).where(match)
    links = session.execute(select(HostSet.host_id).join(Host, Host.id == HostSet.host_id)
                            .where(HostSet.set_id.in_(sets), Host.unit_id.in_(visible_units(session, user)))
                            .limit(limit * 5)).all()
    ids = list(dict.fromkeys(row[0] for row in links))[:limit]
    if not ids:
        return []
    seen = session.execute(select(HostSet.host_id, func.min(HostSet.first_seen), func.max(HostSet.last_seen),
                                  func.max(HostSet.current.cast(Integer)))
                           .where(HostSet.host_id.in_(ids), HostSet.set_id.in_(sets))
                           .group_by(HostSet.host_id)).all()
    page = sorted(seen, key=lambda row: (row[2], row[0]), reverse=True)
    hosts = {h.id: h for h in session.scalars(select(Host).where(Host.id.in_(ids)))}
    values: dict[int, list[str]] = {}
    values_q = select(HostSet.host_id, *value_cols).join(item, item.set_id == HostSet.set_id)
    if item is InvSoftware:
        values_q = values_q.join(SoftwareItem, SoftwareItem.id == InvSoftware.item_id)
    for row in session.execute(values_q.where(HostSet.host_id.in_(ids), match)
                               .order_by(HostSet.host_id, HostSet.last_seen.desc()).limit(20 * len(ids))).all():
        text = " ".join(str(v) for v in row[1:] if v not in (None, ""))
        found = values.setdefault(row[0], [])
        if text not in found and len(found) < 5:
            found.append(text)
    units = units_of(session, hosts.values())
    return [{"host": host_brief(session, hosts[hid], units), "field": field, "value": ", ".join(values.get(hid, [])),
             "first_seen": iso(first), "last_seen": iso(last), "current": bool(current)}
            for hid, first, last, current in page if hid in hosts]


def search(session: Session, user: User, q: str, limit: int = LIMIT) -> dict[str, Any]:
    if len(q) > 200:
        raise bad_query("Từ khóa tìm kiếm dài quá 200 ký tự.", "The search term is longer than 200 characters.")
    q = q.replace("\x00", "")  # no text in the database holds a NUL (sqlutil.clip)
    if not q.strip():
        return {"q": q, "field": "none", "hits": [], "count": 0}
    field, term = parse(q)
    hits: list[dict[str, Any]] = []
    if field == "mac":
        mac = inv.normalize_mac(term)
        prefix = mac or inv.mac_prefix(term)
        if prefix is None:
            raise bad_query("Địa chỉ MAC không hợp lệ.", "The MAC address is not valid.")
        match = InvAddress.mac == mac if mac else InvAddress.mac.startswith(prefix, autoescape=True)
        hits = _hits(session, user, InvAddress, match, [InvAddress.mac, InvAddress.ip], "mac", limit)
    elif field == "ip":
        ip = inv.normalize_ip(term)
        if ip is None and not _IPISH.match(term):
            raise bad_query("Địa chỉ IP không hợp lệ.", "The IP address is not valid.")
        match = InvAddress.ip == ip if ip else InvAddress.ip.startswith(term.lower(), autoescape=True)
        hits = _hits(session, user, InvAddress, match, [InvAddress.ip, InvAddress.mac], "ip", limit)
    elif field == "port":
        if not term.isdigit() or int(term) > 65535:
            raise bad_query("Cổng phải là số từ 0 đến 65535.", "A port is a number from 0 to 65535.")
        hits = _hits(session, user, InvPort, InvPort.port == int(term),
                     [InvPort.proto, InvPort.port, InvPort.process], "port", limit)
    else:
        if field in ("software", "name"):
            name, _, version = term.partition("@")
            match = SoftwareItem.name.contains(name.strip().lower(), autoescape=True)  # names are stored lower
            if version.strip():
                match = match & SoftwareItem.version.startswith(version.strip(), autoescape=True)
            sets = select(InvSoftware.set_id).where(InvSoftware.item_id.in_(select(SoftwareItem.id).where(match)))
            hits += _hits(session, user, InvSoftware, match, [SoftwareItem.name, SoftwareItem.version],
                          "software", limit, sets)
        if field in ("antivirus", "name"):
            hits += _hits(session, user, InvAntivirus,
                          func.lower(InvAntivirus.product).contains(term.lower(), autoescape=True),
                          [InvAntivirus.product], "antivirus", limit)
        if field in ("hostname", "name"):
            hits += _hostnames(session, user, term, limit)
        hits = hits[:limit]
    return {"q": q, "field": field, "hits": hits, "count": len(hits)}


def _hostnames(session: Session, user: User, term: str, limit: int) -> list[dict[str, Any]]:
    lower = term.lower()
    hosts = session.scalars(select(Host).where(func.lower(Host.hostname).contains(lower, autoescape=True),
                                               Host.unit_id.in_(visible_units(session, user)))
                            .order_by(Host.last_seen.desc(), Host.id).limit(limit)).all()
    units = units_of(session, hosts)
    out = [{"host": host_brief(session, h, units), "field": "hostname", "value": h.hostname,
            "first_seen": iso(h.first_seen), "last_seen": iso(h.last_seen), "current": True} for h in hosts]
    if len(out) < limit:
        seen = {h.id for h in hosts}
        out += [hit for hit in _hits(session, user, InvDevice, InvDevice.names.contains(lower, autoescape=True),
                                     [InvDevice.names, InvDevice.vendor], "device_name", limit)
                if hit["host"]["id"] not in seen]
    return out[:limit]


def antivirus_older_than(session: Session, user: User, days: int, limit: int = LIMIT) -> dict[str, Any]:
    """Hosts whose current antivirus has signatures older than `days` days, or of unknown age."""
    now = utcnow()
    threshold = now - timedelta(days=days)
    stmt = (select(Host, InvAntivirus.product, InvAntivirus.signature_time, InvAntivirus.running)
            .select_from(InvAntivirus).join(HostSet, HostSet.set_id == InvAntivirus.set_id)
            .join(Host, Host.id == HostSet.host_id)
            .where(HostSet.current.is_(True), Host.unit_id.in_(visible_units(session, user)),
                   or_(InvAntivirus.signature_time.is_(None), InvAntivirus.signature_time < threshold))
            .order_by(InvAntivirus.signature_time, Host.id).limit(limit))
    hits = []
    rows = session.execute(stmt).all()
    units = units_of(session, [row[0] for row in rows])
    for host, product, sig, running in rows:
        hits.append({"host": host_brief(session, host, units), "field": "antivirus", "value": product,
                     "signature_time": iso(sig), "signature_age_days": (now - sig).days if sig else None,
                     "running": running, "first_seen": None, "last_seen": iso(host.last_seen), "current": True})
    return {"q": f"av_older_than={days}", "field": "antivirus", "hits": hits, "count": len(hits)}


# --- one host -----------------------------------------------------------------------------------

def _items(session: Session, set_id: int, kind: str) -> list[dict[str, Any]]:
    if kind == "software":
        return [{"name": n, "version": v, "publisher": p} for n, v, p in session.execute(
            select(SoftwareItem.name, SoftwareItem.version, SoftwareItem.publisher)
            .join(InvSoftware, InvSoftware.item_id == SoftwareItem.id).where(InvSoftware.set_id == set_id)
            .order_by(SoftwareItem.name, SoftwareItem.version)).all()]
    if kind == "interfaces":
        return [{"name": n, "mac": m or None, "ip": i or None} for n, m, i in session.execute(
            select(InvAddress.name, InvAddress.mac, InvAddress.ip).where(InvAddress.set_id == set_id)
            .order_by(InvAddress.id)).all()]
    if kind == "ports":
        return [{"port": p, "proto": pr, "address": a or None, "process": s or None} for p, pr, a, s in session.execute(
            select(InvPort.port, InvPort.proto, InvPort.address, InvPort.process).where(InvPort.set_id == set_id)
            .order_by(InvPort.port)).all()]
    if kind == "antivirus":
        return [{"product": p, "running": r, "realtime": rt, "signature_time": iso(t)} for p, r, rt, t in
                session.execute(select(InvAntivirus.product, InvAntivirus.running, InvAntivirus.realtime,
                                       InvAntivirus.signature_time).where(InvAntivirus.set_id == set_id)).all()]
    return [{"vendor": v or None, "names": n.split() if n else []} for v, n in session.execute(
        select(InvDevice.vendor, InvDevice.names).where(InvDevice.set_id == set_id)).all()]


def host_detail(session: Session, user: User, host_id: int, history_limit: int = 100) -> dict[str, Any]:
    host = session.get(Host, host_id)
    if host is None:
        raise ApiError(404, "not_found", "Không tìm thấy máy.", "Host not found.")
    require_unit(session, user, host.unit_id)
    links = session.execute(select(HostSet, InvSet.size).join(InvSet, InvSet.id == HostSet.set_id)
                            .where(HostSet.host_id == host.id).order_by(HostSet.first_seen, HostSet.id)).all()
    inventory = {link.kind: _items(session, link.set_id, link.kind) for link, _size in links if link.current}
    changes = [{"kind": link.kind, "items": size, "first_seen": iso(link.first_seen),
                "last_seen": iso(link.last_seen), "current": link.current} for link, size in links]
    reports = session.execute(select(Report, ReportIndex).join(ReportIndex, ReportIndex.report_id == Report.id)
                              .where(ReportIndex.host_id == host.id)
                              .order_by(Report.received_at.desc(), Report.id.desc()).limit(history_limit)).all()
    history = [{"id": r.id, "kind": r.kind, "sequence": r.sequence, "generated_at": iso(r.generated_at),
                "received_at": iso(r.received_at), "playbook": r.playbook_id or None, "score": ix.score,
                "counts": {s: getattr(ix, f"n_{s}") for s in MACHINE_STATUSES},  # ReportIndex keeps the six
                "late": ix.late, "channel": r.channel}
               for r, ix in reports]
    findings = []
    if host.last_report_id is not None:
        findings = [{"check_id": cid, "title": {"vi": tvi, "en": ten},
                     "status": MACHINE_STATUSES[st] if 0 <= st < len(MACHINE_STATUSES) else "error",
                     "severity": SEVERITIES[sev] if 0 <= sev < len(SEVERITIES) else None}
                    for cid, tvi, ten, st, sev in session.execute(
                        select(CheckEntry.check_id, CheckEntry.title_vi, CheckEntry.title_en, FindingRow.status,
                               FindingRow.severity).join(CheckEntry, CheckEntry.id == FindingRow.check_pk)
                        .where(FindingRow.report_id == host.last_report_id)
                        .order_by(CheckEntry.check_id)).all()]
        findings.sort(key=lambda f: _ORDER.index(f["status"]) if f["status"] in _ORDER else len(_ORDER))
    unit = session.get(Unit, host.unit_id)
    return {"host": host_brief(session, host, {unit.id: unit} if unit else None), "inventory": inventory,
            "inventory_history": changes, "reports": history, "findings": findings}
