"""The persistent journal's files read by their headers (secaudit/facts/linux/journal_files.py): a real header,
damaged and truncated files, unreadable ones, and the device size behind journald's default cap."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.journal_files import parse_header
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of

MID = "3d1219c7c4c5404aaa1f6d2a48adfda4"
JDIR = f"var/log/journal/{MID}"
# The first 200 bytes of a journal file written by systemd-journal-remote 252 from three exported entries;
# `journalctl --header` of that file: "Head realtime timestamp: Tue 2023-11-14 22:13:20 UTC (60a24181e4000)",
# "Tail realtime timestamp: Thu 2023-11-16 22:13:20 UTC", "Entry objects: 3", "Header size: 264".
REAL_HEADER = bytes.fromhex(
    "4c504b5348485248000000001c00000000000000000000001912aa12d42c408ebf7fadb4af8055a23d1219c7c4c5404a"
    "aa1f6d2a48adfda40123456789abcdef0123456789abcdef1912aa12d42c408ebf7fadb4af8055a20801000000000000"
    "f8fe7f0000000000f81500000000000080e33800000000001801000000000000d014000000000000d8fd380000000000"
    "130000000000000003000000000000000300000000000000010000000000000038fc38000000000000401e18240a0600"
    "0000cd534c0a0600")


def header(n_entries: int, head_s: float, tail_s: float | None = None, signature: bytes = b"LPKSHHRH") -> bytes:
    """A journal header as journal-def.h lays it out (264 bytes, as systemd 252 writes)."""
    data = bytearray(264)
    data[:8] = signature
    struct.pack_into("<Q", data, 88, 264)  # header_size
    struct.pack_into("<Q", data, 152, n_entries)
    struct.pack_into("<QQ", data, 184, int(head_s * 1e6), int((tail_s or head_s) * 1e6))
    return bytes(data)


def journal_of(root: Path) -> dict[str, Any]:
    snap = facts_of(root, only={"logging"})
    return dict(snap.table("logging")["journald"]["on_disk"], _unknown=snap.unknown.get("logging.journal_files"))


def test_a_real_header() -> None:
    h = parse_header(REAL_HEADER)
    assert h == {"n_entries": 3, "head_realtime": 1700000000000000, "tail_realtime": 1700172800000000}
    assert parse_header(REAL_HEADER[:199]) is None and parse_header(b"XPKSHHRH" + REAL_HEADER[8:]) is None


def test_oldest_entry_total_size_and_what_was_skipped(make_root) -> None:
    root = make_root({
        "etc/machine-id": MID + "\n",
        f"{JDIR}/system.journal": REAL_HEADER + bytes(4096),  # oldest 2023-11-14T22:13:20Z
        f"{JDIR}/system@0005-0001.journal~": header(5, 1700100000),
        f"{JDIR}/user-1000.journal": header(0, 1600000000),  # no entry yet: its head is not an entry
        f"{JDIR}/system@bad.journal": header(9, 1500000000, signature=b"NOTAJRNL"),
        f"{JDIR}/system@short.journal": header(9, 1500000000)[:150],
        f"{JDIR}/notes.txt": header(9, 1400000000),
        "var/log/journal/0123456789abcdef0123456789abcdef/system.journal": header(9, 1300000000)})  # another id
    j = journal_of(root)
    assert j["dir"] == f"/{JDIR}" and j["oldest"] == "2023-11-14T22:13:20Z"
    assert j["files"] == 5 and j["bytes"] == (200 + 4096) + 264 * 3 + 150
    assert j["skipped"] == [f"/{JDIR}/system@bad.journal", f"/{JDIR}/system@short.journal",
                            f"/{JDIR}/user-1000.journal"]
    assert j["unreadable"] == [] and j["_unknown"] is None and j["header_bytes"] == 200
    assert j["fs_bytes"] is None  # a mounted root has no /sys of its own here


def test_machine_id_unknown_uses_the_only_journal_directory(make_root) -> None:
    j = journal_of(make_root({f"{JDIR}/system.journal": header(1, 1700000000)}))
    assert j["oldest"] == "2023-11-14T22:13:20Z"
    empty = journal_of(make_root({"var/log/journal/.keep": ""}))
    assert empty["dir"] is None and empty["oldest"] is None and empty["bytes"] is None
    assert journal_of(make_root({"etc/machine-id": MID + "\n"}))["_unknown"] is None  # no journal dir: volatile


def test_device_size_from_sys(make_root) -> None:
    root = make_root({"etc/machine-id": MID + "\n", f"{JDIR}/system.journal": header(1, 1700000000)})
    dev = os.stat(root / JDIR).st_dev
    sysfile = root / f"sys/dev/block/{os.major(dev)}:{os.minor(dev)}/size"
    sysfile.parent.mkdir(parents=True)
    sysfile.write_text("2097152\n")  # 512-byte sectors: 1 GiB
    assert journal_of(root)["fs_bytes"] == 1 << 30


def test_unreadable_files_and_directories_are_unknown_never_raise() -> None:
    files = {"/etc/machine-id": MID + "\n", f"/{JDIR}/system.journal": "LPKSHHRH",
             f"/{JDIR}/system@old.journal": "LPKSHHRH"}
    rec = {"schema": "secaudit.recording/v1", "files": files, "denied": [f"/{JDIR}/system@old.journal"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging"})
    j = snap.table("logging")["journald"]["on_disk"]
    assert j["oldest"] is None and j["unreadable"] == [f"/{JDIR}/system@old.journal"]
    assert snap.unknown["logging.journal_files"]["code"] == "permission_denied"
    rec = {"schema": "secaudit.recording/v1", "files": files, "denied": [f"/{JDIR}"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging"})
    assert snap.table("logging")["journald"]["on_disk"]["oldest"] is None
    assert snap.unknown["logging.journal_files"]["code"] == "permission_denied"
