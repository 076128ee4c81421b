"""network.* checks over hand-built snapshots, and the network playbook."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

import secaudit.checks.network  # noqa: F401  (registers the checks)
from secaudit.config import AgentConfig
from tests.conftest import run_check, snapshot

NOW = "2026-11-20T08:00:00Z"


def port(n: int, service: str | None = None, probed: bool = False, product: str | None = None) -> dict[str, Any]:
    return {"port": n, "proto": "tcp", "service": service, "product": product, "version": None,
            "service_probed": probed}


def device(ip: str, mac: str | None, *ports: dict[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    return {"ip": ip, "mac": mac, "vendor": None, "names": names or [], "open_ports": list(ports),
            "first_seen": NOW, "last_seen": NOW, "port_scan": "complete", "discovered_by": "arp"}


def known(mac: str | None, ip: str | None = None, role: str | None = None, allowed: list[str] | None = None,
          name: str = "x", line: int = 2) -> dict[str, Any]:
    return {"mac": mac, "ip": ip, "role": role, "allowed_ports": allowed or [], "name": name, "owner": None,
            "location": None, "source": f"devices.csv:{line}"}


def snap(devices: list[dict[str, Any]], known_rows: list[dict[str, Any]] | None = None,
         reports: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    tables: dict[str, Any] = {"devices": devices, **extra}
    unknown: dict[str, Any] = {}
    if known_rows is None:
        unknown["known_devices"] = {"code": "not_found", "detail": "known_devices (--known FILE)"}
    else:
        tables["known_devices"] = known_rows
    if reports is not None:
        tables["agent_reports"] = reports
    return snapshot(tables, unknown=unknown, mode="local", collected_at=NOW)


# -- network.unknown_devices ---------------------------------------------------------------------


def test_all_devices_known_passes() -> None:
    res = run_check("network.unknown_devices", snap(
        [device("10.0.0.5", "02:00:00:00:00:05"), device("10.0.0.6", "02:00:00:00:00:06")],
        [known("02:00:00:00:00:05"), known("02:00:00:00:00:06")]))
    assert res.status == "pass" and "All 2 devices" in res.message["en"]
    assert res.evidence["unknown"] == []


def test_unknown_mac_warns_never_fails() -> None:
    res = run_check("network.unknown_devices", snap(
        [device("10.0.0.5", "02:00:00:00:00:05"), device("10.0.0.9", "de:ad:be:ef:00:01", port(23),
                                                          names=["ESP_1A2B"])],
        [known("02:00:00:00:00:05")]))
    assert res.status == "warn"
    [item] = res.evidence["unknown"]
    assert item["ip"] == "10.0.0.9" and item["mac"] == "de:ad:be:ef:00:01" and item["open_ports"] == ["tcp/23"]
    assert "10.0.0.9 (de:ad:be:ef:00:01, ESP_1A2B)" in res.message["en"]
    assert "thiết bị lạ" in res.message["vi"] and "1/2" in res.message["vi"]


def test_mac_matching_ignores_case_and_ip_changes_are_noted() -> None:
    res = run_check("network.unknown_devices", snap(
        [device("10.0.0.50", "02:00:00:00:00:AA".lower())],
        [known("02:00:00:00:00:aa", ip="10.0.0.5", name="Máy chủ")]))
    assert res.status == "pass"
    assert res.evidence["address_changed"] == [{"mac": "02:00:00:00:00:aa", "ip": "10.0.0.50", "known_ip": "10.0.0.5",
                                                "name": "Máy chủ", "source": "devices.csv:2"}]


def test_device_behind_a_router_is_matched_by_ip() -> None:
    rows = [known(None, ip="192.168.5.10"), known("02:00:00:00:00:01", ip="192.168.5.11", line=3)]
    res = run_check("network.unknown_devices", snap(
        [device("192.168.5.10", None), device("192.168.5.11", None), device("192.168.5.12", None)], rows))
    assert res.status == "warn"
    [item] = res.evidence["unknown"]
    assert item["ip"] == "192.168.5.12" and item["identified_by"].startswith("ip")


def test_mac_seen_but_only_an_ip_entry_is_not_enough() -> None:
    """A device whose MAC is visible must be listed by MAC: an IP alone can be taken by anyone."""
    res = run_check("network.unknown_devices", snap([device("10.0.0.5", "02:00:00:00:00:05")],
                                                    [known(None, ip="10.0.0.5")]))
    assert res.status == "warn"


def test_without_known_devices_file_is_unknown() -> None:
    res = run_check("network.unknown_devices", snap([device("10.0.0.5", "02:00:00:00:00:05")]))
    assert res.status == "unknown" and "known_devices (--known FILE)" in res.message["en"]


def test_no_devices_found_is_no_evidence() -> None:
    # An empty scan (wrong range, blocked) proves nothing: neither check may pass on it.
    res = run_check("network.unknown_devices", snap([], []))
    assert res.status == "unknown" and "No live device" in res.message["en"]
    assert run_check("network.risky_exposed", snap([], [])).status == "unknown"


def test_scope_in_evidence() -> None:
    meta = {"targets": [{"network": "10.0.0.0/24"}], "ports": "top100", "port_count": 200, "port_scan": "syn",
            "service_detect": False, "duration_ms": 5}
    res = run_check("network.unknown_devices", snap([], [], network_scan=meta))
    assert res.evidence["scope"]["ports"] == "top100" and "duration_ms" not in res.evidence["scope"]


# -- network.risky_exposed -----------------------------------------------------------------------


def findings(res: Any) -> set[tuple[str, int, str, str]]:
    return {(f["ip"], f["port"], f["service"], f["verdict"]) for f in res.evidence["findings"]}


def test_nothing_risky_passes() -> None:
    res = run_check("network.risky_exposed", snap([device("10.0.0.5", "02:00:00:00:00:05", port(22), port(443))],
                                                  []))
    assert res.status == "pass" and "2 open ports on 1 devices" in res.message["en"]


def test_telnet_fails_whatever_the_role() -> None:
    res = run_check("network.risky_exposed", snap([device("10.0.0.5", "02:00:00:00:00:05", port(23, "telnet"))],
                                                  [known("02:00:00:00:00:05", role="server")]))
    assert res.status == "fail" and findings(res) == {("10.0.0.5", 23, "telnet", "fail")}
    assert "telnet tcp/23 @ 10.0.0.5 (02:00:00:00:00:05)" in res.message["en"]


def test_database_verdict_depends_on_the_known_role() -> None:
    devices = [device("10.0.0.5", "02:00:00:00:00:05", port(3306)), device("10.0.0.6", "02:00:00:00:00:06", port(3306)),
               device("10.0.0.7", "02:00:00:00:00:07", port(3306))]
    rows = [known("02:00:00:00:00:05", role="server"), known("02:00:00:00:00:06", role="workstation")]
    res = run_check("network.risky_exposed", snap(devices, rows))
    assert res.status == "fail"
    assert findings(res) == {("10.0.0.5", 3306, "mysql", "warn"), ("10.0.0.6", 3306, "mysql", "fail"),
                             ("10.0.0.7", 3306, "mysql", "fail")}  # unknown role: the strictest verdict
    unknown_role = next(f for f in res.evidence["findings"] if f["ip"] == "10.0.0.7")
    assert unknown_role["role"] == "unknown" and unknown_role["role_source"].startswith("strictest")
    assert "Also review" in res.message["en"]


def test_smb_and_rdp_warn() -> None:
    res = run_check("network.risky_exposed", snap([device("10.0.0.8", None, port(445), port(3389), port(5900))],
                                                  [known(None, ip="10.0.0.8", role="lab")]))
    assert res.status == "warn"
    assert findings(res) == {("10.0.0.8", 445, "smb", "warn"), ("10.0.0.8", 3389, "rdp", "warn"),
                             ("10.0.0.8", 5900, "vnc", "warn")}


def test_per_device_allowed_ports_and_global_param() -> None:
    devices = [device("10.0.0.5", "02:00:00:00:00:05", port(3306), port(445)),
               device("10.0.0.6", "02:00:00:00:00:06", port(3306))]
    rows = [known("02:00:00:00:00:05", role="server", allowed=["tcp/3306", "tcp/445"])]
    res = run_check("network.risky_exposed", snap(devices, rows))
    assert findings(res) == {("10.0.0.6", 3306, "mysql", "fail")}  # allowed on .5 only
    assert {(a["ip"], a["port"]) for a in res.evidence["allowed"]} == {("10.0.0.5", 3306), ("10.0.0.5", 445)}
    res = run_check("network.risky_exposed", snap(devices, rows), params={"allowed": ["3306", "bogus"]})
    assert res.status == "pass" and res.evidence["invalid_allowed_entries"] == ["bogus"]


def test_probed_service_name_beats_the_port_number() -> None:
    devices = [device("10.0.0.5", "02:00:00:00:00:05",
                      port(2323, "telnet", probed=True),  # telnet on a non-standard port
                      port(23, "ssh", probed=True, product="OpenSSH"),  # SSH moved to 23: not telnet
                      port(3306, "tcpwrapped", probed=True),  # nothing learnt: judged by the port
                      port(8443, "ms-wbt-server", probed=True))]  # RDP on another port
    res = run_check("network.risky_exposed", snap(devices, []))
    assert findings(res) == {("10.0.0.5", 2323, "telnet", "fail"), ("10.0.0.5", 3306, "mysql", "fail"),
                             ("10.0.0.5", 8443, "rdp", "warn")}


def test_network_equipment_admin_ports() -> None:
    res = run_check("network.risky_exposed", snap([device("10.0.0.1", "4c:5e:0c:00:00:01", port(8291))], []))
    assert res.status == "warn" and findings(res) == {("10.0.0.1", 8291, "mikrotik-winbox", "warn")}


def test_extra_services_param() -> None:
    extra = [{"service": "hikvision-sdk", "proto": "tcp", "ports": [8000], "category": "admin_panel"}]
    res = run_check("network.risky_exposed", snap([device("10.0.0.9", None, port(8000))], []),
                    params={"extra_services": extra})
    assert findings(res) == {("10.0.0.9", 8000, "hikvision-sdk", "warn")}


def test_risky_needs_devices() -> None:
    res = run_check("network.risky_exposed", snapshot({}, unknown={"devices": {"code": "error", "detail": "x"}}))
    assert res.status == "unknown"


# -- network.port_mismatch -----------------------------------------------------------------------


def report_row(listening: list[dict[str, Any]], generated_at: str = NOW, mode: str = "local",
               mac: str = "02:00:00:00:00:12", ip: str = "10.77.0.12", known_ports: bool = True) -> dict[str, Any]:
    return {"file": "web.json", "hostname": "web", "generated_at": generated_at, "mode": mode, "signed": False,
            "ips": [ip], "macs": [mac], "listening_ports_known": known_ports, "listening_ports": listening}


def sock(port_: int, address: str = "0.0.0.0", proto: str = "tcp") -> dict[str, Any]:
    return {"proto": proto, "address": address, "port": port_, "process": "python", "pid": 10}


WEB = device("10.77.0.12", "02:00:00:00:00:12", port(80, "http"), port(8080, "http-proxy"))


def test_no_reports_not_applicable() -> None:
    res = run_check("network.port_mismatch", snap([WEB], []))
    assert res.status == "not_applicable" and "--agent-report" in res.message["en"]


def test_consistent_report_passes() -> None:
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([sock(80), sock(8080, "::")])]))
    assert res.status == "pass" and res.evidence["compared_hosts"] == ["10.77.0.12"]


def test_port_not_listening_locally_fails() -> None:
    listening = [sock(80, "10.77.0.12"), sock(8080, proto="udp")]
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row(listening)]))
    assert res.status == "fail"
    [m] = res.evidence["mismatches"]
    assert (m["ip"], m["mac"], m["port"]) == ("10.77.0.12", "02:00:00:00:00:12", 8080)
    assert m["local_state"] == "not_listening"
    assert "tcp/8080 @ 10.77.0.12 (02:00:00:00:00:12) [web: host reports not listening]" in res.message["en"]
    assert "máy báo không lắng nghe" in res.message["vi"]


def test_loopback_only_and_other_address() -> None:
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([sock(80, "127.0.0.1"), sock(80, "::1"),
                                                                          sock(8080, "192.168.9.9")])]))
    states = {m["port"]: (m["local_state"], m["local_sockets"]) for m in res.evidence["mismatches"]}
    assert states[80][0] == "loopback_only" and states[80][1] == ["127.0.0.1:80 python", "::1:80 python"]
    assert states[8080][0] == "other_address"
    assert res.status == "fail"


def test_stale_report_only_warns() -> None:
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([sock(80)], "2026-11-18T08:00:00Z")]))
    assert res.status == "warn" and res.evidence["mismatches"][0]["report_age_hours"] == 48
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([sock(80)], "2026-11-18T08:00:00Z")]),
                    params={"max_report_age_hours": 72})
    assert res.status == "fail"


def test_report_matched_by_ip_when_no_mac() -> None:
    dev = device("10.77.0.12", None, port(8080))
    res = run_check("network.port_mismatch", snap([dev], [], [report_row([], mac="aa:aa:aa:aa:aa:aa")]))
    assert res.status == "fail"


def test_report_without_live_sockets_is_not_compared() -> None:
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([], mode="root", known_ports=False)]))
    assert res.status == "not_applicable" and res.evidence["not_compared"][0]["ip"] == "10.77.0.12"


def test_report_for_another_host() -> None:
    res = run_check("network.port_mismatch", snap([WEB], [], [report_row([], mac="aa:aa:aa:aa:aa:aa", ip="10.0.0.1")]))
    assert res.status == "not_applicable" and "None of the 1 host reports" in res.message["en"]


def test_snapshot_with_its_own_listening_ports() -> None:
    """A snapshot that also carries this machine's own sockets and interfaces compares them too."""
    s = snap([WEB], [], listening_ports=[sock(80)],
             interfaces=[{"name": "eth0", "mac": "02:00:00:00:00:12", "ipv4": ["10.77.0.12/24"]}],
             host={"hostname": "web"})
    res = run_check("network.port_mismatch", s)
    assert res.status == "fail" and res.evidence["mismatches"][0]["report"] == "(this snapshot)"


# -- the playbook -------------------------------------------------------------------------------


PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "network.yaml"


def test_network_playbook_loads_and_cites_plan_clauses() -> None:
    from secaudit import playbook as pb
    from secaudit.pipeline import check_catalog

    book = pb.load(PLAYBOOK, check_catalog())
    assert book.id == "network"
    reqs = {r.id: r for r in book.evaluated_requirements()}
    assert reqs["VN-DEV-02"].checks == ["network.unknown_devices"]
    assert reqs["VN-NET-02"].checks == ["network.risky_exposed", "network.port_mismatch"]
    assert "ĐN I.2.5" in reqs["VN-DEV-02"].clauses
    assert unicodedata.is_normalized("NFC", PLAYBOOK.read_text(encoding="utf-8"))
    dong_nai = {c.clause: c.text for c in pb.load("dong-nai-2026", check_catalog()).clauses}
    ours = {c.clause: c.text for c in book.clauses}
    assert ours["ĐN I.2.5"] == dong_nai["I.2.5"] and ours["ĐN II.7.a"] == dong_nai["II.7.a"]


def test_playbooks_validate_command() -> None:
    from click.testing import CliRunner

    from secaudit.cli import cli

    result = CliRunner().invoke(cli, ["playbooks", "validate", str(PLAYBOOK), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "(2 requirements)" in result.output


@pytest.mark.parametrize("check_id", ["network.unknown_devices", "network.risky_exposed", "network.port_mismatch"])
def test_metadata_is_bilingual_nfc(check_id: str) -> None:
    from secaudit.checks import REGISTRY

    meta = REGISTRY[check_id].meta
    for text in [meta.title, meta.remediation, *meta.messages.values()]:
        assert text["vi"] != text["en"]
        assert unicodedata.is_normalized("NFC", text["vi"])


def test_config_params_reach_the_check() -> None:
    cfg = AgentConfig(params={"network.risky_exposed": {"allowed": ["tcp/23"]}})
    res = run_check("network.risky_exposed", snap([device("10.0.0.5", None, port(23))], []), config=cfg)
    assert res.status == "pass" and res.evidence["allowed"][0]["port"] == 23


def test_admin_panel_identified_as_plain_http_is_judged_by_its_port() -> None:
    """-sV names Webmin, Cockpit and Proxmox 'http'/'https': a web server says nothing about which."""
    devices = [device("10.0.0.5", "02:00:00:00:00:05",
                      port(10000, "http", probed=True, product="MiniServ"),
                      port(9090, "https", probed=True),
                      port(8006, "ssl/http", probed=True),
                      port(80, "http", probed=True))]
    res = run_check("network.risky_exposed", snap(devices, []))
    assert findings(res) == {("10.0.0.5", 10000, "webmin", "warn"), ("10.0.0.5", 9090, "cockpit", "warn"),
                             ("10.0.0.5", 8006, "proxmox", "warn")}
