"""Scheduled jobs as Debian's cron and run-parts run them (fixture roots), and hardening.cron_scripts:
planted jobs that run files others can change are named with their crontab line; files cron or run-parts
skip (a dot in the name, group/world-writable crontab, not executable) do not count."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from secaudit.facts.linux.cron import _crontab_lines, run_paths
from tests.conftest import facts_of, run_check

CRONTAB = ("SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n"
           "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n"
           "25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n")
CLEAN = {
    "etc/crontab": (CRONTAB, 0o644),
    "etc/cron.d/rotate": ("# rotate\nMAILTO=root\n@daily   root\t/usr/local/sbin/rotate-logs --quiet\n", 0o644),
    "usr/local/sbin/rotate-logs": ("#!/bin/sh\n", 0o775),  # group-writable by root's group only
    "etc/cron.daily/logrotate": ("#!/bin/sh\n", 0o755),
    "etc/cron.daily/README.txt": ("notes\n", 0o666),  # a dot: run-parts never runs it
    "etc/cron.weekly/old-job": ("#!/bin/sh\n", 0o646),  # not executable: not run
    "etc/cron.d/job.dpkg-old": ("* * * * * root /opt/truong/evil.sh\n", 0o644),  # a dot: cron skips it
    "etc/cron.d/loose": ("* * * * * root /opt/truong/evil.sh\n", 0o666),  # writable: cron refuses it
    "opt/truong/evil.sh": ("#!/bin/sh\n", 0o777),
}
PLANTED = {
    **CLEAN,
    "etc/cron.d/backup": ("# sao luu\n30 2 * * *  root   /bin/bash /opt/truong/backup.sh >/dev/null 2>&1\n", 0o644),
    "opt/truong/backup.sh": ("#!/bin/sh\n", 0o777),
    "etc/cron.daily/cleanup": ("#!/bin/sh\n", 0o757),
}


def _cron(make_root, files):
    return facts_of(make_root(files), only={"hardening"})


def test_crontab_lines_system_and_user_formats():
    text = "MAILTO=x\n# c\n@reboot root /a b\n*/5 1-3 * * mon-fri  www-data  /b %x%y\n  \n5 * * * *\n"
    assert _crontab_lines(text, True) == [(3, "root", "/a b"), (4, "www-data", "/b")]
    assert _crontab_lines("*/5 * * * * /home/gv01/bin/sync --all\n", False) == [(1, "", "/home/gv01/bin/sync --all")]


@pytest.mark.parametrize(("command", "paths"), [
    ("/bin/bash /opt/truong/backup.sh >/dev/null 2>&1", ["/bin/bash", "/opt/truong/backup.sh"]),
    ("test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }", []),
    ("rm -f /tmp/x.lock; touch /tmp/done >> /tmp/log", []),  # files removed, made, written: not run
    ("PATH=/x nice -n 19 ionice -c3 /usr/local/bin/job --conf /etc/job.conf", ["/usr/local/bin/job"]),
    ("flock -n /run/x.lock /opt/a.sh", ["/opt/a.sh"]),
    ("[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi",
     ["/usr/lib/php/sessionclean"]),
    ("/usr/bin/env python3 /srv/app/manage.py cleanup", ["/usr/bin/env", "/srv/app/manage.py"]),
])
def test_run_paths(command, paths):
    assert run_paths(command) == paths


def test_cron_files_read_and_skipped_as_cron_does(make_root):
    cron = _cron(make_root, CLEAN).table("hardening")["cron"]
    assert cron["files"] == ["/etc/crontab", "/etc/cron.d/rotate"]
    assert {i["path"] for i in cron["ignored"]} == {"/etc/cron.d/job.dpkg-old", "/etc/cron.d/loose"}
    runs = {j["source"]: j["runs"] for j in cron["jobs"]}
    assert runs["/etc/cron.daily/logrotate"] and not runs["/etc/cron.daily/README.txt"]
    assert not runs["/etc/cron.weekly/old-job"]


def test_clean_cron_passes(make_root):
    assert run_check("hardening.cron_scripts", _cron(make_root, CLEAN)).status == "pass"


def test_planted_world_writable_scripts_fail_with_their_line(make_root):
    result = run_check("hardening.cron_scripts", _cron(make_root, PLANTED))
    assert result.status == "fail"
    msg = result.message["en"]
    assert "/etc/cron.d/backup:2 [root]: /opt/truong/backup.sh 0777 o+w" in msg
    assert "/etc/cron.daily/cleanup [root]: /etc/cron.daily/cleanup 0757 o+w" in msg
    assert "evil.sh" not in msg and "README" not in msg
    assert "/etc/cron.d/backup:2" in result.message["vi"]


def test_user_crontab_and_world_writable_directory(make_root):
    files = {**CLEAN, "var/spool/cron/crontabs/gv01": ("*/5 * * * * /srv/chung/sync.sh\n", 0o600),
             "srv/chung/sync.sh": ("#!/bin/sh\n", 0o755)}
    root = make_root(files)
    (root / "srv/chung").chmod(0o777)
    result = run_check("hardening.cron_scripts", facts_of(root, only={"hardening"}))
    assert result.status == "fail"
    assert "/var/spool/cron/crontabs/gv01:1 [gv01]: /srv/chung/ 0777 o+w" in result.message["en"]
    (root / "srv/chung").chmod(0o1777)  # sticky: others cannot replace the file
    assert run_check("hardening.cron_scripts", facts_of(root, only={"hardening"})).status == "pass"


def test_job_running_a_missing_file_in_tmp(make_root):
    """Planted: a root job runs /tmp/dondep.sh, which does not exist: any user can create it in /tmp."""
    root = make_root({**CLEAN, "etc/cron.d/dondep": ("*/10 * * * * root sh /tmp/dondep.sh >> /tmp/dondep.log 2>&1\n",
                                                    0o644)})
    (root / "tmp").mkdir()
    (root / "tmp").chmod(0o1777)
    result = run_check("hardening.cron_scripts", facts_of(root, only={"hardening"}))
    assert result.status == "fail"
    assert "/etc/cron.d/dondep:1 [root]: /tmp/dondep.sh missing, /tmp/ 1777 o+w" in result.message["en"]
    assert "dondep.log" not in result.message["en"]  # written, not run


def test_unreadable_user_crontabs_are_unknown_not_pass(make_root):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every crontab")
    root = make_root({**CLEAN, "var/spool/cron/crontabs/gv01": ("* * * * * /x\n", 0o600)})
    (root / "var/spool/cron/crontabs").chmod(0o300)
    try:
        result = run_check("hardening.cron_scripts", facts_of(root, only={"hardening"}))
    finally:
        (root / "var/spool/cron/crontabs").chmod(0o755)
    assert result.status == "unknown" and "/var/spool/cron/crontabs" in result.message["en"]


def test_unreadable_user_crontab_check():
    from tests.conftest import snapshot

    snap = snapshot({"hardening": {"cron": {"jobs": [], "ignored": [], "files": ["/etc/crontab"],
                                            "unreadable": ["/var/spool/cron/crontabs: permission_denied"]}}})
    result = run_check("hardening.cron_scripts", snap)
    assert result.status == "unknown" and "permission_denied" in result.message["vi"]


def test_run_parts_names_agree_with_run_parts(tmp_path: Path):
    """Which files of a cron.daily directory run, as Debian's `run-parts --test` lists them."""
    tool = shutil.which("run-parts")
    if tool is None:
        pytest.skip("run-parts is not installed")
    from secaudit.facts.linux.cron import _NAME

    names = ["logrotate", "man-db", "backup.sh", "00_first", "README.txt", "x~", "a-b_c", "dpkg.dpkg-old", "Z9"]
    for name in names:
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    done = subprocess.run([tool, "--test", str(tmp_path)], capture_output=True, text=True, timeout=30, check=False)
    real = sorted(line.rsplit("/", 1)[1] for line in done.stdout.splitlines())
    assert sorted(n for n in names if _NAME.match(n)) == real
