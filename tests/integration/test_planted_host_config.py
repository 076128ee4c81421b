"""Two whole offline Debian roots audited through `secaudit audit --root`: one with the host firewall,
kernel parameters, security updates, scheduled jobs and FTP configured correctly in odd but valid syntax
(nothing of these is reported), and the same root with problems planted the way an inspector would
(each reported, naming the file and line that causes it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_tree

pytestmark = pytest.mark.integration

SYSCTL = ("net.ipv4.conf.all.accept_redirects = 0\nnet.ipv4.conf.default.accept_redirects=0\n"
          "net/ipv6/conf/all/accept_redirects = 0\n-net.ipv6.conf.default.accept_redirects = 0\n"
          "net.ipv4.conf.all.send_redirects = 0   \nnet.ipv4.conf.default.send_redirects = 0\n"
          "; source routing\nnet.ipv4.conf.*.accept_source_route = 0\nnet.ipv6.conf.*.accept_source_route = 0\n"
          "net.ipv4.conf.*.rp_filter = 1\nnet.ipv4.tcp_syncookies = 1\nnet.ipv4.icmp_echo_ignore_broadcasts = 1\n")
UU = ('Unattended-Upgrade::Origins-Pattern {\n        // "origin=Debian,codename=${distro_codename}-updates";\n'
      '        "origin=Debian,codename=${distro_codename},label=Debian";\n'
      '        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";\n};\n')
NFT_INPUT = ("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter\n\t\tpolicy drop\n"
             "\t\tiif lo accept\n\t\tct state established,related accept\n\t\ttcp dport { 22, 443 } accept\n\t}\n}\n")
CORRECT: dict[str, Any] = {
    "etc/os-release": ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
                       "VERSION_CODENAME=bookworm\n"),
    "etc/hostname": "may-chu\n", "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n", "etc/group": "root:x:0:\n",
    "var/lib/dpkg/status": ("Package: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9.1\n\n"
                            "Package: vsftpd\nStatus: install ok installed\nVersion: 3.0.3\n\n"),
    "etc/apt/sources.list.d/debian.sources": (
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
        "# security\ntypes: deb\nURIs: http://deb.debian.org/debian-security/\nSuites: bookworm-security\n"
        "Components: main\nEnabled: yes\n"),
    "etc/apt/apt.conf.d/20auto-upgrades": ('APT::Periodic::Update-Package-Lists "1";\n'
                                           'APT::Periodic::Unattended-Upgrade "1";\n'),
    "etc/apt/apt.conf.d/50unattended-upgrades": UU,
    "etc/nftables.conf": '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/*.nft"\n',
    "etc/nftables.d/10-input.nft": NFT_INPUT,
    "etc/sysctl.d/99-hardening.conf": SYSCTL,
    "etc/crontab": ("SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n", 0o644),
    "etc/cron.d/backup": ("MAILTO=root\n30 2 * * *  root  nice -n 19 /opt/bk/backup.sh >> /tmp/backup.log 2>&1\n",
                          0o644),
    "opt/bk/backup.sh": ("#!/bin/sh\n", 0o755),
    "etc/cron.daily/logrotate": ("#!/bin/sh\n", 0o755),
    "etc/vsftpd.conf": "listen=YES\n# anonymous_enable=YES\nanonymous_enable=No\n",
}
PLANTED: dict[str, Any] = {
    **CORRECT,
    # an early unconditional accept: the drop policy and the rules after it are useless
    "etc/nftables.d/10-input.nft": NFT_INPUT.replace("\t\tiif lo accept\n", "\t\tiif lo accept\n\t\tcounter accept\n"),
    # an explicit value early; the hardening file's glob later does not override it
    "etc/sysctl.d/10-lab.conf": "net.ipv4.conf.all.send_redirects = 1\n",
    "etc/sysctl.d/99-hardening.conf": SYSCTL.replace("net.ipv4.conf.all.send_redirects = 0   \n"
                                                     "net.ipv4.conf.default.send_redirects = 0\n",
                                                     "net.ipv4.conf.*.send_redirects = 0\n"),
    "etc/apt/apt.conf.d/50unattended-upgrades": UU.replace('        "origin=Debian,codename=${distro_codename}-sec',
                                                           '//      "origin=Debian,codename=${distro_codename}-sec'),
    "etc/apt/sources.list.d/debian.sources": CORRECT["etc/apt/sources.list.d/debian.sources"].replace(
        "Enabled: yes", "Enabled: no"),
    "opt/bk/backup.sh": ("#!/bin/sh\n", 0o777),
    "etc/vsftpd.conf": "listen=YES\n#anonymous_enable=NO\n",
}


def _audit(files: dict[str, Any], tmp: Path) -> dict[str, dict[str, Any]]:
    root = write_tree(tmp / "root", files)
    link = root / "etc/systemd/system/sysinit.target.wants/nftables.service"
    link.parent.mkdir(parents=True)
    os.symlink("/lib/systemd/system/nftables.service", link)
    out = tmp / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "secaudit", "audit", "--root", str(root), "--no-sign", "--format", "json",
         "-o", str(out)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "st")}, check=False)
    assert "Traceback" not in proc.stderr
    return {f["check_id"]: f for f in json.loads(out.read_text(encoding="utf-8"))["findings"]}


CHECKS = ("system.firewall", "hardening.network_sysctl", "system.auto_updates", "system.security_updates_source",
          "hardening.cron_scripts", "hardening.ftp_anonymous")


def test_correct_configuration_in_odd_syntax_is_not_reported(tmp_path: Path) -> None:
    findings = _audit(CORRECT, tmp_path)
    assert {c: findings[c]["status"] for c in CHECKS} == dict.fromkeys(CHECKS, "pass")


def test_planted_problems_are_reported_with_their_line(tmp_path: Path) -> None:
    findings = _audit(PLANTED, tmp_path)
    expect = {
        "system.firewall": ("warn", "/etc/nftables.d/10-input.nft:6"),
        "hardening.network_sysctl": ("fail", "net.ipv4.conf.all.send_redirects = 1 (/etc/sysctl.d/10-lab.conf:1)"),
        "system.auto_updates": ("warn", "/etc/apt/apt.conf.d/50unattended-upgrades:3"),
        "system.security_updates_source": ("fail", "/etc/apt/sources.list.d/debian.sources:7"),
        "hardening.cron_scripts": ("fail", "/etc/cron.d/backup:2 [root]: /opt/bk/backup.sh 0777 o+w"),
        "hardening.ftp_anonymous": ("fail", "built-in default"),
    }
    for check, (status, culprit) in expect.items():
        finding = findings[check]
        assert finding["status"] == status, (check, finding["message"]["en"])
        assert culprit in finding["message"]["en"] and culprit in finding["message"]["vi"], (check, finding["message"])
