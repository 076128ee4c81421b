"""Recorded fixtures (replay): files, stats, denied paths and commands from one JSON recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.transport.base import NotFound, PermissionDenied
from secaudit.transport.replay import ReplayTransport, command_key


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
