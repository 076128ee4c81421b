"""report/fit.py: evidence lists cut per item with a count, and a report that always fits its envelope."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from secaudit import limits
from secaudit.errors import SecauditError
from secaudit.report.fit import STEPS, Caps, fit, payload_budget, size, trim, truncated, within
from secaudit.report.sample import sample_report

N = limits.EVIDENCE_ITEMS


def _report(evidence: dict[str, Any], **inventory: Any) -> dict[str, Any]:
    report = sample_report(3)
    report["findings"][0]["evidence"] = evidence
    report["inventory"].update(inventory)
    return report


def test_a_normal_report_is_unchanged() -> None:
    report = sample_report(200)
    assert fit(report) == report


def test_evidence_lists_are_cut_per_item_with_a_count() -> None:
    users = [{"name": f"u{i}", "password_state": "empty"} for i in range(50_000)]
    out = fit(_report({"users": users, "approved": ["a", "b"], "nested": {"ports": list(range(1000))}}))
    evidence = out["findings"][0]["evidence"]
    assert evidence["users"] == users[:N] and evidence["users_truncated"] == 50_000 - N
    assert evidence["approved"] == ["a", "b"] and "approved_truncated" not in evidence
    assert evidence["nested"]["ports"] == list(range(N)) and evidence["nested"]["ports_truncated"] == 1000 - N
    assert truncated(evidence, "users") == 50_000 - N and truncated(evidence, "approved") == 0


def test_inventory_tables_keep_more_rows_than_evidence_lists() -> None:
    ports = [{"proto": "tcp", "address": "0.0.0.0", "port": i, "process": "p", "user": "u"} for i in range(100_000)]
    software = [{"name": f"pkg{i}", "version": "1"} for i in range(3000)]
    out = fit(_report({}, listening_ports=ports, software=software))
    inv = out["inventory"]
    assert len(inv["listening_ports"]) == limits.INVENTORY_ROWS
    assert inv["listening_ports_truncated"] == 100_000 - limits.INVENTORY_ROWS
    assert inv["software"] == software and "software_truncated" not in inv  # a normal package list is kept whole


def test_strings_lists_in_lists_and_depth() -> None:
    caps = Caps(items=2, rows=2, chars=5, depth=3)
    assert trim("abcdefgh", caps) == "abcde…[+3]"
    assert trim({"k": [[1, 2, 3]]}, caps) == {"k": [[1, 2, "…[+1]"]]}
    assert trim({"a": {"b": {"c": {"d": 1}}}}, caps) == {"a": {"b": {"c": '{"d":…[+2]'}}}
    assert trim({"bad": "x\udcff"}, caps) == {"bad": "x\ufffd"}  # an undecodable file name can still be written


def test_fitting_again_adds_up_the_counts() -> None:
    once = trim({"u": list(range(10))}, Caps(5, 5, 100))
    twice = trim(once, Caps(2, 2, 100))
    assert once == {"u": [0, 1, 2, 3, 4], "u_truncated": 5}
    assert twice == {"u": [0, 1], "u_truncated": 8}
    assert trim(once, Caps(5, 5, 100)) == once


def test_a_huge_report_shrinks_until_its_envelope_fits() -> None:
    big = [{"name": "x" * 3000, "detail": "y" * 3000} for _ in range(400)]
    report = _report({"a": big, "b": big}, software=big * 5)
    envelope = 2 * limits.MiB
    out = fit(report, envelope)
    assert size(out) <= payload_budget(envelope) < size(report)
    evidence = out["findings"][0]["evidence"]
    assert evidence["a_truncated"] > 0 and evidence["b_truncated"] > 0  # both kinds still named
    assert out["inventory"]["software_truncated"] > 0


def test_a_report_that_cannot_fit_is_one_sentence() -> None:
    report = sample_report(3)
    report["requirements"] = [dict(report["requirements"][0], title={"vi": "x" * 100_000, "en": "x"})] * 50
    with pytest.raises(SecauditError) as exc:
        fit(report, 1 * limits.MiB)
    assert "too large to sign" in exc.value.en


def test_within_keeps_every_key() -> None:
    evidence = {k: [{"path": "/" + "p" * 200, "mode": "0777"}] * 500 for k in ("files", "dirs", "links")}
    out = within(evidence, 8000)
    assert size(out) <= 8000
    assert all(out[k] and out[f"{k}_truncated"] for k in ("files", "dirs", "links"))


def test_steps_only_get_smaller_and_evidence_gives_way_last() -> None:
    for a, b in itertools.pairwise(STEPS):
        assert b.items <= a.items and b.rows <= a.rows and b.chars <= a.chars and b != a
    assert STEPS[3].items == limits.EVIDENCE_ITEMS and STEPS[3].rows < STEPS[0].rows
