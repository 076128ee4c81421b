"""The local machine and a mounted root (--root)."""

from __future__ import annotations

import os

import pytest

from secaudit.transport.base import NotApplicable, NotFound, PermissionDenied
from secaudit.transport.local import LocalTransport, RootTransport


def test_root_transport_keeps_absolute_symlinks_inside_the_root(make_root):
    root = make_root({"etc/real.conf": "inside\n", "usr/share/zoneinfo/Asia/Ho_Chi_Minh": "TZ"})
    (root / "etc/link.conf").symlink_to("/etc/real.conf")
    (root / "etc/localtime").symlink_to("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    (root / "etc/escape").symlink_to("../../../../../../etc/hostname")
    t = RootTransport(str(root))
    assert t.read_text("/etc/link.conf") == "inside\n"
    assert t.read_text("/etc/localtime") == "TZ"
    with pytest.raises(NotFound):  # `..` cannot climb out of the image
        t.read_text("/etc/escape")
    assert t.list_dir("/etc") == ["escape", "link.conf", "localtime", "real.conf"]


def test_root_transport_never_runs_commands(make_root):
    t = RootTransport(str(make_root({"etc/x": ""})))
    with pytest.raises(NotApplicable):
        t.run(["id"])
    assert t.live is False and t.mode == "root"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything; covered by the unprivileged CLI test")
def test_permission_denied_is_reported(make_root):
    root = make_root({"etc/shadow": ("x", 0o000)})
    with pytest.raises(PermissionDenied):
        RootTransport(str(root)).read_text("/etc/shadow")


def test_local_run_and_missing_command():
    t = LocalTransport()
    res = t.run(["sh", "-c", "echo $LC_ALL"])
    assert res.rc == 0 and res.stdout.strip() == "C"
    with pytest.raises(NotFound):
        t.run(["no-such-command-xyz"])
