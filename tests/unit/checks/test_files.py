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
