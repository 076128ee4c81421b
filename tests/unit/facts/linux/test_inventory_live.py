"""Inventory collectors on the real machine running the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.local import LocalTransport
from tests.conftest import need_tool

INVENTORY = {"host", "hardware", "interfaces", "software"}
REPO = Path(__file__).resolve().parents[4]


def test_live_inventory_of_this_machine() -> None:
    snap = collect(LocalTransport(), AgentConfig(), only=INVENTORY)
    uname = os.uname()
    host = snap.table("host")
    assert host["hostname"] == uname.nodename
    assert host["kernel"] == uname.release
    assert host["arch"] == uname.machine
    assert host["boot_time"] and host["uptime_seconds"] is not None and host["uptime_seconds"] >= 0
    lo = next(r for r in snap.table("interfaces") if r["name"] == "lo")
    assert "127.0.0.1/8" in lo["ipv4"] and lo["kind"] == "loopback" and lo["up"] is True
    hw = snap.table("hardware")
    assert hw["cpu"] and hw["cpu_count"] == os.cpu_count()
    assert hw["memory_bytes"] and hw["memory_bytes"] > 0
    if Path("/var/lib/dpkg/status").exists():
        assert any(r["name"] == "dpkg" for r in snap.table("software"))
    if os.geteuid() != 0 and Path("/sys/class/dmi/id/product_serial").exists():
        assert snap.unknown["hardware.serial"]["code"] == "permission_denied"


def test_psutil_and_ip_json_agree_on_this_machine() -> None:
    need_tool("ip")

    class ViaIp(LocalTransport):  # any live transport but a native one parses `ip -j addr`
        mode = "ssh"
        native = False

    def addresses(transport: LocalTransport) -> dict[str, tuple[list[str], list[str]]]:
        rows = collect(transport, AgentConfig(), only={"interfaces"}).table("interfaces")
        return {r["name"]: (sorted(r["ipv4"]), sorted(r["ipv6"])) for r in rows}

    assert addresses(LocalTransport()) == addresses(ViaIp())


def test_inventory_collectors_are_fast() -> None:
    collect(LocalTransport(), AgentConfig(), only=INVENTORY)  # warm imports
    start = time.perf_counter()
    snap = collect(LocalTransport(), AgentConfig(), only=INVENTORY)
    elapsed = time.perf_counter() - start
    assert snap.tables.keys() >= INVENTORY
    assert elapsed < 0.5, f"inventory collectors took {elapsed * 1000:.0f} ms"


_IN_NETNS = """
import json
from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.local import LocalTransport
rows = collect(LocalTransport(), AgentConfig(), only={"interfaces"}).table("interfaces")
print(json.dumps(rows))
"""


@pytest.mark.root
def test_interfaces_in_a_network_namespace() -> None:
    """Real kernel objects: a bridge with an aliased address, a veth pair, a tun device."""
    ip = need_tool("ip")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    ns = f"secinv{uuid.uuid4().hex[:8]}"
    if subprocess.run([ip, "netns", "add", ns], capture_output=True, check=False).returncode != 0:
        pytest.skip("network namespaces are not available here")
    try:
        for cmd in (["link", "set", "lo", "up"], ["link", "add", "br0", "type", "bridge"],
                    ["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
                    ["link", "set", "veth1", "master", "br0"], ["link", "set", "br0", "up"],
                    ["link", "set", "veth1", "up"], ["link", "set", "veth0", "up"],
                    ["addr", "add", "192.168.10.5/24", "dev", "br0"],
                    ["addr", "add", "192.168.10.6/24", "dev", "br0", "label", "br0:1"],
                    ["tuntap", "add", "dev", "tun0", "mode", "tun"],
                    ["addr", "add", "10.8.0.1", "peer", "10.8.0.2", "dev", "tun0"]):
            subprocess.run([ip, "-n", ns, *cmd], check=True, capture_output=True)
        out = subprocess.run([ip, "netns", "exec", ns, sys.executable, "-c", _IN_NETNS], cwd=REPO,
                             check=True, capture_output=True, text=True).stdout
        rows = {r["name"]: r for r in json.loads(out)}
        assert sorted(rows) == ["br0", "lo", "tun0", "veth0", "veth1"]
        assert {n: r["kind"] for n, r in rows.items()} == {
            "br0": "bridge", "lo": "loopback", "tun0": "tun", "veth0": "virtual", "veth1": "virtual"}
        assert rows["br0"]["ipv4"] == ["192.168.10.5/24", "192.168.10.6/24"]  # the alias belongs to br0
        assert rows["tun0"]["ipv4"] == ["10.8.0.1/32"] and rows["tun0"]["mac"] is None
        assert rows["tun0"]["up"] is False and rows["br0"]["up"] is True
        assert rows["lo"]["ipv4"] == ["127.0.0.1/8"]
    finally:
        subprocess.run([ip, "netns", "del", ns], capture_output=True, check=False)
