"""Host identity: names, OS, kernel, role, time zone and runtime state, on roots and replayed recordings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.host import hosts_fqdn, newest_kernel
from secaudit.transport.replay import command_key
from tests.conftest import facts_of
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS, OS_RELEASE_UBUNTU, collect_only, replay


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


def test_host_livereplay() -> None:
    t = replay({
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
    snap = collect_only(t, {"host"})
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
