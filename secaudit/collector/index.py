"""Indexing an accepted report into the query tables (index_models.py), inside the upload's transaction
(upload.py calls index_report after the report row is flushed, before the commit): either the report
and everything derived from it are stored, or nothing is.

- audit reports: the host (agent + hostname), findings and requirement results as narrow rows, the
  report's summary, the host's latest state and the unit rollups (only when the report is the host's
  newest: a late report, an older sequence, is history and never overwrites the latest state);
- scan reports: each LAN device becomes a host of kind `device` of the agent's unit;
- inventory lists (software, interfaces, ports, antivirus, device facts) stored once per content;
- per agent, sequence numbers never received (gaps) and filled when a late report arrives;
- the envelope itself is re-stored split into shared parts (envelopes.py).
"""

from __future__ import annotations

import hashlib
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, case, delete, event, func, insert, literal, select, update
from sqlalchemy.orm import Session

from secaudit.collector import envelopes
from secaudit.collector import inventory as inv
from secaudit.collector.index_models import (
    MACHINE_STATUSES,
    SEVERITY_CODE,
    STATUS_CODE,
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
    RequirementEntry,
    RequirementResult,
    Rollup,
    SequenceGap,
    SoftwareItem,
    UnitMonth,
)
from secaudit.collector.models import Report, Unit, UTCDateTime, utcnow
from secaudit.collector.sqlutil import clip, insert_ignore, month_of, upsert_add
from secaudit.timefmt import parse_rfc3339_or_none

# worst first (DESIGN: fail > error > unknown > warn > pass); not_applicable never makes a host worse, and
# neither does attested: a host's worst is what the machine judged (pass + attested is a pass host)
WORST_ORDER = ("fail", "error", "unknown", "warn", "pass")
OVERALL = 0  # Rollup.req_pk of the hosts' overall status


def index_report(session: Session, report: Report, payload: dict[str, Any],
                 seen: dict[int, str] | None = None, last_sequence: int | None = None) -> None:
    """Index `report` (already added and flushed: report.id is set) from its verified `payload`; `seen`:
    the digests envelopes.pack already computed when the upload path stored the envelope split;
    `last_sequence`: the agent's highest sequence before this report, when the caller knows it."""
    if report.conflict:  # kept and flagged; which of two bodies with one sequence is true is not ours to say
        return
    if seen is None:
        seen = {}  # digests of the payload's large lists, computed once for both uses
    stored = envelopes.repack(session, report.envelope_z, payload, seen)
    if stored is not None:
        report.envelope_z = stored
    when = report.received_at or utcnow()
    _note_sequence(session, report, when, last_sequence)
    if report.kind == "scan":
        _index_scan(session, report, payload, when)
        return
    host = _host(session, f"agent:{report.agent_pk}:{clip(report.hostname, 300).lower()}", "host", report, when)
    host_info = _dict(payload.get("host"))
    os_info = _dict(host_info.get("os"))
    latest = host.last_sequence is None or report.sequence is None or report.sequence >= host.last_sequence
    summary = _dict(payload.get("summary"))
    score = _int(summary.get("score"), 100)
    counts = {k: _int(v, 1_000_000) or 0 for k, v in summary.items()}
    session.add(ReportIndex(report_id=report.id, host_id=host.id, score=score, late=not latest,
                            envelope_stored=len(report.envelope_z),
                            **{f"n_{s}": counts.get(s, 0) for s in MACHINE_STATUSES}))
    _findings(session, report, payload)
    statuses = _requirements(session, report, payload)
    _host_lists(session, host, report, inv.host_lists(payload, seen), when, latest)
    # late in the transaction: every upload updates its ancestors' month rows (the province's too), and on
    # PostgreSQL a second collector process waits for that row lock until this transaction commits
    _count_month(session, report, host.id, when, score, counts.get("fail", 0), not latest)
    if not latest:
        return
    worst = next((s for s in WORST_ORDER if s in statuses.values()), "")
    _move_rollups(session, host, report, statuses, worst, score)
    host.hostname = clip(report.hostname, 300)
    host.os = clip(os_info.get("name"), 300)
    host.role = clip(host_info.get("role"), 64)
    host.last_report_id, host.last_sequence = report.id, report.sequence
    host.last_generated_at, host.playbook_id = report.generated_at, report.playbook_id
    host.score, host.worst = score, worst


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, top: int) -> int | None:
    """An integer of the payload within 0..top (a signed payload is still foreign input), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top else None


# --- hosts and catalog --------------------------------------------------------------------------

def _host(session: Session, key: str, kind: str, report: Report, when: datetime) -> Host:
    host = session.scalars(select(Host).where(Host.key == key).with_for_update()).one_or_none()
    if host is None:
        insert_ignore(session, Host.__table__, [{"key": key, "kind": kind, "unit_id": report.unit_id,
                                                "agent_pk": report.agent_pk, "hostname": clip(report.hostname, 300),
                                                "first_seen": when, "last_seen": when, "os": "", "role": "",
                                                "playbook_id": "", "worst": "", "counted_path": ""}])
        host = session.scalars(select(Host).where(Host.key == key).with_for_update()).one()
    host.unit_id = report.unit_id  # the agent's unit now: a moved school takes its hosts along
    host.last_seen = max(host.last_seen, when)
    return host


# Catalog ids (checks, requirements) never change once committed and are never deleted: each database
# (its connection pool) keeps the ids it has seen committed, so a report whose checks are all known costs no
# catalog query. Ids seen in a transaction join the cache only when it commits; any rollback, a savepoint's
# too, forgets them (an entry added in a rolled-back savepoint does not exist).
_KNOWN: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], int]] = weakref.WeakKeyDictionary()
_PENDING = "secaudit.catalog_pending"


@event.listens_for(Session, "after_commit")
def _keep_catalog(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        pending[0].update(pending[1])


@event.listens_for(Session, "after_soft_rollback")
def _forget_catalog(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def _catalog(session: Session, entity: Any, column: str, wanted: dict[str, dict[str, str]]) -> dict[str, int]:
    """Ids of catalog entries (checks, requirements) by their text id, created when missing; titles kept
    up to date only on creation (a report is foreign text: it may not rename what others show)."""
    if not wanted:
        return {}
    bind = session.get_bind()
    known = _KNOWN.setdefault((bind if isinstance(bind, Engine) else bind.engine).pool, {})
    name = entity.__tablename__
    have = {key: known[(name, key)] for key in wanted if (name, key) in known}
    if len(have) == len(wanted):
        return have
    col = getattr(entity, column)
    rest = sorted(key for key in wanted if key not in have)
    found: dict[str, int] = dict(session.execute(select(col, entity.id).where(col.in_(rest))).all())
    # sorted: two processes adding overlapping entries lock them in the same order (no deadlock)
    missing = [{column: key, **wanted[key]} for key in rest if key not in found]
    if missing:
        insert_ignore(session, entity.__table__, missing)
        found.update(session.execute(select(col, entity.id).where(col.in_([m[column] for m in missing]))).all())
    session.info.setdefault(_PENDING, (known, {}))[1].update({(name, key): pk for key, pk in found.items()})
    return have | found


def _title(value: Any) -> dict[str, str]:
    title = value if isinstance(value, dict) else {}
    return {"title_vi": clip(title.get("vi"), 1000), "title_en": clip(title.get("en"), 1000)}


def _findings(session: Session, report: Report, payload: dict[str, Any]) -> None:
    rows = [f for f in payload.get("findings") or [] if isinstance(f, dict) and isinstance(f.get("check_id"), str)]
    wanted = {clip(f["check_id"], 200): _title(f.get("title")) for f in rows}
    ids = _catalog(session, CheckEntry, "check_id", wanted)
    out: dict[int, dict[str, Any]] = {}
    for f in rows:
        pk = ids[clip(f["check_id"], 200)]
        status = str(f.get("status"))  # a check is never attested: anything but the six is an error
        out[pk] = {"report_id": report.id, "check_pk": pk,
                   "status": STATUS_CODE[status if status in MACHINE_STATUSES else "error"],
                   "severity": SEVERITY_CODE.get(str(f.get("severity")), 0)}
    if out:
        session.execute(insert(FindingRow), list(out.values()))


def _requirements(session: Session, report: Report, payload: dict[str, Any]) -> dict[int, str]:
    rows = [r for r in payload.get("requirements") or [] if isinstance(r, dict) and isinstance(r.get("id"), str)]
    wanted = {clip(r["id"], 200): {"clause": clip(r.get("clause"), 1000), **_title(r.get("title"))} for r in rows}
    ids = _catalog(session, RequirementEntry, "req_id", wanted)
    statuses: dict[int, str] = {}
    for r in rows:  # `attested` (the school's own "yes") is indexed and rolled up like the machine statuses
        status = str(r.get("status"))
        statuses[ids[clip(r["id"], 200)]] = status if status in STATUS_CODE else "error"
    if statuses:
        session.execute(insert(RequirementResult), [{"report_id": report.id, "req_pk": pk, "status": STATUS_CODE[s]}
                                                    for pk, s in statuses.items()])
    return statuses


# --- the history's figures per unit and month -----------------------------------------------------

MONTH_FIGURES = ("reports", "hosts", "score_sum", "scored", "fails", "late_reports")


def _month_bounds(when: datetime) -> tuple[str, datetime, datetime]:
    start = when.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return f"{start:%Y-%m}", start, end


def _count_month(session: Session, report: Report, host_id: int, when: datetime, score: int | None, fails: int,
                 late: bool) -> None:
    """Add an indexed audit report to its month in its unit and every ancestor (like the rollups: a
    subtree's history is one unit's rows); the host counts once a month, with its first report of the
    month. ReportIndex(host_id, report_id) finds its other reports."""
    month, start, end = _month_bounds(when)
    earlier = session.scalar(select(ReportIndex.report_id).join(Report, Report.id == ReportIndex.report_id)
                             .where(ReportIndex.host_id == host_id, ReportIndex.report_id != report.id,
                                    Report.kind == "audit", Report.received_at >= start, Report.received_at < end)
                             .limit(1))
    path = _unit_path(session, report)
    figures = {"reports": 1, "hosts": 0 if earlier else 1, "score_sum": score or 0,
               "scored": 0 if score is None else 1, "fails": fails, "late_reports": int(late)}
    upsert_add(session, UnitMonth.__table__, ["unit_id", "month"],
               [{"unit_id": unit, "month": month, **figures} for unit in sorted(set(_ancestors(path)))],
               MONTH_FIGURES)


def rebuild_months(session: Session) -> None:
    """Recount every unit month from the indexed audit reports and the current tree (after reindexing,
    units moved, or receipt times changed in the database): per report unit and month in one grouped query
    (a host counts with its lowest report id of the month), added to every ancestor in memory."""
    session.execute(delete(UnitMonth))
    month = month_of(session, Report.received_at)
    indexed = (select(Report.unit_id, Report.id, month.label("m"), ReportIndex.host_id, ReportIndex.score,
                      ReportIndex.n_fail, ReportIndex.late)
               .join(ReportIndex, ReportIndex.report_id == Report.id).where(Report.kind == "audit").subquery())
    firsts = select(func.min(indexed.c.id)).group_by(indexed.c.host_id, indexed.c.m)
    rows = session.execute(select(
        indexed.c.unit_id, indexed.c.m, func.count(), func.sum(case((indexed.c.id.in_(firsts), 1), else_=0)),
        func.sum(indexed.c.score), func.count(indexed.c.score), func.sum(indexed.c.n_fail),
        func.sum(case((indexed.c.late, 1), else_=0))).group_by(indexed.c.unit_id, indexed.c.m)).all()
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    totals: dict[tuple[int, str], list[int]] = {}
    for unit_id, m, *figures in rows:
        for ancestor in set(_ancestors(paths.get(unit_id, ""))):
            entry = totals.setdefault((ancestor, m), [0] * len(MONTH_FIGURES))
            for i, value in enumerate(figures):
                entry[i] += int(value or 0)
    out = [{"unit_id": u, "month": m, **dict(zip(MONTH_FIGURES, values, strict=True))}
           for (u, m), values in sorted(totals.items())]
    for i in range(0, len(out), 5000):
        session.execute(insert(UnitMonth), out[i:i + 5000])


# --- rollups: latest requirement statuses per unit subtree --------------------------------------

def _unit_path(session: Session, report: Report) -> str:
    """The report's unit's path of ids; the upload path has that unit loaded already (no query then)."""
    unit = session.get(Unit, report.unit_id)
    return unit.path if unit is not None else ""


def _ancestors(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


def _previous(session: Session, host: Host) -> tuple[dict[int, str], str, int | None]:
    if host.last_report_id is None:
        return {}, "", None
    rows = session.execute(select(RequirementResult.req_pk, RequirementResult.status)
                           .where(RequirementResult.report_id == host.last_report_id)).all()
    names = {code: name for name, code in STATUS_CODE.items()}
    return {pk: names[st] for pk, st in rows}, host.worst, host.score


def _rollup_rows(path: str, statuses: dict[int, str], worst: str, score: int | None, sign: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for unit in _ancestors(path):
        rows.extend({"unit_id": unit, "req_pk": pk, "status": STATUS_CODE[s], "n": sign, "score_sum": 0}
                    for pk, s in statuses.items())
        if worst:
            rows.append({"unit_id": unit, "req_pk": OVERALL, "status": STATUS_CODE[worst], "n": sign,
                         "score_sum": sign * (score or 0)})
    return rows


def _move_rollups(session: Session, host: Host, report: Report, statuses: dict[int, str], worst: str,
                  score: int | None) -> None:
    path = _unit_path(session, report)
    old, old_worst, old_score = _previous(session, host)
    if host.counted_path == path and old == statuses and old_worst == worst and old_score == score:
        return  # an unchanged host writes nothing here
    rows = _rollup_rows(host.counted_path, old, old_worst, old_score, -1) if host.counted_path else []
    rows += _rollup_rows(path, statuses, worst, score, +1)
    merged: dict[tuple[int, int, int], dict[str, Any]] = {}
    for row in rows:
        key = (row["unit_id"], row["req_pk"], row["status"])
        if key in merged:
            merged[key]["n"] += row["n"]
            merged[key]["score_sum"] += row["score_sum"]
        else:
            merged[key] = dict(row)
    upsert_add(session, Rollup.__table__, ["unit_id", "req_pk", "status"],
               sorted((r for r in merged.values() if r["n"] or r["score_sum"]),
                      key=lambda r: (r["unit_id"], r["req_pk"], r["status"])), ["n", "score_sum"])
    host.counted_path = path


def rebuild_rollups(session: Session) -> None:
    """Recount every rollup from the hosts' latest reports and the current tree (after units moved): per
    unit counts from two grouped queries, added to every ancestor in memory, inserted at once."""
    session.execute(delete(Rollup))
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    session.execute(update(Host).where(Host.kind == "host").values(
        counted_path=select(Unit.path).where(Unit.id == Host.unit_id).scalar_subquery()))
    totals: dict[tuple[int, int, int], list[int]] = {}

    def add(unit_id: int, req_pk: int, status: int, n: int, score_sum: int) -> None:
        for ancestor in _ancestors(paths.get(unit_id, "")):
            entry = totals.setdefault((ancestor, req_pk, status), [0, 0])
            entry[0] += n
            entry[1] += score_sum

    latest = (select(Host.unit_id, RequirementResult.req_pk, RequirementResult.status, func.count())
              .join(RequirementResult, RequirementResult.report_id == Host.last_report_id)
              .where(Host.kind == "host").group_by(Host.unit_id, RequirementResult.req_pk, RequirementResult.status))
    for unit_id, req_pk, status, n in session.execute(latest).all():
        add(unit_id, req_pk, status, n, 0)
    overall = (select(Host.unit_id, Host.worst, func.count(), func.coalesce(func.sum(Host.score), 0))
               .where(Host.kind == "host", Host.last_report_id.is_not(None), Host.worst != "")
               .group_by(Host.unit_id, Host.worst))
    for unit_id, worst, n, score_sum in session.execute(overall).all():
        if worst in STATUS_CODE:
            add(unit_id, OVERALL, STATUS_CODE[worst], n, int(score_sum or 0))
    rows = [{"unit_id": u, "req_pk": r, "status": st, "n": n, "score_sum": sc}
            for (u, r, st), (n, sc) in sorted(totals.items())]
    for i in range(0, len(rows), 5000):
        session.execute(insert(Rollup), rows[i:i + 5000])


def after_units_changed(session: Session) -> None:
    """Called by the units import in its transaction: rollups follow moves of units."""
    stale = session.scalar(select(func.count()).select_from(Host).join(Unit, Unit.id == Host.unit_id)
                           .where(Host.kind == "host", Host.counted_path != "", Host.counted_path != Unit.path))
    if stale:
        rebuild_rollups(session)
        rebuild_months(session)


# --- inventory ----------------------------------------------------------------------------------

_ITEMS: dict[str, Any] = {"software": InvSoftware, "interfaces": InvAddress, "ports": InvPort,
                          "antivirus": InvAntivirus, "device": InvDevice}


def _new_set(session: Session, lst: inv.InvList) -> int:
    digest = lst.sha256
    insert_ignore(session, InvSet.__table__, [{"kind": lst.kind, "sha256": digest, "size": len(lst.rows)}])
    set_id: int = session.scalars(select(InvSet.id).where(InvSet.sha256 == digest).with_for_update()).one()
    item = _ITEMS[lst.kind]
    if not session.scalar(select(func.count()).select_from(item).where(item.set_id == set_id)):
        rows: list[dict[str, Any]]
        if lst.kind == "software":
            rows = [{"set_id": set_id, "item_id": item_id} for item_id in _software_items(session, lst.rows)]
        else:
            rows = [dict(row, set_id=set_id) for row in lst.rows]
        if lst.kind == "antivirus":
            for row in rows:
                row["signature_time"] = parse_rfc3339_or_none(row["signature_time"])
        if rows:
            session.execute(insert(item), rows)
    return set_id


def _software_items(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Ids of software items (created when new), in the order of `rows`."""
    keyed = {hashlib.sha256("\x00".join((r["name"], r["version"], r["publisher"])).encode("utf-8", "replace"))
             .hexdigest(): r for r in rows}
    ids: dict[str, int] = {}
    digests = sorted(keyed)
    for i in range(0, len(digests), 500):
        chunk = digests[i:i + 500]
        ids.update(session.execute(select(SoftwareItem.digest, SoftwareItem.id)
                                   .where(SoftwareItem.digest.in_(chunk))).all())
    missing = [d for d in digests if d not in ids]
    if missing:
        insert_ignore(session, SoftwareItem.__table__, [dict(keyed[d], digest=d) for d in missing])
        for i in range(0, len(missing), 500):
            ids.update(session.execute(select(SoftwareItem.digest, SoftwareItem.id)
                                       .where(SoftwareItem.digest.in_(missing[i:i + 500]))).all())
    return sorted({ids[d] for d in digests})


def _host_lists(session: Session, host: Host, report: Report, lists: list[inv.InvList], when: datetime,
                latest: bool) -> None:
    """Link the host to the sets of its lists (stored once per content), first/last seen kept; with
    `latest`, these sets become its current ones. A few statements for all the lists together."""
    by_sha = {lst.sha256: lst for lst in lists}
    ids: dict[str, int] = dict(session.execute(select(InvSet.sha256, InvSet.id)
                                               .where(InvSet.sha256.in_(sorted(by_sha)))).all())
    for sha in sorted(by_sha):
        if sha not in ids:
            ids[sha] = _new_set(session, by_sha[sha])
    wanted = {ids[sha]: lst.kind for sha, lst in by_sha.items()}
    links = {set_id: current for set_id, current in session.execute(
        select(HostSet.set_id, HostSet.current).where(HostSet.host_id == host.id,
                                                      HostSet.set_id.in_(sorted(wanted)))).all()}
    at = literal(when, UTCDateTime())
    if links:
        session.execute(update(HostSet).where(HostSet.host_id == host.id, HostSet.set_id.in_(sorted(links)))
                        .values(first_seen=case((HostSet.first_seen > at, at), else_=HostSet.first_seen),
                                last_seen=case((HostSet.last_seen < at, at), else_=HostSet.last_seen),
                                last_report_id=case((HostSet.last_report_id < report.id, report.id),
                                                    else_=HostSet.last_report_id)))
    insert_ignore(session, HostSet.__table__, [{
        "host_id": host.id, "set_id": set_id, "kind": kind, "current": False, "first_seen": when, "last_seen": when,
        "first_report_id": report.id, "last_report_id": report.id} for set_id, kind in sorted(wanted.items())
        if set_id not in links])
    changed = {kind for set_id, kind in wanted.items() if not links.get(set_id)}
    if latest and changed:  # the host's current set of each changed kind is now this report's
        session.execute(update(HostSet).where(HostSet.host_id == host.id, HostSet.kind.in_(sorted(changed)))
                        .values(current=HostSet.set_id.in_(sorted(wanted))))


def _index_scan(session: Session, report: Report, payload: dict[str, Any], when: datetime) -> None:
    scanner = _host(session, f"agent:{report.agent_pk}:{clip(report.hostname, 300).lower()}", "host", report, when)
    session.add(ReportIndex(report_id=report.id, host_id=scanner.id, envelope_stored=len(report.envelope_z)))
    inventory = _dict(payload.get("inventory"))
    for device in sorted(inv.devices(inventory.get("devices")), key=lambda d: d.key):  # one lock order
        host = _host(session, f"dev:{report.unit_id}:{device.key}", "device", report, when)
        host.agent_pk = None
        host.hostname = clip(device.name, 300)
        latest = host.last_report_id is None or report.id >= host.last_report_id
        _host_lists(session, host, report, device.lists, when, latest)
        if latest:
            host.last_report_id, host.last_generated_at = report.id, report.generated_at


# --- sequence gaps ------------------------------------------------------------------------------

def _note_sequence(session: Session, report: Report, when: datetime, last_sequence: int | None = None) -> None:
    seq = report.sequence
    if seq is None:
        return
    # a gap lies below some sequence already received: a report newer than all of them fills none
    newest = last_sequence is not None and seq > last_sequence
    gap = None if newest else session.scalar(select(SequenceGap).where(
        SequenceGap.agent_pk == report.agent_pk, SequenceGap.first <= seq, SequenceGap.last >= seq))
    if gap is not None:  # a late report fills (part of) a gap
        first, last = gap.first, gap.last
        session.delete(gap)
        for lo, hi in ((first, seq - 1), (seq + 1, last)):
            if lo <= hi:
                session.add(SequenceGap(agent_pk=report.agent_pk, first=lo, last=hi, noted_at=gap.noted_at))
        return
    before = session.scalar(select(func.max(Report.sequence)).where(
        Report.agent_pk == report.agent_pk, Report.id < report.id, Report.conflict.is_(False)))
    if before is not None and seq > before + 1:
        session.add(SequenceGap(agent_pk=report.agent_pk, first=before + 1, last=seq - 1, noted_at=when))


# --- reindexing from the stored envelopes ----------------------------------------------------------

def stored_payload(session: Session, report: Report) -> dict[str, Any]:
    """The payload of a stored report, from its envelope (verified when it was received)."""
    from secaudit.sign import dsse

    envelope = dsse.strict_loads(envelopes.unpack(session, report.envelope_z), "phong bì", "envelope")
    body = dsse.b64decode_strict(envelope.get("payload") if isinstance(envelope, dict) else None, "payload")
    payload = dsse.strict_loads(body, "nội dung", "payload", canonical=True)
    return payload if isinstance(payload, dict) else {}


def reindex(session: Session, everything: bool = False) -> int:
    """Index the reports that have no index rows (a report whose indexing failed is stored unindexed), or
    with `everything` drop the derived tables and index every report again, oldest first. Returns the
    number of reports indexed. Inventory sets and envelope blobs are content-addressed and stay."""
    if everything:
        for table in (Rollup, UnitMonth, FindingRow, RequirementResult, ReportIndex, HostSet, SequenceGap):
            session.execute(delete(table))
        session.execute(update(Host).values(last_report_id=None))
        session.execute(delete(Host))
    done = 0
    indexed = select(ReportIndex.report_id)
    for report in session.scalars(select(Report).where(Report.id.not_in(indexed), Report.conflict.is_(False))
                                  .order_by(Report.id)):
        index_report(session, report, stored_payload(session, report))
        session.flush()
        done += 1
    if done:  # reports indexed out of their order: each host counted in the unit of its first report
        rebuild_months(session)
    return done
