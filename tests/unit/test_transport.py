from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secaudit.transport.base import NotApplicable, NotFound, PermissionDenied
from secaudit.transport.local import LocalTransport, RootTransport
from secaudit.transport.replay import ReplayTransport, command_key


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


def test_replay_transport(tmp_path: Path):
    rec = {
        "schema": "secaudit.recording/v1",
        "files": {"/etc/os-release": "ID=debian\n", "/etc/ssh/sshd_config": "Port 22\n"},
        "stats": {"/etc/shadow": {"mode": 0o100640, "uid": 0, "gid": 42}},
        "denied": ["/etc/gshadow"],
        "commands": {command_key(["ss", "-H", "-tulpn"]): {"rc": 0, "stdout": "tcp LISTEN\n"}},
    }
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(rec), encoding="utf-8")
    t = ReplayTransport.load(path)
    assert t.read_text("/etc/os-release") == "ID=debian\n"
    assert t.list_dir("/etc") == ["os-release", "shadow", "ssh"]
    assert t.stat("/etc/shadow").gid == 42 and t.stat("/etc").is_dir
    assert t.run(["ss", "-H", "-tulpn"]).stdout == "tcp LISTEN\n"
    with pytest.raises(PermissionDenied):
        t.read_text("/etc/gshadow")
    with pytest.raises(NotFound):
        t.run(["id"])


def test_replay_rejects_other_json(tmp_path: Path):
    from secaudit.errors import SecauditError

    path = tmp_path / "x.json"
    path.write_text("[1,2]", encoding="utf-8")
    with pytest.raises(SecauditError):
        ReplayTransport.load(path)
