"""`secaudit scan` against a lab of network namespaces (tests/integration/netlab.py).

Only 10.77.0.0/24 inside namespaces this module creates is ever scanned; the scanner itself
runs in its own namespace, so nothing reaches the host's real interfaces. Everything is torn
down in the fixture finalizer, also when a test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.integration.netlab import SCANNER_IP, SUBNET, NetLab, lab_available

pytestmark = [pytest.mark.integration, pytest.mark.root]

PY = sys.executable
SCAN_BUDGET_S = 60  # the whole scan, with a host that drops every packet


@pytest.fixture(scope="module")
def lab() -> Iterator[NetLab]:
    why = lab_available()
    if why:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    netlab = NetLab()
    try:
        netlab.up()
        yield netlab
    finally:
        netlab.down()


@pytest.fixture(scope="module")
def files(lab: NetLab) -> dict[str, Path]:
    """Config, known-devices file (the 'legacy' host deliberately missing) and the real agent
    report of the 'web' host, made by `secaudit audit` inside its own namespace."""
    work = lab.work
    config = work / "secaudit.toml"
    config.write_text(f'subnets = ["{SUBNET}"]\nrole = "server"\n', encoding="utf-8")
    known = work / "devices.csv"
    known.write_text(
        "# lab devices\n"
        "mac,name,owner,location,role\n"
        f"{lab.host('ssh').mac},Máy chủ SSH,Tổ Tin học,Phòng máy 1,server\n"
        f"{lab.host('web').mac},Cổng thông tin,Tổ Tin học,Phòng máy 1,server\n"
        f"{lab.host('dropper').mac},Máy có tường lửa,Văn phòng,Phòng hội đồng,workstation\n",
        encoding="utf-8")
    report = work / "web-report.json"
    proc = lab.run_in(lab.host("web").ns, [PY, "-m", "secaudit", "audit", "--format", "json", "-o", str(report),
                                          "--no-sign", "--config", str(config), "--lang", "en"],
                      env={"SECAUDIT_STATE_DIR": str(work / "web-state")}, timeout=120)
    assert report.exists(), proc.stderr
    return {"config": config, "known": known, "web_report": report}


def scan(lab: NetLab, files: dict[str, Path], *extra: str, state: str = "state") -> tuple[dict[str, Any], Any, float]:
    out = lab.work / f"report-{time.monotonic_ns()}.json"
    argv = [PY, "-m", "secaudit", "scan", SUBNET, "--config", str(files["config"]), "--known", str(files["known"]),
            "--format", "json", "-o", str(out), "--no-sign", "--lang", "en", *extra]
    started = time.monotonic()
    proc = lab.in_scanner(argv, env={"SECAUDIT_STATE_DIR": str(lab.work / state)}, timeout=SCAN_BUDGET_S * 3)
    elapsed = time.monotonic() - started
    assert out.exists(), f"exit {proc.returncode}: {proc.stderr}"
    return json.loads(out.read_text(encoding="utf-8")), proc, elapsed


def finding(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["check_id"] == check_id)


@pytest.fixture(scope="module")
def first_scan(lab: NetLab, files: dict[str, Path]) -> tuple[dict[str, Any], Any, float]:
    return scan(lab, files, "--agent-report", str(files["web_report"]))


def test_finds_exactly_the_lab_hosts_macs_and_ports(lab: NetLab, first_scan: Any) -> None:
    report, proc, _elapsed = first_scan
    assert proc.returncode == 1, proc.stderr  # findings fail: exit 1
    devices = {d["ip"]: d for d in report["inventory"]["devices"]}
    assert set(devices) == {h.ip for h in lab.hosts}  # the scanner itself (10.77.0.2) is left out
    assert SCANNER_IP not in devices
    for host in lab.hosts:
        dev = devices[host.ip]
        assert dev["mac"] == host.mac, host.name
        assert {p["port"] for p in dev["open_ports"]} == host.ports, host.name
        assert dev["discovered_by"] == "arp"
        assert dev["port_scan"] == "complete", host.name
        assert dev["mac_locally_administered"] is True  # 02:... addresses
        assert dev["first_seen"] == dev["last_seen"]
    assert devices["10.77.0.13"]["open_ports"][0]["service"] == "telnet"
    # the plan is printed before scanning, on stderr
    assert proc.stderr.index("Will scan:") < proc.stderr.index("Done in")
    assert "10.77.0.0/24 — 254 addresses" in proc.stderr and "ARP on eth0" in proc.stderr
    assert "SYN (root)" in proc.stderr


def test_drop_host_found_by_arp_without_ports_in_bounded_time(lab: NetLab, first_scan: Any) -> None:
    report, _proc, elapsed = first_scan
    dropper = next(d for d in report["inventory"]["devices"] if d["ip"] == lab.host("dropper").ip)
    assert dropper["mac"] == lab.host("dropper").mac
    assert dropper["open_ports"] == []  # a listener on 80 sits behind the DROP policy
    assert dropper["port_scan"] == "complete"  # finished, not cut by --host-timeout
    assert elapsed < SCAN_BUDGET_S


def test_unknown_device_is_flagged_as_warning(lab: NetLab, first_scan: Any) -> None:
    report, _proc, _ = first_scan
    f = finding(report, "network.unknown_devices")
    assert f["status"] == "warn"
    assert [u["mac"] for u in f["evidence"]["unknown"]] == [lab.host("legacy").mac]
    assert "10.77.0.13" in f["message"]["en"]
    req = next(r for r in report["requirements"] if r["id"] == "VN-DEV-02")
    assert req["status"] == "warn" and "ĐN I.2.5" in req["clause"]


def test_telnet_and_mysql_flagged_as_risky(lab: NetLab, first_scan: Any) -> None:
    report, _proc, _ = first_scan
    f = finding(report, "network.risky_exposed")
    assert f["status"] == "fail"
    flagged = {(i["ip"], i["port"], i["service"], i["verdict"]) for i in f["evidence"]["findings"]}
    assert flagged == {("10.77.0.13", 23, "telnet", "fail"), ("10.77.0.13", 3306, "mysql", "fail")}
    legacy = next(i for i in f["evidence"]["findings"] if i["port"] == 3306)
    assert legacy["mac"] == lab.host("legacy").mac and legacy["role_source"].startswith("strictest")


def test_port_hidden_from_the_hosts_own_report_is_flagged(lab: NetLab, first_scan: Any) -> None:
    report, _proc, _ = first_scan
    f = finding(report, "network.port_mismatch")
    assert f["status"] == "fail"
    assert f["evidence"]["compared_hosts"] == [lab.host("web").ip]
    [mismatch] = f["evidence"]["mismatches"]  # 8080 is redirected by nft: nothing listens on it
    assert (mismatch["ip"], mismatch["port"], mismatch["local_state"]) == ("10.77.0.12", 8080, "not_listening")
    assert mismatch["mac"] == lab.host("web").mac


def test_service_detection_and_first_seen_kept(lab: NetLab, files: dict[str, Path], first_scan: Any) -> None:
    first, _, _ = first_scan
    time.sleep(1.1)  # last_seen has one-second resolution
    report, proc, elapsed = scan(lab, files, "--service-detect", "--ports", "22,23,80,3306,8080")
    assert proc.returncode == 1, proc.stderr
    assert elapsed < SCAN_BUDGET_S * 2
    devices = {d["ip"]: d for d in report["inventory"]["devices"]}
    ssh = devices[lab.host("ssh").ip]["open_ports"][0]
    assert ssh["service"] == "ssh" and ssh["service_probed"] and "OpenSSH" in (ssh["product"] or "")
    web = {p["port"]: p for p in devices[lab.host("web").ip]["open_ports"]}
    assert web[80]["service"] == "http" and web[80]["service_probed"]
    before = {d["ip"]: d for d in first["inventory"]["devices"]}
    for ip, dev in devices.items():
        assert dev["first_seen"] == before[ip]["first_seen"]
        assert dev["last_seen"] > dev["first_seen"]
    # listeners that close at once are "tcpwrapped": still judged by their port
    risky = finding(report, "network.risky_exposed")
    assert {(i["port"], i["service"]) for i in risky["evidence"]["findings"]} == {(23, "telnet"), (3306, "mysql")}


def test_targets_from_config_and_refusals(lab: NetLab, files: dict[str, Path]) -> None:
    env = {"SECAUDIT_STATE_DIR": str(lab.work / "state-dry")}
    base = [PY, "-m", "secaudit", "scan", "--config", str(files["config"]), "--lang", "en"]
    plan = lab.in_scanner([*base, "--dry-run"], env=env)
    assert plan.returncode == 0, plan.stderr
    assert "10.77.0.0/24 — 254 addresses" in plan.stderr  # from the config's subnets
    public = lab.in_scanner([*base, "8.8.8.0/24"], env=env)
    assert public.returncode == 2 and "public range" in public.stderr
    huge = lab.in_scanner([*base, "10.0.0.0/8"], env=env)
    assert huge.returncode == 2 and "too large" in huge.stderr
    assert not (lab.work / "state-dry" / "devices.json").exists()  # nothing was scanned


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_unprivileged_scan_uses_tcp_connect(lab: NetLab, files: dict[str, Path]) -> None:
    """Without root there is no ARP or SYN scan: nmap's TCP-connect discovery misses the DROP host."""
    work = lab.work / "user"
    work.mkdir(exist_ok=True)
    shutil.chown(work, "nobody", "nogroup")
    os.chmod(lab.work, 0o755)
    os.chmod(files["known"], 0o644)
    os.chmod(files["config"], 0o644)
    out = work / "report.json"
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
            PY, "-m", "secaudit", "scan", SUBNET, "--config", str(files["config"]), "--known", str(files["known"]),
            "--format", "json", "-o", str(out), "--no-sign", "--lang", "en", "--no-names"]
    proc = lab.in_scanner(argv, env={"SECAUDIT_STATE_DIR": str(work / "state"), "HOME": str(work)})
    assert out.exists(), proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "TCP connect" in proc.stderr
    devices = {d["ip"]: d for d in report["inventory"]["devices"]}
    assert lab.host("dropper").ip not in devices
    assert {lab.host("ssh").ip, lab.host("web").ip} <= set(devices)
    assert {p["port"] for p in devices[lab.host("web").ip]["open_ports"]} == {80, 8080}
