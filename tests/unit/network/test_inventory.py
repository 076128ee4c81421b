"""Device rows, first/last seen state, and agent reports given with --agent-report."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from secaudit.errors import SecauditError
from secaudit.network import agents, inventory
from secaudit.network.inventory import Discovered
from secaudit.network.nmapscan import HostScan

OUI = {"00505A": "Network Alchemy", "B827EB": "Raspberry Pi Foundation"}
T1, T2 = "2026-11-20T08:00:00Z", "2026-11-21T08:00:00Z"


def rows() -> list[dict[str, object]]:
    found = {
        "10.0.0.20": Discovered("10.0.0.20", "b8:27:eb:00:00:01", "arp", "arp eth0"),
        "10.0.0.3": Discovered("10.0.0.3", None, "nmap", "nmap -sn"),
        "10.0.0.100": Discovered("10.0.0.100", "da:a1:19:00:00:01", "arp", "arp eth0"),
    }
    scans = {
        "10.0.0.20": HostScan("10.0.0.20", open_ports=[{"port": 22, "proto": "tcp", "service": "ssh"}]),
        "10.0.0.3": HostScan("10.0.0.3", mac="00:11:22:33:44:55", vendor="NmapVendor", hostname="nas.lan",
                             timed_out=True),
    }
    return inventory.build_rows(found, scans, {"10.0.0.20": ["PI-LAB", "nas.lan"], "10.0.0.3": ["nas.lan"]}, OUI,
                                "/usr/share/nmap/nmap-mac-prefixes", T1)


def test_rows_sorted_by_address_with_vendor_names_and_scan_state() -> None:
    out = rows()
    assert [r["ip"] for r in out] == ["10.0.0.3", "10.0.0.20", "10.0.0.100"]  # numerically
    nas, pi, phone = out
    assert pi["vendor"] == "Raspberry Pi Foundation" and pi["vendor_source"].endswith("nmap-mac-prefixes")
    assert pi["names"] == ["PI-LAB", "nas.lan"] and pi["port_scan"] == "complete" and pi["discovered_by"] == "arp"
    assert pi["open_ports"] == [{"port": 22, "proto": "tcp", "service": "ssh"}]
    assert nas["mac"] == "00:11:22:33:44:55" and nas["vendor"] == "NmapVendor" and nas["vendor_source"] == "nmap"
    assert nas["names"] == ["nas.lan"] and nas["port_scan"] == "timeout"
    assert phone["vendor"] is None and phone["mac_locally_administered"] is True
    assert phone["port_scan"] == "not_scanned" and phone["open_ports"] == []
    assert all(r["first_seen"] == r["last_seen"] == T1 for r in out)


def test_first_seen_survives_later_scans(tmp_path: Path) -> None:
    state = tmp_path / "state" / "devices.json"
    first = rows()
    inventory.remember(first, state, T1)
    again = inventory.build_rows({"10.0.0.21": Discovered("10.0.0.21", "b8:27:eb:00:00:01", "arp", "arp eth0"),
                                  "10.0.0.9": Discovered("10.0.0.9", "02:00:00:00:00:09", "arp", "arp eth0")},
                                 {}, {}, OUI, "x", T2)
    inventory.remember(again, state, T2)
    by_ip = {r["ip"]: r for r in again}
    assert by_ip["10.0.0.21"]["first_seen"] == T1  # same MAC, new address: the same device
    assert by_ip["10.0.0.21"]["last_seen"] == T2
    assert by_ip["10.0.0.9"]["first_seen"] == T2
    data = json.loads(state.read_text())
    assert data["schema"] == "secaudit.devices/v1"
    assert data["devices"]["mac:b8:27:eb:00:00:01"] == {"first_seen": T1, "last_seen": T2, "ip": "10.0.0.21",
                                                        "mac": "b8:27:eb:00:00:01"}
    assert data["devices"]["mac:00:11:22:33:44:55"]["ip"] == "10.0.0.3"  # MAC learnt from nmap


def test_device_without_mac_is_remembered_by_address(tmp_path: Path) -> None:
    state = tmp_path / "devices.json"
    routed = inventory.build_rows({"192.168.9.7": Discovered("192.168.9.7", None, "nmap", "nmap -sn")}, {}, {}, OUI,
                                  "x", T1)
    inventory.remember(routed, state, T1)
    later = [dict(routed[0], first_seen=T2, last_seen=T2)]
    inventory.remember(later, state, T2)
    assert later[0]["first_seen"] == T1
    assert json.loads(state.read_text())["devices"]["ip:192.168.9.7"]["last_seen"] == T2


def test_corrupt_state_is_one_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "devices.json"
    state.write_text("{not json")
    with pytest.raises(SecauditError) as err:
        inventory.remember(rows(), state, T1)
    assert "is corrupt" in err.value.en and str(state) in err.value.en
    state.write_text('{"devices": []}')
    with pytest.raises(SecauditError):
        inventory.remember(rows(), state, T1)


# -- agent reports -------------------------------------------------------------------------------


REPORT = {
    "schema": "secaudit.report/v1", "mode": "local", "generated_at": T1, "host": {"hostname": "web"},
    "inventory": {
        "interfaces": [{"name": "lo", "mac": "00:00:00:00:00:00", "ipv4": ["127.0.0.1/8"]},
                       {"name": "eth0", "mac": "02:00:00:00:00:12", "ipv4": ["10.77.0.12/24"]},
                       {"name": "wlan0", "mac": None, "ipv4": ["192.168.1.5"]}],
        "listening_ports": [{"proto": "tcp", "address": "10.77.0.12", "port": 80, "pid": 5, "process": "python",
                             "user": "root", "source": "psutil"}],
    },
    "findings": [{"check_id": "ports.risky_services", "status": "pass"}],
}


def test_report_payload(tmp_path: Path) -> None:
    path = tmp_path / "web.json"
    path.write_text(json.dumps(REPORT))
    row = agents.load(str(path))
    assert row["hostname"] == "web" and row["ips"] == ["10.77.0.12", "192.168.1.5"]
    assert row["macs"] == ["02:00:00:00:00:12"] and row["listening_ports_known"] and not row["signed"]
    assert row["listening_ports"] == [{"proto": "tcp", "address": "10.77.0.12", "port": 80, "process": "python",
                                       "pid": 5}]


def test_signed_envelope(tmp_path: Path) -> None:
    payload = base64.b64encode(json.dumps(REPORT).encode()).decode()
    path = tmp_path / "web.dsse.json"
    path.write_text(json.dumps({"payloadType": "application/vnd.secaudit.report.v1+json", "payload": payload,
                                "signatures": []}))
    assert agents.load(str(path))["signed"]


@pytest.mark.parametrize(("mode", "status", "known"), [
    ("root", "pass", False), ("local", "unknown", False), ("ssh", "pass", True), ("local", "not_applicable", False)])
def test_listening_ports_known_only_for_live_reports(mode: str, status: str, known: bool) -> None:
    report = {**REPORT, "mode": mode, "findings": [{"check_id": "ports.risky_services", "status": status}]}
    assert agents.row_from_report(report, "r.json")["listening_ports_known"] is known


@pytest.mark.parametrize(("content", "why"), [
    ("{", "is not valid JSON"),
    ('{"schema": "secaudit.facts/v1"}', "is not a secaudit report"),
    ('{"payloadType": "x", "payload": "!!!"}', "broken payload"),
])
def test_bad_reports(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(SecauditError) as err:
        agents.load(str(path))
    assert why in err.value.en and str(path) in err.value.en


def test_missing_report(tmp_path: Path) -> None:
    with pytest.raises(SecauditError) as err:
        agents.load(str(tmp_path / "none.json"))
    assert "cannot be read" in err.value.en


def test_directory_of_reports_keeps_the_newest_per_host(tmp_path: Path) -> None:
    """The output directory of `secaudit audit --hosts`: reports, envelopes and a summary."""
    older = {**REPORT, "generated_at": "2026-11-01T08:00:00Z"}
    other = {**REPORT, "host": {"hostname": "db"}}
    (tmp_path / "web-old.json").write_text(json.dumps(older))
    (tmp_path / "web-new.json").write_text(json.dumps(REPORT))
    payload = base64.b64encode(json.dumps(REPORT).encode()).decode()
    (tmp_path / "web-new.secaudit.json").write_text(json.dumps({"payloadType": "x", "payload": payload}))
    (tmp_path / "db.json").write_text(json.dumps(other))
    (tmp_path / "summary.json").write_text('{"hosts": []}')
    (tmp_path / "notes.txt").write_text("not json")
    rows = {r["hostname"]: r for r in agents.load_all([str(tmp_path)])}
    assert set(rows) == {"web", "db"}
    assert rows["web"]["generated_at"] == T1 and rows["web"]["signed"]  # the envelope wins a tie


def test_directory_without_reports(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(SecauditError) as err:
        agents.load_all([str(tmp_path)])
    assert "holds no secaudit report" in err.value.en


def test_one_mac_on_many_addresses_is_marked_as_shared() -> None:
    found = {f"10.0.0.{i}": Discovered(f"10.0.0.{i}", "02:00:00:00:00:01", "arp", "arp eth0") for i in range(1, 10)}
    found["10.0.0.20"] = Discovered("10.0.0.20", "02:00:00:00:00:20", "arp", "arp eth0")
    rows = inventory.build_rows(found, {}, {}, {}, "", T1)
    first = next(r for r in rows if r["ip"] == "10.0.0.1")
    assert len(first["mac_shared_with"]) == 8 and "10.0.0.1" not in first["mac_shared_with"]
    assert "mac_shared_with" not in next(r for r in rows if r["ip"] == "10.0.0.20")
    assert inventory.proxy_arp_suspects(rows) == {"02:00:00:00:00:01": 9}
