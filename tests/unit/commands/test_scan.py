"""`secaudit scan` through its click command, with discovery and nmap replaced by canned results:
nothing is sent on any network here (the real thing runs in tests/integration/test_network_lab.py)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secaudit import cli as secaudit_cli
from secaudit import pipeline
from secaudit.commands import scan as cli
from secaudit.network import arp, names, nmapscan
from secaudit.network.arp import Attached
from secaudit.network.nmapscan import HostScan, ScanRun

ETH0 = Attached("eth0", IPv4Address("10.77.0.2"), IPv4Network("10.77.0.0/24"), "02:00:00:00:00:02")


class Fake:
    """Records what the scan asked for and answers like the lab would."""

    def __init__(self) -> None:
        self.arp: list[tuple[str, list[str]]] = []
        self.port_scans: list[list[str]] = []
        self.discoveries: list[list[str]] = []

    def arp_sweep(self, iface: str, addresses: list[str], timeout: float = 1.0) -> dict[str, str]:
        self.arp.append((iface, list(addresses)))
        return {"10.77.0.11": "02:00:00:00:00:11", "10.77.0.13": "02:00:00:00:00:13"}

    def discover(self, networks: list[str], n: int, as_root: bool) -> ScanRun:
        self.discoveries.append(list(networks))
        return ScanRun({"10.88.0.5": HostScan("10.88.0.5")}, "nmap -sn", 5)

    def port_scan(self, ips: list[str], ports: Any, as_root: bool, service_detect: bool, host_timeout: int) -> ScanRun:
        self.port_scans.append(list(ips))
        hosts = {ip: HostScan(ip) for ip in ips}
        if "10.77.0.11" in hosts:
            hosts["10.77.0.11"].open_ports = [{"port": 22, "proto": "tcp", "service": "ssh", "service_probed": False}]
        if "10.77.0.13" in hosts:
            hosts["10.77.0.13"].open_ports = [{"port": 23, "proto": "tcp", "service": "telnet",
                                               "service_probed": False}]
        return ScanRun(hosts, "nmap -sS ...", 7, "7.93")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Fake:
    f = Fake()
    monkeypatch.setattr(arp, "attached_networks", lambda: [ETH0])
    monkeypatch.setattr(arp, "arp_sweep", f.arp_sweep)
    monkeypatch.setattr(nmapscan, "root", lambda: True)
    monkeypatch.setattr(nmapscan, "discover", f.discover)
    monkeypatch.setattr(nmapscan, "port_scan", f.port_scan)
    monkeypatch.setattr(names, "lookup", lambda ips, **kw: {"10.77.0.11": ["may-chu"]})
    monkeypatch.setenv("SECAUDIT_STATE_DIR", str(tmp_path / "state"))
    return f


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    config = tmp_path / "secaudit.toml"
    config.write_text('subnets = ["10.77.0.0/24"]\n[unit]\ncode = "THCS-TP"\nname = "Trường THCS Tân Phong"\n')
    known = tmp_path / "devices.csv"
    known.write_text("mac,name,role\n02:00:00:00:00:11,Máy chủ,server\n")
    return {"config": config, "known": known}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.scan, list(args))


def test_full_scan_report(fake: Fake, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    result = invoke("--config", str(files["config"]), "--known", str(files["known"]), "--format", "json",
                    "-o", str(out), "--no-sign", "--lang", "en")
    assert result.exit_code == 1, result.output  # telnet: a fail
    # discovery: ARP of the attached /24 without this machine's own address; ports of the live hosts only
    [(iface, addresses)] = fake.arp
    assert iface == "eth0" and len(addresses) == 253 and "10.77.0.2" not in addresses
    assert fake.port_scans == [["10.77.0.11", "10.77.0.13"]] and fake.discoveries == []
    report = json.loads(out.read_text())
    assert report["mode"] == "local" and report["playbook"]["id"] == "network"
    assert report["unit"]["code"] == "THCS-TP"
    devices = report["inventory"]["devices"]
    assert [(d["ip"], d["mac"], d["names"]) for d in devices] == [
        ("10.77.0.11", "02:00:00:00:00:11", ["may-chu"]), ("10.77.0.13", "02:00:00:00:00:13", [])]
    status = {f["check_id"]: f["status"] for f in report["findings"]}
    assert status == {"network.unknown_devices": "warn", "network.risky_exposed": "fail",
                      "network.port_mismatch": "not_applicable"}
    assert {r["id"]: r["status"] for r in report["requirements"]} == {"VN-DEV-02": "warn", "VN-NET-02": "fail"}
    assert (tmp_path / "state" / "devices.json").exists()


def test_plan_printed_before_scanning(fake: Fake, files: dict[str, Path]) -> None:
    result = invoke("--config", str(files["config"]), "--dry-run", "--ports", "22,23", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Will scan:\n  10.77.0.0/24 — 254 addresses\n      discovery: ARP on eth0\n" in result.output
    assert "Ports: 22,23 — 2 TCP ports · scan type: SYN (root) · service detection (-sV): no" in result.output
    assert "This machine (10.77.0.2) is not scanned" in result.output
    assert fake.arp == [] and fake.port_scans == []  # --dry-run scans nothing


def test_plan_in_vietnamese_and_routed_part(fake: Fake, files: dict[str, Path]) -> None:
    result = invoke("10.77.0.0/23", "--config", str(files["config"]), "--dry-run", "--lang", "vi")
    assert result.exit_code == 0, result.output
    assert "Sẽ quét:" in result.output and "ngoài các dải mạng của đơn vị" in result.output
    assert "10.77.0.0/24 (254): phát hiện máy: ARP qua eth0" in result.output
    assert "10.77.1.0/24 (254): phát hiện máy: nmap" in result.output


def test_routed_subnet_uses_nmap_discovery(fake: Fake, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = invoke("10.88.0.0/24", "--config", str(files["config"]), "--format", "json", "-o", str(out),
                    "--no-sign", "--no-names")
    assert result.exit_code == 0, result.output
    assert fake.discoveries == [["10.88.0.0/24"]] and fake.arp == []
    [dev] = json.loads(out.read_text())["inventory"]["devices"]
    assert dev["ip"] == "10.88.0.5" and dev["mac"] is None and dev["discovered_by"] == "nmap"


def test_not_root_means_nmap_discovery_and_connect_scan(fake: Fake, files: dict[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nmapscan, "root", lambda: False)
    result = invoke("--config", str(files["config"]), "--dry-run", "--lang", "en")
    assert "TCP connect 22,80,443,445,3389; not root" in result.output
    assert "scan type: TCP connect (not root)" in result.output


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        secaudit_cli.main(["scan", *args])
    return int(exit_.value.code or 0), capsys.readouterr().err


def test_refusals_are_one_sentence_exit_2(fake: Fake, files: dict[str, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(capsys, "8.8.8.0/24", "--config", str(files["config"]), "--lang", "en")
    assert code == 2 and err.startswith("Refusing to scan 8.8.8.0/24: it is a public range")
    assert "Traceback" not in err
    code, err = run_main(capsys, "10.0.0.0/8", "--config", str(files["config"]), "--lang", "vi")
    assert code == 2 and "Từ chối quét 10.0.0.0/8: dải quá lớn" in err
    assert fake.arp == [] and fake.port_scans == []


def test_bad_known_file_stops_before_scanning(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("mac,name\nzz:zz,printer\n")
    code, err = run_main(capsys, "--config", str(files["config"]), "--known", str(bad), "--lang", "en")
    assert code == 2 and f"Known-devices file {bad}, line 2: 'zz:zz' is not a MAC address" in err
    assert fake.arp == []


def test_bad_ports_and_missing_agent_report(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(capsys, "--config", str(files["config"]), "--ports", "top50", "--lang", "en")
    assert code == 2 and "Port list 'top50' is not valid" in err
    code, err = run_main(capsys, "--config", str(files["config"]), "--agent-report", str(tmp_path / "x.json"),
                         "--lang", "en")
    assert code == 2 and "cannot be read" in err


def test_known_devices_from_config(fake: Fake, files: dict[str, Path], tmp_path: Path) -> None:
    config = tmp_path / "with-known.toml"
    config.write_text(f'subnets = ["10.77.0.0/24"]\nknown_devices = "{files["known"]}"\n')
    out = tmp_path / "r.json"
    result = invoke("--config", str(config), "--format", "json", "-o", str(out), "--no-sign")
    assert result.exit_code == 1
    finding = next(f for f in json.loads(out.read_text())["findings"] if f["check_id"] == "network.unknown_devices")
    assert [u["ip"] for u in finding["evidence"]["unknown"]] == ["10.77.0.13"]


def test_text_output_lists_devices(fake: Fake, files: dict[str, Path]) -> None:
    result = invoke("--config", str(files["config"]), "--no-sign", "--lang", "en")
    assert result.exit_code == 1
    assert "Devices found" in result.output and "10.77.0.13" in result.output
    assert "Done in" in result.output


def test_signed_scan_report_verifies_and_renders(fake: Fake, files: dict[str, Path], tmp_path: Path) -> None:
    """Same report/sign/render path as `audit`: envelope next to -o, verify offline, HTML device table."""
    runner = CliRunner()
    keys = tmp_path / "keys"
    assert runner.invoke(secaudit_cli.cli, ["keys", "init", "--key-dir", str(keys)]).exit_code == 0
    out = tmp_path / "out" / "scan.json"
    out.parent.mkdir()
    result = runner.invoke(secaudit_cli.cli, ["scan", "--config", str(files["config"]), "--known",
                                              str(files["known"]), "--format", "json", "-o", str(out),
                                              "--sign", "--key-dir", str(keys), "--lang", "en"])
    assert result.exit_code == 1, result.output
    [envelope] = list(out.parent.glob("*.secaudit.json"))
    verified = runner.invoke(secaudit_cli.cli, ["verify", str(envelope), "--pubkey", str(keys / "agent.pub")])
    assert verified.exit_code == 0, verified.output
    html = tmp_path / "scan.html"
    rendered = runner.invoke(secaudit_cli.cli, ["render", str(envelope), "--format", "html", "-o", str(html),
                                                "--pubkey", str(keys / "agent.pub"), "--lang", "vi"])
    assert rendered.exit_code == 0, rendered.output
    page = html.read_text(encoding="utf-8")
    for text in ("Thiết bị", "02:00:00:00:00:13", "23/tcp telnet", "Thấy lần đầu", "Thấy lần cuối", "may-chu"):
        assert text in page, text


def test_corrupt_seen_devices_state_stops_before_scanning(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state" / "devices.json"
    state.parent.mkdir()
    state.write_text("{not json")
    code, err = run_main(capsys, "--config", str(files["config"]), "--lang", "en")
    assert code == 2 and err.startswith(f"State file {state} is corrupt") and err.count("\n") == 1
    assert fake.arp == [] and state.read_text() == "{not json"  # nothing scanned, nothing overwritten


def test_arp_failure_falls_back_to_nmap_discovery(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(iface: str, addresses: list[str], timeout: float = 1.0) -> dict[str, str]:
        raise OSError(19, "No such device")

    monkeypatch.setattr(arp, "arp_sweep", broken)
    out = tmp_path / "r.json"
    result = invoke("--config", str(files["config"]), "--format", "json", "-o", str(out), "--no-sign",
                    "--lang", "en")
    assert "ARP sweep on eth0 failed (No such device); falling back to nmap." in result.output
    # the /24 without this machine's 10.77.0.2, which nmap is never asked to ping
    [ranges] = fake.discoveries
    covered = {str(ip) for r in ranges for ip in IPv4Network(r)}
    assert covered == {str(ip) for ip in IPv4Network("10.77.0.0/24")} - {"10.77.0.2"}
    report = json.loads(out.read_text())
    assert report["inventory"]["devices"][0]["discovered_by"] == "nmap"


# The report goes through secaudit.pipeline, in any registered format.


def test_scan_builds_through_the_pipeline_in_any_format(fake: Fake, files: dict[str, Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = pipeline.build_report

    def build(snapshot: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(sorted(snapshot.tables)[0])
        return real(snapshot, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_report", build)
    out = tmp_path / "scan.csv"
    result = invoke("--config", str(files["config"]), "--known", str(files["known"]), "--format", "csv",
                    "-o", str(out), "--no-sign", "--lang", "en")
    assert result.exit_code == 1, result.output  # telnet: a fail
    assert built == ["devices"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbfhost,check_id")
