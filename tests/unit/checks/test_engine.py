from __future__ import annotations

import time
from typing import Any

import pytest

from secaudit.checks.base import REGISTRY, Check, CheckMeta, Env, Outcome
from secaudit.checks.engine import run_checks
from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.playbook import Playbook
from secaudit.report.builder import score
from secaudit.status import worst

TEXT = {"vi": "t", "en": "t"}


def _meta(cid: str, **kw: Any) -> CheckMeta:
    base: dict[str, Any] = {"id": cid, "severity": "low", "title": TEXT, "remediation": TEXT,
                            "messages": {"ok": {"vi": "ổn {n}", "en": "fine {n}"}}, "params": {"n": 1}}
    base.update(kw)
    return CheckMeta(**base)


@pytest.fixture
def fake_checks():
    added: list[str] = []

    def add(cid: str, fn: Any, **kw: Any) -> None:
        REGISTRY[cid] = Check(_meta(cid, **kw), fn)
        added.append(cid)

    yield add
    for cid in added:
        REGISTRY.pop(cid, None)


def _run(ids: list[str], snap: Snapshot | None = None, role: str = "server", params: dict | None = None):
    snap = snap or Snapshot(collected_at="2026-11-20T00:00:00Z", mode="local")
    book = Playbook(id="t", version="1", title=TEXT, path="-", sha256="", params=params or {})
    cfg = AgentConfig(role=role)
    return run_checks(snap, ids, book, cfg)


def test_a_crashing_check_is_an_error_and_others_still_run(fake_checks):
    def boom(snap: Snapshot, p: dict, env: Env) -> Outcome:
        raise KeyError("users")

    fake_checks("t.boom", boom)
    fake_checks("t.ok", lambda s, p, e: Outcome("pass", "ok", {"n": p["n"]}))
    res = _run(["t.boom", "t.ok"])
    assert res["t.boom"].status == "error" and "KeyError" in res["t.boom"].message["en"]
    assert res["t.ok"].status == "pass" and res["t.ok"].message == {"vi": "ổn 1", "en": "fine 1"}


def test_a_slow_check_times_out(fake_checks):
    fake_checks("t.slow", lambda s, p, e: time.sleep(2) or Outcome("pass", "ok"), timeout=0.2)
    started = time.monotonic()
    res = _run(["t.slow"])
    assert res["t.slow"].status == "error" and "0.2" in res["t.slow"].message["en"]
    assert time.monotonic() - started < 1.5


def test_unknown_fact_gives_unknown_with_reason(fake_checks):
    fake_checks("t.shadow", lambda s, p, e: Outcome("pass", "ok"), needs=("users.password_state",))
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode="local",
                    unknown={"users.password_state": {"code": "permission_denied", "detail": "/etc/shadow"}})
    res = _run(["t.shadow"], snap)["t.shadow"]
    assert res.status == "unknown"
    assert "/etc/shadow" in res.message["vi"] and "root" in res.message["vi"]
    assert res.evidence["reason_code"] == "permission_denied"


def test_table_level_not_applicable(fake_checks):
    fake_checks("t.ports", lambda s, p, e: Outcome("pass", "ok"), needs=("listening_ports",))
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode="root",
                    unknown={"listening_ports": {"code": "not_applicable", "detail": "--root"}})
    assert _run(["t.ports"], snap)["t.ports"].status == "not_applicable"


def test_role_and_live_only(fake_checks):
    fake_checks("t.ws", lambda s, p, e: Outcome("fail", "ok"), roles=("workstation",))
    fake_checks("t.live", lambda s, p, e: Outcome("fail", "ok"), live_only=True)
    assert _run(["t.ws"], role="server")["t.ws"].status == "not_applicable"
    assert _run(["t.ws"], role="workstation")["t.ws"].status == "fail"
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode="root")
    assert _run(["t.live"], snap)["t.live"].status == "not_applicable"


def test_params_from_playbook(fake_checks):
    fake_checks("t.p", lambda s, p, e: Outcome("pass", "ok", {"n": p["n"]}))
    assert _run(["t.p"], params={"t.p": {"n": 7}})["t.p"].message["en"] == "fine 7"


def test_several_outcomes_merge_to_the_worst(fake_checks):
    fake_checks("t.multi", lambda s, p, e: [Outcome("pass", "ok", {"n": 1}, {"a": 1}),
                                            Outcome("warn", "ok", {"n": 2}, {"a": 2})])
    res = _run(["t.multi"])["t.multi"]
    assert res.status == "warn" and res.evidence == {"items": [{"a": 1}, {"a": 2}]}
    assert res.message["en"] == "fine 2"  # only the outcomes with the worst status speak


def test_every_problem_of_a_finding_is_in_its_message(fake_checks):
    """Two planted problems in one check (e.g. two risky sysctl values) are both named, each once; past
    MAX_JOINED the rest are counted, in both languages (all of them are in the evidence)."""
    from secaudit.checks.engine import MAX_JOINED

    fake_checks("t.two", lambda s, p, e: [Outcome("fail", "ok", {"n": 1}), Outcome("pass", "ok", {"n": 9}),
                                          Outcome("fail", "ok", {"n": 2}), Outcome("fail", "ok", {"n": 1})])
    res = _run(["t.two"])["t.two"]
    assert res.status == "fail" and res.message["en"] == "fine 1 fine 2"
    many = MAX_JOINED + 3
    fake_checks("t.many", lambda s, p, e: [Outcome("warn", "ok", {"n": i}) for i in range(many)])
    res = _run(["t.many"])["t.many"]
    assert res.message["en"].count("fine") == MAX_JOINED
    assert res.message["en"].endswith("(and 3 more, see the evidence)")
    assert "(và 3 vấn đề khác, xem bằng chứng)" in res.message["vi"] and len(res.evidence["items"]) == many


def test_worst_and_score():
    assert worst(["pass", "warn", "unknown"]) == "unknown"
    assert worst(["pass", "error", "fail"]) == "fail"
    assert worst(["not_applicable", "pass"]) == "pass"
    counts = {"pass": 3, "warn": 2, "fail": 1, "unknown": 0, "not_applicable": 5, "error": 0}
    assert score(counts) == 66  # (3 + 2*0.5) / 6
    assert score({k: 0 for k in counts}) == 0


def test_a_windows_snapshot_without_probes_says_why_not_that_a_root_is_wrong() -> None:
    """collect.ps1 could not run (no PowerShell, a policy that allows signed scripts only): every check is
    unknown with the reason, not "the audited root does not look like an installed operating system"."""
    from tests.conftest import run_check

    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode="local", family="windows",
                    tables={"host": {"looks_like_system": False,
                                     "system_markers_checked": ["probe os", "probe computer_system"]}},
                    unknown={"host.os": {"code": "not_found", "detail": "probe os: Windows PowerShell (C:\\x) "
                                                                        "not found"}})
    res = run_check("antivirus.present", snap)
    assert res.status == "unknown"
    assert res.message["en"] == ("Could not be determined: the Windows probes could not be read (probe os: Windows "
                                 "PowerShell (C:\\x) not found).")
    assert "root" not in res.message["en"] and "Windows" in res.message["vi"]
    snap.family = "linux"
    assert "does not look like an installed operating system" in run_check("antivirus.present", snap).message["en"]
