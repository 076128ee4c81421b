from __future__ import annotations

import os

from tests.conftest import facts_of, run_check

PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
GROUP = "root:x:0:\nshadow:x:42:\nalice:x:1000:\n"


def _own(root, rel, uid, gid):
    if os.geteuid() == 0:
        os.chown(root / rel, uid, gid)


def test_sensitive_modes_pass(make_root):
    root = make_root({"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644),
                      "etc/shadow": ("root:*:1::::::\n", 0o640)})
    for rel in ("etc/passwd", "etc/group", "etc/shadow"):
        _own(root, rel, 0, 0)
    snap = facts_of(root, only={"file_modes"})
    res = run_check("files.sensitive_modes", snap)
    if os.geteuid() == 0:
        assert res.status == "pass", res.message
    else:  # files belong to the test user, which the image's passwd names differently
        assert res.status == "fail"


def test_world_readable_shadow_fails_and_names_the_file(make_root):
    root = make_root({"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644),
                      "etc/shadow": ("root:*:1::::::\n", 0o644)})
    snap = facts_of(root, only={"file_modes"})
    res = run_check("files.sensitive_modes", snap)
    assert res.status == "fail"
    paths = [f["path"] for f in res.evidence["files"]]
    assert "/etc/shadow" in paths
    assert "/etc/shadow" in res.message["en"] and "/etc/shadow" in res.message["vi"]


def test_owner_resolves_through_image_passwd(make_root):
    # uid 1000 in the image is "alice", whatever it is on the auditing machine
    root = make_root({"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644),
                      "etc/shadow": ("x", 0o600)})
    if os.geteuid() == 0:
        os.chown(root / "etc/shadow", 1000, 1000)
    snap = facts_of(root, only={"file_modes"})
    row = next(r for r in snap.table("file_modes") if r["path"] == "/etc/shadow")
    assert row["owner"] == ("alice" if os.geteuid() == 0 else PASSWD and row["owner"])


def _problems(res):
    return {f["path"]: f["problems"] for f in res.evidence.get("files", []) if "problems" in f}


def test_planted_modes_beyond_the_account_databases_are_found(make_root):
    root = make_root({
        "etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644), "etc/shadow": ("root:*:1::::::\n", 0o640),
        "etc/sudoers.d/90-lab": ("alice ALL=(ALL) ALL\n", 0o666),       # planted: anyone can make themselves root
        "etc/sudoers.d/README~": ("x\n", 0o666),                        # sudo never reads it: not judged
        "etc/sudoers.d/old.bak": ("x\n", 0o666),                        # nor this (a dot in the name)
        "etc/ssh/ssh_host_ed25519_key": ("k\n", 0o644),                # planted: host private key readable
        "etc/ssh/ssh_host_ed25519_key.pub": ("k\n", 0o644),
        "etc/ssh/sshd_config": ("Include /etc/ssh/sshd_config.d/*.conf\n", 0o644),
        "etc/ssh/sshd_config.d/50-x.conf": ("PermitRootLogin no\n", 0o666),  # planted
        "etc/crontab": ("", 0o644),
        "etc/cron.d/job": ("* * * * * root /opt/x\n", 0o646),           # planted
        "etc/cron.daily/backup": ("#!/bin/sh\n", 0o757),                # planted
        "usr/bin/ls": ("", 0o755), "usr/bin/passwd": ("", 0o4755),      # packaged set-uid: fine
        "usr/bin/helper": ("", 0o777),                                  # planted: writable program on PATH
        "usr/local/bin/rootsh": ("", 0o4755),                           # planted: set-uid in /usr/local
        "tmp/.sh": ("", 0o4755),                                        # planted: hidden set-uid copy in /tmp
        "tmp/notes.txt": ("", 0o666),                                   # an ordinary temp file
        "var/tmp/x": ("", 0o2755),                                      # planted: set-gid in /var/tmp
        "etc/shadow-": ("root:*:1::::::\n", 0o644),                    # planted: the backup readable by all
        "etc/pam.d/common-auth": ("auth required pam_unix.so\n", 0o666),  # planted: anyone edits the stack
        "etc/pam.d/sshd": ("@include common-auth\n", 0o644),
        "etc/security/opasswd": ("alice:1000:1:$6$x\n", 0o644),        # planted: old hashes readable
        "etc/security/pwquality.conf": ("minlen = 14\n", 0o644),
        "home/alice/.bash": ("", 0o4755),                               # planted: hidden set-uid shell copy
        "home/alice/notes.txt": ("", 0o644),
        "home/alice/sub/deep": ("", 0o4755),                            # deeper than the top: not listed
    })
    (root / "etc/sudoers.d").chmod(0o755)
    (root / "home/alice/shared").mkdir()
    (root / "home/alice/shared").chmod(0o2775)                        # a group-shared folder: no privilege
    (root / "etc/cron.daily").chmod(0o777)                             # planted: anyone adds a daily job
    snap = facts_of(root, only={"file_modes"})
    res = run_check("files.sensitive_modes", snap)
    assert res.status == "fail"
    bad = _problems(res)
    for path, problem in [("/etc/sudoers.d/90-lab", "mode 0666 > 0440"),
                          ("/etc/ssh/ssh_host_ed25519_key", "mode 0644 > 0600"),
                          ("/etc/ssh/sshd_config.d/50-x.conf", "mode 0666 > 0644"),
                          ("/etc/cron.d/job", "mode 0646 > 0644"), ("/etc/cron.daily", "mode 0777 > 0755"),
                          ("/etc/cron.daily/backup", "mode 0757 > 0755"), ("/usr/bin/helper", "mode 0777 > 6755"),
                          ("/usr/local/bin/rootsh", "mode 4755 > 0755"), ("/tmp/.sh", "mode 4755 > 1777"),
                          ("/var/tmp/x", "mode 2755 > 1777"), ("/home/alice/.bash", "mode 4755 > 1777"),
                          ("/etc/shadow-", "mode 0644 > 0640"), ("/etc/pam.d/common-auth", "mode 0666 > 0644"),
                          ("/etc/security/opasswd", "mode 0644 > 0600")]:
        assert problem in bad.get(path, []), (path, bad.get(path))
        assert path in res.message["en"] and path in res.message["vi"]
    for path in ("/etc/sudoers.d/README~", "/etc/sudoers.d/old.bak", "/etc/ssh/ssh_host_ed25519_key.pub",
                 "/tmp/notes.txt", "/home/alice/notes.txt", "/home/alice/sub/deep", "/home/alice/shared",
                 "/etc/pam.d/sshd", "/etc/security/pwquality.conf"):
        assert not any("mode" in p for p in bad.get(path, [])), path
    if os.geteuid() == 0:  # owners resolve to root only when the test can chown
        assert "/usr/bin/passwd" not in bad and "/usr/bin/ls" not in bad


def test_merged_usr_bin_is_recorded_once(make_root):
    root = make_root({"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644),
                      "etc/shadow": ("root:*:1::::::\n", 0o640), "usr/bin/ls": ("", 0o755)})
    (root / "bin").symlink_to("usr/bin")
    paths = [r["path"] for r in facts_of(root, only={"file_modes"}).table("file_modes")]
    assert "/usr/bin/ls" in paths and "/bin/ls" not in paths


def test_unlistable_sudoers_dir_does_not_block_a_verdict(make_root):
    root = make_root({"etc/passwd": (PASSWD, 0o644), "etc/group": (GROUP, 0o644),
                      "etc/shadow": ("root:*:1::::::\n", 0o644), "etc/sudoers.d/x": ("", 0o440)})
    snap = facts_of(root, only={"file_modes"})
    snap.unknown["file_modes:/etc/sudoers.d/"] = {"code": "permission_denied", "detail": "/etc/sudoers.d"}
    res = run_check("files.sensitive_modes", snap)
    assert res.status == "fail" and res.evidence["not_listed"] == ["/etc/sudoers.d"]
