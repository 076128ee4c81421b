"""Every transport says the OS family it reaches (never a "linux" default): this machine from the running OS, a
mounted root and a remote host by probing, a recording from what it recorded; the snapshot records it and the
checks read it from there."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.facts import collect
from secaudit.facts.model import SCHEMA, Snapshot
from secaudit.transport.family import local_family, probe
from secaudit.transport.local import LocalTransport, RootTransport
from secaudit.transport.replay import ReplayTransport
from tests.conftest import write_tree
from tests.unit.transport.ssh.test_transport import Fake


def test_this_machine() -> None:
    assert LocalTransport().family == local_family()
    if sys.platform.startswith("linux"):
        assert local_family() == "linux"


@pytest.mark.parametrize("files, family", [
    ({"etc/passwd": "root:x:0:0::/root:/bin/bash\n"}, "linux"),
    ({"srv/data.txt": "x"}, "linux"),  # no system at all: read the POSIX way, its collectors say it is none
    ({"Windows/System32/config/SAM": "", "Users/Public/x": ""}, "windows"),
    ({"WINDOWS/system32/kernel32.dll": ""}, "windows"),
])
def test_a_mounted_root_is_probed(tmp_path: Path, files: dict[str, str], family: str) -> None:
    assert RootTransport(str(write_tree(tmp_path / "root", files))).family == family


def test_a_recording_says_its_family_or_is_probed(tmp_path: Path) -> None:
    assert ReplayTransport({"family": "windows", "files": {}}).family == "windows"
    assert ReplayTransport({"files": {"/etc/passwd": ""}}).family == "linux"
    assert ReplayTransport({"files": {"/Windows/System32/drivers/etc/hosts": ""}}).family == "windows"
    path = tmp_path / "rec.json"
    path.write_text(json.dumps({"schema": "secaudit.recording/v1", "family": "macos", "files": {}}))
    with pytest.raises(SecauditError) as info:
        ReplayTransport.load(path)
    assert info.value.en == "Invalid recording: field family must be one of linux, windows."


@pytest.mark.parametrize("commands, files, family", [
    ({"uname": (0, b"Linux\n", b"")}, {}, "linux"),
    ({"uname": (0, b"FreeBSD\n", b"")}, {}, "freebsd"),  # no collectors, no OS-specific checks
    ({"uname": (0, b"MINGW64_NT-10.0-19045\n", b"")}, {}, "windows"),
    ({}, {"/C:/Windows/System32": {}}, "windows"),  # Windows OpenSSH: no uname, the system folder over SFTP
    ({}, {}, "linux"),
])
def test_a_remote_host_is_probed(commands: dict[str, Any], files: dict[str, Any], family: str) -> None:
    fake = Fake(files, commands=commands)
    assert fake.family == family
    ran = len(fake.ran)
    assert fake.family == family and len(fake.ran) == ran  # probed once


def test_probe_without_commands() -> None:
    rec = ReplayTransport({"files": {}, "commands": {"uname -s": {"rc": 0, "stdout": "Darwin\n"}}})
    assert probe(rec) == "darwin" and probe(rec, commands=False) == "linux"


def test_the_snapshot_records_the_family(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "root", {"etc/passwd": "root:x:0:0::/root:/bin/bash\n"})
    snap = collect(RootTransport(str(root)), AgentConfig(), only={"accounts"})
    assert snap.family == "linux" and snap.to_dict()["family"] == "linux"
    assert list(snap.to_dict())[:4] == ["schema", "collected_at", "mode", "family"]
    again = Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    assert again.family == "linux" and again.os_family() == "linux" and "family" not in again.tables


def test_a_windows_image_gets_no_linux_collector(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "win", {"Windows/System32/config/SAM": "", "etc/passwd": "root:x:0:0::/:/bin/sh\n"})
    snap = collect(RootTransport(str(root)), AgentConfig())
    assert snap.family == "windows"  # Windows collectors, which read probes (or [[backup]] files): nothing guessed
    assert set(snap.tables) <= {"backups"} and snap.unknown["host"]["code"] == "not_applicable"


def test_older_snapshots_say_their_family_through_the_host_table() -> None:
    base = {"schema": SCHEMA, "collected_at": "2026-01-31T08:00:00Z", "mode": "replay"}
    assert Snapshot.from_dict({**base, "host": {"os": {"family": "linux"}}}).os_family() == "linux"
    assert Snapshot.from_dict(base).os_family() is None  # hand-written: says nothing
    assert Snapshot.from_dict({**base, "family": "windows", "host": {"os": {}}}).os_family() == "windows"
    with pytest.raises(SecauditError, match=r"differs from host\.os\.family"):
        Snapshot.from_dict({**base, "family": "windows", "host": {"os": {"family": "linux"}}})
