"""The host table on Windows, and where a build stands in the shipped support table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.facts.windows.host import arch_of, display_version, edition_group, support
from secaudit.resources import load_data
from tests.conftest import run_check
from tests.unit.facts.windows.psjson import PSDate
from tests.unit.facts.windows.wintest import failed, ok, snapshot_of

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
HEALTHY = json.loads(FIXTURE.read_text(encoding="utf-8"))["probes"]


def os_probe(caption: str, build: str, product_type: int = 1) -> dict:
    return ok({"Caption": caption, "Version": f"10.0.{build}", "BuildNumber": build, "OSArchitecture": "64-bit",
               "ProductType": product_type, "LastBootUpTime": PSDate("2026-11-22T07:00:00+07:00"),
               "InstallDate": PSDate("2025-01-02T10:00:00+07:00")})


def test_the_healthy_pc() -> None:
    snap = snapshot_of(HEALTHY, only={"host"})
    host = snap.tables["host"]
    assert host["hostname"] == "THCSLQD-GV07" and host["fqdn"] is None  # WORKGROUP: no domain name
    assert host["os"] == {"family": "windows", "name": "Microsoft Windows 11 Pro", "id": "windows",
                          "version": "10.0.26200", "version_codename": "25H2", "build": "26200"}
    assert host["arch"] == "x64" and host["kernel"] == "10.0.26200"
    assert host["boot_time"] == "2026-11-22T00:12:41Z" and host["uptime_seconds"] == 7 * 3600 + 47 * 60 + 19
    assert host["role"] == "workstation" and host["product_type"] == 1
    assert host["console_user"] == "THCSLQD-GV07\\giaovien" and host["looks_like_system"] is True
    assert snap.unknown["host.logged_in_users"]["code"] == "not_applicable"


def test_a_domain_server() -> None:
    cs = ok({"Name": "SRV-DC01", "Domain": "thpt-ld.edu.vn", "PartOfDomain": True, "Manufacturer": "HPE",
             "Model": "ProLiant ML30 Gen10 Plus", "TotalPhysicalMemory": 34359738368, "UserName": None})
    host = snapshot_of({"os": os_probe("Microsoft Windows Server 2022 Standard", "20348", 2), "computer_system": cs},
                       only={"host"}).tables["host"]
    assert host["fqdn"] == "srv-dc01.thpt-ld.edu.vn" and host["role"] == "server"
    assert host["os"]["version_codename"] is None and host["console_user"] is None
    assert host["role_evidence"] == ["Get-CimInstance Win32_OperatingSystem ProductType 2 (domain controller)"]


def test_no_probes_no_system() -> None:
    snap = snapshot_of({"os": failed("Access denied")}, only={"host"})
    host = snap.tables["host"]
    assert host["looks_like_system"] is False and host["os"]["name"] is None
    assert snap.unknown["host.os"]["code"] == "command_failed" and snap.unknown["host.hostname"]["code"] == "not_found"


@pytest.mark.parametrize(("caption", "group"), [
    ("Microsoft Windows 11 Pro", "home_pro"), ("Microsoft Windows 11 Home Single Language", "home_pro"),
    ("Microsoft Windows 11 Pro Education", "home_pro"), ("Microsoft Windows 11 Education", "enterprise"),
    ("Microsoft Windows 10 Enterprise", "enterprise"), ("Microsoft Windows 10 Enterprise LTSC 2021", "ltsc"),
    ("Microsoft Windows 10 Enterprise 2016 LTSB", "ltsc"), ("Microsoft Windows 11 IoT Enterprise", "enterprise"),
    ("Windows 11 Something New", "home_pro"),
])
def test_edition_groups(caption: str, group: str) -> None:
    assert edition_group(caption) == group


@pytest.mark.parametrize(("caption", "build", "ptype", "end"), [
    ("Microsoft Windows 10 Pro", "19045", 1, "2025-10-14"),         # 22H2: ended for every edition
    ("Microsoft Windows 10 Education", "19045", 1, "2025-10-14"),
    ("Microsoft Windows 10 Enterprise LTSC 2021", "19044", 1, "2027-01-12"),
    ("Microsoft Windows 10 Pro", "19044", 1, "2023-06-13"),
    ("Microsoft Windows 11 Pro", "22631", 1, "2025-11-11"),         # 23H2
    ("Microsoft Windows 11 Education", "22631", 1, "2026-11-10"),
    ("Microsoft Windows 11 Pro", "26100", 1, "2026-10-13"),         # 24H2
    ("Microsoft Windows 11 Enterprise", "26100", 1, "2027-10-12"),
    ("Microsoft Windows 11 Pro", "26200", 1, "2027-10-12"),         # 25H2
    ("Microsoft Windows 10 Pro", "17763", 1, "2020-11-10"),
    ("Microsoft Windows Server 2016 Standard", "14393", 3, "2027-01-12"),
    ("Microsoft Windows Server 2019 Standard", "17763", 3, "2029-01-09"),
    ("Microsoft Windows Server 2022 Standard", "20348", 2, "2031-10-14"),
    ("Microsoft Windows Server 2025 Datacenter", "26100", 3, "2034-11-14"),
    ("Microsoft Windows 11 Pro Insider Preview", "27881", 1, None),  # not in the table: unknown, never a pass
])
def test_support_table(caption: str, build: str, ptype: int, end: str | None) -> None:
    assert support(load_data("os_eol.yaml"), build, caption, ptype)["end"] == end


def test_windows_10_22h2_is_out_of_support() -> None:
    probes = {**HEALTHY, "os": os_probe("Microsoft Windows 10 Pro", "19045")}
    snap = snapshot_of(probes, only={"system"})
    system = snap.tables["system"]
    assert system["os_support_end"] == "2025-10-14" and system["os_version"] == "10 Pro 22H2 (build 19045)"
    assert "Windows 10 22H2" in system["os_support_note"]
    result = run_check("system.os_supported", snap)  # the recording's 2026-11-22: over a year past the end
    assert result.status == "fail" and "windows 10 Pro 22H2 (build 19045)" in result.message["en"]
    snap = snapshot_of({**HEALTHY, "os": os_probe("Microsoft Windows 11 Pro", "26100")}, only={"system"})
    assert run_check("system.os_supported", snap).status == "fail"  # 24H2 Home/Pro ended 2026-10-13
    snap = snapshot_of({**HEALTHY, "os": os_probe("Microsoft Windows 11 Education", "26100")}, only={"system"})
    assert run_check("system.os_supported", snap).status == "pass"  # Education: to 2027-10-12


def test_display_version_and_arch() -> None:
    assert display_version("Windows 11 24H2") == "24H2" and display_version("Windows 10 1809") == "1809"
    assert display_version("Windows Server 2022") is None and display_version("Windows 7 SP1") is None
    assert [arch_of(a) for a in ("64-bit", "32-bit", "ARM 64-bit Processor", "64 bit", None)] == \
        ["x64", "x86", "arm64", "x64", None]
