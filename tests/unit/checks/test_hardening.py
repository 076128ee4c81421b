"""Hardening checks: a passing and a failing fixture each (fixture roots, or hand-built tables where the running
system's values matter)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import facts_of, run_check, snapshot

PASSWD = "root:x:0:0:root:/root:/bin/bash\ngv01:x:1000:1000::/home/gv01:/bin/bash\n"
GOOD_SYSCTL = """\
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
"""


def _snap(make_root, files, modes=None):
    root = make_root({"etc/passwd": PASSWD, "etc/login.defs": "UID_MIN 1000\n", **files})
    for rel, mode in (modes or {}).items():
        (root / rel).mkdir(parents=True, exist_ok=True)
        (root / rel).chmod(mode)
        if rel.startswith("home/") and os.geteuid() == 0:
            os.chown(root / rel, 1000, 1000)
    return facts_of(root, only={"hardening"})


def test_home_dirs(make_root):
    if os.geteuid() != 0:
        pytest.skip("home directories must belong to uid 1000: needs root to chown")
    ok = _snap(make_root, {}, {"root": 0o700, "home/gv01": 0o750})
    res = run_check("hardening.home_dirs", ok)
    assert res.status == "pass" and "2 home" in res.message["en"]
    res = run_check("hardening.home_dirs", _snap(make_root, {}, {"root": 0o700, "home/gv01": 0o757}))
    assert res.status == "fail" and "/home/gv01" in res.message["en"] and "0757" in res.message["vi"]
    res = run_check("hardening.home_dirs", _snap(make_root, {}, {"root": 0o700, "home/gv01": 0o755}))
    assert res.status == "warn"
    root = make_root({"etc/passwd": PASSWD, "home/gv01/.keep": ""})
    os.chown(root / "home/gv01", 0, 0)
    res = run_check("hardening.home_dirs", facts_of(root, only={"hardening"}))
    assert res.status == "fail" and "uid 0" in res.message["en"]


def test_umask(make_root):
    pam = {"etc/pam.d/common-session": "session optional pam_umask.so umask=027\n"}
    assert run_check("hardening.umask", _snap(make_root, pam)).status == "pass"
    assert run_check("hardening.umask", _snap(make_root, {})).status == "warn"
    res = run_check("hardening.umask", _snap(make_root, {**pam, "etc/profile.d/x.sh": "umask 000\n"}))
    assert res.status == "fail" and "/etc/profile.d/x.sh:1" in res.message["en"]


def test_sudo_logging(make_root):
    res = run_check("hardening.sudo_logging", _snap(make_root, {"etc/sudoers": "Defaults use_pty\n"}))
    assert res.status == "pass" and "syslog" in res.message["en"]
    res = run_check("hardening.sudo_logging", _snap(make_root, {"etc/sudoers": "Defaults !syslog\n"}))
    assert res.status == "fail" and "/etc/sudoers:1" in res.message["en"]
    res = run_check("hardening.sudo_logging", _snap(make_root, {"etc/sudoers": "Defaults logfile=/var/log/sudo\n"}))
    assert res.status == "warn" and "use_pty" in res.message["en"]
    assert run_check("hardening.sudo_logging", _snap(make_root, {})).status == "not_applicable"


def test_system_shells(make_root):
    assert run_check("hardening.system_shells", _snap(make_root, {})).status == "pass"
    bad = _snap(make_root, {"etc/passwd": PASSWD + "postgres:x:101:104::/var/lib/postgresql:/bin/bash\n"})
    res = run_check("hardening.system_shells", bad)
    assert res.status == "warn" and "postgres" in res.message["en"]
    assert run_check("hardening.system_shells", bad, params={"allowed": ["postgres"]}).status == "pass"


def test_network_sysctl_from_files_and_kernel_defaults(make_root):
    res = run_check("hardening.network_sysctl", _snap(make_root, {"etc/sysctl.d/60-net.conf": GOOD_SYSCTL}))
    assert res.status == "pass", res.message
    res = run_check("hardening.network_sysctl", _snap(make_root, {}))  # stock kernel: redirects accepted
    assert res.status == "fail" and "kernel default" in res.message["en"]
    later = {"etc/sysctl.d/60-net.conf": GOOD_SYSCTL, "etc/sysctl.d/99-z.conf": "net.ipv4.conf.all.send_redirects=1\n"}
    res = run_check("hardening.network_sysctl", _snap(make_root, later))
    assert res.status == "fail" and "99-z.conf:1" in res.message["en"]


def test_network_sysctl_running_value_wins():
    configured = {k.split(" = ")[0]: {"value": k.split(" = ")[1], "source": f"f:{i}"}
                  for i, k in enumerate(GOOD_SYSCTL.splitlines(), 1)}
    live = {k: v["value"] for k, v in configured.items()}
    live["net.ipv4.conf.all.accept_redirects"] = "1"  # changed at runtime, or the file never applied
    snap = snapshot({"hardening": {"sysctl": {"configured": configured, "live": live, "files": ["f"]}}})
    res = run_check("hardening.network_sysctl", snap)
    assert res.status == "fail" and "running; f:1 says 0" in res.message["en"]


def test_grub_password_only_when_asked(make_root):
    cfg = 'set superusers="qt"\npassword_pbkdf2 qt grub.pbkdf2.sha512.1.A.B\n'
    snap = _snap(make_root, {"boot/grub/grub.cfg": cfg})
    assert run_check("hardening.grub_password", snap).status == "not_applicable"
    assert run_check("hardening.grub_password", snap, params={"required": True}).status == "pass"
    res = run_check("hardening.grub_password", _snap(make_root, {"boot/grub/grub.cfg": "menuentry x {}\n"}),
                    params={"required": True})
    assert res.status == "fail" and "/boot/grub/grub.cfg" in res.message["en"]
    assert run_check("hardening.grub_password", _snap(make_root, {}), params={"required": True}).status \
        == "not_applicable"
