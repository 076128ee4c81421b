"""Automatic-update policy, the Windows Update service and the newest hotfix (facts/windows/updates.py), as the
system table shows them."""

from __future__ import annotations

from tests.fixtures.windows.build import failed
from tests.unit.facts.windows.test_system import services_with, system
from tests.unit.facts.windows.wintest import EMPTY, ok


def test_update_policies() -> None:
    assert system(windows_update=ok({"NoAutoUpdate": 1, "AUOptions": 4}))[0]["auto_updates"] is False
    table, _ = system(windows_update=ok({"NoAutoUpdate": 0, "AUOptions": 2}))
    assert table["auto_updates"] is False and "AUOptions = 2 (notify before download)" in table["auto_updates_source"]
    assert system(windows_update=ok({"NoAutoUpdate": 0, "AUOptions": 4}))[0]["auto_updates"] is True
    # a policy key from another failure than "not found" is unknown, never the default
    table, unknown = system(windows_update=failed("Access is denied.", "PermissionDenied: (...)",
                                                  "System.Security.SecurityException"))
    assert table["auto_updates"] is None and unknown["system.auto_updates"]["code"] == "command_failed"
    table, unknown = system(windows_update=None)
    assert table["auto_updates"] is None and unknown["system.auto_updates"]["code"] == "not_found"
    table, _ = system(services=services_with("wuauserv", 1, 4))
    assert table["auto_updates"] is False and "wuauserv" in table["auto_updates_source"]


def test_hotfixes_without_dates_and_missing() -> None:
    table, unknown = system(hotfixes=ok([{"HotFixID": "KB1", "Description": "Update", "InstalledOn": None}]))
    assert table["last_update_time"] is None and unknown["system.last_update_time"]["code"] == "not_found"
    table, unknown = system(hotfixes=ok(EMPTY))
    assert table["last_update_time"] is None and "system.last_update_time" in unknown
