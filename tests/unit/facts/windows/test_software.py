"""Installed programs from the Uninstall keys (facts/windows/software.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.facts.windows.software import install_date
from tests.unit.facts.windows.wintest import ok, snapshot_of

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
HEALTHY = json.loads(FIXTURE.read_text(encoding="utf-8"))["probes"]


def test_software_of_the_healthy_pc() -> None:
    rows = snapshot_of(HEALTHY, only={"software"}).tables["software"]
    assert len(rows) == 17 and all(r["manager"] == "registry" and r["arch"] is None for r in rows)
    chrome = next(r for r in rows if r["name"] == "Google Chrome")
    assert chrome == {"name": "Google Chrome", "version": "142.0.7444.176", "arch": None, "publisher": "Google LLC",
                      "manager": "registry", "source": "HKLM Uninstall keys (64-bit and WOW6432Node)",
                      "install_date": "2026-11-19"}
    assert [r["name"] for r in rows] == sorted((r["name"] for r in rows), key=str.lower)


def test_software_odd_values() -> None:
    found = [{"DisplayName": "Only a name"}, {"DisplayName": "  "}, {"DisplayName": "Numeric", "DisplayVersion": 7},
             {"DisplayName": "Old", "InstallDate": "1/2/2019"}]
    rows = snapshot_of({"software": ok(found)}, only={"software"}).tables["software"]
    assert [(r["name"], r["version"], r["install_date"]) for r in rows] == [("Numeric", "7", None),
                                                                           ("Old", None, None),
                                                                           ("Only a name", None, None)]


@pytest.mark.parametrize(("value", "expected"), [
    ("20260915", "2026-09-15"), ("20261345", None), ("1/2/2019", None), ("19000101", None), (None, None),
    (20250814, "2025-08-14"),
])
def test_install_dates(value: object, expected: str | None) -> None:
    assert install_date(value) == expected
