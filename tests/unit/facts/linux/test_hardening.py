"""Hardening facts from fixture roots: home directory modes, umask (pam_umask, login.defs, profile scripts in
order), sudo logging Defaults, system account shells, sysctl.d override order with globs, GRUB passwords."""

from __future__ import annotations

from pathlib import Path

from secaudit.facts.linux.sysctl import parse_sysctl
from tests.conftest import facts_of

PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "sync:x:4:65534:sync:/bin:/bin/sync\n"
          "postgres:x:101:104::/var/lib/postgresql:/bin/bash\n"
          "backup:x:34:34:backup:/var/backups:\n"
          "gv01:x:1000:1000::/home/gv01:/bin/bash\n"
          "gv02:x:1001:1001::/home/gv02:/bin/bash\n"
          "ghost:x:1002:1002::/home/ghost:/bin/bash\n")


def _hardening(make_root, files, modes=None):
    root = make_root({"etc/passwd": PASSWD, "etc/login.defs": "UID_MIN 1000\nUMASK 027\n", **files})
    for rel, mode in (modes or {}).items():
        (root / rel).mkdir(parents=True, exist_ok=True)
        (root / rel).chmod(mode)
    return facts_of(root, only={"hardening"}).table("hardening")


def test_home_dirs_modes(make_root):
    hd = _hardening(make_root, {}, {"root": 0o700, "home/gv01": 0o755, "home/gv02": 0o777})["home_dirs"]
    by = {r["user"]: r for r in hd}
    assert set(by) == {"root", "gv01", "gv02"}  # ghost has no home on disk; system accounts are left out
    assert by["gv01"]["others_read"] and not by["gv01"]["others_write"]
    assert by["gv02"]["others_write"] and by["root"]["mode"] == "0700"


def test_system_shells_include_empty_shell_and_leave_out_sync(make_root):
    rows = _hardening(make_root, {})["system_shells"]
    assert [(r["user"], r["shell"]) for r in rows] == [("postgres", "/bin/bash"), ("backup", "/bin/sh (empty)")]


def test_umask_pam_then_profile_scripts_last_wins(make_root):
    files = {"etc/pam.d/common-session": "session optional pam_umask.so\n",
             "etc/profile": "if true; then\n  umask 022\nfi\n",
             "etc/profile.d/zz-strict.sh": "umask 077 # lab\n"}
    um = _hardening(make_root, files)["umask"]
    assert um["effective"] == "077" and um["source"] == "/etc/profile.d/zz-strict.sh:1" and um["pam_umask"]
    assert [s["value"] for s in um["settings"]] == ["027", "022", "077"]
    um = _hardening(make_root, {"etc/pam.d/common-session": "session optional pam_umask.so umask=0027\n"})["umask"]
    assert um["effective"] == "027" and um["source"] == "/etc/pam.d/common-session:1"
    um = _hardening(make_root, {})["umask"]  # login.defs UMASK alone does nothing without pam_umask
    assert um["effective"] == "022" and um["source"].startswith("default")


def test_sudo_logging_defaults(make_root):
    sudo = _hardening(make_root, {"etc/sudoers": "Defaults use_pty\nDefaults !syslog\n",
                                  "usr/bin/sudo": ""})["sudo_logging"]
    assert sudo["syslog"] is False and sudo["logfile"] is None and sudo["use_pty"] is True
    sudo = _hardening(make_root, {"etc/sudoers": 'Defaults logfile="/var/log/sudo.log"\nDefaults log_output\n'
                                                 "@includedir /etc/sudoers.d\n",
                                  "etc/sudoers.d/x": "Defaults syslog=auth\n"})["sudo_logging"]
    assert sudo["logfile"] == "/var/log/sudo.log" and sudo["log_output"] is True and sudo["syslog"] == "auth"
    assert sudo["sources"]["syslog"] == "/etc/sudoers.d/x:1"
    assert _hardening(make_root, {})["sudo_logging"] is None


def test_sysctl_override_order_and_globs(make_root):
    files = {"usr/lib/sysctl.d/50-default.conf": "net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.tcp_syncookies=1\n",
             "usr/lib/sysctl.d/60-net.conf": "net.ipv4.conf.all.accept_redirects = 1\n",
             "etc/sysctl.d/60-net.conf": "net/ipv4/conf/all/accept_redirects = 0\n",
             "etc/sysctl.d/10-early.conf": "; comment\nnet.ipv4.conf.default.rp_filter = 1\n",
             "etc/sysctl.conf": "# last\nnet.ipv4.tcp_syncookies = 0\n"}
    sc = _hardening(make_root, files)["sysctl"]
    # /etc/sysctl.conf is applied at boot only through a sysctl.d link (Debian's 99-sysctl.conf)
    assert sc["configured"]["net.ipv4.tcp_syncookies"]["value"] == "1"
    files["etc/sysctl.d/99-sysctl.conf"] = "# last\nnet.ipv4.tcp_syncookies = 0\n"
    sc = _hardening(make_root, files)["sysctl"]
    conf = sc["configured"]
    assert conf["net.ipv4.conf.all.accept_redirects"] == {"value": "0", "source": "/etc/sysctl.d/60-net.conf:1"}
    # 50-default's glob sorts after 10-early, but systemd-sysctl never lets a glob override an explicit key
    assert conf["net.ipv4.conf.default.rp_filter"] == {"value": "1", "source": "/etc/sysctl.d/10-early.conf:2"}
    assert conf["net.ipv4.conf.all.rp_filter"]["value"] == "2"
    assert conf["net.ipv4.tcp_syncookies"] == {"value": "0", "source": "/etc/sysctl.d/99-sysctl.conf:2"}
    assert "/usr/lib/sysctl.d/60-net.conf" not in sc["files"] and sc["live"] is None


# Planted: a lab script set accept_redirects explicitly early; the hardening file's glob comes later and is
# ignored for that key. Also a `-key` exclusion, an inline comment, and names mixing / and . separators.
SYSCTL_PLANT = {
    "etc/sysctl.d/10-lab.conf": "net.ipv4.conf.default.rp_filter = 1\nnet.ipv4.conf.all.accept_redirects = 1\n",
    "usr/lib/sysctl.d/50-default.conf": ("net.ipv4.conf.*.rp_filter = 2\nnet.ipv4.conf.*.accept_redirects = 0\n"
                                         "-net.ipv4.conf.all.rp_filter\nnet.ipv4.tcp_syncookies = 0 # off\n"
                                         "net/ipv4/conf/all.send_redirects = 1\n"
                                         "net.ipv4.conf.default/send_redirects=1\n"),
}
SYSCTL_PLANT_KEYS = ("net.ipv4.conf.default.rp_filter", "net.ipv4.conf.all.rp_filter",
                     "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
                     "net.ipv4.tcp_syncookies", "net.ipv4.conf.all.send_redirects")


def test_sysctl_globs_never_override_explicit_keys(make_root):
    conf = _hardening(make_root, SYSCTL_PLANT)["sysctl"]["configured"]
    assert conf["net.ipv4.conf.all.accept_redirects"] == {"value": "1", "source": "/etc/sysctl.d/10-lab.conf:2"}
    assert conf["net.ipv4.conf.default.accept_redirects"]["source"] == "/usr/lib/sysctl.d/50-default.conf:2"
    assert conf["net.ipv4.conf.default.rp_filter"]["value"] == "1"
    assert "net.ipv4.conf.all.rp_filter" not in conf  # excluded from the glob: the kernel's value
    assert conf["net.ipv4.tcp_syncookies"]["value"] == "0"  # the kernel reads "0 # off" as 0
    # `a/b.c` and `a.b/c` name a key whose part holds a dot (an interface such as eth0.100): not these
    assert "net.ipv4.conf.all.send_redirects" not in conf and "net.ipv4.conf.default.send_redirects" not in conf


def test_sysctl_plant_agrees_with_systemd_sysctl(tmp_path):
    """The same files applied by the real systemd-sysctl in a private user, network and mount namespace
    (network sysctls are per namespace: this machine's own are not touched)."""
    import shutil
    import subprocess

    import pytest

    tool = "/lib/systemd/systemd-sysctl"
    if not Path(tool).exists() or shutil.which("unshare") is None:
        pytest.skip("systemd-sysctl or unshare is not installed")
    for rel, text in SYSCTL_PLANT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    keys = " ".join(k.replace(".", "/") for k in SYSCTL_PLANT_KEYS)
    script = (f"mount --bind {tmp_path}/etc/sysctl.d /etc/sysctl.d && "
              f"mount --bind {tmp_path}/usr/lib/sysctl.d /usr/lib/sysctl.d && "
              "{ [ ! -d /run/sysctl.d ] || mount --bind /var/empty /run/sysctl.d 2>/dev/null || true; } && "
              f"{tool} --prefix=/net/ipv4 && for k in {keys}; do cat /proc/sys/$k; done")
    done = subprocess.run(["unshare", "-rnm", "sh", "-c", script], capture_output=True, text=True, timeout=30,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"namespaces not available here: {done.stderr.strip()[:200]}")
    real = dict(zip(SYSCTL_PLANT_KEYS, done.stdout.split(), strict=True))
    from secaudit.checks.hardening import KERNEL_DEFAULTS

    ours = _hardening_root(tmp_path)["sysctl"]["configured"]
    for key in SYSCTL_PLANT_KEYS:
        assert (ours[key]["value"] if key in ours else KERNEL_DEFAULTS[key]) == real[key], key


def _hardening_root(root: Path) -> dict:
    return facts_of(root, only={"hardening"}).table("hardening")


def test_sysctl_file_masked_by_a_dev_null_link(make_root):
    """`ln -s /dev/null /etc/sysctl.d/50-bad.conf` masks the vendor file: not read, and not "unreadable"."""
    import os
    import stat

    root = make_root({"usr/lib/sysctl.d/50-bad.conf": "net.ipv4.conf.all.accept_redirects = 1\n",
                      "etc/sysctl.d/60-net.conf": "net.ipv4.conf.all.accept_redirects = 0\n"})
    os.symlink("/dev/null", root / "etc/sysctl.d/50-bad.conf")
    snap = facts_of(root, only={"hardening"})
    assert snap.table("hardening")["sysctl"]["files"] == ["/etc/sysctl.d/60-net.conf"]
    assert "hardening.sysctl" not in snap.unknown
    (root / "dev").mkdir()
    try:  # a real character device at the root's /dev/null, as on a running system
        os.mknod(root / "dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        return  # not allowed to make device nodes here
    snap = facts_of(root, only={"hardening"})
    assert "hardening.sysctl" not in snap.unknown
    assert snap.table("hardening")["sysctl"]["configured"]["net.ipv4.conf.all.accept_redirects"]["value"] == "0"


def test_parse_sysctl_ignores_unrelated_and_malformed():
    out: dict = {}
    parse_sysctl("kernel.pid_max = 4194304\nnonsense\nnet.ipv4.ip_forward=1\n", "f", out)
    assert out == {"net.ipv4.ip_forward": {"value": "1", "source": "f:3"}}


def test_grub_password_pbkdf2_plain_and_rhel_user_cfg(make_root):
    cfg = ('### BEGIN /etc/grub.d/40_custom ###\nset superusers="quantri"\n'
           "password_pbkdf2 quantri grub.pbkdf2.sha512.10000.ABC.DEF\n")
    g = _hardening(make_root, {"boot/grub/grub.cfg": cfg})["grub"]
    assert g["password"] and not g["plain_text"] and g["source"] == "/boot/grub/grub.cfg:2; /boot/grub/grub.cfg:3"
    g = _hardening(make_root, {"boot/grub/grub.cfg": 'set superusers="a"\npassword a secret\n'})["grub"]
    assert g["password"] and g["plain_text"]
    rhel = ('if [ -f ${prefix}/user.cfg ]; then\n  source ${prefix}/user.cfg\n  if [ -n "${GRUB2_PASSWORD}" ]; then\n'
            '    set superusers="root"\n    export superusers\n    password_pbkdf2 root ${GRUB2_PASSWORD}\n  fi\nfi\n')
    g = _hardening(make_root, {"boot/grub2/grub.cfg": rhel})["grub"]
    assert not g["password"]
    g = _hardening(make_root, {"boot/grub2/grub.cfg": rhel,
                               "boot/grub2/user.cfg": "GRUB2_PASSWORD=grub.pbkdf2.sha512.10000.AA.BB\n"})["grub"]
    assert g["password"]
    g = _hardening(make_root, {"boot/grub/grub.cfg": "menuentry x {}\n",
                               "etc/grub.d/40_custom": 'set superusers="a"\npassword_pbkdf2 a grub.pbkdf2.x\n'})["grub"]
    assert not g["password"] and g["custom_files"] == ["/etc/grub.d/40_custom"]


def test_sysctl_file_order_agrees_with_systemd(tmp_path):
    """The files and their order as systemd-sysctl applies them (`systemd-analyze --root cat-config sysctl.d`)."""
    import shutil
    import subprocess

    import pytest

    from secaudit.config import AgentConfig
    from secaudit.facts.context import FactContext
    from secaudit.facts.linux.sysctl import sysctl_files
    from secaudit.facts.model import Snapshot
    from secaudit.transport.local import RootTransport

    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    for rel in ("usr/lib/sysctl.d/50-x.conf", "etc/sysctl.d/50-x.conf", "run/sysctl.d/10-y.conf",
                "usr/lib/sysctl.d/99-z.conf", "lib/sysctl.d/05-a.conf", "usr/local/lib/sysctl.d/60-b.conf",
                "etc/sysctl.d/README", "etc/sysctl.conf"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("net.ipv4.ip_forward = 0\n")
    done = subprocess.run([tool, f"--root={tmp_path}", "cat-config", "sysctl.d"], capture_output=True, text=True,
                          timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip(f"systemd-analyze cat-config failed: {done.stderr.strip()[:200]}")
    real = [line[2:].removeprefix(str(tmp_path)) for line in done.stdout.splitlines() if line.startswith("# /")]
    ctx = FactContext(RootTransport(str(tmp_path)), AgentConfig(), Snapshot(collected_at="", mode="root"), 0.0)
    ours = sysctl_files(ctx)
    # systemd folds /lib into /usr/lib on merged-/usr systems; compare names and their winning directory
    assert [p.rsplit("/", 1)[1] for p in ours] == [p.rsplit("/", 1)[1] for p in real]
    assert ours[[p.rsplit("/", 1)[1] for p in ours].index("50-x.conf")] == "/etc/sysctl.d/50-x.conf"
