"""The dpkg database: one parse per collection, shared by software, host, antivirus and system."""

from __future__ import annotations

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.replay import ReplayTransport
from tests.unit.facts.linux.sources.conftest import collect_counting

STATUS = """\
Package: dpkg
Status: install ok installed
Architecture: arm64
Version: 1.21.22

Package: clamav
Status: install ok installed
Architecture: arm64
Version: 1.4.3+dfsg-0+deb12u1

Package: unattended-upgrades
Status: deinstall ok config-files
Architecture: all
Version: 2.9.1+nmu3
"""
APT = 'APT::Periodic::Unattended-Upgrade "1";\n'


def test_one_read_for_every_collector(make_root) -> None:
    root = make_root({"var/lib/dpkg/status": STATUS, "usr/bin/clamscan": "", "etc/apt/apt.conf.d/20auto": APT,
                      "etc/hostname": "pc01\n"})
    snap, reads = collect_counting(root, only={"software", "host", "antivirus", "system"})
    assert reads["/var/lib/dpkg/status"] == 1
    assert {r["name"] for r in snap.table("software")} == {"dpkg", "clamav"}  # config-files: not on disk
    assert snap.table("host")["arch"] == "arm64"  # no running system: the native packages tell
    clam = next(r for r in snap.table("antivirus") if r["id"] == "clamav")
    assert "dpkg:clamav 1.4.3+dfsg-0+deb12u1" in clam["markers"]
    # only its configuration is left: not installed
    assert snap.table("system")["auto_updates_reason"] == "package_missing"


def test_an_unreadable_database_is_unknown_for_each_reader() -> None:
    recording = {"files": {"/var/lib/dpkg/status": STATUS, "/var/lib/dpkg/info/clamav.list": "",
                           "/usr/bin/clamscan": ""},
                 "denied": ["/var/lib/dpkg/status"]}
    snap = collect(ReplayTransport(recording, live=False), AgentConfig(), only={"software", "antivirus"})
    assert snap.unknown["software.dpkg"]["code"] == "permission_denied"
    assert snap.unknown["antivirus.packages"]["code"] == "permission_denied"
    assert snap.unknown["software"]["code"] == "permission_denied"
    clam = next(r for r in snap.table("antivirus") if r["id"] == "clamav")
    assert "/var/lib/dpkg/info/clamav.list" in clam["markers"]  # the file lists still tell
