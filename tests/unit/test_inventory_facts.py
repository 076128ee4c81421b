"""Inventory collectors: host, hardware, interfaces, software — on fixture roots and replayed recordings."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.hardware import parse_cpuinfo
from secaudit.facts.linux.host import hosts_fqdn, newest_kernel
from secaudit.facts.linux.interfaces import parse_ip_json
from secaudit.facts.linux.software import RPM_QF
from secaudit.facts.linux.sources.dpkg import parse_dpkg_status
from secaudit.facts.linux.sources.osrelease import parse_os_release
from secaudit.facts.linux.sources.timezone import tzif_rule
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport, command_key
from tests.conftest import facts_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "inventory"

# A dpkg status file with the awkward parts of the real format: removed packages whose
# configuration remains, purged ones, held ones, half-configured ones, two architectures of one
# package, multi-line descriptions with " ." lines and continuation lines that look like fields,
# Conffiles, a whitespace-only separator and no newline at the end.
DPKG_STATUS = """\
Package: adduser
Status: install ok installed
Priority: important
Section: admin
Installed-Size: 849
Maintainer: Debian Adduser Developers <adduser@packages.debian.org>
Architecture: all
Multi-Arch: foreign
Version: 3.134
Depends: passwd
Conffiles:
 /etc/deluser.conf 773fb95e98a27947de4a95abb3d3f2a2
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands for creating
 and removing users.
 .
 Package: telnetd
 Status: install ok installed

Package: telnetd
Status: deinstall ok config-files
Priority: optional
Section: net
Installed-Size: 0
Maintainer: Debian QA Group <packages@qa.debian.org>
Architecture: amd64
Version: 0.17+2.4-2
Conffiles:
 /etc/inetd.conf.d/telnetd 0d0c3ab0a9c6f3e1b0f7a3c1d2e9b8a7 obsolete

Package: rsh-server
Status: purge ok not-installed
Priority: optional
Section: net
Architecture: amd64

Package: dpkg
Status: install ok installed
Priority: required
Essential: yes
Maintainer: Dpkg Developers <debian-dpkg@lists.debian.org>
Architecture: amd64
Version: 1.21.22
Description: Debian package management system

Package: libc6
Status: install ok installed
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u14
 \t
Package: libc6
Status: install ok installed
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: i386
Multi-Arch: same
Version: 2.36-9+deb12u14

Package: vsftpd
Status: hold ok installed
Maintainer: Keng-Yu Lin <kengyu@debian.org>
Architecture: amd64
Version: 3.0.3-13+b2

Package: tftpd-hpa
Status: install reinstreq half-configured
Maintainer: Ron Lee <ron@debian.org>
Architecture: amd64
Version: 5.2+20150808-1.4
Description: HPA's tftp server
 Trivial File Transfer Protocol server.

Package: nis
Status: install ok unpacked
Architecture: amd64
Version: 4.17
Maintainer: Debian QA Group <packages@qa.debian.org>"""

OS_RELEASE_UBUNTU = """\
# comment line
PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
"""


def _replay(files: dict[str, str], commands: dict[str, Any] | None = None, denied: list[str] | None = None,
            live: bool = True) -> ReplayTransport:
    return ReplayTransport({"files": files, "commands": commands or {}, "denied": denied or []}, live=live)


def _collect(transport: ReplayTransport, only: set[str]) -> Snapshot:
    return collect(transport, AgentConfig(), only=only)


# -- parsers --------------------------------------------------------------------------------------


def test_dpkg_status_states_stanzas_and_lines() -> None:
    pkgs = parse_dpkg_status(DPKG_STATUS)
    got = [(p.name, p.arch, p.state) for p in pkgs]
    assert got == [
        ("adduser", "all", "installed"),
        ("telnetd", "amd64", "config-files"),
        ("rsh-server", "amd64", "not-installed"),
        ("dpkg", "amd64", "installed"),
        ("libc6", "amd64", "installed"),
        ("libc6", "i386", "installed"),
        ("vsftpd", "amd64", "installed"),
        ("tftpd-hpa", "amd64", "half-configured"),
        ("nis", "amd64", "unpacked"),
    ]
    adduser = pkgs[0]
    assert adduser.version == "3.134" and adduser.maintainer.startswith("Debian Adduser")
    lines = DPKG_STATUS.split("\n")
    for p in pkgs:  # each line number points at the stanza's first line
        assert lines[p.line - 1] == f"Package: {p.name}"


def test_os_release_quoting() -> None:
    rel = parse_os_release(
        'NAME=Fedora\nPRETTY_NAME="Fedora Linux 40 (Workstation Edition)"\n'
        "VERSION_ID=40\nVARIANT='Workstation Edition'\n"
        'BUG="say \\"hi\\" \\$HOME"\n   # indented comment\nexport ID=fedora\n\nnot a line\n'
    )
    assert rel["NAME"] == "Fedora"
    assert rel["PRETTY_NAME"] == "Fedora Linux 40 (Workstation Edition)"
    assert rel["VARIANT"] == "Workstation Edition"
    assert rel["BUG"] == 'say "hi" $HOME'
    assert rel["ID"] == "fedora"
    assert "not a line" not in rel and len(rel) == 6
    # malformed quoting is kept rather than dropped
    assert parse_os_release('NAME="Broken\n')["NAME"] == "Broken"


def test_hosts_fqdn() -> None:
    hosts = ("127.0.0.1\tlocalhost\n"
             "# 127.0.1.1 pc05.old.example pc05\n"
             "127.0.1.1\tpc05.thcs-abc.edu.vn   pc05  # this machine\n"
             "::1 localhost ip6-localhost ip6-loopback\n")
    assert hosts_fqdn(hosts, "pc05") == ("pc05.thcs-abc.edu.vn", 3)
    assert hosts_fqdn(hosts, "PC05") == ("pc05.thcs-abc.edu.vn", 3)
    assert hosts_fqdn(hosts, "pc06") is None
    # canonical name short, alias qualified
    assert hosts_fqdn("10.0.0.5 srv srv.school.vn\n", "srv") == ("srv.school.vn", 1)
    # the hostname only as an alias prefix of another name is not it
    assert hosts_fqdn("10.0.0.9 srv2.school.vn srv2\n", "srv") is None


def test_newest_kernel_sorts_versions_naturally() -> None:
    assert newest_kernel(["6.1.0-9-amd64", "6.1.0-10-amd64"], []) == "6.1.0-10-amd64"
    assert newest_kernel([], ["vmlinuz-5.15.0-105-generic", "config-5.15.0-105-generic",
                              "vmlinuz-5.15.0-97-generic", "vmlinuz"]) == "5.15.0-105-generic"
    assert newest_kernel([], []) is None


def test_tzif_rule_of_a_real_zone_file() -> None:
    data = Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    if data.exists():
        assert tzif_rule(data.read_bytes()) == "<+07>-7"
    assert tzif_rule(b"TZif2" + b"\0" * 40 + b"\nICT-7\n") == "ICT-7"
    assert tzif_rule(b"not a zone file\n") is None


def test_cpuinfo_x86_and_arm() -> None:
    x86 = ("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz\n"
           "flags\t\t: fpu vme sse2\n\nprocessor\t: 1\nmodel name\t: Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz\n"
           "flags\t\t: fpu vme sse2\n")
    assert parse_cpuinfo(x86) == {"model": "Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz", "logical_cpus": 2,
                                  "hypervisor": False}
    rpi = ("processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n\n"
           "processor\t: 1\nBogoMIPS\t: 108.00\n\n"
           "Hardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000a1b2c3d4\n"
           "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n")
    assert parse_cpuinfo(rpi) == {"model": "BCM2835", "logical_cpus": 2, "hypervisor": False}


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


# -- host -----------------------------------------------------------------------------------------


def test_host_from_root(make_root) -> None:
    root = make_root({
        "usr/lib/os-release": OS_RELEASE_UBUNTU,
        "etc/hostname": "# set by the installer\npc05\n",
        "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 pc05.thcs-abc.edu.vn pc05\n",
        "usr/lib/modules/5.15.0-97-generic/modules.dep": "",
        "usr/lib/modules/5.15.0-105-generic/modules.dep": "",
        "boot/vmlinuz-5.15.0-105-generic": "",
        "var/lib/dpkg/status": DPKG_STATUS,
        "etc/timezone": "Asia/Ho_Chi_Minh\n",
        "usr/share/xsessions/xfce.desktop": "[Desktop Entry]\n",
    })
    os.symlink("../usr/lib/os-release", root / "etc/os-release")
    os.symlink("usr/lib", root / "lib")  # merged /usr
    snap = facts_of(root, only={"host"})
    host = snap.table("host")
    assert host["hostname"] == "pc05" and host["sources"]["hostname"] == "/etc/hostname"
    assert host["fqdn"] == "pc05.thcs-abc.edu.vn" and host["sources"]["fqdn"] == "/etc/hosts:2"
    assert host["os"] == {"family": "linux", "name": "Ubuntu 22.04.4 LTS", "id": "ubuntu", "version": "22.04",
                          "version_codename": "jammy", "build": None}
    assert host["kernel"] == "5.15.0-105-generic"
    assert host["arch"] == "amd64" and host["sources"]["arch"].startswith("/var/lib/dpkg/status:")
    assert host["role"] == "workstation" and host["role_guess"] == "workstation"
    assert host["role_evidence"] == ["/usr/share/xsessions/xfce.desktop"]
    assert host["timezone"] == "Asia/Ho_Chi_Minh"
    # runtime facts of the auditing machine are not the image's
    assert host["boot_time"] is None and host["logged_in_users"] is None
    for key in ("host.boot_time", "host.uptime_seconds", "host.logged_in_users"):
        assert snap.unknown[key]["code"] == "not_applicable"


def test_host_server_without_desktop_and_zone_from_localtime(make_root) -> None:
    zone = Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    localtime = zone.read_bytes() if zone.exists() else b"TZif2" + b"\0" * 40 + b"\n<+07>-7\n"
    root = make_root({
        "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nID=debian\n',
        "etc/hostname": "srv-csdl\n",
        "etc/localtime": localtime,
        "var/lib/dpkg/arch": "arm64\narmhf\n",
    })
    snap = facts_of(root, only={"host"})
    host = snap.table("host")
    assert host["role"] == "server" and host["role_evidence"] == []
    assert host["os"]["version"] is None and host["os"]["name"] == "Debian GNU/Linux trixie/sid"
    assert host["timezone"] == "<+07>-7"
    assert host["arch"] == "arm64"
    assert host["fqdn"] is None
    assert snap.unknown["host.kernel"]["code"] == "not_found"


def test_host_display_manager_marks_workstation(make_root) -> None:
    root = make_root({"etc/os-release": "ID=debian\n", "etc/hostname": "lab1-pc01\n", "usr/sbin/lightdm": ""})
    host = facts_of(root, only={"host"}).table("host")
    assert host["role"] == "workstation" and host["role_evidence"] == ["/usr/sbin/lightdm"]


def test_host_old_systems_without_os_release(make_root) -> None:
    root = make_root({"etc/redhat-release": "CentOS release 6.10 (Final)\n", "etc/hostname": "x\n"})
    os_info = facts_of(root, only={"host"}).table("host")["os"]
    assert (os_info["id"], os_info["version"], os_info["name"]) == ("centos", "6.10", "CentOS release 6.10 (Final)")
    root = make_root({"etc/lsb-release": 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=12.04\nDISTRIB_CODENAME=precise\n'
                                         'DISTRIB_DESCRIPTION="Ubuntu 12.04.5 LTS"\n'})
    snap = facts_of(root, only={"host"})
    os_info = snap.table("host")["os"]
    assert (os_info["id"], os_info["version"], os_info["name"]) == ("ubuntu", "12.04", "Ubuntu 12.04.5 LTS")
    assert snap.unknown["host.hostname"]["code"] == "not_found"


def test_host_live_replay() -> None:
    t = _replay({
        "/etc/os-release": OS_RELEASE_UBUNTU,
        "/etc/hostname": "stale-name\n",
        "/proc/sys/kernel/hostname": "pc07.school.vn\n",
        "/proc/sys/kernel/osrelease": "6.8.0-40-generic\n",
        "/proc/stat": "cpu  1 2 3\nbtime 1763596800\nprocesses 12\n",
        "/proc/uptime": "3600.52 7000.10\n",
        "/etc/hosts": "127.0.0.1 localhost\n",
    }, commands={command_key(["uname", "-m"]): {"rc": 0, "stdout": "aarch64\n"},
                 command_key(["readlink", "/etc/localtime"]): {"rc": 0,
                                                               "stdout": "/usr/share/zoneinfo/Asia/Bangkok\n"}})
    snap = _collect(t, {"host"})
    host = snap.table("host")
    assert host["hostname"] == "pc07.school.vn" and host["fqdn"] == "pc07.school.vn"
    assert host["kernel"] == "6.8.0-40-generic"
    assert host["arch"] == "aarch64" and host["sources"]["arch"] == "uname -m"
    assert host["boot_time"] == "2025-11-20T00:00:00Z" and host["uptime_seconds"] == 3600
    assert host["timezone"] == "Asia/Bangkok"
    assert snap.unknown["host.logged_in_users"]["code"] == "not_found"


def test_host_logged_in_users_from_utmp(tmp_path: Path) -> None:
    from secaudit.facts.linux.utmp import BOOT_TIME, DEAD_PROCESS, USER_PROCESS, pack_record
    from secaudit.transport.local import LocalTransport

    utmp = (pack_record(BOOT_TIME, "reboot", "~", "6.1.0", 1763596800)
            + pack_record(USER_PROCESS, "gv.tin", "tty7", ":0", 1763600400)
            + pack_record(USER_PROCESS, "admin", "pts/0", "192.168.1.20", 1763604000)
            + pack_record(DEAD_PROCESS, "", "pts/1", "", 1763604100))
    (tmp_path / "run").mkdir()
    (tmp_path / "run/utmp").write_bytes(utmp)

    class Live(LocalTransport):  # a live system whose files live under tmp_path
        def _host_path(self, path: str) -> str:
            return str(tmp_path / path.lstrip("/"))

    snap = collect(Live(), AgentConfig(), only={"host"})
    assert snap.table("host")["logged_in_users"] == [
        {"user": "gv.tin", "line": "tty7", "host": ":0", "since": "2025-11-20T01:00:00Z"},
        {"user": "admin", "line": "pts/0", "host": "192.168.1.20", "since": "2025-11-20T02:00:00Z"},
    ]


# -- hardware -------------------------------------------------------------------------------------

DMI = "/sys/class/dmi/id"


def _hw_files() -> dict[str, str]:
    return {
        f"{DMI}/sys_vendor": "Dell Inc.\n", f"{DMI}/product_name": "OptiPlex 3070\n",
        f"{DMI}/product_serial": "7XK2R33\n", f"{DMI}/board_vendor": "Dell Inc.\n",
        f"{DMI}/board_name": "0J2HV7\n", f"{DMI}/bios_version": "1.23.0\n", f"{DMI}/bios_date": "05/11/2023\n",
        f"{DMI}/bios_vendor": "Dell Inc.\n", f"{DMI}/chassis_type": "3\n",
        "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz\nflags\t: fpu\n\n"
                         "processor\t: 1\nmodel name\t: Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz\n",
        "/proc/meminfo": "MemTotal:        8038756 kB\nMemFree:         1234 kB\n",
        "/sys/block/sda/size": "976773168\n", "/sys/block/sda/queue/rotational": "1\n",
        "/sys/block/sda/removable": "0\n", "/sys/block/sda/device/model": "ST500DM009-2F110A\n",
        "/sys/block/sda/device/vendor": "ATA     \n",
        "/sys/block/nvme0n1/size": "500118192\n", "/sys/block/nvme0n1/queue/rotational": "0\n",
        "/sys/block/nvme0n1/removable": "0\n", "/sys/block/nvme0n1/device/model": "KINGSTON SNV2S500G  \n",
        "/sys/block/nvme0n1/device/serial": "50026B7685A1B2C3    \n",
        "/sys/block/sdb/size": "0\n", "/sys/block/sdb/removable": "1\n",
        "/sys/block/loop0/size": "129024\n", "/sys/block/zram0/size": "8000000\n",
        "/sys/block/dm-0/size": "1000\n", "/sys/block/mmcblk0boot0/size": "8192\n",
    }


def test_hardware_live_replay() -> None:
    snap = _collect(_replay(_hw_files()), {"hardware"})
    hw = snap.table("hardware")
    assert (hw["vendor"], hw["model"], hw["serial"]) == ("Dell Inc.", "OptiPlex 3070", "7XK2R33")
    assert (hw["board"], hw["bios_version"], hw["chassis_type"]) == ("0J2HV7", "1.23.0", 3)
    assert (hw["cpu"], hw["cpu_count"]) == ("Intel(R) Core(TM) i3-9100 CPU @ 3.60GHz", 2)
    assert hw["virtual"] is False
    assert hw["memory_bytes"] == 8038756 * 1024
    disks = {d["name"]: d for d in hw["disks"]}
    assert sorted(disks) == ["nvme0n1", "sda", "sdb"]  # loop, zram, dm-, eMMC boot areas skipped
    assert disks["sda"]["size_bytes"] == 976773168 * 512 and disks["sda"]["rotational"] is True
    assert disks["sda"]["model"] == "ST500DM009-2F110A" and disks["sda"]["vendor"] == "ATA"
    assert disks["nvme0n1"]["rotational"] is False and disks["nvme0n1"]["serial"] == "50026B7685A1B2C3"
    assert disks["sdb"]["removable"] is True and disks["sdb"]["rotational"] is None
    assert not [k for k in snap.unknown if k.startswith("hardware")]


def test_hardware_serial_needs_root() -> None:
    snap = _collect(_replay(_hw_files(), denied=[f"{DMI}/product_serial"]), {"hardware"})
    assert snap.table("hardware")["serial"] is None
    assert snap.unknown["hardware.serial"] == {"code": "permission_denied", "detail": f"{DMI}/product_serial"}


def test_hardware_board_without_dmi_uses_device_tree() -> None:
    files = {"/sys/firmware/devicetree/base/model": "Raspberry Pi 4 Model B Rev 1.4\0",
             "/sys/firmware/devicetree/base/serial-number": "10000000a1b2c3d4\0",
             "/proc/cpuinfo": "processor\t: 0\nFeatures\t: fp asimd\n\nHardware\t: BCM2835\n"}
    hw = _collect(_replay(files), {"hardware"}).table("hardware")
    assert (hw["model"], hw["serial"]) == ("Raspberry Pi 4 Model B Rev 1.4", "10000000a1b2c3d4")
    snap = _collect(_replay({"/proc/cpuinfo": "processor : 0\nflags : fpu hypervisor\n"}), {"hardware"})
    assert snap.table("hardware")["virtual"] is True
    assert snap.unknown["hardware.serial"]["code"] == "not_found"


def test_hardware_not_applicable_on_a_mounted_root(make_root) -> None:
    root = make_root({"etc/hostname": "x\n", "sys/class/dmi/id/product_serial": "WRONG\n",
                      "proc/meminfo": "MemTotal: 1 kB\n"})
    snap = facts_of(root, only={"hardware"})
    assert snap.unknown["hardware"]["code"] == "not_applicable"
    assert snap.table("hardware")["serial"] is None and snap.table("hardware")["memory_bytes"] is None


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
    t = _replay(_sysfs_links(), commands={command_key(["ip", "-j", "addr", "show"]): {"rc": 0, "stdout": ip_out}})
    snap = _collect(t, {"interfaces"})
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
    snap = _collect(_replay(_sysfs_links()), {"interfaces"})
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


# -- software -------------------------------------------------------------------------------------


def test_software_from_dpkg_on_a_root(make_root) -> None:
    root = make_root({"var/lib/dpkg/status": DPKG_STATUS})
    snap = facts_of(root, only={"software"})
    rows = snap.table("software")
    names = [(r["name"], r["arch"]) for r in rows]
    assert names == [("adduser", "all"), ("dpkg", "amd64"), ("libc6", "amd64"), ("libc6", "i386"),
                     ("vsftpd", "amd64"), ("tftpd-hpa", "amd64"), ("nis", "amd64")]
    tftpd = next(r for r in rows if r["name"] == "tftpd-hpa")
    assert tftpd["state"] == "half-configured" and tftpd["manager"] == "dpkg"
    adduser = rows[0]
    assert adduser == {"name": "adduser", "version": "3.134", "arch": "all",
                       "publisher": "Debian Adduser Developers <adduser@packages.debian.org>",
                       "manager": "dpkg", "source": "/var/lib/dpkg/status:1"}
    assert "software" not in snap.unknown


def test_software_rpm_snap_flatpak_replay() -> None:
    rpm_out = ("bash\t5.1.8-9.el9\tRocky Enterprise Software Foundation\tx86_64\n"
               "gpg-pubkey\t350d275d-6279464f\t(none)\t(none)\n"
               "telnet-server\t1:0.17-85.el9\t(none)\tx86_64\n")
    files = {
        "/var/lib/rpm/rpmdb.sqlite": "",
        "/var/lib/snapd/snaps/firefox_4173.snap": "", "/var/lib/snapd/snaps/firefox_4200.snap": "",
        "/var/lib/snapd/snaps/core22_1380.snap": "",
        "/snap/firefox/current/meta/snap.yaml": "name: firefox\nversion: '128.0.3-1'\nsummary: x\n",
        "/snap/bin/firefox": "",
        "/var/lib/flatpak/app/org.videolan.VLC/current/active/files/share/metainfo/org.videolan.VLC.metainfo.xml": (
            '<?xml version="1.0"?>\n<component type="desktop-application">\n<id>org.videolan.VLC</id>\n'
            "<developer_name>VideoLAN</developer_name>\n<releases>\n"
            '  <release version="3.0.21" date="2024-06-10"/>\n  <release version="3.0.20"/>\n</releases>\n'
            "</component>\n"),
    }
    t = _replay(files, commands={command_key(["rpm", "-qa", "--qf", RPM_QF]): {"rc": 0, "stdout": rpm_out}})
    snap = _collect(t, {"software"})
    rows = {r["name"]: r for r in snap.table("software")}
    assert sorted(rows) == ["bash", "core22", "firefox", "org.videolan.VLC", "telnet-server"]
    assert rows["bash"]["publisher"] == "Rocky Enterprise Software Foundation" and rows["bash"]["manager"] == "rpm"
    assert rows["telnet-server"]["version"] == "1:0.17-85.el9" and rows["telnet-server"]["publisher"] is None
    assert rows["firefox"]["version"] == "128.0.3-1" and rows["firefox"]["revision"] == "4200"
    assert rows["core22"]["version"] is None and rows["core22"]["source"] == "/var/lib/snapd/snaps/core22_1380.snap"
    assert rows["org.videolan.VLC"]["version"] == "3.0.21" and rows["org.videolan.VLC"]["publisher"] == "VideoLAN"
    assert rows["org.videolan.VLC"]["manager"] == "flatpak"
    assert "software" not in snap.unknown


def test_software_rpm_image_is_unknown_on_a_root(make_root) -> None:
    root = make_root({"var/lib/rpm/rpmdb.sqlite": ""})
    snap = facts_of(root, only={"software"})
    assert snap.unknown["software"]["code"] == "not_applicable"


def test_software_without_any_package_database(make_root) -> None:
    snap = facts_of(make_root({"etc/hostname": "x\n"}), only={"software"})
    assert snap.unknown["software"]["code"] == "not_found"


def test_software_unreadable_dpkg_status_is_unknown() -> None:
    snap = _collect(_replay({"/var/lib/dpkg/status": ""}, denied=["/var/lib/dpkg/status"]), {"software"})
    assert snap.unknown["software"]["code"] == "permission_denied"


# -- performance ----------------------------------------------------------------------------------


def test_dpkg_parse_of_3000_packages_is_fast() -> None:
    stanza = ("Package: pkg{i}\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
              "Installed-Size: 120\nMaintainer: Someone <someone@example.org>\nArchitecture: amd64\n"
              "Multi-Arch: same\nSource: src{i}\nVersion: 1.{i}-1\nDepends: libc6 (>= 2.34), libfoo1\n"
              "Description: package number {i}\n" + " long description line\n" * 12 + " .\n more text\n")
    text = "\n".join(stanza.format(i=i) for i in range(3000))
    best = min(_timed(parse_dpkg_status, text) for _ in range(3))
    assert len(parse_dpkg_status(text)) == 3000
    assert best < 0.1, f"parsing 3000 packages took {best * 1000:.0f} ms"


def _timed(fn: Any, arg: Any) -> float:
    import time

    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


@pytest.mark.skipif(not shutil.which("dpkg-query") or not Path("/var/lib/dpkg/status").exists(),
                    reason="not a dpkg system")
def test_dpkg_parser_agrees_with_dpkg_query() -> None:
    import subprocess

    out = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Package}|${Architecture}|${Version}\n"],
                         capture_output=True, text=True, check=True).stdout
    expected = {tuple(line.split("|")[1:]) for line in out.splitlines() if line.split("|")[0].strip() in ("ii", "hi")}
    parsed = {(p.name, p.arch, p.version) for p in parse_dpkg_status(Path("/var/lib/dpkg/status").read_text())
              if p.state == "installed"}
    assert parsed == expected


def test_snapshot_is_json_and_integers_only(make_root) -> None:
    root = make_root({"etc/os-release": OS_RELEASE_UBUNTU, "etc/hostname": "pc\n", "var/lib/dpkg/status": DPKG_STATUS})
    snap = facts_of(root, only={"host", "hardware", "interfaces", "software"})
    text = json.dumps(snap.to_dict())

    def walk(v: Any) -> None:
        assert not isinstance(v, float)
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(json.loads(text))
    assert snap.table("host")["hostname"] == "pc" and len(snap.table("software")) == 7
