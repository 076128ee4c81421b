"""Findings that would only repeat another (`depends_on:` in check metadata): "no backup set is declared", "no
anti-malware", "no OpenSSH server" are said once, by one finding; the checks that would repeat it are
not_applicable and point at it, and every requirement keeps the status its checks reached."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from secaudit.checks import REGISTRY, load_checks
from secaudit.checks.base import MetadataError, Outcome, check
from secaudit.checks.engine import Result, run_checks
from secaudit.config import AgentConfig
from secaudit.playbook import Playbook, Requirement
from secaudit.report.builder import build
from secaudit.resources import load_yaml
from secaudit.status import worst
from tests.conftest import run_check, snapshot

NOW = "2026-11-20T00:00:00Z"
BASELINE = Path(__file__).resolve().parents[3] / "playbooks" / "baseline.yaml"


def _book(prefix: str) -> Playbook:
    """The baseline's requirements whose id starts with `prefix`, read as data (ids -> checks)."""
    raw = load_yaml(BASELINE)["requirements"]
    reqs = {rid: Requirement(rid, req["title"], "", list(req["checks"]), ["x"])
            for rid, req in raw.items() if rid.startswith(prefix) and req.get("checks")}  # attested ones: none
    return Playbook(id="t", version="1", title={"vi": "t", "en": "t"}, path="-", sha256="", requirements=reqs)


def _report(snap: Any, prefix: str, role: str) -> dict[str, Any]:
    return build(snap, _book(prefix), AgentConfig(role=role), "agent-test", 1)


def _alone(snap: Any, book: Playbook, role: str) -> dict[str, str]:
    """Each requirement's status when every check runs on its own (nothing can be folded): what it was before."""
    return {rid: worst([run_check(c, snap, role=role).status for c in req.checks])
            for rid, req in book.requirements.items()}


def _saying(report: dict[str, Any], text: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if text in f["message"]["en"]]


def _no_sets(**tables: Any) -> Any:
    return snapshot({"backups": [], "listening_ports": [], "software": [], **tables}, collected_at=NOW)


# --- backups -------------------------------------------------------------------------------------------


def test_a_server_without_backup_sets_is_told_once() -> None:
    snap = _no_sets()
    report = _report(snap, "VN-BAK", "server")
    said = _saying(report, "No backup set is declared")
    assert [(f["check_id"], f["status"]) for f in said] == [("backup.freshness", "warn")]
    others = [f for f in report["findings"] if f["check_id"] != "backup.freshness"]
    assert len(others) == 8 and {f["status"] for f in others} == {"not_applicable"}  # windows.system_backup too
    for f in others:
        assert f["evidence"]["see"] == "backup.freshness"
        assert "backup.freshness" in f["message"]["en"] and "backup.freshness" in f["message"]["vi"]
    # Every plan requirement that demands backups still shows the warning: not_applicable there would read as
    # "does not apply to this server" and drop out of the score, though the server has no backup at all.
    statuses = {r["id"]: r["status"] for r in report["requirements"]}
    assert statuses == dict.fromkeys(("VN-BAK-01", "VN-BAK-02", "VN-BAK-03", "VN-BAK-04", "VN-BAK-05"), "warn")
    assert statuses == _alone(snap, _book("VN-BAK"), "server")
    assert report["summary"]["warn"] == 5 and report["summary"]["not_applicable"] == 0


def test_a_workstation_without_backup_sets_is_told_once_and_nothing_applies() -> None:
    report = _report(_no_sets(), "VN-BAK", "workstation")
    said = _saying(report, "No backup set is declared")
    assert [(f["check_id"], f["status"]) for f in said] == [("backup.freshness", "not_applicable")]
    assert {f["status"] for f in report["findings"]} == {"not_applicable"}
    assert {r["status"] for r in report["requirements"]} == {"not_applicable"}


def test_a_database_without_backup_sets_keeps_its_own_finding() -> None:
    snap = _no_sets(software=[{"name": "postgresql-15", "version": "15.8", "source": "dpkg"}])
    report = _report(snap, "VN-BAK", "server")
    by_id = {f["check_id"]: f for f in report["findings"]}
    assert by_id["backup.scope"]["status"] == "fail" and "postgresql-15" in by_id["backup.scope"]["message"]["en"]
    assert "see" not in by_id["backup.scope"]["evidence"]
    assert len(_saying(report, "No backup set is declared")) == 1
    assert {r["id"]: r["status"] for r in report["requirements"]} == _alone(snap, _book("VN-BAK"), "server")


def test_declared_sets_fold_nothing() -> None:
    row = {"set": "CSDL", "kind": "files", "path": "/srv/backup/db-*.sql.gz", "copies": [], "count": 0,
           "max_age_seconds": 93600, "min_count": 7, "error": None, "source": "stat"}
    results = run_checks(_no_sets(backups=[row]), [c for c in REGISTRY if c.startswith("backup.")],
                         _book("VN-BAK"), AgentConfig(role="server"))
    assert not [r for r in results.values() if "see" in r.evidence]


# --- antivirus and sshd --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["workstation", "server"])
def test_no_antivirus_is_said_once(role: str) -> None:
    snap = snapshot({"antivirus": []}, collected_at=NOW)
    report = _report(snap, "VN-MAL", role)
    said = [f for f in report["findings"] if "anti-malware" in f["message"]["en"] and "see" not in f["evidence"]]
    assert [f["check_id"] for f in said] == ["antivirus.present"]
    folded = {f["check_id"] for f in report["findings"] if f["evidence"].get("see") == "antivirus.present"}
    assert folded == {"antivirus.realtime", "antivirus.signature_age", "antivirus.last_scan"}
    assert {r["id"]: r["status"] for r in report["requirements"]} == _alone(snap, _book("VN-MAL"), role)


def test_no_sshd_is_said_once() -> None:
    snap = snapshot({"remote_login": {"ssh": {"present": False}}}, collected_at=NOW)
    ids = [c for c in REGISTRY if c.startswith("ssh.")]
    results = run_checks(snap, ids, _book("VN-"), AgentConfig(role="server"))
    said = [r.check_id for r in results.values() if "No OpenSSH server" in r.message["en"]]
    assert said == ["ssh.permit_root_login"]
    assert {r.check_id for r in results.values() if r.evidence.get("see") == "ssh.permit_root_login"} == \
        {"ssh.password_authentication", "ssh.permit_empty_passwords", "ssh.session_limits", "ssh.crypto"}
    assert {r.status for r in results.values()} == {"not_applicable"}


def test_a_dependent_run_without_its_dependency_says_it_itself() -> None:
    res = run_check("backup.offsite", _no_sets(), role="server")
    assert res.status == "warn" and "[[backup]]" in res.message["en"] and "see" not in res.evidence
    res = run_check("antivirus.realtime", snapshot({"antivirus": []}, collected_at=NOW), role="workstation")
    assert res.status == "fail" and "see" not in res.evidence


def test_a_folded_result_counts_as_its_own_status() -> None:
    folded = Result("x", "not_applicable", {}, {}, "no_sets", counts_as="warn")
    assert folded.requirement_status == "warn"
    assert Result("y", "fail", {}, {}).requirement_status == "fail"


# --- metadata -------------------------------------------------------------------------------------------


def test_every_dependency_exists_says_the_same_keys_and_depends_on_nothing() -> None:
    registry = load_checks()
    deps = {cid: c.meta.depends_on for cid, c in registry.items() if c.meta.depends_on is not None}
    assert {d.check for d in deps.values()} == {"backup.freshness", "antivirus.present", "ssh.permit_root_login"}
    for cid, dep in deps.items():
        target = registry[dep.check].meta
        assert target.depends_on is None, f"{cid} -> {dep.check}: one step only, so a finding points at the one"
        assert set(dep.when) <= set(target.messages), cid


META = """
fake.check:
  severity: low
  title: {vi: t, en: t}
  remediation: {vi: r, en: r}
  messages:
    gone: {vi: g, en: g}
  depends_on: %s
"""


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    module = types.ModuleType("fake_depends")
    module.__file__ = str(tmp_path / "fake_depends.py")
    sys.modules["fake_depends"] = module

    def run(depends_on: str) -> None:
        (tmp_path / "fake_depends.yaml").write_text(META % depends_on, encoding="utf-8")

        def fn(snap: Any, p: dict[str, Any], env: Any) -> Outcome:
            return Outcome("pass", "pass")

        fn.__module__ = "fake_depends"
        load_yaml.cache_clear()
        check("fake.check")(fn)

    yield run
    REGISTRY.pop("fake.check", None)
    sys.modules.pop("fake_depends", None)


@pytest.mark.parametrize("value, why", [
    ("backup.freshness", "needs 'check'"),
    ("{check: backup.freshness}", "needs 'check'"),
    ("{check: backup.freshness, when: []}", "needs 'check'"),
    ("{check: fake.check, when: [gone]}", "needs 'check'"),
    ("{check: backup.freshness, when: [no_sets]}", "'no_sets' is not one of its messages"),
])
def test_a_malformed_depends_on_is_refused(register: Callable[[str], None], value: str, why: str) -> None:
    with pytest.raises(MetadataError, match=why):
        register(value)
    assert "fake.check" not in REGISTRY


def test_a_well_formed_depends_on_is_kept(register: Callable[[str], None]) -> None:
    register("{check: backup.freshness, when: [gone]}")
    dep = REGISTRY["fake.check"].meta.depends_on
    assert dep is not None and (dep.check, dep.when) == ("backup.freshness", ("gone",))
