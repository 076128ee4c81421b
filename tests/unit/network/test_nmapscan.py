"""nmap arguments, port lists, and parsing of recorded `nmap -oX` output (recorded in the netns lab:
tests/fixtures/network/*.xml, nmap 7.93)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.network import nmapscan
from secaudit.network.nmapscan import NmapError, PortSpec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "network"


def recorded(name: str) -> dict[str, nmapscan.HostScan]:
    return nmapscan.parse_xml((FIXTURES / name).read_bytes())


def ports_of(host: nmapscan.HostScan) -> dict[int, dict[str, object]]:
    return {int(str(p["port"])): p for p in host.open_ports}


def test_port_scan_recording() -> None:
    hosts = recorded("portscan.xml")
    assert set(hosts) == {"10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.14"}
    assert {ip: sorted(ports_of(h)) for ip, h in hosts.items()} == {
        "10.77.0.11": [22], "10.77.0.12": [80, 8080], "10.77.0.13": [23, 3306], "10.77.0.14": []}
    legacy = hosts["10.77.0.13"]
    assert legacy.mac == "02:00:00:00:00:13" and not legacy.timed_out
    telnet = ports_of(legacy)[23]
    assert telnet == {"port": 23, "proto": "tcp", "service": "telnet", "product": None, "version": None,
                      "extrainfo": None, "service_probed": False}  # guessed from the port number only
    assert not hosts["10.77.0.14"].timed_out  # filtered everywhere, but finished


def test_service_detection_recording() -> None:
    hosts = recorded("portscan_sv.xml")
    ssh = ports_of(hosts["10.77.0.11"])[22]
    assert ssh["service"] == "ssh" and ssh["product"] == "OpenSSH" and ssh["service_probed"]
    assert str(ssh["version"]).startswith("9.2p1")
    web = ports_of(hosts["10.77.0.12"])
    assert web[8080]["service"] == "http" and web[8080]["product"] == "SimpleHTTPServer"
    wrapped = ports_of(hosts["10.77.0.13"])[3306]
    assert wrapped["service"] == "tcpwrapped" and wrapped["service_probed"]  # accepts and closes at once


def test_host_timeout_recording() -> None:
    hosts = recorded("timeout.xml")
    assert hosts["10.77.0.14"].timed_out and hosts["10.77.0.14"].open_ports == []
    assert not hosts["10.77.0.11"].timed_out and sorted(ports_of(hosts["10.77.0.11"])) == [22]
    assert nmapscan.timed_out_hosts((FIXTURES / "timeout.xml").read_text()) == ["10.77.0.14"]


def test_discovery_recording() -> None:
    hosts = recorded("discovery.xml")
    assert set(hosts) == {"10.77.0.2", "10.77.0.11", "10.77.0.12", "10.77.0.13", "10.77.0.14"}
    assert hosts["10.77.0.14"].mac == "02:00:00:00:00:14"  # nmap's own ARP ping on the local segment
    assert hosts["10.77.0.2"].mac is None  # the scanner itself


def test_timed_out_hosts_tolerates_garbage() -> None:
    assert nmapscan.timed_out_hosts("") == []
    assert nmapscan.timed_out_hosts("<nmaprun><host") == []


def test_parse_skips_down_hosts_and_non_open_ports() -> None:
    result = {"scan": {
        "10.0.0.1": {"status": {"state": "down"}, "addresses": {"ipv4": "10.0.0.1"}},
        "10.0.0.2": {"status": {"state": "up"}, "addresses": {"ipv4": "10.0.0.2", "mac": "AA:BB:CC:00:11:22"},
                     "vendor": {"AA:BB:CC:00:11:22": "Acme"}, "hostnames": [{"name": "pc2.lan", "type": "PTR"}],
                     "tcp": {443: {"state": "open", "name": "https", "conf": "3"},
                             22: {"state": "filtered", "name": "ssh"}},
                     "udp": {161: {"state": "open|filtered", "name": "snmp"}}},
    }}
    hosts = nmapscan.parse(result, "")
    assert list(hosts) == ["10.0.0.2"]
    host = hosts["10.0.0.2"]
    assert host.mac == "aa:bb:cc:00:11:22" and host.vendor == "Acme" and host.hostname == "pc2.lan"
    assert [p["port"] for p in host.open_ports] == [443]


# -- ports and arguments --------------------------------------------------------------------------


SERVICES = """\
# nmap-services sample
tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer
http\t80/tcp\t0.484143\t# World Wide Web HTTP
http\t80/udp\t0.035767
telnet\t23/tcp\t0.221265
ssh\t22/tcp\t0.182286\t# Secure Shell Login
https\t443/tcp\t0.208669
broken\tx/tcp\tnot-a-number
"""


def test_top_ports_follow_the_frequency_column(tmp_path: Path) -> None:
    services = tmp_path / "nmap-services"
    services.write_text(SERVICES, encoding="utf-8")
    assert nmapscan.top_tcp_ports(3, str(services)) == (23, 80, 443)
    assert nmapscan.top_tcp_ports(3, str(tmp_path / "missing")) == ()


def test_top100_is_nmaps_list_plus_the_policy_ports() -> None:
    if not Path(nmapscan.SERVICES_FILE).is_file():
        pytest.skip("nmap is not installed (no nmap-services)")
    spec = nmapscan.port_spec("top100")
    top = nmapscan.top_tcp_ports(100)
    assert len(top) == 100 and {22, 23, 80, 443, 445, 3306, 3389} <= set(top)
    assert set(top) <= set(spec.ports)
    # risky services outside nmap's top 100 are always scanned: redis, mongodb, webmin, winbox
    assert {6379, 27017, 10000, 8291, 5985} <= set(spec.ports)
    assert spec.args[0] == "-p" and spec.args[1].startswith("T:") and spec.count == len(spec.ports)
    assert nmapscan.port_spec("TOP1000").count > spec.count


def test_port_spec_without_nmap_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nmapscan, "top_tcp_ports", lambda n, path=nmapscan.SERVICES_FILE: ())
    spec = nmapscan.port_spec("top1000")
    assert spec == PortSpec((), "top1000", ("--top-ports", "1000")) and spec.count == 1000


@pytest.mark.parametrize(("text", "ports"), [
    ("22,80,443", (22, 80, 443)),
    ("8000-8003, 22", (22, 8000, 8001, 8002, 8003)),
    ("80,80,80", (80,)),
    ("65535", (65535,)),
])
def test_port_lists(text: str, ports: tuple[int, ...]) -> None:
    assert nmapscan.port_spec(text).ports == ports


@pytest.mark.parametrize("text", ["", "0", "70000", "22-10", "ssh", "1-2-3", ","])
def test_bad_port_lists(text: str) -> None:
    with pytest.raises(NmapError) as err:
        nmapscan.port_spec(text)
    assert "top100, top1000" in err.value.en


def test_compact() -> None:
    assert nmapscan.compact([80, 21, 22, 23, 443, 444, 8080]) == "21-23,80,443-444,8080"
    assert nmapscan.compact([5]) == "5"


def test_scan_arguments() -> None:
    spec = nmapscan.port_spec("22,23")
    root = nmapscan.scan_args(True, spec, False, 120)
    assert root[:3] == ["-sS", "-Pn", "-n"]
    assert root[3:] == ["-T4", "--max-retries", "2", "--host-timeout", "120s", "-p", "T:22-23"]
    assert "--open" not in root  # hosts without open ports must still be reported
    user = nmapscan.scan_args(False, spec, True, 300)
    assert user[0] == "-sT" and user[-1] == "-sV" and "300s" in user


def test_discovery_arguments() -> None:
    root = nmapscan.discovery_args(True)
    assert root[:4] == ["-sn", "-PE", "-PS22,80,443,445,3389", "-PA80"]
    assert {"-T4", "--max-retries", "--host-timeout", "-n"} <= set(root)
    user = nmapscan.discovery_args(False)
    assert "-PE" not in user and "-PA80" not in user and "-PS22,80,443,445,3389" in user


def test_outer_timeout_grows_with_hosts() -> None:
    assert nmapscan.outer_timeout(1, 120) == 180
    assert nmapscan.outer_timeout(100, 120) > nmapscan.outer_timeout(8, 120)


def test_missing_nmap_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    import nmap

    def no_nmap(*args: object, **kwargs: object) -> None:
        raise nmap.PortScannerError("nmap program was not found in path")

    monkeypatch.setattr(nmap, "PortScanner", no_nmap)
    with pytest.raises(NmapError) as err:
        nmapscan.run(["127.0.0.1"], ["-sn"], 10)
    assert "apt install nmap" in err.value.en


def test_real_nmap_on_loopback() -> None:
    """A live run through python-nmap, against a listener on 127.0.0.1 only."""
    import socket

    from tests.conftest import need_tool

    need_tool("nmap")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        run = nmapscan.port_scan(["127.0.0.1"], nmapscan.port_spec(f"{port},{port + 1}"), nmapscan.root(), False, 30)
    assert [p["port"] for p in run.hosts["127.0.0.1"].open_ports] == [port]
    assert run.command.startswith("nmap -oX - ") and "--max-retries 2" in run.command
    assert run.nmap_version and run.elapsed_ms >= 0
