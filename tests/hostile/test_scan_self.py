"""Hostile corpus, class 11: `secaudit scan` never scans any of this machine's own addresses.

Whatever the range (a /32 of our own address, a range holding our tun address, `127.0.0.1`
explicitly, a range over a secondary address, a local "AnyIP" route), this machine's addresses are
cut out of the plan before anything is sent, and a scan with nothing left is refused with one
sentence. Point-to-point links: our *local* address is left out; the peer (another machine) is not.

The planner is proven on its own (hypothesis), then run for real with `secaudit scan --dry-run
--format json` inside a network namespace this module creates: a veth with a primary and a
secondary address and IPv6, a tun device (where /dev/net/tun exists) and a veth with `peer` addresses, an
interface left down, a local route. Nothing is sent: --dry-run only plans, and only that namespace is looked at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secaudit.network.own import Own
from secaudit.network.targets import Target, TargetError, all_addresses, leave_out, select_targets, subtract
from tests.conftest import IN_CI
from tests.hostile.fuzzkit import FUZZ
from tests.integration.netlab import NetLab

# -- the planner alone -----------------------------------------------------------------------------


def _targets(*texts: str) -> list[Target]:
    return select_targets(list(texts), [])


def test_own_addresses_are_cut_out_of_every_range() -> None:
    own = [ip_network("10.77.0.2/32"), ip_network("10.77.0.77/32"), ip_network("127.0.0.0/8"),
           ip_network("fd00::2/128")]
    [t] = leave_out(_targets("10.77.0.0/24"), own)
    scanned = {str(ip) for ip in all_addresses([t])}
    assert len(scanned) == 252 and not {"10.77.0.2", "10.77.0.77"} & scanned
    assert [str(n) for n in t.own] == ["10.77.0.2/32", "10.77.0.77/32"]
    assert t.network == IPv4Network("10.77.0.0/24")  # what the operator asked for is still reported


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.0/24", "127.0.0.5-9", "10.77.0.2", "10.77.0.2/32"])
def test_nothing_left_is_refused_in_one_sentence(text: str) -> None:
    with pytest.raises(TargetError) as info:
        leave_out(_targets(text), [ip_network("127.0.0.0/8"), ip_network("10.77.0.2/32")])
    assert info.value.en.startswith(f"Nothing left to scan: every address in {text} is this machine's own")
    assert info.value.vi.startswith(f"Không còn gì để quét: mọi địa chỉ trong {text}")


def test_a_target_that_is_only_this_machine_stays_in_the_plan_with_nothing_to_scan() -> None:
    kept = leave_out(_targets("127.0.0.1", "10.77.0.0/30"), [ip_network("127.0.0.0/8")])
    assert [(str(t.network), [str(r) for r in t.scan_ranges]) for t in kept] == [
        ("10.77.0.0/30", ["10.77.0.0/30"]), ("127.0.0.1/32", [])]
    assert {str(ip) for ip in all_addresses(kept)} == {"10.77.0.1", "10.77.0.2"}


def test_own_contains() -> None:
    own = Own((ip_network("127.0.0.0/8"), ip_network("::1/128"), ip_network("fe80::1/128"),
               ip_network("10.82.0.0/28")))
    for ip in ("127.0.0.1", "127.255.255.254", "::1", "fe80::1%eth0", "10.82.0.15"):
        assert own.contains(ip), ip
    for ip in ("10.82.0.16", "::2", "not an address", "", "1.2.3.4/32"):
        assert not own.contains(ip), ip


NETS = st.builds(lambda a, p: IPv4Network((a & ~((1 << (32 - p)) - 1), p)),
                 st.integers(0x0A000000, 0x0A0000FF + 0x300), st.integers(22, 32))


@FUZZ
@given(target=NETS, holes=st.lists(NETS, max_size=6))
def test_subtract_leaves_exactly_the_addresses_that_are_not_ours(target: IPv4Network,
                                                                 holes: list[IPv4Network]) -> None:
    ranges = subtract(target, holes)
    got = {int(ip) for r in ranges for ip in r}
    want = {int(ip) for ip in target if not any(ip in h for h in holes)}
    assert got == want
    assert all(r.subnet_of(target) for r in ranges)


@FUZZ
@given(target=NETS, holes=st.lists(NETS, min_size=1, max_size=6))
def test_planned_addresses_are_never_ours(target: IPv4Network, holes: list[IPv4Network]) -> None:
    t = Target(target, str(target), "cli")
    try:
        kept = leave_out([t], holes)
    except TargetError:
        assert all(any(ip in h for h in holes) for ip in target)
        return
    for ip in all_addresses(kept):
        assert not any(ip in h for h in holes)


# -- for real, in a namespace of ours -----------------------------------------------------------------

@dataclass
class Box:
    lab: NetLab
    ns: str
    tun: bool  # a real tun device could be made (/dev/net/tun)


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip()}")


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: network namespaces need root")
        pytest.skip("network namespaces need root")
    lab = NetLab(hosts=[])
    try:
        ns, other = f"{lab.tag}-self", f"{lab.tag}-peer"
        lab._netns(ns)
        lab._netns(other)
        # A veth to a neighbour namespace; a primary and a secondary address, IPv6 too.
        _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", other)
        _ip("-n", ns, "addr", "add", "10.78.0.2/24", "dev", "eth0")
        _ip("-n", ns, "addr", "add", "10.78.0.77/24", "dev", "eth0")
        _ip("-n", ns, "addr", "add", "fd00:78::2/64", "dev", "eth0", "nodad")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", other, "addr", "add", "10.78.0.3/24", "dev", "eth0")
        _ip("-n", other, "link", "set", "eth0", "up")
        # Point-to-point style on a second veth: a local address and a peer (the far end, another machine).
        _ip("-n", ns, "link", "add", "p2p0", "type", "veth", "peer", "name", "p2p1", "netns", other)
        _ip("-n", ns, "addr", "add", "10.79.0.1", "peer", "10.79.0.2/32", "dev", "p2p0")
        _ip("-n", other, "addr", "add", "10.79.0.2", "peer", "10.79.0.1/32", "dev", "p2p1")
        _ip("-n", ns, "link", "set", "p2p0", "up")
        _ip("-n", other, "link", "set", "p2p1", "up")
        tun = True
        try:
            _ip("-n", ns, "tuntap", "add", "dev", "tun0", "mode", "tun")
            _ip("-n", ns, "addr", "add", "10.80.0.1", "peer", "10.80.0.9/32", "dev", "tun0")
            _ip("-n", ns, "link", "set", "tun0", "up")
        except RuntimeError:  # no /dev/net/tun here: p2p0 above covers the peer form
            tun = False
        # An interface that is down still holds our address; a local ("AnyIP") route is ours whole.
        _ip("-n", ns, "link", "add", "down0", "type", "veth", "peer", "name", "down1", "netns", other)
        _ip("-n", ns, "addr", "add", "10.81.0.5/24", "dev", "down0")
        _ip("-n", ns, "route", "add", "local", "10.82.0.0/28", "dev", "lo")
        yield Box(lab, ns, tun)
    finally:
        lab.down()


def _run(box: Box, code: list[str] | str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if isinstance(code, str):
        argv = [sys.executable, "-c", code]
    else:
        config = tmp_path / "secaudit.toml"
        config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
        argv = [sys.executable, "-m", "secaudit", "scan", *code, "--config", str(config), "--dry-run",
                "--format", "json", "--lang", "en"]
    return box.lab.run_in(box.ns, argv, timeout=120)


OWN = ["10.78.0.2", "10.78.0.77", "10.79.0.1", "10.81.0.5", "127.0.0.1", "10.82.0.0", "10.82.0.15"]
PEERS = ["10.79.0.2"]


@pytest.mark.integration
@pytest.mark.root
def test_own_addresses_seen_inside_the_namespace(box: Box, tmp_path: Path) -> None:
    proc = _run(box, "import json; from secaudit.network.own import own_addresses; o = own_addresses(); "
                     "print(json.dumps({'nets': [str(n) for n in o.networks], 'peers': list(o.peers)}))", tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    own = Own(tuple(ip_network(n) for n in seen["nets"]))
    for ip in [*OWN, "127.8.9.10", "::1", "fd00:78::2", *(["10.80.0.1"] if box.tun else [])]:
        assert own.contains(ip), (ip, seen)
    for ip in ["10.78.0.3", "10.79.0.2", "10.80.0.9", "10.78.0.1", "10.82.0.16"]:
        assert not own.contains(ip), (ip, seen)
    assert any(n.startswith("fe80::") for n in seen["nets"])  # link-local IPv6 too
    if box.tun:
        assert "10.80.0.9" in seen["peers"]  # the tun's far end is noted as a peer, not as ours
    assert IPv6Network("::1/128") in [ip_network(n) for n in seen["nets"]]


def _planned(plan: dict[str, Any]) -> set[str]:
    return {str(ip) for part in plan["parts"] for r in part["ranges"] for ip in ip_network(r)}


@pytest.mark.integration
@pytest.mark.root
def test_dry_run_plan_never_holds_our_addresses(box: Box, tmp_path: Path) -> None:
    targets = ["10.78.0.0/24", "10.78.0.2", "10.79.0.0/29", "10.80.0.0/28", "10.81.0.0/24", "10.82.0.0/27",
               "127.0.0.1", "127.0.0.0/24"]
    proc = _run(box, targets, tmp_path)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    planned = _planned(plan)
    own = OWN + (["10.80.0.1"] if box.tun else [])
    assert not planned & set(own), sorted(planned & set(own))
    assert not any(IPv4Address(ip) in IPv4Network("127.0.0.0/8") for ip in planned)
    assert not any(IPv4Address(ip) in IPv4Network("10.82.0.0/28") for ip in planned)
    # the rest is still scanned: the neighbour, the peers, the rest of each range
    for ip in ["10.78.0.3", "10.78.0.254", "10.79.0.2", "10.80.0.9", "10.81.0.1", "10.82.0.16", "10.82.0.31"]:
        assert ip in planned, ip
    assert set(own) <= {ip for t in plan["targets"] for n in t["own"] for ip in map(str, ip_network(n))}
    shown = {t["network"]: t for t in plan["targets"]}
    assert shown["127.0.0.0/24"]["ranges"] == []  # (127.0.0.1 and 10.78.0.2 fold into the larger ranges)
    assert "10.78.0.2/32" not in shown and "127.0.0.1/32" not in shown
    assert "only this machine's own addresses: not scanned" in proc.stderr
    assert "This machine (" in proc.stderr and "10.78.0.2" in proc.stderr
    # the attached /24 is swept by ARP on eth0, without our two addresses
    [arp] = [p for p in plan["parts"] if p["network"] == "10.78.0.0/24"]
    assert arp["method"] == "arp" and arp["iface"] == "eth0"


@pytest.mark.integration
@pytest.mark.root
@pytest.mark.parametrize("target", ["10.78.0.2", "10.78.0.77/32", "10.79.0.1", "127.0.0.1", "127.0.0.0/16",
                                    "10.82.0.0/28", "10.82.0.3-10.82.0.9", "10.80.0.1"])
def test_scanning_only_ourselves_is_refused(box: Box, tmp_path: Path, target: str) -> None:
    if target == "10.80.0.1" and not box.tun:
        pytest.skip("no /dev/net/tun: the tun device could not be made")
    args = [target, "--force"] if target.endswith("/16") else [target]
    proc = _run(box, args, tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().startswith(f"Nothing left to scan: every address in {target}"), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.integration
@pytest.mark.root
def test_ipv6_targets_are_refused_before_anything_else(box: Box, tmp_path: Path) -> None:
    proc = _run(box, ["fd00:78::2"], tmp_path)
    assert proc.returncode == 2 and "IPv6 is not supported" in proc.stderr

