"""The consolidated official PDF report of a subtree for a reporting period: the latest audit report of
every host of the subtree received within the period, rendered by the report layer's own official
Vietnamese layout (report.render.render_unit -> formats/pdf.py -> official_unit.html.j2: Quốc hiệu,
Số …/BC-…, sections, Nơi nhận), with the exported unit and its parent in the header, ready to sign.

The period is one of the unit plan's reporting periods (cadence.periods), named by any day inside it
(`?period=2026-06-30`); without one, the period running today when the subtree has reports in it, else
every host's latest report (also for a plan without a cadence, or whose last date has passed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secaudit.collector import aggregate
from secaudit.collector import cadence as cd
from secaudit.collector.envelopes import stored_payload
from secaudit.collector.errors import ApiError
from secaudit.collector.index_models import Host, ReportIndex
from secaudit.collector.models import AgentKey, Report, Unit, utcnow
from secaudit.collector.units import effective_playbook
from secaudit.sign.keys import public_from_pem

MAX_HOSTS = 300  # one document a person signs; a province exports its districts' documents instead


@dataclass(frozen=True)
class Window:
    period: cd.Period | None  # None: no cadence, every host's latest report

    @property
    def label(self) -> str:
        return f"{self.period.start.isoformat()}_{self.period.due.isoformat()}" if self.period else "latest"


def choose_period(session: Session, unit: Unit, asked: date | None, today: date | None = None) -> Window:
    """The reporting period containing `asked`; 404 when the plan has none containing that day."""
    cadence = aggregate.playbook_cadence(effective_playbook(session, unit))
    day = today or cd.local_day(utcnow())
    if asked is None:
        running = Window(cd.standing(cadence, day).open)
        return running if running.period is not None and report_ids(session, unit, running) else Window(None)
    for p in cd.periods(cadence, asked):
        if p.contains(asked):
            return Window(p)
    raise ApiError(404, "no_period", f"Kế hoạch của đơn vị không có kỳ báo cáo chứa ngày {asked.isoformat()}.",
                   f"The unit's plan has no reporting period containing {asked.isoformat()}.")


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=cd.VN_TZ).astimezone(UTC)


def report_ids(session: Session, unit: Unit, window: Window) -> list[int]:
    """The latest audit report of each host of the subtree received within the window."""
    stmt = (select(func.max(Report.id)).join(ReportIndex, ReportIndex.report_id == Report.id)
            .join(Host, Host.id == ReportIndex.host_id).join(Unit, Unit.id == Host.unit_id)
            .where(Unit.path.startswith(unit.path, autoescape=True), Host.kind == "host",
                   Report.kind == "audit", Report.conflict.is_(False)))
    if window.period is not None:
        stmt = stmt.where(Report.received_at >= _utc_start(window.period.start),
                          Report.received_at < _utc_start(window.period.due + timedelta(days=1)))
    return sorted(int(i) for i in session.scalars(stmt.group_by(ReportIndex.host_id).limit(MAX_HOSTS + 1)))


def _signature(session: Session, report: Report) -> dict[str, str] | None:
    from secaudit.sign import ids

    key = session.get(AgentKey, report.key_id)
    if key is None:
        return None
    pub = public_from_pem(key.public_key)
    if pub is None:
        return None
    return {"keyid": report.key_id, "fingerprint": ids.fingerprint(pub)}



def render(session: Session, unit: Unit, window: Window, lang: str) -> bytes:
    """The PDF; 422 when no report of the subtree falls in the period, 413 over MAX_HOSTS hosts."""
    from secaudit.report.official import DocInfo
    from secaudit.report.render import render_unit

    ids = report_ids(session, unit, window)
    if len(ids) > MAX_HOSTS:
        raise ApiError(413, "too_many_hosts",
                       f"Đơn vị có hơn {MAX_HOSTS} máy trong kỳ; hãy xuất báo cáo của từng đơn vị trực thuộc.",
                       f"The unit has more than {MAX_HOSTS} hosts in the period; export each child unit's report.")
    payloads: list[dict[str, Any]] = []
    signatures: list[dict[str, str] | None] = []
    for report in session.scalars(select(Report).where(Report.id.in_(ids)).order_by(Report.id)) if ids else []:
        payload = stored_payload(session, report.envelope_z)
        if payload is None:
            continue
        payload["unit"] = {"code": unit.code, "name": unit.name}  # the document is the exported unit's
        payloads.append(payload)
        signatures.append(_signature(session, report))
    if not payloads:
        raise ApiError(422, "no_reports", "Không có báo cáo nào của đơn vị trong kỳ này.",
                       "No report of the unit was received in this period.")
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    doc = DocInfo(unit_name=unit.name, parent=parent.name if parent else None)
    return render_unit(payloads, "pdf", lang, doc=doc, signatures=signatures)
