"""The risky-port policy both the check and the network scanner read."""

from __future__ import annotations

import pytest

from secaudit.policy.ports import PolicyError, binding, build_policy, parse_allowed, scan_tcp_ports, shipped_policy


def test_binding_classes():
    assert binding("0.0.0.0") == binding("::") == binding("*") == "all"
    assert binding("127.0.0.53") == binding("::1") == binding("::ffff:127.0.0.1") == "loopback"
    assert binding("10.0.0.5") == binding("fe80::1%eth0") == "specific"


def test_policy_data_is_validated():
    policy = build_policy(shipped_policy())
    assert policy[("tcp", 5905)]["service"] == "vnc" and ("udp", 5905) not in policy
    assert policy[("udp", 3389)]["service"] == policy[("tcp", 3389)]["service"] == "rdp"
    bad = {"categories": {"x": {"vi": "x", "en": "x", "exposed": {"server": "fail"},
                                "loopback": {"server": "ok", "workstation": "ok", "lab": "ok"}}}}
    with pytest.raises(PolicyError):
        build_policy(bad)
    with pytest.raises(PolicyError):
        build_policy(shipped_policy(), [{"service": "x", "ports": [1], "category": "nope"}])
    with pytest.raises(PolicyError):
        build_policy(shipped_policy(), [{"service": "x", "ports": ["70000"], "category": "database"}])


def test_parse_allowed():
    rules, invalid = parse_allowed(["tcp/22", "udp/5353", "8000-8010", "any/53", "x/1", "tcp/"])
    assert [(sorted(p), r.start, r.stop - 1) for p, r, _ in rules] == [
        (["tcp"], 22, 22), (["udp"], 5353, 5353), (["tcp", "udp"], 8000, 8010), (["tcp", "udp"], 53, 53)]
    assert invalid == ["x/1", "tcp/"]


def test_scanned_ports_cover_every_risky_tcp_service() -> None:
    ports = scan_tcp_ports()
    assert {23, 3389, 5900, 8291} <= set(ports)  # telnet, rdp, vnc, and a network addition (winbox)
    assert 514 in ports  # rsh on tcp, though syslog holds udp/514
    assert list(ports) == sorted(set(ports))
