"""Network interfaces: live links and addresses (ip -j addr), configured ones on a mounted root."""

from __future__ import annotations

from secaudit.facts.linux.interfaces import parse_ip_json
from secaudit.transport.replay import command_key
from tests.conftest import facts_of
from tests.unit.facts.linux.inventory_samples import FIXTURES, collect_only, replay


def test_ip_json_recorded_on_a_vm() -> None:
    got = parse_ip_json((FIXTURES / "ip_addr_vm.json").read_text())
    assert got["lo"]["ipv4"] == ["127.0.0.1/8"] and got["lo"]["ipv6"] == ["::1/128"]
    assert got["lo"]["up"] is True and got["lo"]["link_type"] == "loopback"
    assert got["eth0"]["ipv4"] == ["192.0.2.2/24"]
    assert got["eth0"]["mac"] == "02:fc:00:00:00:01"
    assert got["ifb0"]["up"] is False and got["ifb0"]["ipv4"] == []


def test_ip_json_bridge_alias_peer_and_tun() -> None:
    got = parse_ip_json((FIXTURES / "ip_addr_bridge_tun.json").read_text())
    # the labelled alias (br0:1) belongs to br0
    assert got["br0"]["ipv4"] == ["192.168.10.5/24", "192.168.10.6/24"]
    assert "2001:db8::5/64" in got["br0"]["ipv6"]
    # point-to-point: the local end, not the peer
    assert got["tun0"]["ipv4"] == ["10.8.0.1/32"] and got["tun0"]["mac"] is None
    assert parse_ip_json("[]") == {}
    assert parse_ip_json('[{"ifname": "x", "addr_info": [{}]}]')["x"]["ipv4"] == []


# -- interfaces -----------------------------------------------------------------------------------


def _sysfs_links() -> dict[str, str]:
    net = "/sys/class/net"
    return {
        f"{net}/lo/type": "772\n", f"{net}/lo/flags": "0x9\n", f"{net}/lo/address": "00:00:00:00:00:00\n",
        f"{net}/lo/operstate": "unknown\n", f"{net}/lo/uevent": "INTERFACE=lo\nIFINDEX=1\n",
        f"{net}/br0/type": "1\n", f"{net}/br0/flags": "0x1003\n", f"{net}/br0/address": "82:6f:e8:6d:7f:11\n",
        f"{net}/br0/operstate": "up\n", f"{net}/br0/uevent": "DEVTYPE=bridge\nINTERFACE=br0\nIFINDEX=2\n",
        f"{net}/br0/bridge/stp_state": "0\n",
        f"{net}/veth0/type": "1\n", f"{net}/veth0/flags": "0x1003\n", f"{net}/veth0/address": "a6:48:a9:4a:58:c9\n",
        f"{net}/veth0/uevent": "INTERFACE=veth0\nIFINDEX=4\n",
        f"{net}/tun0/type": "65534\n", f"{net}/tun0/flags": "0x1090\n", f"{net}/tun0/address": "\n",
        f"{net}/tun0/tun_flags": "0x1001\n", f"{net}/tun0/uevent": "INTERFACE=tun0\n",
        f"{net}/enp3s0/type": "1\n", f"{net}/enp3s0/flags": "0x1003\n", f"{net}/enp3s0/address": "d8:9e:f3:12:34:56\n",
        f"{net}/enp3s0/operstate": "up\n", f"{net}/enp3s0/uevent": "INTERFACE=enp3s0\n",
        f"{net}/enp3s0/device/vendor": "0x10ec\n",
        f"{net}/wlp2s0/type": "1\n", f"{net}/wlp2s0/flags": "0x1002\n", f"{net}/wlp2s0/address": "3c:a0:67:aa:bb:cc\n",
        f"{net}/wlp2s0/operstate": "down\n", f"{net}/wlp2s0/uevent": "DEVTYPE=wlan\nINTERFACE=wlp2s0\n",
        f"{net}/wlp2s0/device/vendor": "0x8086\n",
        f"{net}/bonding_masters": "\n",
    }


def test_interfaces_live_replay_uses_ip_json() -> None:
    ip_out = (FIXTURES / "ip_addr_bridge_tun.json").read_text()
    t = replay(_sysfs_links(), commands={command_key(["ip", "-j", "addr", "show"]): {"rc": 0, "stdout": ip_out}})
    snap = collect_only(t, {"interfaces"})
    rows = {r["name"]: r for r in snap.table("interfaces")}
    assert sorted(rows) == ["br0", "enp3s0", "lo", "tun0", "veth0", "veth1", "wlp2s0"]
    assert {n: r["kind"] for n, r in rows.items()} == {
        "br0": "bridge", "enp3s0": "ether", "lo": "loopback", "tun0": "tun", "veth0": "virtual",
        "veth1": "ether", "wlp2s0": "wireless"}  # veth1: only in ip's output, which says "ether"
    assert rows["lo"]["ipv4"] == ["127.0.0.1/8"] and rows["lo"]["up"] is True
    assert rows["br0"]["ipv4"] == ["192.168.10.5/24", "192.168.10.6/24"]
    assert rows["wlp2s0"]["up"] is False and rows["wlp2s0"]["mac"] == "3c:a0:67:aa:bb:cc"
    assert rows["tun0"]["mac"] is None and rows["tun0"]["ipv4"] == ["10.8.0.1/32"]
    assert rows["veth1"]["source"] == "ip -j addr show"
    assert not [k for k in snap.unknown if k.startswith("interfaces")]


def test_interfaces_without_ip_command_still_lists_links() -> None:
    snap = collect_only(replay(_sysfs_links()), {"interfaces"})
    rows = {r["name"]: r for r in snap.table("interfaces")}
    assert rows["enp3s0"]["mac"] == "d8:9e:f3:12:34:56" and rows["enp3s0"]["ipv4"] == []
    assert snap.unknown["interfaces.addresses"]["code"] == "not_found"


def test_configured_interfaces_on_a_mounted_root(make_root) -> None:
    root = make_root({
        "etc/network/interfaces": (
            "# The loopback network interface\n"
            "auto lo\n"
            "iface lo inet loopback\n"
            "\n"
            "source /etc/network/interfaces.d/*\n"
            "source-directory interfaces.parts\n"
            "allow-hotplug enp3s0\n"
            "iface enp3s0 inet static\n"
            "    address 192.168.1.10\n"
            "    netmask 255.255.255.0\n"
            "    gateway 192.168.1.1\n"
            "    hwaddress ether D8:9E:F3:12:34:56\n"
            "    dns-nameservers 8.8.8.8 \\\n"
            "        1.1.1.1\n"
            "iface enp3s0 inet6 static\n"
            "    netmask 64\n"
            "    address 2001:db8::10\n"),
        "etc/network/interfaces.d/wifi": ("auto wlp2s0\niface wlp2s0 inet dhcp\n"
                                          "    wpa-ssid Truong#Wifi\n    wpa-psk secret\n"),
        "etc/network/interfaces.parts/br0": "iface br0 inet static\n  address 10.0.0.1/24\n  bridge_ports enp4s0\n",
        "etc/network/interfaces.parts/skip.bak": "iface ignored inet dhcp\n",
        "etc/netplan/01-netcfg.yaml": ("network:\n  version: 2\n  ethernets:\n    eno1:\n      dhcp4: true\n"
                                       "      match: {macaddress: 'AA:BB:CC:00:11:22'}\n"
                                       "    eno2:\n      addresses: [172.16.5.2/16, '2001:db8:1::2/64']\n"),
        "etc/netplan/90-override.yaml": ("network:\n  ethernets:\n    eno2:\n      addresses:\n"
                                         "        - 172.16.5.3/16\n"),
        "lib/netplan/01-netcfg.yaml": "network:\n  ethernets:\n    shadowed: {dhcp4: true}\n",
        "etc/NetworkManager/system-connections/Wired.nmconnection": (
            "[connection]\nid=Wired\ntype=ethernet\ninterface-name=enp5s0\n\n[ethernet]\nmac-address=11:22:33:44:55:66\n"
            "\n[ipv4]\naddress1=10.10.0.5/16,10.10.0.1\nmethod=manual\n\n[ipv6]\nmethod=auto\n"),
        "etc/NetworkManager/system-connections/Old": ("[connection]\nid=Old\ntype=802-11-wireless\n\n[ipv4]\n"
                                                      "addresses1=10.20.0.5;24;10.20.0.1;\nmethod=manual\n"),
        "etc/sysconfig/network-scripts/ifcfg-eth0": ('DEVICE=eth0\nBOOTPROTO=none\nIPADDR=10.30.0.5\n'
                                                     'NETMASK=255.255.0.0\nHWADDR="00:0C:29:AA:BB:CC"\n'),
    })
    snap = facts_of(root, only={"interfaces"})
    rows = snap.table("interfaces")
    by = {(r["name"], r["source"].split(":")[0]): r for r in rows}
    src = "/etc/network/interfaces"
    assert [r["name"] for r in rows if r["source"].startswith(src + ":")] == ["lo", "enp3s0", "enp3s0"]
    v4 = next(r for r in rows if r["source"] == f"{src}:8")
    assert v4["ipv4"] == ["192.168.1.10/24"] and v4["mac"] == "d8:9e:f3:12:34:56" and v4["method"] == "static"
    assert v4["configured"] is True and v4["up"] is None
    v6 = next(r for r in rows if r["source"] == f"{src}:15")
    assert v6["ipv6"] == ["2001:db8::10/64"]
    wifi = by[("wlp2s0", "/etc/network/interfaces.d/wifi")]
    assert wifi["kind"] == "wireless" and wifi["method"] == "dhcp"
    assert by[("br0", "/etc/network/interfaces.parts/br0")]["kind"] == "bridge"
    assert not [r for r in rows if r["name"] in ("ignored", "shadowed")]
    assert by[("eno1", "/etc/netplan/01-netcfg.yaml")]["mac"] == "aa:bb:cc:00:11:22"
    assert by[("eno2", "/etc/netplan/90-override.yaml")]["ipv4"] == ["172.16.5.3/16"]
    nm = by[("enp5s0", "/etc/NetworkManager/system-connections/Wired.nmconnection")]
    assert nm["ipv4"] == ["10.10.0.5/16"] and nm["mac"] == "11:22:33:44:55:66" and nm["kind"] == "ether"
    assert by[("Old", "/etc/NetworkManager/system-connections/Old")]["ipv4"] == ["10.20.0.5/24"]
    ifcfg = by[("eth0", "/etc/sysconfig/network-scripts/ifcfg-eth0")]
    assert ifcfg["ipv4"] == ["10.30.0.5/16"] and ifcfg["mac"] == "00:0c:29:aa:bb:cc"
    assert snap.unknown["interfaces.mac"]["code"] == "not_applicable"
