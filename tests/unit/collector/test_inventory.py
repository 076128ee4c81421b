"""Inventory rows from payloads: MACs in any spelling, addresses, hostile values, stable content hashes."""

from __future__ import annotations

from secaudit.collector import inventory as inv


def test_mac_spellings() -> None:
    for text in ("00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E", " 00:1a:2b:3c:4d:5e "):
        assert inv.normalize_mac(text) == "00:1a:2b:3c:4d:5e", text
    for bad in ("00:00:00:00:00:00", "00:1a:2b:3c:4d", "zz:1a:2b:3c:4d:5e", 5, None, "0" * 100):
        assert inv.normalize_mac(bad) is None
    assert inv.mac_prefix("00-1A-2B") == "00:1a:2b"
    assert inv.mac_prefix("00-1A") is None and inv.mac_prefix("00-1A-2") is None


def test_addresses() -> None:
    assert inv.normalize_ip("192.0.2.2/24") == "192.0.2.2"
    assert inv.normalize_ip("FD00::0002/64") == "fd00::2"
    assert inv.normalize_ip("999.1.1.1") is None and inv.normalize_ip(7) is None
    rows = inv.interfaces([{"name": "eth0", "mac": "02:FC:00:00:00:01", "ipv4": ["192.0.2.2/24"],
                            "ipv6": ["fe80::1/64", "fd00::2/64"]},
                           {"name": "lo", "mac": "00:00:00:00:00:00", "ipv4": ["127.0.0.1/8"]},
                           {"name": "wlan0", "mac": "02:fc:00:00:00:02", "ipv4": []}]).rows
    assert rows == [{"name": "eth0", "mac": "02:fc:00:00:00:01", "ip": "192.0.2.2"},
                    {"name": "eth0", "mac": "02:fc:00:00:00:01", "ip": "fd00::2"},
                    {"name": "wlan0", "mac": "02:fc:00:00:00:02", "ip": ""}]


def test_same_content_same_hash_whatever_the_order() -> None:
    a = inv.software([{"name": "OpenSSL", "version": "3.0.1"}, {"name": "bash", "version": "5.2"}])
    b = inv.software([{"name": "bash", "version": "5.2"}, {"name": "openssl", "version": "3.0.1"}])
    assert a.sha256 == b.sha256 and a.rows[0]["name"] == "bash"
    assert inv.ports([{"port": 22}]).sha256 != inv.software([{"name": "22"}]).sha256
    lazy = inv.InvList("software", build=lambda: a.rows, raw="d" * 64)
    assert lazy.sha256 == a.sha256
    again = inv.InvList("software", build=lambda: [], raw="d" * 64)  # known by its signed digest: not rebuilt
    assert again.sha256 == a.sha256


def test_hostile_values() -> None:
    assert inv.software("not a list").rows == []
    assert inv.software([{"name": "x\x00y" + "z" * 1000, "version": ["1"]}]).rows == [
        {"name": "xy" + "z" * 298, "version": "['1']", "publisher": ""}]
    assert inv.ports([{"port": -1}, {"port": 70000}, {"port": True}, {"port": "22"}]).rows == []
    assert inv.antivirus([{"product": "X", "signature_time": "yesterday", "running": "yes"}]).rows == [
        {"product": "X", "running": None, "realtime": None, "signature_time": None}]
    assert len(inv.software([{"name": f"p{i}"} for i in range(inv.MAX_ROWS + 10)]).rows) == inv.MAX_ROWS


def test_devices_keyed_by_mac_else_ip() -> None:
    found = inv.devices([{"ip": "10.0.0.5", "mac": "AA-BB-CC-00-11-22", "names": ["Cam", 5], "vendor": "Dahua",
                          "open_ports": [{"port": 554, "proto": "tcp", "service": "rtsp"}]},
                         {"ip": "10.0.0.6", "mac": None},
                         {"ip": "10.0.0.7", "mac": "aa:bb:cc:00:11:22"},  # the same MAC again: first one kept
                         {"ip": "nope"}])
    assert [d.key for d in found] == ["mac:aa:bb:cc:00:11:22", "ip:10.0.0.6"]
    assert found[0].name == "cam" and found[1].name == "10.0.0.6"
    assert [lst.kind for lst in found[0].lists] == ["interfaces", "ports", "device"]
    assert found[0].lists[1].rows == [{"port": 554, "proto": "tcp", "address": "", "process": "rtsp"}]
