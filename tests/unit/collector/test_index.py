"""index_report through the real upload path: hosts, findings and requirement rows, rollups per subtree,
late reports and sequence gaps, inventory stored once, scan devices, byte-exact envelopes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Integer, event, func, select

from secaudit import status
from secaudit.collector import envelopes, index
from secaudit.collector.index_models import (
    MACHINE_STATUSES,
    STATUS_CODE,
    STATUSES,
    CheckEntry,
    FindingRow,
    Host,
    HostSet,
    InvSet,
    InvSoftware,
    ReportIndex,
    RequirementEntry,
    RequirementResult,
    Rollup,
    SequenceGap,
    SoftwareItem,
)
from secaudit.collector.models import Report, Unit
from tests.unit.collector.world import (
    DB_KINDS,
    TREE,
    World,
    all_pass,
    report,
    scan_report,
    url_for,
    when,
    with_attestation,
)


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest) -> str | None:
    return url_for(request.param)


def _rollup(world: World, code: str, req_pk: int = 0) -> dict[str, int]:
    names = {v: k for k, v in STATUS_CODE.items()}
    with world.db.read() as s:
        uid = s.scalars(select(Unit.id).where(Unit.code == code)).one()
        rows = s.execute(select(Rollup.status, Rollup.n).where(Rollup.unit_id == uid, Rollup.req_pk == req_pk,
                                                               Rollup.n != 0)).all()
        return {names[st]: n for st, n in rows}


def test_audit_report_indexed_and_rolled_up(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    payload = report(seed=1)
    out = world.upload(a, payload)
    assert out.status == 201
    worst = next(s for s in index.WORST_ORDER if s in {r["status"] for r in payload["requirements"]})
    with world.db.read() as s:
        host = s.scalars(select(Host)).one()
        assert (host.kind, host.hostname, host.worst, host.score) == ("host", "PC-01", worst,
                                                                         payload["summary"]["score"])
        assert s.scalar(select(func.count()).select_from(FindingRow)) == 20
        assert s.scalar(select(func.count()).select_from(RequirementResult)) == len(payload["requirements"])
        stored = s.scalars(select(Report.envelope_z)).one()
        assert envelopes.is_packed(stored)
    for code in ("BH01", "BH", "DN"):  # the host counts in every ancestor
        assert _rollup(world, code) == {worst: 1}
    assert _rollup(world, "LK") == {}


def test_envelope_round_trip_is_exact(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    raw = world.envelope(a, report(software=400))
    from secaudit.collector import upload
    assert upload.receive(world.db, raw).status == 201
    with world.db.read() as s:
        stored = s.scalars(select(Report.envelope_z)).one()
        assert envelopes.is_packed(stored) and len(stored) < len(raw) // 10
        assert envelopes.unpack(s, stored) == raw


def test_unchanged_host_shares_inventory_and_writes_no_rollup(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    for month in range(1, 4):
        assert world.upload(a, report(generated_at=f"2026-0{month}-05T02:30:00Z")).status == 201
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(InvSet).where(InvSet.kind == "software")) == 1
        assert s.scalar(select(func.count()).select_from(InvSoftware)) == 50
        link = s.scalars(select(HostSet).where(HostSet.kind == "software")).one()
        assert link.current and link.first_report_id < link.last_report_id
    assert _rollup(world, "DN") == {next(iter(_rollup(world, "BH01"))): 1}
    changed = report(generated_at="2026-04-05T02:30:00Z")
    changed["inventory"]["software"].append({"name": "telnetd", "version": "0.17", "publisher": "x"})
    world.upload(a, changed)
    with world.db.read() as s:
        current = s.scalars(select(HostSet).where(HostSet.kind == "software", HostSet.current.is_(True))).all()
        assert len(current) == 1
        assert s.scalar(select(func.count()).select_from(InvSoftware)
                        .join(SoftwareItem, SoftwareItem.id == InvSoftware.item_id)
                        .where(InvSoftware.set_id == current[0].set_id, SoftwareItem.name == "telnetd")) == 1
        assert s.scalar(select(func.count()).select_from(SoftwareItem)) == 51  # the 50 shared, telnetd


def test_late_report_is_history_and_gaps_fill(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    good, bad = report(seed=1), report(seed=2)
    world.upload(a, good, sequence=1)
    world.upload(a, good, sequence=5)
    with world.db.read() as s:
        gaps = s.execute(select(SequenceGap.first, SequenceGap.last)).all()
        assert gaps == [(2, 4)]
        latest = s.scalars(select(Host.last_sequence)).one()
        assert latest == 5
    world.upload(a, bad, sequence=3)  # late: fills the gap's middle, does not become the latest
    with world.db.read() as s:
        assert sorted(s.execute(select(SequenceGap.first, SequenceGap.last)).all()) == [(2, 2), (4, 4)]
        assert s.scalars(select(Host.last_sequence)).one() == 5
        late = s.scalars(select(ReportIndex.late).order_by(ReportIndex.report_id)).all()
        assert late == [False, False, True]
    assert sum(_rollup(world, "DN").values()) == 1


def test_moved_agent_moves_its_host_in_rollups(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    world.upload(a, report())
    world.move_agent(a, "LK01")
    world.upload(a, report(generated_at="2026-07-05T02:30:00Z"))
    assert _rollup(world, "BH") == {} and sum(_rollup(world, "LK").values()) == 1
    assert sum(_rollup(world, "DN").values()) == 1


def test_rebuild_after_unit_moves(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    world.upload(a, report())
    world.units(TREE_MOVED)
    with world.db.write() as s:
        index.after_units_changed(s)
    assert _rollup(world, "BH") == {} and sum(_rollup(world, "LK").values()) == 1


TREE_MOVED = """code,name,parent,level,playbook
BH01,Trường TH Biên Hòa 1,LK,school,
"""


def test_scan_devices_become_hosts(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    devices = [{"ip": "10.0.0.5", "mac": "00-11-22-AA-BB-CC", "vendor": "Hikvision", "names": ["CAM-1"],
                "open_ports": [{"port": 554, "proto": "tcp", "service": "rtsp"}]},
               {"ip": "10.0.0.9", "mac": None, "names": [], "open_ports": []},
               {"ip": "not an ip", "mac": "zz"}]
    assert world.upload(a, scan_report(devices)).status == 201
    world.upload(a, scan_report(devices, generated_at="2026-07-05T02:30:00Z"))
    with world.db.read() as s:
        keys = sorted(s.scalars(select(Host.key).where(Host.kind == "device")))
        unit = s.scalars(select(Unit.id).where(Unit.code == "BH01")).one()
        assert keys == [f"dev:{unit}:ip:10.0.0.9", f"dev:{unit}:mac:00:11:22:aa:bb:cc"]
        assert s.scalar(select(func.count()).select_from(Rollup)) == 0


def test_hostile_payload_values_do_not_break_indexing(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a = world.agent("BH01")
    payload = report()
    payload["findings"].append({"check_id": "x" * 5000 + "\x00", "status": "bogus", "severity": 7})
    payload["findings"].append({"check_id": 5})
    payload["requirements"].append({"id": "R\x00" * 300, "status": None, "title": "not a dict"})
    payload["summary"]["score"] = "high"
    payload["summary"]["fail"] = 10**30
    payload["inventory"]["software"] = [{"name": "a" * 10_000, "version": ["x"]}, "junk", None]
    payload["inventory"]["interfaces"] = [{"mac": 5, "ipv4": ["999.1.1.1", 7]},
                                         {"name": "lo", "mac": "00:00:00:00:00:00"}]
    payload["inventory"]["listening_ports"] = [{"port": 99999}, {"port": True}, {"port": 22, "proto": None}]
    payload["inventory"]["antivirus"] = [{"product": "X", "signature_time": "yesterday"}]
    assert world.upload(a, payload).status == 201
    with world.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportIndex)) == 1  # indexed, not skipped


def test_reindex_rebuilds_the_same_state(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    a, b = world.agent("BH01"), world.agent("LK01")
    world.upload(a, report(seed=1), sequence=1)
    world.upload(a, report(seed=2), sequence=4)
    world.upload(b, report(seed=3, hostname="PC-LK"))
    world.upload(a, scan_report([{"ip": "10.0.0.5", "mac": "00:11:22:33:44:55"}]), sequence=5)

    def state() -> tuple[object, ...]:
        with world.db.read() as s:
            return (sorted(s.execute(select(Rollup.unit_id, Rollup.req_pk, Rollup.status, Rollup.n, Rollup.score_sum)
                                     .where(Rollup.n != 0)).all()),
                    sorted(s.execute(select(Host.key, Host.last_sequence, Host.score)).all()),
                    sorted(s.execute(select(SequenceGap.first, SequenceGap.last)).all()),
                    s.scalar(select(func.count()).select_from(FindingRow)))

    before = state()
    with world.db.write() as s:
        assert index.reindex(s) == 0  # nothing unindexed
        assert index.reindex(s, everything=True) == 4
    assert state() == before
    with world.db.write() as s:
        index.rebuild_rollups(s)  # recounted from scratch: the same as kept up to date report by report
    assert state() == before


def test_status_codes_are_the_reports_and_never_renumbered() -> None:
    """Stored rows keep their codes: the six machine statuses first (0..5, as migration 0002 stored them),
    `attested` appended (6); together the report's requirement statuses."""
    assert MACHINE_STATUSES == STATUSES[:6] == status.STATUSES
    assert STATUS_CODE == {"pass": 0, "warn": 1, "fail": 2, "unknown": 3, "not_applicable": 4, "error": 5,
                           "attested": 6}
    assert set(STATUSES) == set(status.REQUIREMENT_STATUSES)
    assert "attested" not in index.WORST_ORDER


def _gov(world: World) -> int:
    with world.db.read() as s:
        return s.scalars(select(RequirementEntry.id).where(RequirementEntry.req_id == "VN-GOV-02")).one()


def test_attested_requirements_are_rolled_up_and_move_to_fail(tmp_path: Path, db_url: str | None) -> None:
    """A report with the school's "yes" (the `attestations` section, VN-GOV-02 `attested`): the requirement
    row is kept with the status attested and counts in every ancestor's rollup; the report's counters and
    the host's worst stay the machine's. A later report answering "no" moves the count to fail; reindexing
    everything and recounting the rollups give the same state."""
    world = World(tmp_path, db_url)
    world.units()
    a, b = world.agent("LK01"), world.agent("BH01")
    payload = with_attestation(report(seed=3))
    payload["findings"].append({"check_id": "x.bogus", "status": "attested", "severity": "low"})  # never a check's
    assert world.upload(a, payload).status == 201
    world.upload(b, report(seed=4, hostname="PC-BH"))
    gov = _gov(world)
    with world.db.read() as s:
        rows = dict(s.execute(select(RequirementResult.req_pk, RequirementResult.status)).all())
        assert rows[gov] == STATUS_CODE["attested"] == 6
        assert s.scalar(select(func.count()).select_from(RequirementResult)) == 5 + 1 + 5
        ix = s.scalars(select(ReportIndex).order_by(ReportIndex.report_id)).first()
        assert ix is not None and (ix.n_fail, ix.n_error) == (2, 0)  # summary.attested is not a counter
        bogus = s.scalars(select(FindingRow.status).join(CheckEntry, CheckEntry.id == FindingRow.check_pk)
                          .where(CheckEntry.check_id == "x.bogus")).one()
        assert bogus == STATUS_CODE["error"]
        host = s.scalars(select(Host).where(Host.hostname == "PC-01")).one()
        assert host.worst == "fail"
    for code in ("LK01", "LK", "DN"):
        assert _rollup(world, code, gov) == {"attested": 1}
    assert _rollup(world, "BH", gov) == {}
    assert _rollup(world, "LK") == {"fail": 1}  # the host's overall status: the machine's

    def state() -> tuple[object, ...]:
        with world.db.read() as s:
            return (sorted(s.execute(select(Rollup.unit_id, Rollup.req_pk, Rollup.status, Rollup.n, Rollup.score_sum)
                                     .where(Rollup.n != 0)).all()),
                    sorted(s.execute(select(Host.key, Host.worst, Host.score)).all()))

    before = state()
    with world.db.write() as s:
        assert index.reindex(s, everything=True) == 2
    assert state() == before

    world.upload(a, with_attestation(report(seed=3, generated_at="2026-07-05T02:30:00Z"), "no"))
    for code in ("LK01", "LK", "DN"):
        assert _rollup(world, code, gov) == {"fail": 1}
    moved = state()
    with world.db.write() as s:
        index.rebuild_rollups(s)  # recounted from scratch: the same as moved report by report
    assert state() == moved
    with world.db.write() as s:
        assert index.reindex(s, everything=True) == 3
    assert state() == moved


def test_host_with_only_pass_and_attested_is_pass(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    world.units()
    assert world.upload(world.agent("LK01"), with_attestation(all_pass(report(seed=3)))).status == 201
    with world.db.read() as s:
        assert s.scalars(select(Host.worst)).one() == "pass"
    assert _rollup(world, "DN") == {"pass": 1}
    assert _rollup(world, "DN", _gov(world)) == {"attested": 1}


def test_unit_months_kept_at_ingest_are_the_reports_counted(tmp_path: Path, db_url: str | None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The history's figures kept per unit and month at ingest equal a count over the reports themselves
    (reports, distinct hosts, average score, failures, late reports), for the province and a district,
    with two reports of a host in one month, an older sequence, a move between units, a scan and a
    conflict (neither counted); and rebuild_months gives the same rows."""
    from secaudit.collector import aggregate, upload
    from secaudit.collector.index_models import UnitMonth

    world = World(tmp_path, db_url)
    world.units()
    agents = {code: world.agent(code) for code in ("BH01", "BH02", "LK01")}
    sequence = dict.fromkeys(agents, 0)

    def send(code: str, at: str, seed: int, sequence_no: int | None = None) -> None:
        monkeypatch.setattr(upload, "utcnow", lambda: when(at))
        if sequence_no is None:
            sequence[code] += 2
            sequence_no = sequence[code]
        world.upload(agents[code], report(hostname=f"PC-{code}", seed=seed), sequence=sequence_no)

    send("BH01", "2026-01-31T23:59:59Z", 1)
    send("BH01", "2026-02-01T00:00:00Z", 2)
    send("BH01", "2026-02-20T08:00:00Z", 3)  # twice in February: one host
    send("BH02", "2026-02-03T08:00:00Z", 4)
    send("BH01", "2026-02-25T08:00:00Z", 5, sequence_no=1)  # an older sequence: a late report
    send("LK01", "2026-03-10T08:00:00Z", 6)
    world.move_agent(agents["BH02"], "LK")
    send("BH02", "2026-03-11T08:00:00Z", 7)
    monkeypatch.setattr(upload, "utcnow", lambda: when("2026-03-12T08:00:00Z"))
    world.upload(agents["LK01"], scan_report([{"ip": "10.0.0.9"}]), sequence=50)
    world.upload(agents["LK01"], report(hostname="PC-LK01", seed=99), sequence=sequence["LK01"])  # conflict

    def counted_from_reports() -> None:
        with world.db.read() as s:
            for code in ("DN", "BH", "LK"):
                unit = s.scalars(select(Unit).where(Unit.code == code)).one()
                ids = [u.id for u in s.scalars(select(Unit).where(Unit.path.startswith(unit.path)))]
                month = func.substr(Report.received_at, 1, 7) if s.get_bind().dialect.name == "sqlite" else \
                    func.to_char(Report.received_at, "YYYY-MM")
                rows = s.execute(select(month, func.count(), func.count(func.distinct(ReportIndex.host_id)),
                                        func.avg(ReportIndex.score), func.sum(ReportIndex.n_fail),
                                        func.sum(ReportIndex.late.cast(Integer)))
                                 .join(ReportIndex, ReportIndex.report_id == Report.id)
                                 .where(Report.unit_id.in_(ids), Report.kind == "audit")
                                 .group_by(month).order_by(month)).all()
                expected = [{"month": m, "reports": n, "hosts": h, "score": round(avg), "fails": int(f),
                             "late_reports": int(late)} for m, n, h, avg, f, late in rows]
                assert aggregate.history(s, unit, months=1000)["months"] == expected, code

    counted_from_reports()
    with world.db.read() as s:
        kept = sorted(tuple(r) for r in s.execute(select(UnitMonth.__table__)).all())
    with world.db.write() as s:
        index.rebuild_months(s)
    with world.db.read() as s:
        assert sorted(tuple(r) for r in s.execute(select(UnitMonth.__table__)).all()) == kept
        dn = s.scalars(select(Unit).where(Unit.code == "DN")).one()
        feb = next(p for p in aggregate.history(s, dn, months=1000)["months"] if p["month"] == "2026-02")
        assert (feb["reports"], feb["hosts"], feb["late_reports"]) == (4, 2, 1)
    # a collector upgraded from 0004: the migration fills the unit months from the reports indexed
    from alembic import command

    from secaudit.collector import migrate

    world.db.dispose()
    cfg = migrate._config(world.db.engine)
    with world.db.engine.connect().execution_options(write=True) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_dashboard_indexes")
        conn.commit()
    migrate.upgrade(world.db.engine)
    with world.db.read() as s:
        assert sorted(tuple(r) for r in s.execute(select(UnitMonth.__table__)).all()) == kept
    world.units(TREE.replace("BH01,Trường TH Biên Hòa 1,BH,", "BH01,Trường TH Biên Hòa 1,LK,"))
    counted_from_reports()  # a school moved to another district: the districts' months follow it


def test_catalog_ids_are_cached_after_commit_and_forgotten_on_rollback(tmp_path: Path, db_url: str | None) -> None:
    world = World(tmp_path, db_url)
    titles = {"title_vi": "t", "title_en": "t"}
    with world.db.write() as s:  # an entry added in a savepoint that rolls back does not exist afterwards
        with pytest.raises(ValueError), s.begin_nested():
            index._catalog(s, CheckEntry, "check_id", {"x.gone": titles})
            raise ValueError
        kept = index._catalog(s, CheckEntry, "check_id", {"x.kept": titles})
    with world.db.write() as s:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(s.connection(), "before_cursor_execute", listen)
        assert index._catalog(s, CheckEntry, "check_id", {"x.kept": titles}) == kept  # from the cache
        assert not [q for q in statements if "checks" in q]
        gone = index._catalog(s, CheckEntry, "check_id", {"x.gone": titles})  # made again, not a stale id
        assert s.scalar(select(CheckEntry.check_id).where(CheckEntry.id == gone["x.gone"])) == "x.gone"
        event.remove(s.connection(), "before_cursor_execute", listen)
    with pytest.raises(ValueError), world.db.write() as s:  # a transaction that fails caches nothing it saw
        index._catalog(s, RequirementEntry, "req_id", {"VN-X": titles})
        raise ValueError
    with world.db.read() as s:
        assert not s.scalar(select(func.count()).select_from(RequirementEntry)
                            .where(RequirementEntry.req_id == "VN-X"))
    with world.db.write() as s:
        made = index._catalog(s, RequirementEntry, "req_id", {"VN-X": titles})
        assert s.scalar(select(RequirementEntry.req_id).where(RequirementEntry.id == made["VN-X"])) == "VN-X"
