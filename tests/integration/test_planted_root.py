"""A whole offline system with planted problems, audited through `secaudit audit --root`:
every planted problem is found, and the evidence names the concrete user, file or line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_tree

pytestmark = pytest.mark.integration
DAY = 86400
NOW_DAYS = int(time.time()) // DAY
HASH = "$6$rounds=5000$saltsalt$" + "x" * 86

PLANTED = {
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\n',
    "etc/hostname": "may-chu-truong\n",
    "etc/passwd": (
        "root:x:0:0:root:/root:/bin/bash\n"
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "toor:x:0:0:backdoor:/root:/bin/bash\n"            # planted: second uid 0
        "thay.an:x:1000:1000:Thầy An:/home/thay.an:/bin/bash\n"
        "giaovien:x:1001:1001::/home/giaovien:/bin/bash\n"  # planted: shared generic account
        "cu.nv:x:1002:1002::/home/cu.nv:/bin/bash\n"        # planted: inactive for a year
        "khach:x:1003:1003::/home/khach:/bin/bash\n"        # planted: empty password
        f"cu.gv:{HASH}:1004:1004::/home/cu.gv:/bin/bash\n"  # planted: hash left in world-readable passwd
    ),
    "etc/group": ("root:x:0:\nsudo:x:27:thay.an\nshadow:x:42:\nthay.an:x:1000:\ngiaovien:x:1001:\n"
                  "cu.nv:x:1002:\nkhach:x:1003:\n"),
    "etc/shadow": (
        f"root:!:{NOW_DAYS - 5}:0:99999:7:::\n"
        f"daemon:*:{NOW_DAYS - 5}:0:99999:7:::\n"
        f"toor:{HASH}:{NOW_DAYS - 5}:0:99999:7:::\n"
        f"thay.an:{HASH}:{NOW_DAYS - 5}:0:99999:7:::\n"
        f"giaovien:{HASH}:{NOW_DAYS - 5}:0:99999:7:::\n"
        f"cu.nv:{HASH}:{NOW_DAYS - 400}:0:99999:7:::\n"
        f"khach::{NOW_DAYS - 5}:0:99999:7:::\n",
        0o644,  # planted: world-readable shadow
    ),
    "etc/login.defs": "# comment\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nUID_MIN 1000\n",
    "etc/sudoers": ("Defaults env_reset\n#includedir /etc/sudoers.d\nroot ALL=(ALL:ALL) ALL\n"
                    "%sudo ALL=(ALL:ALL) ALL\n", 0o440),
    "etc/sudoers.d/90-lab": ("User_Alias LAB = giaovien, \\\n    cu.nv\n"
                             "LAB ALL = (root) NOPASSWD: ALL\n", 0o440),  # planted: NOPASSWD ALL via alias
    "etc/sudoers.d/README~": ("giaovien ALL=(ALL) ALL\n", 0o440),  # ignored by sudo: must not count
    "etc/pam.d/common-auth": "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n",
    "etc/pam.d/common-password": "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n",
    "etc/pam.d/login": "@include common-auth\n@include common-password\n",
    "etc/pam.d/sshd": "@include common-auth\n",
    "etc/ssh/sshd_config": ("Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin no\n"
                            "PasswordAuthentication no\nMatch Address 10.0.0.0/8\n  PermitRootLogin no\n"),
    "etc/ssh/sshd_config.d/50-cloud.conf": "PermitRootLogin yes\nPermitEmptyPasswords yes\n",  # planted
    "etc/ssh/ssh_host_ed25519_key": ("k\n", 0o644),  # planted: host private key readable by everyone
    "tmp/.cache-x": ("", 0o4755),  # planted: hidden set-uid file in /tmp
    "usr/sbin/sshd": "",
    "var/lib/dpkg/status": (
        "Package: telnetd\nStatus: install ok installed\nVersion: 0.17-42\nArchitecture: amd64\n\n"
        "Package: openssh-server\nStatus: install ok installed\nVersion: 1:8.4p1-5\nArchitecture: amd64\n\n"
    ),
}


def _audit(root: Path, tmp: Path, *extra: str) -> dict[str, Any]:
    out = tmp / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "secaudit", "audit", "--root", str(root), "--no-sign", "--format", "json",
         "-o", str(out), "--playbook", "dong-nai-2026", *extra],
        capture_output=True, text=True, timeout=120, env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "st")},
    )
    assert proc.returncode == 1, proc.stderr  # planted problems: at least one fail
    assert "Traceback" not in proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("planted")
    root = write_tree(tmp / "root", PLANTED)
    wtmp = root / "var/log/wtmp"
    wtmp.parent.mkdir(parents=True)
    from secaudit.facts.linux.utmp import USER_PROCESS, pack_record

    wtmp.write_bytes(pack_record(USER_PROCESS, "cu.nv", "pts/0", "10.0.0.9", int(time.time()) - 365 * DAY)
                     + pack_record(USER_PROCESS, "thay.an", "pts/1", "10.0.0.7", int(time.time()) - 2 * DAY))
    return _audit(root, tmp)


def _finding(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["check_id"] == check_id)


@pytest.mark.parametrize("check_id, status, must_name", [
    ("accounts.uid0_duplicates", "fail", ["toor", "/etc/passwd:3"]),
    ("accounts.empty_passwords", "fail", ["khach"]),
    ("accounts.shadowed_passwords", "fail", ["cu.gv", "/etc/passwd:8"]),
    ("accounts.pam_nullok", "fail", ["/etc/pam.d/common-auth:1"]),
    ("accounts.sudo_nopasswd", "fail", ["/etc/sudoers.d/90-lab:3"]),
    ("accounts.generic_names", "fail", ["giaovien"]),
    ("accounts.inactive", "fail", ["cu.nv"]),
    ("accounts.password_quality", "fail", []),
    ("ssh.permit_root_login", "fail", ["/etc/ssh/sshd_config.d/50-cloud.conf:1"]),
    ("ssh.permit_empty_passwords", "fail", ["/etc/ssh/sshd_config.d/50-cloud.conf:2"]),
    ("ssh.password_authentication", "pass", []),
    ("files.sensitive_modes", "fail", ["/etc/shadow", "/etc/ssh/ssh_host_ed25519_key", "/tmp/.cache-x"]),
    ("inventory.software_denylist", "fail", ["telnetd"]),
    ("system.os_supported", "fail", []),
    ("ports.risky_services", "not_applicable", []),
])
def test_planted_problem_is_found(report: dict[str, Any], check_id: str, status: str, must_name: list[str]) -> None:
    finding = _finding(report, check_id)
    assert finding["status"] == status, finding["message"]["en"]
    blob = json.dumps(finding, ensure_ascii=False)
    for thing in must_name:
        assert thing in blob, (thing, finding)


def test_ignored_sudoers_file_does_not_count(report: dict[str, Any]) -> None:
    blob = json.dumps(_finding(report, "accounts.admin_members"), ensure_ascii=False)
    assert "README~" not in blob


def test_no_secrets_in_the_report(report: dict[str, Any]) -> None:
    assert "$6$" not in json.dumps(report)


def test_root_mode_report_is_marked(report: dict[str, Any]) -> None:
    assert report["mode"] == "root" and report["host"]["hostname"] == "may-chu-truong"
