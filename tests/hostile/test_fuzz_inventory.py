"""Issue 9, property-based fuzzing: host identity, hardware, interfaces and software (secaudit/facts/linux/
{host,hardware,interfaces,software}.py, sources/, utmp.py). See test_fuzz_parsers.py for the method."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.facts.common.values import first_line, version_key
from secaudit.facts.linux import software
from secaudit.facts.linux.hardware import collect_hardware, parse_cpuinfo, parse_meminfo_total
from secaudit.facts.linux.host import collect_host, hosts_fqdn, logged_in, newest_kernel, parse_btime, parse_uptime
from secaudit.facts.linux.interfaces import collect_interfaces, ifupdown_rows, parse_ini, parse_ip_json
from secaudit.facts.linux.software import RPM_QF, collect_software, parse_rpm_qa
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.dpkg import DpkgPackage, parse_dpkg_status
from secaudit.facts.linux.sources.osrelease import parse_lsb_release, parse_os_release, parse_redhat_release
from secaudit.facts.linux.sources.timezone import tzif_rule, zone_from_tzif
from secaudit.facts.linux.utmp import USER_PROCESS, pack_record, parse_utmp
from tests.hostile.fuzzkit import (
    FUZZ,
    FUZZ_FEW,
    MemTransport,
    collect_one,
    context,
    mutated,
    mutated_bytes,
    real_bytes,
    real_file,
    seeds,
)
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS, OS_RELEASE_UBUNTU

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
OS_SAMPLES = seeds(OS_RELEASE_UBUNTU, real_file("/etc/os-release"), 'NAME="Broken\nBUG="say \\"hi\\" \\$HOME"\n',
                   "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\n")
REDHAT = seeds("CentOS release 6.10 (Final)\n", "Red Hat Enterprise Linux Server release 7.9 (Maipo)\n")
DPKG_SAMPLES = seeds(DPKG_STATUS, real_file("/var/lib/dpkg/status", 24 * 1024))
IP_JSON = seeds(*(p.read_text() for p in sorted(FIXTURES.glob("ip_addr_*.json"))))
CPUINFO = seeds("processor\t: 0\nmodel name\t: Intel(R) Core(TM) i3-9100\nflags\t: fpu hypervisor\n\n",
                "processor : 0\nFeatures : fp asimd\n\nHardware : BCM2835\n", real_file("/proc/cpuinfo", 4096))
MEMINFO = seeds("MemTotal:        8038756 kB\nMemFree:         1234 kB\n", real_file("/proc/meminfo"))
PROC_STAT = seeds("cpu  1 2 3\nbtime 1795420835\nprocesses 100\n", real_file("/proc/stat", 8192))
HOSTS = "127.0.0.1\tlocalhost\n127.0.1.1\tpc05.thcs-abc.edu.vn   pc05  # this machine\n::1 localhost\n"
RPM_QA = "bash\t5.1.8-6.el9\tRed Hat, Inc.\tx86_64\ngpg-pubkey\t1-2\t(none)\t(none)\nvim\t2:8.2\t\tx86_64\n"
TZIF = real_bytes("/usr/share/zoneinfo/Asia/Ho_Chi_Minh") or real_bytes("/etc/localtime") or b""
UTMP = (pack_record(2, "reboot", "~", "6.1.0", 1763596800)
        + pack_record(USER_PROCESS, "gv.tin", "tty7", ":0", 1763600400)
        + pack_record(USER_PROCESS, "admin", "pts/0", "192.168.1.20", 1763604000))
NM = ("[connection]\nid=Wired\ntype=ethernet\ninterface-name=enp5s0\n\n[ethernet]\nmac-address=11:22:33:44:55:66\n"
      "\n[ipv4]\naddress1=10.10.0.5/16,10.10.0.1\naddresses2=10.20.0.5;24;10.20.0.1;\nmethod=manual\n")
IFUPDOWN = ("auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\nsource-directory interfaces.parts\n"
            "iface enp3s0 inet static\n    address 192.168.1.10\n    netmask 255.255.255.0\n"
            "    hwaddress ether D8:9E:F3:12:34:56\n    dns-nameservers 8.8.8.8 \\\n        1.1.1.1\n"
            "iface enp3s0 inet6 static\n    netmask 64\n    address 2001:db8::10\n  bridge_ports x\n  wpa-ssid y\n")
IFCFG = 'DEVICE=eth0\nBOOTPROTO=none\nIPADDR=10.30.0.5\nNETMASK=255.255.0.0\nPREFIX1=99\nIPADDR1=1.2.3.4\n'
SNAP_YAML = "name: core22\nversion: '20241001'\nsummary: x\n"
METAINFO = ('<?xml version="1.0"?><component><developer_name>GIMP Team</developer_name>'
            '<releases><release version="2.10.38" date="2024-05-02"/></releases></component>')


def _assert_str_dict(d: dict[str, str]) -> None:
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in d.items())


# -- host identity --------------------------------------------------------------------------------------


@FUZZ
@given(mutated(OS_SAMPLES))
def test_os_release(text: str) -> None:
    _assert_str_dict(parse_os_release(text))
    _assert_str_dict(parse_lsb_release(text))


@FUZZ
@given(mutated(REDHAT))
@example("CentOS release " + "9" * 5000 + " (Final)")
def test_redhat_release(text: str) -> None:
    _assert_str_dict(parse_redhat_release(text))


@FUZZ_FEW
@given(mutated((HOSTS,)), st.one_of(st.text(max_size=20), st.sampled_from(["pc05", "PC05.x", ".", ""])))
def test_hosts_fqdn(text: str, hostname: str) -> None:
    got = hosts_fqdn(text, hostname)
    assert got is None or (isinstance(got[0], str) and got[1] >= 1)
    assert isinstance(first_line(text), str)


@FUZZ
@given(st.lists(mutated(("6.1.0-10-amd64", "5.15.0-105-generic", "vmlinuz-6.1.0-9-amd64")), max_size=5))
@example(["1²", "6.1.0-10-amd64"])
@example(["vmlinuz-" + "9" * 5000])
def test_kernel_versions(names: list[str]) -> None:
    for name in names:
        version_key(name)
    got = newest_kernel(names, names)
    assert got is None or isinstance(got, str)


@FUZZ
@given(mutated_bytes((TZIF, b"TZif2" + b"\0" * 40 + b"\n<+07>-7\n")))
@example(TZIF.rstrip(b"\n"))  # zoneinfo's reader never returned on this (no newline after the footer)
@example(TZIF[:60])  # struct.error
def test_tzif(data: bytes) -> None:
    rule = tzif_rule(data)
    assert rule is None or isinstance(rule, str)
    zone = zone_from_tzif(data)
    if zone is not None:
        from datetime import datetime

        datetime(2026, 11, 20, tzinfo=zone).utcoffset()


@FUZZ
@given(mutated(PROC_STAT))
@example("btime \n")
@example("btime ²\n")
@example("btime 99999999999999999999\n")
def test_proc_stat_and_uptime(text: str) -> None:
    from secaudit.facts.registry import rfc3339

    btime = parse_btime(text)
    if btime:
        rfc3339(btime)  # the collector writes it as a time
    up = parse_uptime(text)
    assert up is None or (isinstance(up, int) and up >= 0)


@FUZZ
@given(mutated_bytes((UTMP,)))
def test_utmp(data: bytes) -> None:
    for rec in parse_utmp(data):
        assert isinstance(rec.user, str) and isinstance(rec.time, int)
    json.dumps(logged_in(data))


# -- hardware ---------------------------------------------------------------------------------------------


@FUZZ
@given(mutated(CPUINFO), mutated(MEMINFO))
@example("", "MemTotal: ² kB\n")
@example("", "MemTotal: " + "9" * 5000 + " kB\n")
def test_cpuinfo_meminfo(cpu: str, mem: str) -> None:
    got = parse_cpuinfo(cpu)
    assert got["model"] is None or isinstance(got["model"], str)
    total = parse_meminfo_total(mem)
    assert total is None or (isinstance(total, int) and total >= 0)


# -- interfaces ---------------------------------------------------------------------------------------------


def _json_values() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["ifname", "address", "link_type", "flags", "operstate", "addr_info", "family", "local",
                            "prefixlen", "inet", "inet6", "UP"])
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6), keys)
    return st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                     st.dictionaries(keys, kids, max_size=5)), max_leaves=20)


@FUZZ
@given(st.one_of(mutated(IP_JSON), _json_values().map(json.dumps), _json_values().map(lambda v: json.dumps([v]))))
@example('[{"ifname": "x", "flags": 5}]')
@example('[{"ifname": "x", "addr_info": 5}]')
@example('[{"ifname": "x", "addr_info": [{"family": "inet", "local": "1.2.3.4", "prefixlen": true}]}]')
@example("[" * 100_000)
def test_ip_json(text: str) -> None:
    """The caller records ValueError as `interfaces.addresses` unknown."""
    try:
        got = parse_ip_json(text)
    except ValueError:
        return
    for name, row in got.items():
        assert isinstance(name, str)
        assert row["mac"] is None or isinstance(row["mac"], str)
        assert all(isinstance(a, str) for a in row["ipv4"] + row["ipv6"])
        assert isinstance(row["up"], bool)
        assert row["operstate"] is None or isinstance(row["operstate"], str)
        assert row["link_type"] is None or isinstance(row["link_type"], str)
    json.dumps(got)


@FUZZ
@given(mutated((NM,)))
def test_ini(text: str) -> None:
    for section, values in parse_ini(text).items():
        assert isinstance(section, str)
        _assert_str_dict(values)


@FUZZ_FEW
@given(st.data())
def test_configured_interfaces_collector(data: st.DataObject) -> None:
    """ifupdown (with source/source-directory), NetworkManager and ifcfg files of a mounted root."""
    draw = data.draw
    files: dict[str, str | bytes] = {
        "/etc/network/interfaces": draw(mutated((IFUPDOWN,))),
        "/etc/network/interfaces.d/wifi": draw(mutated((IFUPDOWN, "source ../interfaces\nsource *\n"))),
        "/etc/network/interfaces.parts/br0": draw(mutated((IFUPDOWN, "source-directory /etc/network\n"))),
        "/etc/NetworkManager/system-connections/Wired.nmconnection": draw(mutated((NM,))),
        "/etc/sysconfig/network-scripts/ifcfg-eth0": draw(mutated((IFCFG,))),
    }
    collect_one(collect_interfaces, MemTransport(files, live=False))


def test_ifupdown_source_chain_is_bounded() -> None:
    """Each file sources the next: a long chain must not exhaust the recursion limit."""
    files: dict[str, str | bytes] = {"/etc/network/interfaces": "source /etc/network/c/0\n"}
    for i in range(3000):
        files[f"/etc/network/c/{i}"] = f"iface e{i} inet dhcp\nsource /etc/network/c/{i + 1}\n"
    rows = ifupdown_rows(context(MemTransport(files, live=False)))
    assert 0 < len(rows) < 3000


@FUZZ_FEW
@given(st.data())
def test_live_interfaces_collector(data: st.DataObject) -> None:
    draw = data.draw
    net = "/sys/class/net"
    files: dict[str, str | bytes] = {}
    for name in draw(st.lists(st.sampled_from(["eth0", "lo", "wl²", "br0"]), min_size=1, max_size=3, unique=True)):
        files.update({f"{net}/{name}/type": draw(mutated(("1\n", "772\n", "²\n"))),
                      f"{net}/{name}/flags": draw(mutated(("0x1003\n",))),
                      f"{net}/{name}/address": draw(mutated(("d8:9e:f3:12:34:56\n",))),
                      f"{net}/{name}/uevent": draw(mutated(("DEVTYPE=bridge\nINTERFACE=br0\n",)))})
    commands = {"ip -j addr show": draw(st.one_of(mutated(IP_JSON), _json_values().map(json.dumps)))}
    collect_one(collect_interfaces, MemTransport(files, commands))


@FUZZ_FEW
@given(st.data())
def test_host_and_hardware_collectors(data: st.DataObject) -> None:
    draw = data.draw
    dmi = "/sys/class/dmi/id"
    files: dict[str, str | bytes] = {
        "/etc/os-release": draw(mutated(OS_SAMPLES)),
        "/etc/redhat-release": draw(mutated(REDHAT)),
        "/etc/hostname": draw(mutated(("pc05\n",))),
        "/proc/sys/kernel/hostname": draw(mutated(("pc05\n", "(none)\n"))),
        "/etc/hosts": draw(mutated((HOSTS,))),
        "/etc/timezone": draw(mutated(("Asia/Ho_Chi_Minh\n",))),
        "/etc/localtime": draw(mutated_bytes((TZIF,))),
        "/proc/stat": draw(mutated(PROC_STAT)),
        "/proc/uptime": draw(mutated(("12345.67 2345.11\n",))),
        "/run/utmp": draw(mutated_bytes((UTMP,))),
        "/proc/cpuinfo": draw(mutated(CPUINFO)),
        "/proc/meminfo": draw(mutated(MEMINFO)),
        f"{dmi}/chassis_type": draw(mutated(("3\n", "²\n"))),
        f"{dmi}/product_serial": draw(mutated(("7XK2R33\n",))),
        "/sys/block/sda/size": draw(mutated(("976773168\n", "²\n", "9" * 5000))),
        "/sys/block/sda/removable": "0\n",
        "/lib/modules/" + draw(mutated(("6.1.0-10-amd64", "1²"))).replace("/", "") + "/x": "",
        "/var/lib/dpkg/status": draw(mutated(DPKG_SAMPLES)),
    }
    live = draw(st.booleans())
    collect_one(collect_host, MemTransport(files, live=live))
    collect_one(collect_hardware, MemTransport(files, live=live))


# -- software -------------------------------------------------------------------------------------------------


@FUZZ
@given(mutated(DPKG_SAMPLES))
def test_dpkg_status(text: str) -> None:
    for p in parse_dpkg_status(text):
        assert isinstance(p, DpkgPackage) and p.name and p.line >= 1


@FUZZ
@given(mutated((RPM_QA,)))
def test_rpm_qa(text: str) -> None:
    json.dumps(parse_rpm_qa(text))


@FUZZ_FEW
@given(st.data())
def test_software_collector(data: st.DataObject) -> None:
    draw = data.draw
    rev = draw(mutated(("1234", "x12", "²")))
    files: dict[str, str | bytes] = {
        "/var/lib/dpkg/status": draw(mutated(DPKG_SAMPLES)),
        "/var/lib/rpm/rpmdb.sqlite": b"SQLite format 3\0",
        f"/var/lib/snapd/snaps/core22_{rev.replace('/', '')}.snap": "",
        "/snap/core22/current/meta/snap.yaml": draw(mutated((SNAP_YAML,))),
        "/var/lib/flatpak/app/org.gimp.GIMP/current/active/files/share/metainfo/org.gimp.GIMP.metainfo.xml":
            draw(mutated((METAINFO,))),
    }
    commands = {shlex.join(["rpm", "-qa", "--qf", RPM_QF]): draw(mutated((RPM_QA,)))}
    collect_one(collect_software, MemTransport(files, commands, live=draw(st.booleans())))


def test_package_count_is_bounded(monkeypatch: Any) -> None:
    """A 64 MiB database of 13-byte stanzas was five million rows (gigabytes): past the bound the
    package list is unknown, never an exhausted agent."""
    monkeypatch.setattr(dpkg, "MAX_PACKAGES", 1000)
    monkeypatch.setattr(software, "MAX_PACKAGES", 1000)
    stanzas = "".join(f"Package: p{i}\nStatus: install ok installed\nVersion: 1\n\n" for i in range(1001))
    files: dict[str, str | bytes] = {"/var/lib/dpkg/status": stanzas, "/var/lib/rpm/rpmdb.sqlite": b""}
    commands = {shlex.join(["rpm", "-qa", "--qf", RPM_QF]): "a\tb\n" * 1001}
    ctx = context(MemTransport(files, commands))
    collect_software(ctx)
    assert ctx.snapshot.unknown["software.dpkg"]["code"] == "too_large"
    assert ctx.snapshot.unknown["software.rpm"]["code"] == "too_large"
    assert ctx.snapshot.unknown["software"]["code"] == "too_large"
