"""The system table on Windows: time, updates, support window, BitLocker; from the healthy recording and the
ways each part goes wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secaudit.facts.windows.system import os_version_text
from tests.fixtures.windows.build import SERVICES
from tests.unit.facts.windows.test_timesync import EN_LOCAL_CLOCK, VI_SYNCED
from tests.unit.facts.windows.wintest import ok, out, snapshot_of

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
HEALTHY = json.loads(FIXTURE.read_text(encoding="utf-8"))["probes"]
AU_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU"


def system(**probes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    merged = {**HEALTHY, **probes}
    snap = snapshot_of({k: v for k, v in merged.items() if v is not None}, only={"system"})
    return snap.tables["system"], snap.unknown


def test_the_healthy_pc() -> None:
    table, unknown = system()
    assert table["boot_time"] == "2026-11-22T00:12:41Z"
    assert (table["time_sync_service"], table["time_sync_running"], table["time_synced"]) == ("w32time", True, True)
    assert table["time_sync_service_source"] == "Get-Service W32Time: Running, Manual"
    assert table["auto_updates"] is True and table["auto_updates_reason"] == "enabled" and AU_KEY in \
        table["auto_updates_source"]
    # InstalledOn is local midnight (UTC+7) on 2026-11-12: 17:00 UTC the day before
    assert table["last_update_time"] == "2026-11-11T17:00:00Z"
    assert table["last_update_source"].startswith("Get-HotFix KB")
    assert table["os_id"] == "windows" and table["os_version"] == "11 Pro 25H2 (build 26200)"
    assert table["os_support_end"] == "2027-10-12" and table["os_rolling"] is False
    assert table["disk_encryption"] == [{"name": "C:", "device": "C:", "kind": "bitlocker", "active": True,
                                         "source": "Get-BitLockerVolume C:", "protection_status": "on",
                                         "volume_type": "os", "encryption_percentage": 100}]
    assert set(unknown) == {"system.pending_security_updates"}


def test_clock_on_the_local_cmos_clock_and_a_vietnamese_ui() -> None:
    assert system(time_sync=out(EN_LOCAL_CLOCK))[0]["time_synced"] is False
    table, _ = system(time_sync=out(VI_SYNCED))
    assert table["time_synced"] is True and "Source 192.168.10.1" in table["time_sync_source"]


def test_w32time_stopped_or_disabled() -> None:
    err = {"rc": -2147023834, "stdout": "The following error occurred: The service has not been started. "
                                        "(0x80070426)\r\n", "stderr": ""}
    table, unknown = system(time_sync=err, services=services_with("W32Time", 1, 3))
    assert table["time_synced"] is None and unknown["system.time_synced"] == {
        "code": "command_failed", "detail": "probe time_sync: The following error occurred: The service has not been "
                                            "started. (0x80070426)"}
    assert table["time_sync_service"] == "w32time" and table["time_sync_running"] is False
    table, _ = system(services=services_with("W32Time", 1, 4))
    assert table["time_sync_service"] == "none"


def services_with(name: str, status: int, start_type: int) -> dict[str, Any]:
    """The healthy PC's Get-Service with one service changed."""
    return ok([{"Name": n, "DisplayName": d, "Status": status if n == name else st,
                "StartType": start_type if n == name else start} for n, d, st, start in SERVICES])


def test_os_missing_or_unlisted() -> None:
    table, unknown = system(os=None)
    assert table["os_support_end"] is None and table["boot_time"] is None and unknown["host.os"]["code"] == "not_found"
    table, unknown = system(os=ok({"Caption": "Microsoft Windows 11 Pro Insider Preview", "Version": "10.0.27881",
                                   "BuildNumber": "27881", "ProductType": 1}))
    assert table["os_support_end"] is None
    assert "Windows build 27881" in unknown["system.os_support_end"]["detail"]


def test_os_version_text() -> None:
    def info(caption: str, build: str, name: str | None) -> dict[str, Any]:
        return {"caption": caption, "build": build, "support": {"name": name}}

    assert os_version_text(info("Microsoft Windows 11 Education", "26100", "Windows 11 24H2")) == \
        "11 Education 24H2 (build 26100)"
    assert os_version_text(info("Microsoft Windows Server 2022 Standard", "20348", "Windows Server 2022")) == \
        "Server 2022 Standard (build 20348)"
    assert os_version_text(info("", "1", None)) == "? (build 1)"
