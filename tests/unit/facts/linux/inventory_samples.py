"""Samples shared by the inventory collector tests (host, hardware, interfaces, software) and the fuzzers:
a dpkg status file with the awkward parts of the format, an os-release, the recorded fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "inventory"

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


def replay(files: dict[str, str], commands: dict[str, Any] | None = None, denied: list[str] | None = None,
           live: bool = True) -> ReplayTransport:
    return ReplayTransport({"files": files, "commands": commands or {}, "denied": denied or []}, live=live)


def collect_only(transport: ReplayTransport, only: set[str]) -> Snapshot:
    return collect(transport, AgentConfig(), only=only)
