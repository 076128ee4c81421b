"""What the overview, unit and host pages show, computed here from the collector's own queries
(aggregate.summary/late_overview/history, search.host_detail): the templates only lay it out.

Every function takes a unit or host id that still goes through the scoping function (scope.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secaudit.collector import aggregate, search
from secaudit.collector import cadence as cd
from secaudit.collector.envelopes import stored_payload
from secaudit.collector.index_models import SET_KINDS, Host
from secaudit.collector.models import Report, Unit, User, utcnow
from secaudit.collector.scope import require_unit
from secaudit.collector.units import effective_playbook
from secaudit.collector.web import charts

HOSTS_PAGE = 50
WORST_UNITS = 5
LATE_SHOWN = 100
TREND_MONTHS = 12
_DONE = ("pass", "not_applicable", "attested")  # shown folded on a host's page
_FINDING_ORDER = ("fail", "error", "unknown", "warn", "attested", "pass", "not_applicable")


def scope_unit(session: Session, user: User) -> Unit:
    unit = session.get(Unit, user.scope_unit_id)
    if unit is None:
        from secaudit.collector.errors import not_found

        raise not_found()
    return unit


def crumbs(session: Session, user: User, unit: Unit) -> list[dict[str, str]]:
    """The unit's chain from the user's scope unit down (ancestors above the scope are not links)."""
    chain: list[Unit] = []
    current: Unit | None = unit
    while current is not None:
        chain.append(current)
        if current.id == user.scope_unit_id:
            break
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    return [{"code": u.code, "name": u.name} for u in reversed(chain)]


def period(session: Session, unit: Unit, today: date | None = None) -> dict[str, Any]:
    """The reporting period of the unit's plan running today, and the last one judged."""
    playbook = effective_playbook(session, unit)
    cadence = aggregate.playbook_cadence(playbook)
    st = cd.standing(cadence, today or cd.local_day(utcnow()))
    text = cadence.get("text") if isinstance(cadence.get("text"), dict) else None
    return {"playbook": playbook, "kind": cadence.get("kind"), "text": text,
            "open": st.open.as_dict() if st.open else None, "closed": st.closed.as_dict() if st.closed else None,
            "ended": st.ended}


def unit_page(session: Session, user: User, unit: Unit, page: int = 1) -> dict[str, Any]:
    page = max(1, page)
    summary = aggregate.summary(session, unit, limit=HOSTS_PAGE, offset=(page - 1) * HOSTS_PAGE)
    late = aggregate.late_overview(session, unit, LATE_SHOWN)  # the shown rows and the totals, not all 10,000
    history = aggregate.history(session, unit, months=TREND_MONTHS)
    children = [{**child, "bar": charts.status_bar(child["status"])} for child in summary["children"]]
    scored = sorted((c for c in children if c["score"] is not None), key=lambda c: (c["score"], c["code"]))
    requirements = [{**r, "bar": charts.status_bar(r["counts"])} for r in summary["requirements"]]
    clauses = [{**c, "bar": charts.status_bar(c["counts"])} for c in summary["clauses"]]
    # requirement rows the schools attested: the page then says what `attested` means (never a pass)
    attested = sum(int(r["counts"].get("attested", 0)) for r in summary["requirements"])
    total_hosts = int(summary["hosts_total"] or 0)
    pages = max(1, -(-total_hosts // HOSTS_PAGE))
    return {
        "unit": summary["unit"], "crumbs": crumbs(session, user, unit), "as_of": summary["as_of"],
        "period": period(session, unit), "totals": summary["totals"],
        "totals_bar": charts.status_bar(summary["totals"]["status"], width=480, height=18),
        "children": children, "worst_units": scored[:WORST_UNITS], "requirements": requirements,
        "clauses": clauses, "attested": attested, "worst_hosts": summary["worst_hosts"], "hosts": summary["hosts"],
        "page": page, "pages": pages, "prev_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None,
        "late": late["late"], "late_total": late["late_total"],
        "late_more": max(0, late["late_total"] - len(late["late"])), "pending": late["pending"],
        "pending_total": late["pending_total"], "on_time": late["on_time"], "no_cadence": late["no_cadence"],
        "gaps": late["gaps"], "trend": charts.trend(history["months"]), "months": history["months"],
    }


# --- a host ---------------------------------------------------------------------------------------


def _evidence_rows(evidence: Any, limit: int = 200) -> list[dict[str, Any]]:
    """A finding's evidence as (label, value or table) rows the template shows as they are."""
    rows: list[dict[str, Any]] = []
    if not isinstance(evidence, dict):
        return [{"label": "", "text": _text(evidence)}] if evidence not in (None, "", [], {}) else []
    for key, value in list(evidence.items())[:limit]:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value[:limit] for k in v))[:12]
            rows.append({"label": str(key), "columns": columns,
                         "table": [[_text(v.get(c)) for c in columns] for v in value[:limit]],
                         "more": max(0, len(value) - limit)})
        else:
            rows.append({"label": str(key), "text": _text(value)})
    return rows


def _text(value: Any) -> Any:
    """Evidence as text; a bilingual {"vi", "en"} stays a mapping (the template picks the language)."""
    if isinstance(value, dict) and set(value) == {"vi", "en"}:
        return {"vi": str(value["vi"])[:2000], "en": str(value["en"])[:2000]}
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value[:100])
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in list(value.items())[:50])
    return str(value)[:2000]


def _flat(value: Any) -> str:
    text = _text(value)
    return f"{text['vi']} / {text['en']}" if isinstance(text, dict) else str(text)


def host_page(session: Session, user: User, host_id: int) -> dict[str, Any]:
    detail = search.host_detail(session, user, host_id)  # 404 outside the scope
    host = session.get(Host, host_id)
    assert host is not None  # host_detail found it
    unit = require_unit(session, user, host.unit_id)
    ids = [r["id"] for r in detail["reports"]]
    signed = dict(session.execute(select(Report.id, Report.key_id).where(Report.id.in_(ids))).all()) if ids else {}
    reports = [{**r, "key_id": signed.get(r["id"], ""),
                "bar": charts.status_bar(r["counts"], width=160, height=10)} for r in detail["reports"]]
    findings: list[dict[str, Any]] = []
    latest: dict[str, Any] | None = None
    if host.last_report_id is not None:
        report = session.get(Report, host.last_report_id)
        payload = stored_payload(session, report.envelope_z) if report is not None else None
        if report is not None:
            latest = {"id": report.id, "key_id": report.key_id, "generated_at": aggregate.iso(report.generated_at),
                      "received_at": aggregate.iso(report.received_at), "sequence": report.sequence,
                      "playbook": report.playbook_id, "summary": (payload or {}).get("summary") or {}}
        for f in (payload or {}).get("findings") or []:
            if not isinstance(f, dict):
                continue
            findings.append({"check_id": str(f.get("check_id", "")), "status": str(f.get("status", "")),
                             "severity": str(f.get("severity", "")), "title": f.get("title"),
                             "message": f.get("message"), "remediation": f.get("remediation"),
                             "requirements": [str(r) for r in f.get("requirements") or []],
                             "evidence": _evidence_rows(f.get("evidence"))})
        if not findings:  # no payload to read: the indexed rows (no evidence)
            findings = [{**f, "message": None, "remediation": None, "requirements": [], "evidence": []}
                        for f in detail["findings"]]
        findings.sort(key=lambda f: (_FINDING_ORDER.index(f["status"]) if f["status"] in _FINDING_ORDER
                                     else len(_FINDING_ORDER), f["check_id"]))
    inventory = {kind: detail["inventory"].get(kind, []) for kind in SET_KINDS}
    return {"host": detail["host"], "crumbs": crumbs(session, user, unit), "inventory": inventory,
            "inventory_history": detail["inventory_history"], "reports": reports, "latest": latest,
            "findings_open": [f for f in findings if f["status"] not in _DONE],
            "findings_done": [f for f in findings if f["status"] in _DONE],
            "failing": sum(1 for f in findings if f["status"] in ("fail", "error"))}
