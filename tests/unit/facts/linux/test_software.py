"""Installed software: dpkg, rpm, snaps and flatpaks on roots and replayed recordings."""

from __future__ import annotations

from secaudit.facts.linux.software import RPM_QF
from secaudit.transport.replay import command_key
from tests.conftest import facts_of
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS, collect_only, replay

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


def test_software_rpm_snap_flatpakreplay() -> None:
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
    t = replay(files, commands={command_key(["rpm", "-qa", "--qf", RPM_QF]): {"rc": 0, "stdout": rpm_out}})
    snap = collect_only(t, {"software"})
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
    snap = collect_only(replay({"/var/lib/dpkg/status": ""}, denied=["/var/lib/dpkg/status"]), {"software"})
    assert snap.unknown["software"]["code"] == "permission_denied"
