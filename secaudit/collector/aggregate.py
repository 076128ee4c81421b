"""What a department's officer asks of a unit's subtree: the summary (per child unit, per requirement and
clause of the plan, worst hosts, each host's latest report), who is late by the plan's cadence, which agents
have sequence gaps, and the trend. Requirement and clause counts include `attested` (the schools' own
answers, index_models.STATUSES); a host's overall status is the machine's, never `attested`. Every
function takes a unit the caller already got through the scoping function (scope.unit_in_scope): a subtree
of a visible unit is visible.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from secaudit.collector import cadence as cd
from secaudit.collector.index_models import (
    STATUS_CODE,
    STATUSES,
    Host,
    ReportIndex,
    RequirementEntry,
    RequirementResult,
    Rollup,
    SequenceGap,
    UnitMonth,
)
from secaudit.collector.models import Agent, Report, Unit, UTCDateTime, utcnow
from secaudit.collector.sqlutil import month_of
from secaudit.collector.units import code_path, effective_playbook
from secaudit.timefmt import FORMAT

WORST_HOSTS = 10
HOSTS_PAGE = 200


def iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime(FORMAT) if when else None


@functools.lru_cache(maxsize=64)
def _playbook(playbook_id: str) -> Any:
    from secaudit import pipeline
    from secaudit import playbook as pb

    try:
        return pb.load(playbook_id, pipeline.check_catalog())
    except Exception:  # an unknown or damaged playbook: no cadence, no clauses (never a 500)
        return None


def playbook_cadence(playbook_id: str | None) -> dict[str, Any]:
    book = _playbook(playbook_id) if playbook_id else None
    return dict(book.cadence) if book is not None else {}


def unit_brief(session: Session, unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "level": unit.level, "path": code_path(session, unit),
            "playbook": effective_playbook(session, unit)}


def _subtree(unit: Unit) -> Any:
    """units.path within the unit's subtree, as a range the path index answers: paths are digits and "/"
    and end with "/", and every path that starts with P sorts in [P, P with its last "/" raised to "0")."""
    return and_(Unit.path >= unit.path, Unit.path < unit.path[:-1] + "0")


def _subtree_ids(unit: Unit) -> Any:
    return select(Unit.id).where(_subtree(unit)).scalar_subquery()


def _counts(rows: list[tuple[int, int]]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for status, n in rows:
        if 0 <= status < len(STATUSES):
            out[STATUSES[status]] += n
    return out


# --- summary ------------------------------------------------------------------------------------

def _overall(session: Session, unit_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(Rollup.unit_id, Rollup.status, Rollup.n, Rollup.score_sum)
                           .where(Rollup.unit_id.in_(unit_ids), Rollup.req_pk == 0)).all()
    out: dict[int, dict[str, Any]] = {uid: {"hosts": 0, "score": None, "status": dict.fromkeys(STATUSES, 0),
                                            "_sum": 0} for uid in unit_ids}
    for uid, status, n, score_sum in rows:
        entry = out[uid]
        entry["hosts"] += n
        entry["_sum"] += score_sum
        if 0 <= status < len(STATUSES):
            entry["status"][STATUSES[status]] += n
    for entry in out.values():
        total = entry.pop("_sum")
        entry["score"] = round(total / entry["hosts"]) if entry["hosts"] else None
    return out


def units_of(session: Session, hosts: Any, known: dict[int, Unit] | None = None) -> dict[int, Unit]:
    """The units of `hosts` by id, those not `known` read in one query (not one round trip per host)."""
    units = dict(known or {})
    wanted = {h.unit_id for h in hosts} - set(units)
    if wanted:
        units.update({u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(sorted(wanted))))})
    return units


def host_brief(session: Session, host: Host, units: dict[int, Unit] | None = None) -> dict[str, Any]:
    unit = (units or {}).get(host.unit_id) or session.get(Unit, host.unit_id)
    return {"id": host.id, "kind": host.kind, "hostname": host.hostname, "os": host.os, "role": host.role,
            "unit": {"code": unit.code, "name": unit.name} if unit else None,
            "score": host.score, "worst": host.worst or None, "playbook": host.playbook_id or None,
            "first_seen": iso(host.first_seen), "last_seen": iso(host.last_seen),
            "latest_report": ({"id": host.last_report_id, "sequence": host.last_sequence,
                               "generated_at": iso(host.last_generated_at)} if host.last_report_id else None)}


def summary(session: Session, unit: Unit, limit: int = HOSTS_PAGE, offset: int = 0) -> dict[str, Any]:
    children = list(session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code)))
    overall = _overall(session, [unit.id] + [c.id for c in children])
    reqs = session.execute(select(RequirementEntry.req_id, RequirementEntry.clause, RequirementEntry.title_vi,
                                  RequirementEntry.title_en, Rollup.status, Rollup.n)
                           .join(Rollup, Rollup.req_pk == RequirementEntry.id)
                           .where(Rollup.unit_id == unit.id, Rollup.n != 0)
                           .order_by(RequirementEntry.req_id)).all()
    by_req: dict[str, dict[str, Any]] = {}
    for rid, clause, tvi, ten, status, n in reqs:
        entry = by_req.setdefault(rid, {"id": rid, "clause": clause, "title": {"vi": tvi, "en": ten},
                                        "counts": dict.fromkeys(STATUSES, 0)})
        entry["counts"][STATUSES[status]] += n
    for entry in by_req.values():  # of what the machine judged: an attested requirement is the school's word
        judged = sum(v for k, v in entry["counts"].items() if k not in ("not_applicable", "attested"))
        entry["pass_rate"] = round(100 * entry["counts"]["pass"] / judged) if judged else None
    hosts_q = (select(Host).join(Unit, Unit.id == Host.unit_id)
               .where(_subtree(unit), Host.kind == "host", Host.last_report_id.is_not(None)))
    # ids first, from the (unit_id, score) index alone: only audited hosts have a score; then the 10 rows
    worst_ids = list(session.scalars(select(Host.id).join(Unit, Unit.id == Host.unit_id)
                                     .where(_subtree(unit), Host.score.is_not(None))
                                     .order_by(Host.score, Host.id).limit(WORST_HOSTS)))
    found = {h.id: h for h in session.scalars(select(Host).where(Host.id.in_(worst_ids)))} if worst_ids else {}
    worst = [found[i] for i in worst_ids if i in found]
    page = session.scalars(hosts_q.order_by(Unit.path, Host.hostname, Host.id).limit(limit).offset(offset)).all()
    units = units_of(session, [*worst, *page], {u.id: u for u in [unit, *children]})
    return {
        "unit": unit_brief(session, unit),
        "as_of": utcnow().strftime(FORMAT),
        "totals": overall[unit.id],
        "children": [{"code": c.code, "name": c.name, "level": c.level, **overall[c.id]} for c in children],
        "requirements": list(by_req.values()),
        "clauses": _clauses(effective_playbook(session, unit), by_req),
        "worst_hosts": [host_brief(session, h, units) for h in worst],
        "hosts": [host_brief(session, h, units) for h in page],
        "hosts_total": overall[unit.id]["hosts"],  # from the rollups: counting 100,000 rows would cost more
    }


def _clauses(playbook_id: str | None, by_req: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    book = _playbook(playbook_id) if playbook_id else None
    if book is None:
        return []
    out = []
    for clause in book.clauses:
        counts = dict.fromkeys(STATUSES, 0)
        for rid in clause.requirements:
            for status, n in by_req.get(rid, {}).get("counts", {}).items():
                counts[status] += n
        out.append({"clause": clause.clause, "text": clause.text, "requirements": list(clause.requirements),
                    "counts": counts})
    return out


# --- late units and sequence gaps ---------------------------------------------------------------

LATE_SQL_IN = 500  # unit ids per IN list when a plan's units are asked about apart from the whole subtree


def _utc_start(day: date) -> datetime:
    """The UTC instant a Vietnamese calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=cd.VN_TZ).astimezone(UTC)


def _reporting_units(session: Session, unit: Unit) -> list[tuple[Any, str | None]]:
    """Units that must report (rows: id, code, parent_id, playbook, name), with their
    effective playbook: the leaves of the subtree and every unit with an enrolled agent. One query for the
    subtree, playbooks inherited in memory (rows read by position: a Row's attribute costs ten times more,
    and a province has 10,000 of them)."""
    subtree = session.connection().execute(select(Unit.id, Unit.code, Unit.parent_id, Unit.playbook, Unit.name)
                                           .where(_subtree(unit)).order_by(Unit.path)).all()
    inherited = effective_playbook(session, unit)
    playbook: dict[int, str | None] = {}
    parents: set[int] = set()
    for u in subtree:  # ordered by path: a parent comes before its children
        uid, parent_id, own = u[0], u[2], u[3]
        playbook[uid] = (inherited if uid == unit.id else own) or playbook.get(parent_id or 0, inherited)
        if parent_id in playbook:
            parents.add(parent_id)
    # only a parent's agents matter (a leaf reports anyway): ask about the ~100 parents, not every agent
    with_agents = set(session.scalars(select(Agent.unit_id).where(Agent.unit_id.in_(parents)).distinct())
                      ) if parents else set()
    return [(u, playbook[u[0]]) for u in subtree if u[0] not in parents or u[0] in with_agents]


@dataclass(frozen=True)
class _Plan:
    """The units that report under one plan, where that plan stands today, and what each of them sent:
    facts[unit id] = (received in the closed period, received after it, received in the open period)."""

    playbook: str | None
    cadence: dict[str, Any]
    st: cd.Standing | None  # None: the plan sets no cadence
    members: list[Any]
    facts: dict[int, tuple[bool, bool, bool]]


def _plans(session: Session, unit: Unit, today: date) -> list[_Plan]:
    cutoff = _utc_start(today + timedelta(days=1))  # reports received up to the end of `today`
    groups: dict[str | None, list[Any]] = {}
    for u, playbook_id in _reporting_units(session, unit):
        groups.setdefault(playbook_id, []).append(u)
    largest = max(groups, key=lambda p: len(groups[p])) if groups else None
    out = []
    for playbook_id, members in groups.items():
        cadence = playbook_cadence(playbook_id)
        st = cd.standing(cadence, today)
        if st.closed is None and st.open is None:
            out.append(_Plan(playbook_id, cadence, None, members, {}))
            continue
        # the largest plan (usually the only one) over the whole subtree; the others by their unit ids
        ids = None if playbook_id == largest else [u.id for u in members]
        out.append(_Plan(playbook_id, cadence, st, members, _received(session, unit, st, cutoff, ids)))
    return out


def _received(session: Session, unit: Unit, st: cd.Standing, cutoff: datetime,
              ids: list[int] | None = None) -> dict[int, tuple[bool, bool, bool]]:
    """Per unit of the subtree (or of `ids`): whether an audit report was received in the closed period,
    after it, in the open period (all before `cutoff`). Each is an EXISTS the covering index
    ix_reports_unit_kind_received answers with one seek per unit, so the cost follows the number of units,
    not of their reports, and no date comes back to Python."""
    def received(start: datetime | None, end: datetime) -> Any:
        if start is None:
            return literal(False)
        return select(Report.id).where(Report.unit_id == Unit.id, Report.kind == "audit", Report.conflict.is_(False),
                                       Report.received_at >= start, Report.received_at < end).exists()

    closed_start = closed_end = None
    if st.closed is not None:
        closed_start, closed_end = _utc_start(st.closed.start), _utc_start(st.closed.due + timedelta(days=1))
    query = select(Unit.id, received(closed_start, closed_end or cutoff), received(closed_end, cutoff),
                   received(_utc_start(st.open.start) if st.open is not None else None, cutoff))
    if ids is None:
        rows = session.execute(query.where(_subtree(unit))).all()
    else:
        rows = [row for i in range(0, len(ids), LATE_SQL_IN)
                for row in session.execute(query.where(Unit.id.in_(ids[i:i + LATE_SQL_IN]))).all()]
    return {uid: (bool(a), bool(b), bool(c)) for uid, a, b, c in rows}


def _last_received(session: Session, unit: Unit, cutoff: datetime,
                   ids: list[int] | None = None) -> dict[int, str | None]:
    """Each unit's last audit report received before `cutoff`, as text (the subtree, or only `ids`)."""
    query = (select(Report.unit_id, func.max(Report.received_at))
             .where(Report.kind == "audit", Report.conflict.is_(False), Report.received_at < cutoff)
             .group_by(Report.unit_id))
    if ids is None:
        # unit_id IN (the subtree's ids), not a join: read from the covering index in unit order, no sort
        rows = session.execute(query.where(Report.unit_id.in_(_subtree_ids(unit)))).all()
    elif ids:
        rows = session.execute(query.where(Report.unit_id.in_(ids))).all()
    else:
        rows = []
    return {uid: iso(last) for uid, last in rows}


def _verdict(st: cd.Standing, facts: tuple[bool, bool, bool]) -> tuple[str | None, bool, bool]:
    """(the closed period's judgement or None, pending in the open period, counted on time)."""
    in_closed, after_closed, in_open = facts
    judged = None
    if st.closed is not None:
        judged = "on_time" if in_closed else "late" if after_closed else "missing"
    pending = st.open is not None and not in_open
    return judged, pending, not pending and judged in (None, "on_time")


_NOTHING = (False, False, False)


def late(session: Session, unit: Unit, as_of: date | None = None) -> dict[str, Any]:
    today = as_of or cd.local_day(utcnow())
    plans = _plans(session, unit, today)
    last = _last_received(session, unit, _utc_start(today + timedelta(days=1)))
    out: dict[str, Any] = {"unit": unit.code, "as_of": today.isoformat(), "late": [], "pending": [],
                           "on_time": [], "no_cadence": [], "gaps": gaps(session, unit)}
    for plan in plans:
        st = plan.st
        if st is None:
            out["no_cadence"].extend(u[1] for u in plan.members)
            continue
        for uid, code, _, _, name in plan.members:
            judged, pending, on_time = _verdict(st, plan.facts.get(uid, _NOTHING))
            base = {"code": code, "name": name, "playbook": plan.playbook, "cadence": plan.cadence.get("kind"),
                    "last_report_at": last.get(uid)}
            if st.closed is not None and judged != "on_time":
                out["late"].append({**base, "period": st.closed.as_dict(), "status": judged,
                                    "days_overdue": (today - st.closed.due).days})
            if pending and st.open is not None:
                out["pending"].append({**base, "period": st.open.as_dict(), "status": "pending",
                                       "days_left": (st.open.due - today).days})
            elif on_time:
                out["on_time"].append(code)
    return out


LATE_PAGE = 1000
LATE_LISTS = ("late", "pending", "on_time", "no_cadence", "gaps")


def late_page(result: dict[str, Any], limit: int = LATE_PAGE, offset: int = 0) -> dict[str, Any]:
    """`late`'s answer in a stable order (late: most overdue first; pending: fewest days left first; then by
    code) with each list cut to [offset, offset + limit), and the full length of each list in `totals`."""
    ordered = {
        "late": sorted(result["late"], key=lambda r: (-(r.get("days_overdue") or 0), r["code"])),
        "pending": sorted(result["pending"], key=lambda r: (r.get("days_left") or 0, r["code"])),
        "on_time": sorted(result["on_time"]), "no_cadence": sorted(result["no_cadence"]),
        "gaps": sorted(result["gaps"], key=lambda g: (g["unit"], g["agent_id"]))}
    return {**result, **{k: v[offset: offset + limit] for k, v in ordered.items()},
            "totals": {k: len(v) for k, v in ordered.items()}, "limit": limit, "offset": offset}


def _codes(session: Session, column: Any) -> Any:
    """All of a group's unit codes in one text (codes are letters, digits, '_', '.', '-': units.CODE_RE)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.string_agg(column, ",")
    return func.group_concat(column, ",")


def late_overview(session: Session, unit: Unit, shown: int, as_of: date | None = None) -> dict[str, Any]:
    """What a page shows of `late`: the same rows, but only the first `shown` late units (most overdue
    first, then by code) and pending units (fewest days left first, then by code), the totals of each
    list, and the first `shown` agents with sequence gaps.

    One statement judges the whole subtree in the database: a recursive CTE hands each unit its effective
    playbook down the tree, the reporting units (leaves, units with agents) get three EXISTS on the covering
    index (received in the closed period, after it, in the open period, with the bounds of their plan), and
    the answer is one row per (plan, verdict) with its count and its codes. A province of 10,000 units then
    costs no Python object per unit (late() builds 10,000 rows and, in a web process, the garbage
    collector's passes over them); the names and last reports are read for the shown units only."""
    today = as_of or cd.local_day(utcnow())
    cutoff = _utc_start(today + timedelta(days=1))  # reports received up to the end of `today`
    inherited = effective_playbook(session, unit)
    books = {inherited} | set(session.scalars(select(Unit.playbook).where(_subtree(unit), Unit.playbook.is_not(None),
                                                                          Unit.playbook != "").distinct()))
    standings = {book: stand for book in books if book is not None and ((stand := cd.standing(
        playbook_cadence(book), today)).closed is not None or stand.open is not None)}
    pb_type = String(128)
    tree = select(Unit.id, Unit.code, cast(literal(inherited, pb_type), pb_type).label("pb")).where(
        Unit.id == unit.id).cte("tree", recursive=True)
    child, grandchild = aliased(Unit), aliased(Unit)
    tree = tree.union_all(select(child.id, child.code,
                                 cast(func.coalesce(func.nullif(child.playbook, ""), tree.c.pb), pb_type))
                          .where(child.parent_id == tree.c.id))

    def bound(of: Callable[[cd.Standing], datetime | None]) -> Any:
        """Per unit, its plan's instant (NULL: no such period, and the EXISTS below is false)."""
        whens = {book: literal(when, UTCDateTime()) for book, st in standings.items() if (when := of(st)) is not None}
        none = literal(None, UTCDateTime())
        return case(whens, value=tree.c.pb, else_=none) if whens else none

    def received(start: Any, end: Any, weight: int) -> Any:
        at = Report.received_at
        return case((select(Report.id).where(Report.unit_id == tree.c.id, Report.kind == "audit",
                                             Report.conflict.is_(False), at >= start, at < end).exists(), weight),
                    else_=0)

    closed_start = bound(lambda st: _utc_start(st.closed.start) if st.closed else None)
    closed_end = bound(lambda st: _utc_start(st.closed.due + timedelta(days=1)) if st.closed else None)
    open_start = bound(lambda st: _utc_start(st.open.start) if st.open else None)
    cutoff_bound = literal(cutoff, UTCDateTime())
    verdict = (received(closed_start, closed_end, 4) + received(closed_end, cutoff_bound, 2)
               + received(open_start, cutoff_bound, 1)).label("v")
    reporting = or_(~select(grandchild.id).where(grandchild.parent_id == tree.c.id).exists(),
                    select(Agent.id).where(Agent.unit_id == tree.c.id).exists())
    facts = select(tree.c.pb, tree.c.code, verdict).where(reporting).subquery()
    groups = session.execute(select(facts.c.pb, facts.c.v, func.count(), _codes(session, facts.c.code))
                             .group_by(facts.c.pb, facts.c.v)).all()

    # (-days overdue, code, ...) and (days left, code, ...): the page's order; codes are unique
    late_first: list[tuple[int, str, str, str, dict[str, str]]] = []  # ..., playbook, status, period
    pending_first: list[tuple[int, str, str, dict[str, str]]] = []  # ..., playbook, period
    late_total = pending_total = on_time = no_cadence = 0
    for book, v, n, codes in groups:
        st = standings.get(book)
        if st is None:
            no_cadence += n
            continue
        judged, pending, counted = _verdict(st, (bool(v & 4), bool(v & 2), bool(v & 1)))
        first = heapq.nsmallest(shown, (codes or "").split(",")) if judged in ("late", "missing") or pending else []
        if st.closed is not None and judged != "on_time":
            late_total += n
            period = st.closed.as_dict()
            late_first += [(-(today - st.closed.due).days, code, book, str(judged), period) for code in first]
        if pending and st.open is not None:
            pending_total += n
            period = st.open.as_dict()
            pending_first += [((st.open.due - today).days, code, book, period) for code in first]
        elif counted:
            on_time += n
    late_first, pending_first = sorted(late_first)[:shown], sorted(pending_first)[:shown]
    codes = sorted({k[1] for k in late_first} | {k[1] for k in pending_first})
    units = {code: (uid, name) for uid, code, name in session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.code.in_(codes)))} if codes else {}
    last = _last_received(session, unit, cutoff, [uid for uid, _ in units.values()])

    def row(code: str, book: str) -> dict[str, Any]:
        uid, name = units[code]
        return {"code": code, "name": name, "playbook": book, "cadence": playbook_cadence(book).get("kind"),
                "last_report_at": last.get(uid)}

    late_rows = [{**row(code, book), "period": period, "status": status, "days_overdue": -key}
                 for key, code, book, status, period in late_first]
    pending_rows = [{**row(code, book), "period": period, "status": "pending", "days_left": key}
                    for key, code, book, period in pending_first]
    return {"unit": unit.code, "as_of": today.isoformat(), "late": late_rows, "late_total": late_total,
            "pending": pending_rows, "pending_total": pending_total, "on_time": on_time,
            "no_cadence": no_cadence, "gaps": gaps(session, unit)[:shown]}


def gaps(session: Session, unit: Unit, limit: int = 1000) -> list[dict[str, Any]]:
    rows = session.execute(select(Agent.agent_id, Agent.hostname, Unit.code, SequenceGap.first, SequenceGap.last,
                                  SequenceGap.noted_at)
                           .join(Agent, Agent.id == SequenceGap.agent_pk).join(Unit, Unit.id == Agent.unit_id)
                           .where(_subtree(unit)).order_by(Unit.code, Agent.agent_id, SequenceGap.first)
                           .limit(limit)).all()
    out: dict[str, dict[str, Any]] = {}
    for agent_id, hostname, code, first, last, noted in rows:
        entry = out.setdefault(agent_id, {"agent_id": agent_id, "hostname": hostname, "unit": code,
                                          "missing": [], "count": 0})
        entry["missing"].append({"first": first, "last": last, "noted_at": iso(noted)})
        entry["count"] += last - first + 1
    return list(out.values())


# --- history and trend --------------------------------------------------------------------------

def first_month(months: int, now: datetime | None = None) -> datetime:
    """The UTC start of the first of the last `months` calendar months, the current one included."""
    today = (now or utcnow()).astimezone(UTC)
    index = today.year * 12 + today.month - 1 - (max(months, 1) - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def history(session: Session, unit: Unit, requirement: str | None = None, months: int = 24) -> dict[str, Any]:
    """Per month of receipt (the last `months` calendar months, UTC): reports, hosts reporting, average
    score, failures, late reports — the unit's own rows of the unit months kept at ingest for its subtree
    (index_models.UnitMonth), whatever the number of reports; with `requirement`, its status counts."""
    since = first_month(months)
    rows = session.execute(select(UnitMonth.month, UnitMonth.reports, UnitMonth.hosts, UnitMonth.score_sum,
                                  UnitMonth.scored, UnitMonth.fails, UnitMonth.late_reports)
                           .where(UnitMonth.unit_id == unit.id, UnitMonth.month >= f"{since:%Y-%m}")
                           .order_by(UnitMonth.month)).all()
    points = [{"month": m, "reports": int(n), "hosts": int(hosts or 0),
               "score": round(int(score_sum) / int(scored)) if scored else None,
               "fails": int(fails or 0), "late_reports": int(late_n or 0)}
              for m, n, hosts, score_sum, scored, fails, late_n in rows if n]
    out: dict[str, Any] = {"unit": unit.code, "months": points}
    if requirement and "\x00" not in requirement:
        month = month_of(session, Report.received_at).label("m")
        req_rows = session.execute(select(month, RequirementResult.status, func.count()).select_from(Report)
                                   .join(ReportIndex, ReportIndex.report_id == Report.id)
                                   .join(RequirementResult, RequirementResult.report_id == Report.id)
                                   .join(RequirementEntry, RequirementEntry.id == RequirementResult.req_pk)
                                   .where(Report.unit_id.in_(_subtree_ids(unit)), Report.kind == "audit",
                                          Report.received_at >= since, RequirementEntry.req_id == requirement)
                                   .group_by("m", RequirementResult.status).order_by("m")).all()
        per: dict[str, dict[str, int]] = {}
        for m, status, n in req_rows:
            per.setdefault(m, dict.fromkeys(STATUSES, 0))[STATUSES[status]] += n
        out["requirement"] = {"id": requirement, "months": [{"month": m, "counts": c} for m, c in per.items()]}
    return out


__all__ = ["STATUS_CODE", "gaps", "history", "late", "late_overview", "summary"]
