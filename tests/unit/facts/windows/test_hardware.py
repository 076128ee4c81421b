"""Make, model, serial and memory of a Windows machine (facts/windows/hardware.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.facts.windows.hardware import serial_of
from tests.unit.facts.windows.wintest import failed, ok, snapshot_of

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
HEALTHY = json.loads(FIXTURE.read_text(encoding="utf-8"))["probes"]


def test_hardware_of_the_healthy_pc() -> None:
    snap = snapshot_of(HEALTHY, only={"hardware"})
    hw = snap.tables["hardware"]
    assert (hw["vendor"], hw["model"], hw["serial"], hw["bios_version"]) == ("Dell Inc.", "OptiPlex 3000",
                                                                            "8QXK2Y3", "1.21.0")
    assert hw["memory_bytes"] == 17016283136 and hw["virtual"] is None and hw["disks"] == []
    assert snap.unknown["hardware.disks"]["code"] == "not_applicable"


def test_hardware_of_a_virtual_machine_and_of_nothing() -> None:
    cs = ok({"Name": "LAB-VM", "Domain": "WORKGROUP", "PartOfDomain": False, "Manufacturer": "Microsoft Corporation",
             "Model": "Virtual Machine", "TotalPhysicalMemory": 4294967296, "UserName": None})
    bios = ok({"SerialNumber": "To be filled by O.E.M.", "SMBIOSBIOSVersion": "Hyper-V UEFI Release v4.1"})
    hw = snapshot_of({"computer_system": cs, "bios": bios}, only={"hardware"}).tables["hardware"]
    assert hw["virtual"] is True and hw["serial"] is None
    snap = snapshot_of({"computer_system": failed("x"), "bios": failed("y")}, only={"hardware"})
    assert "hardware" not in snap.tables and snap.unknown["hardware"]["code"] == "not_found"


@pytest.mark.parametrize(("value", "expected"), [
    ("8QXK2Y3", "8QXK2Y3"), (" Default string ", None), ("System Serial Number", None), ("0", None),
    ("", None), (None, None), (12, None),
])
def test_serial_placeholders(value: object, expected: str | None) -> None:
    assert serial_of(value) == expected
