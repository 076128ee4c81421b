"""The dpkg database: one parse per collection, shared by software, host, antivirus and system."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.sources.dpkg import parse_dpkg_status
from secaudit.transport.replay import ReplayTransport
from tests.unit.facts.linux.inventory_samples import DPKG_STATUS
from tests.unit.facts.linux.sources.counting import collect_counting

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
