"""os-release, one reader for the host table and the OS support window."""

from __future__ import annotations

from secaudit.facts.linux.sources.osrelease import parse_os_release
from tests.unit.facts.linux.sources.counting import collect_counting

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'


def test_one_read_for_host_and_system(make_root) -> None:
    snap, reads = collect_counting(make_root({"etc/os-release": DEBIAN, "etc/hostname": "pc01\n"}),
                                   only={"host", "system"})
    assert reads["/etc/os-release"] == 1
    assert snap.table("host")["os"]["id"] == snap.table("system")["os_id"] == "debian"
    assert snap.table("host")["os"]["version"] == snap.table("system")["os_version"] == "12"


def test_systems_older_than_os_release_are_the_same_os_for_both(make_root) -> None:
    snap, _ = collect_counting(make_root({"etc/redhat-release": "CentOS release 6.10 (Final)\n"}),
                               only={"host", "system"})
    assert snap.table("host")["os"]["id"] == snap.table("system")["os_id"] == "centos"
    assert snap.table("system")["os_version"] == "6.10"


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
