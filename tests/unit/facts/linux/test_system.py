"""System facts: time synchronisation, boot time, the OS support window and disk encryption."""

from __future__ import annotations

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from tests.unit.facts.linux.helpers import make_link, replay, system_of

# == time synchronisation ============================================================================

CHRONY_SYNCED = """Reference ID    : A9FEA97B (169.254.169.123)
Stratum         : 4
Ref time (UTC)  : Mon Nov 23 09:10:11 2026
System time     : 0.000012345 seconds slow of NTP time
Last offset     : -0.000001234 seconds
RMS offset      : 0.000023456 seconds
Frequency       : 12.345 ppm fast
Residual freq   : -0.001 ppm
Skew            : 0.012 ppm
Root delay      : 0.000345678 seconds
Root dispersion : 0.000456789 seconds
Update interval : 64.2 seconds
Leap status     : Normal
"""


@pytest.mark.parametrize("link,service", [
    ("etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", "timesyncd"),
    ("etc/systemd/system/multi-user.target.wants/chrony.service", "chrony"),
    ("etc/systemd/system/multi-user.target.wants/chronyd.service", "chrony"),
    ("etc/systemd/system/multi-user.target.wants/ntpsec.service", "ntpd"),
    (None, "none"),
])
def test_time_sync_service_from_enabled_units(make_root, link, service):
    root = make_root({"etc/hostname": "pc\n"})
    if link:
        make_link(root, link, "/lib/systemd/system/" + link.rsplit("/", 1)[1])
    snap = system_of(root)
    assert snap.table("system")["time_sync_service"] == service
    assert snap.table("system")["time_synced"] is None
    assert snap.table("system")["time_sync_running"] is None  # not observable offline
    assert snap.unknown["system.time_synced"]["code"] == "not_applicable"


def test_live_chrony_tracking():
    files = {"/proc/50/comm": "chronyd\n", "/etc/hostname": "srv\n"}
    cmd = {"chronyc -n tracking": {"rc": 0, "stdout": CHRONY_SYNCED, "stderr": ""}}
    sysinfo = replay(files, cmd, {"system"}).table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_synced"]) == ("chrony", True)
    assert "Leap status Normal" in sysinfo["time_sync_source"]
    cmd = {"chronyc -n tracking": {"rc": 0, "stdout": CHRONY_SYNCED.replace("Normal", "Not synchronised"),
                                   "stderr": ""}}
    assert replay(files, cmd, {"system"}).table("system")["time_synced"] is False


def test_live_timesyncd_flag_file_and_timedatectl():
    files = {"/proc/40/comm": "systemd-timesyn\n", "/run/systemd/timesync/synchronized": ""}
    sysinfo = replay(files, {}, {"system"}).table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_synced"], sysinfo["time_sync_running"]) == \
        ("timesyncd", True, True)
    files = {"/proc/40/comm": "systemd-timesyn\n"}
    cmd = {"timedatectl show -p NTPSynchronized --value": {"rc": 0, "stdout": "no\n", "stderr": ""}}
    sysinfo = replay(files, cmd, {"system"}).table("system")
    assert (sysinfo["time_synced"], sysinfo["time_sync_source"]) == (False, "timedatectl NTPSynchronized=no")


def test_live_boot_time():
    snap = replay({"/proc/stat": "cpu  1 2 3\nbtime 1795420835\nprocesses 100\n"}, {}, {"system"})
    assert snap.table("system")["boot_time"] == "2026-11-23T08:00:35Z"


# == OS support window and disk encryption ===========================================================

def _os(make_root, text: str) -> dict:
    return system_of(make_root({"etc/os-release": text})).table("system")


@pytest.mark.parametrize("text,end", [
    ('PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nID=debian\nVERSION_ID="10"\n', "2024-06-30"),
    ('ID=debian\nVERSION_ID="12"\n', "2028-06-30"),
    ('NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n', "2027-04-01"),
    ('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n', "2029-05-31"),
    ('NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nVERSION_ID="7"\n', "2024-06-30"),
    ('NAME="CentOS Stream"\nID="centos"\nVERSION_ID="9"\n', "2027-05-31"),
    ('NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n', "2032-05-31"),
    ('NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="8.10"\n', "2029-05-31"),
    ('NAME="Linux Mint"\nID=linuxmint\nVERSION_ID="21.3"\nID_LIKE="ubuntu debian"\n', "2027-04-01"),
    ('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n', "2026-04-01"),
    ('ID=raspbian\nVERSION_ID="11"\n', "2026-08-31"),
    ('NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.6"\n', "2026-04-30"),
])
def test_os_support_end_from_table(make_root, text, end):
    sysinfo = _os(make_root, text)
    assert sysinfo["os_support_end"] == end
    assert sysinfo["os_eol_table"] == "2026-11"


def test_os_rolling_and_unknown(make_root):
    assert _os(make_root, 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n')["os_rolling"] is True
    snap = system_of(make_root({"etc/os-release": 'NAME="Slackware"\nID=slackware\nVERSION_ID=15.0\n'}))
    assert snap.table("system")["os_support_end"] is None
    assert "slackware 15.0" in snap.unknown["system.os_support_end"]["detail"]
    snap = system_of(make_root({"usr/lib/os-release": 'ID=debian\nVERSION_ID="13"\n'}))
    assert snap.table("system")["os_support_end"] == "2030-06-30"


def test_crypttab(make_root):
    root = make_root({"etc/crypttab": "# <target name> <source device> <key file> <options>\n"
                                      "sda3_crypt UUID=0f1e2d3c-aaaa-bbbb-cccc-111122223333 none luks,discard\n"
                                      "\n  # swap\n"
                                      "cswap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64,size=256,plain\n"})
    enc = system_of(root).table("system")["disk_encryption"]
    assert [(e["name"], e["kind"], e["source"]) for e in enc] == [
        ("sda3_crypt", "luks", "/etc/crypttab:2"), ("cswap", "plain", "/etc/crypttab:5")]


def test_live_dm_crypt_devices():
    files = {"/sys/block/dm-0/dm/uuid": "CRYPT-LUKS2-0f1e2d3caaaabbbbcccc111122223333-sda3_crypt\n",
             "/sys/block/dm-0/dm/name": "sda3_crypt\n",
             "/sys/block/dm-1/dm/uuid": "LVM-abcdef\n", "/sys/block/sda/size": "100\n"}
    enc = replay(files, {}, {"system"}).table("system")["disk_encryption"]
    assert enc == [{"name": "sda3_crypt", "device": "/dev/dm-0", "kind": "luks2",
                    "source": "/sys/block/dm-0/dm/uuid", "active": True}]


def test_this_machine_collects_within_budget():
    import time

    from secaudit.transport.local import LocalTransport

    started = time.monotonic()
    snap = collect(LocalTransport(), AgentConfig(), only={"firewall", "system", "listening_ports"})
    assert time.monotonic() - started < 2.0
    assert snap.table("system")["os_id"]
    assert snap.table("firewall")["backend"] in ("nftables", "iptables", "ufw", "firewalld", "none") \
        or "firewall" in snap.unknown


def test_live_enabled_time_service_that_is_not_running():
    files = {"/proc/1/comm": "systemd\n",
             "/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service": "[Unit]\n"}
    cmd = {"timedatectl show -p NTPSynchronized --value": {"rc": 1, "stdout": "", "stderr": "Failed to connect to bus"}}
    snap = replay(files, cmd, {"system"})
    sysinfo = snap.table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_sync_running"], sysinfo["time_synced"]) == \
        ("timesyncd", False, None)
    assert snap.unknown["system.time_synced"]["code"] == "command_failed"
