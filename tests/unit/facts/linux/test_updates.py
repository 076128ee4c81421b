"""Update facts: apt configuration and automatic updates, last update and pending updates."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from secaudit.facts.linux.apt import parse_apt_conf, parse_apt_history
from secaudit.facts.linux.updates import parse_updates_available
from tests.conftest import run_check
from tests.unit.facts.linux.helpers import make_link, replay, system_of

# == apt configuration and automatic updates =========================================================

def test_apt_conf_syntax():
    conf: dict[str, tuple[str, str]] = {}
    parse_apt_conf("""
// comment with "quotes" and { braces }
APT::Periodic::Update-Package-Lists "1";  # trailing hash comment
/* a block comment
   APT::Periodic::Unattended-Upgrade "1";
*/
APT {
  Periodic {
    Unattended-Upgrade "0";
    Download-Upgradeable-Packages "1";
  };
};
Acquire::http::Proxy "http://proxy.school.edu.vn:3128/"; // the // inside quotes stays
Unattended-Upgrade::Origins-Pattern { "origin=Debian,codename=${distro_codename},label=Debian-Security"; };
apt::periodic::AutocleanInterval 7;
""", "/etc/apt/apt.conf.d/x", conf)
    assert conf["apt::periodic::update-package-lists"] == ("1", "/etc/apt/apt.conf.d/x:3")
    assert conf["apt::periodic::unattended-upgrade"][0] == "0"
    assert conf["apt::periodic::download-upgradeable-packages"][0] == "1"
    assert conf["acquire::http::proxy"][0] == "http://proxy.school.edu.vn:3128/"
    assert conf["apt::periodic::autocleaninterval"][0] == "7"
    assert not any(k.startswith("unattended-upgrade::origins-pattern::") for k in conf)


def test_apt_conf_clear_directive():
    conf: dict[str, tuple[str, str]] = {}
    parse_apt_conf('APT::Periodic::Unattended-Upgrade "1";\n', "a", conf)
    parse_apt_conf("#clear APT::Periodic;\n", "b", conf)
    assert "apt::periodic::unattended-upgrade" not in conf


DPKG_STATUS = """Package: unattended-upgrades
Status: install ok installed
Priority: optional
Architecture: all
Version: 2.9.1+nmu3

Package: apt
Status: install ok installed
Version: 2.6.1
"""


# Debian 12's shipped /etc/apt/apt.conf.d/50unattended-upgrades (the origins part).
UU_DEBIAN = """\
// Unattended-Upgrade::Origins-Pattern controls which packages are
// upgraded.
Unattended-Upgrade::Origins-Pattern {
        // Codename based matching:
        // "origin=Debian,codename=${distro_codename}-updates";
        // "origin=Debian,codename=${distro_codename}-proposed-updates";
        "origin=Debian,codename=${distro_codename},label=Debian";
        "origin=Debian,codename=${distro_codename},label=Debian-Security";
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
};
Unattended-Upgrade::Package-Blacklist {
};
"""


def _apt_root(make_root, files: dict[str, str], dpkg: str = DPKG_STATUS):
    return make_root({"var/lib/dpkg/status": dpkg, "etc/apt/apt.conf.d/70debconf": 'DPkg::Pre-Install-Pkgs {"x";};\n',
                      "etc/apt/apt.conf.d/50unattended-upgrades": UU_DEBIAN, **files})


ON = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'


def test_unattended_upgrades_with_the_security_origins_commented_out(make_root):
    """Planted: the security lines of 50unattended-upgrades commented out (// and /* */): unattended-upgrades
    runs every day and installs no security update."""
    planted = UU_DEBIAN.replace('        "origin=Debian,codename=${distro_codename},label=Debian-Security";\n',
                                '  //      "origin=Debian,codename=${distro_codename},label=Debian-Security";\n')
    planted = planted.replace('        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";\n',
                              '/*  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"; */\n')
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON,
                                 "etc/apt/apt.conf.d/50unattended-upgrades": planted})
    sysinfo = system_of(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "no_security_origin")
    assert "/etc/apt/apt.conf.d/50unattended-upgrades:7" in sysinfo["auto_updates_source"]
    result = run_check("system.auto_updates", system_of(root))
    assert result.status == "warn" and "50unattended-upgrades:7" in result.message["vi"]
    # the whole file removed: no origin at all, nothing is upgraded
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON})
    (root / "etc/apt/apt.conf.d/50unattended-upgrades").unlink()
    assert system_of(root).table("system")["auto_updates_reason"] == "no_security_origin"


@pytest.mark.parametrize("origins", [
    'Unattended-Upgrade::Allowed-Origins {\n\t"${distro_id}:${distro_codename}";\n'
    '\t"${distro_id}:${distro_codename}-security";\n\t// "${distro_id}ESMApps:${distro_codename}-apps-security";\n};\n',
    'Unattended-Upgrade::Origins-Pattern:: "o=Debian";\n',  # every archive of Debian
    'unattended-upgrade::origins-pattern { "origin=Debian,a=${distro_codename}-security"; };\n',
])
def test_unattended_upgrades_security_origin_in_other_syntax(make_root, origins):
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON,
                                 "etc/apt/apt.conf.d/50unattended-upgrades": origins})
    assert system_of(root).table("system")["auto_updates"] is True


def test_package_lists_never_refreshed(make_root):
    """Planted: 20auto-upgrades with Update-Package-Lists "0": apt.systemd.daily never runs apt-get update."""
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades":
                                 'APT::Periodic::Update-Package-Lists "0";\nAPT::Periodic::Unattended-Upgrade "1";\n'})
    sysinfo = system_of(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "lists_off")
    assert sysinfo["auto_updates_source"] == \
        '/etc/apt/apt.conf.d/20auto-upgrades:1: APT::Periodic::Update-Package-Lists "0"'


def test_apt_timer_disabled_runs_no_update(make_root):
    """Planted: `systemctl disable apt-daily-upgrade.timer` (the unit file stays, its .wants link goes)."""
    timers = {f"lib/systemd/system/{t}": "[Timer]\nOnCalendar=daily\n"
              for t in ("apt-daily.timer", "apt-daily-upgrade.timer")}
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON, **timers})
    make_link(root, "etc/systemd/system/timers.target.wants/apt-daily.timer", "/lib/systemd/system/apt-daily.timer")
    sysinfo = system_of(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "timer_disabled")
    assert sysinfo["auto_updates_source"].startswith("apt-daily-upgrade.timer")
    make_link(root, "etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer",
              "/lib/systemd/system/apt-daily-upgrade.timer")
    assert system_of(root).table("system")["auto_updates"] is True


def test_unattended_upgrades_esm_only_or_cleared_is_no_security_origin(make_root):
    esm = ('Unattended-Upgrade::Allowed-Origins {\n  "${distro_id}:${distro_codename}";\n'
           '  "${distro_id}ESMApps:${distro_codename}-apps-security";\n};\n')
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON,
                                 "etc/apt/apt.conf.d/50unattended-upgrades": esm})
    assert system_of(root).table("system")["auto_updates_reason"] == "no_security_origin"
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON,
                                 "etc/apt/apt.conf.d/99local": "#clear Unattended-Upgrade::Origins-Pattern;\n"
                                 "Unattended-Upgrade::Origins-Pattern {\n"
                                 '  "origin=Debian,codename=${distro_codename}";\n};\n'})
    assert system_of(root).table("system")["auto_updates_reason"] == "no_security_origin"
    local = 'Unattended-Upgrade::Origins-Pattern:: "o=Local";\nUnattended-Upgrade::Origins-Pattern:: "o=Debian,n=x";\n'
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": ON,
                                 "etc/apt/apt.conf.d/50unattended-upgrades": local})
    assert system_of(root).table("system")["auto_updates_reason"] == "no_security_origin"


def test_auto_updates_debian_20auto_upgrades(make_root):
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades":
                                 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'})
    sysinfo = system_of(root).table("system")
    assert sysinfo["auto_updates"] is True
    assert "/etc/apt/apt.conf.d/20auto-upgrades:2" in sysinfo["auto_updates_source"]


def test_auto_updates_later_file_overrides_and_ignored_names(make_root):
    root = _apt_root(make_root, {
        "etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n',
        "etc/apt/apt.conf.d/99-school-off": 'APT { Periodic { Unattended-Upgrade "0"; }; };\n',
        "etc/apt/apt.conf.d/99zz.dpkg-old": 'APT::Periodic::Unattended-Upgrade "1";\n',
        "etc/apt/apt.conf.d/99zz~": 'APT::Periodic::Unattended-Upgrade "1";\n',
    })
    sysinfo = system_of(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "setting_off")
    assert "99-school-off:1" in sysinfo["auto_updates_source"]
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "0";\n',
                                 "etc/apt/apt.conf": 'APT::Periodic::Unattended-Upgrade "always";\n'})
    assert system_of(root).table("system")["auto_updates"] is True  # apt.conf is read last


def test_auto_updates_needs_the_package_and_periodic_enable(make_root):
    files = {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n'}
    removed = DPKG_STATUS.replace("install ok installed\nPriority", "deinstall ok config-files\nPriority")
    sysinfo = system_of(_apt_root(make_root, files, removed)).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "package_missing")
    files["etc/apt/apt.conf.d/10periodic"] = 'APT::Periodic::Enable "0";\n'
    sysinfo = system_of(_apt_root(make_root, files)).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "periodic_disabled")
    assert sysinfo["auto_updates_source"] == '/etc/apt/apt.conf.d/10periodic:1: APT::Periodic::Enable "0"'


def test_auto_updates_not_configured_and_masked_timer(make_root):
    sysinfo = system_of(_apt_root(make_root, {})).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "not_set")
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n'})
    make_link(root, "etc/systemd/system/apt-daily-upgrade.timer", "/dev/null")
    sysinfo = system_of(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "timer_masked")


def test_auto_updates_dnf_automatic(make_root):
    root = make_root({"etc/dnf/dnf.conf": "[main]\ngpgcheck=1\n",
                      "etc/dnf/automatic.conf": "[commands]\n# upgrade_type = default\nupgrade_type = security\n"
                                                "apply_updates = yes\n[emitters]\nemit_via = stdio\n"})
    make_link(root, "etc/systemd/system/timers.target.wants/dnf-automatic.timer",
          "/usr/lib/systemd/system/dnf-automatic.timer")
    sysinfo = system_of(root).table("system")
    assert sysinfo["auto_updates"] is True and "apply_updates = yes" in sysinfo["auto_updates_source"]
    (root / "etc/dnf/automatic.conf").write_text("[commands]\napply_updates = no\n")
    assert system_of(root).table("system")["auto_updates_reason"] == "apply_off"
    (root / "etc/systemd/system/timers.target.wants/dnf-automatic.timer").unlink()
    assert system_of(root).table("system")["auto_updates_reason"] == "no_timer"


def test_auto_updates_unknown_without_package_manager(make_root):
    snap = system_of(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["auto_updates"] is None
    assert snap.unknown["system.auto_updates"]["code"] == "not_applicable"


# == last update and pending updates ==================================================================

HISTORY_NEW = """
Start-Date: 2026-11-10  08:00:01
Commandline: apt-get install -y vim
Requested-By: thao (1000)
Install: vim:amd64 (2:9.0.1378-2)
Upgrade: vim-common:amd64 (2:9.0.1378-1, 2:9.0.1378-2)
End-Date: 2026-11-10  08:00:05

Start-Date: 2026-11-12  09:00:00
Commandline: apt-get -o Dpkg::Options::=--force-confold install nano
Install: nano:amd64 (7.2-1)
End-Date: 2026-11-12  09:00:02
"""
HISTORY_OLD = """
Start-Date: 2026-10-01  06:00:10
Upgrade: openssl:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2), libssl3:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2)
End-Date: 2026-10-01  06:01:40

Start-Date: 2026-11-02  10:15:30
Commandline: apt upgrade
Requested-By: admin (1000)
Upgrade: bash:amd64 (5.2.15-2+b2, 5.2.15-2+b7)
End-Date: 2026-11-02  10:15:33

Start-Date: 2026-11-03  11:00:00
Commandline: apt full-upgrade
Upgrade: tzdata:amd64 (2024a-0+deb12u1, 2025b-0+deb12u1)
"""


def test_apt_history_entries():
    entries = parse_apt_history(HISTORY_OLD, "h")
    assert entries == [("2026-10-01 06:01:40", True, "h:4"), ("2026-11-02 10:15:33", True, "h:10"),
                       ("2026-11-03 11:00:00", True, "h:12")]  # interrupted run: Start-Date
    assert [e[1] for e in parse_apt_history(HISTORY_NEW, "h")] == [False, False]


def test_last_update_from_rotated_gzip_in_local_time(make_root):
    zone = Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    if not zone.exists():
        pytest.skip("tzdata is not installed")
    root = make_root({"var/log/apt/history.log": HISTORY_NEW,
                      "var/log/apt/history.log.1.gz": gzip.compress(HISTORY_OLD.encode()),
                      "var/log/apt/history.log.2.gz": gzip.compress(b"Start-Date: 2026-12-31  00:00:00\n"
                                                                    b"Upgrade: x (1, 2)\nEnd-Date: 2026-12-31  "
                                                                    b"00:00:01\n"),
                      "var/log/apt/eipp.log.xz": b"\xfd7zXZ",
                      "usr/share/zoneinfo/Asia/Ho_Chi_Minh": zone.read_bytes()})
    make_link(root, "etc/localtime", "/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    sysinfo = system_of(root).table("system")
    # 2026-11-03 11:00:00 +07 (an interrupted full-upgrade), newest in the newest file with upgrades
    assert sysinfo["last_update_time"] == "2026-11-03T04:00:00Z"
    assert sysinfo["last_update_source"].startswith("/var/log/apt/history.log.1.gz:")


def test_last_update_timezone_file_fallback_and_no_upgrade_logged(make_root):
    if not Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh").exists():
        pytest.skip("tzdata is not installed")
    root = make_root({"var/log/apt/history.log": HISTORY_NEW, "etc/timezone": "Asia/Ho_Chi_Minh\n"})
    sysinfo = system_of(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-10T01:00:05Z"  # oldest entry: no upgrade since
    assert "no upgrade logged" in sysinfo["last_update_source"]


def test_last_update_dnf_and_dpkg_mtime(make_root):
    log = ("2026-11-01T09:00:00+0700 SUBDEBUG Upgrade: bash-5.1.8-9.el9.x86_64\n"
           "2026-11-01T09:00:01+0700 SUBDEBUG Upgraded: bash-5.1.8-6.el9.x86_64\n"
           "2026-11-05T09:00:00+0700 SUBDEBUG Installed: vim-enhanced-8.2.2637-21.el9.x86_64\n")
    root = make_root({"var/log/dnf.rpm.log": log, "var/log/dnf.rpm.log-20261025": "2026-10-20T00:00:00+0000 "
                      "SUBDEBUG Upgrade: a-1\n"})
    sysinfo = system_of(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-01T02:00:01Z"
    root = make_root({"var/lib/dpkg/status": DPKG_STATUS})
    os.utime(root / "var/lib/dpkg/status", (1793520000, 1793520000))
    sysinfo = system_of(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-01T08:00:00Z"
    assert "approximate" in sysinfo["last_update_source"]


def test_last_update_unknown_without_history(make_root):
    snap = system_of(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["last_update_time"] is None
    assert snap.unknown["system.last_update_time"]["code"] == "not_found"


UN_MODERN = """
Expanded Security Maintenance for Applications is not enabled.

12 updates can be applied immediately.
5 of these updates are standard security updates.
To see these additional updates run: apt list --upgradable

3 additional security updates can be applied with ESM Apps.
Learn more about enabling ESM Apps service at https://ubuntu.com/esm

"""


@pytest.mark.parametrize("text,expected", [
    (UN_MODERN, (12, 5)),
    ("\n15 packages can be updated.\n7 updates are security updates.\n\n", (15, 7)),
    ("1 update can be applied immediately.\n1 of these updates is a standard security update.\n", (1, 1)),
    ("0 updates can be applied immediately.\n", (0, 0)),
    ("\n4 gói có thể được cập nhật.\n", None),
    ("", None),
])
def test_updates_available_text(text, expected):
    assert parse_updates_available(text) == expected


def test_pending_updates_on_ubuntu_and_not_cheap_elsewhere(make_root):
    root = make_root({"var/lib/update-notifier/updates-available": UN_MODERN})
    sysinfo = system_of(root).table("system")
    assert sysinfo["pending_security_updates"] == 5
    assert "12 updates, 5 security" in sysinfo["pending_updates_source"]
    snap = system_of(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["pending_security_updates"] is None
    assert snap.unknown["system.pending_security_updates"]["code"] == "not_applicable"


def test_reboot_required_live():
    files = {"/var/lib/dpkg/status": DPKG_STATUS, "/run/reboot-required": "*** System restart required ***\n",
             "/run/reboot-required.pkgs": "linux-image-6.1.0-27-amd64\nlibc6\nlibc6\n"}
    sysinfo = replay(files, {}, {"system"}).table("system")
    assert sysinfo["reboot_required"] is True
    assert sysinfo["reboot_required_pkgs"] == ["libc6", "linux-image-6.1.0-27-amd64"]
