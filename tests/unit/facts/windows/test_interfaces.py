"""Network adapters of a Windows machine (facts/windows/interfaces.py)."""

from __future__ import annotations

import json
from pathlib import Path

from secaudit.facts.windows.interfaces import adapter_row, kind_of
from tests.unit.facts.windows.wintest import EMPTY, failed, ok, snapshot_of

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
HEALTHY = json.loads(FIXTURE.read_text(encoding="utf-8"))["probes"]


def test_interfaces_of_the_healthy_pc_one_adapter_printed_as_an_object() -> None:
    rows = snapshot_of(HEALTHY, only={"interfaces"}).tables["interfaces"]
    assert rows == [{"name": "Realtek PCIe GbE Family Controller", "mac": "d0:8e:79:1a:2c:4f",
                     "ipv4": ["192.168.10.57"], "ipv6": ["fe80::5d2e:8a41:c3b7:19f0"], "up": True, "operstate": None,
                     "kind": "ether", "method": "dhcp", "gateways": ["192.168.10.1"],
                     "source": "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True'"}]


def test_interfaces_odd_values() -> None:
    row = adapter_row({"Description": "Intel(R) Wi-Fi 6 AX201 160MHz", "MACAddress": "garbage",
                       "IPAddress": "10.0.0.5", "DefaultIPGateway": None, "DHCPEnabled": False})
    assert row is not None and row["mac"] is None and row["ipv4"] == ["10.0.0.5"] and row["method"] == "static"
    assert row["kind"] == "wireless" and row["gateways"] == []
    assert adapter_row({"Description": None}) is None
    assert kind_of("Hyper-V Virtual Ethernet Adapter") == "virtual" and kind_of("Intel(R) Ethernet I219-LM") == "ether"
    assert snapshot_of({"network_adapters": ok(EMPTY)}, only={"interfaces"}).tables["interfaces"] == []
    snap = snapshot_of({"network_adapters": failed("x")}, only={"interfaces"})
    assert "interfaces" not in snap.tables and snap.unknown["interfaces"]["code"] == "command_failed"
