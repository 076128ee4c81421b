"""Listening ports (Get-NetTCPConnection, Get-NetUDPEndpoint, Get-Process) and firewall profiles
(Get-NetFirewallProfile, enums printed as integers by Windows PowerShell 5.1)."""

from __future__ import annotations

import pytest

from secaudit.facts.windows import firewall
from tests.unit.facts.windows import samples
from tests.unit.facts.windows.wintest import failed, ok, snapshot_of


def test_listeners_with_their_process() -> None:
    snap = snapshot_of({"listen_tcp": ok(samples.LISTEN_TCP), "listen_udp": ok(samples.LISTEN_UDP),
                        "processes": ok(samples.PROCESSES)}, only={"listening_ports"})
    got = {(r["proto"], r["address"], r["port"]): r for r in snap.tables["listening_ports"]}
    assert got[("tcp", "0.0.0.0", 445)]["process"] == "System" and got[("tcp", "::", 445)]["family"] == "ipv6"
    assert got[("tcp", "0.0.0.0", 3389)]["process"] == "svchost" and got[("udp", "0.0.0.0", 5353)]["pid"] == 2240
    assert got[("tcp", "127.0.0.1", 5939)]["process"] == "TeamViewer_Service"
    assert got[("tcp", "0.0.0.0", 445)]["source"] == "Get-NetTCPConnection -State Listen"


def test_one_listener_is_an_object_and_processes_missing() -> None:
    snap = snapshot_of({"listen_tcp": ok({"LocalAddress": "0.0.0.0", "LocalPort": 5900, "OwningProcess": 812}),
                        "listen_udp": failed("boom")}, only={"listening_ports"})
    (row,) = snap.tables["listening_ports"]
    assert row["port"] == 5900 and row["process"] is None
    assert snap.unknown["listening_ports.udp"]["code"] == "command_failed"
    assert snap.unknown["listening_ports.process"]["code"] == "not_found"


def test_no_tcp_no_table() -> None:
    snap = snapshot_of({"listen_udp": ok(samples.LISTEN_UDP)}, only={"listening_ports"})
    assert "listening_ports" not in snap.tables and "listening_ports" in snap.unknown


def test_profiles_from_integers() -> None:
    snap = snapshot_of({"firewall_profiles": ok(samples.FIREWALL)}, only={"firewall"})
    fw = snap.tables["firewall"]
    assert fw["backend"] == "windows_firewall" and fw["active"] and fw["default_inbound"] == "drop"
    assert [p["name"] for p in fw["profiles"]] == ["Domain", "Private", "Public"]
    assert fw["profiles"][0]["default_inbound"] == "not_configured"


@pytest.mark.parametrize(("enabled", "action", "expected"), [
    (0, 4, (False, "block")), (True, 2, (True, "allow")), ("False", "Allow", (False, "allow")),
    (2, 0, (True, "not_configured")), (7, 9, (None, None)), (None, None, (None, None)),
])
def test_profile_values(enabled: object, action: object, expected: tuple) -> None:
    (row,) = firewall.profile_rows([{"Name": "Public", "Enabled": enabled, "DefaultInboundAction": action}])
    assert (row["enabled"], row["default_inbound"]) == expected


def test_public_off() -> None:
    profiles = [dict(p) for p in samples.FIREWALL]
    profiles[2]["Enabled"] = 0
    fw = snapshot_of({"firewall_profiles": ok(profiles)}, only={"firewall"}).tables["firewall"]
    assert fw["active"] is True and fw["profiles"][2]["enabled"] is False
