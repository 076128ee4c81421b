"""The time zone, one reader for the host table (its name) and for local times in logs (its offsets)."""

from __future__ import annotations

import struct
from pathlib import Path

from secaudit.facts.linux.sources.timezone import tzif_rule
from tests.unit.facts.linux.sources.counting import collect_counting


def _tzif(offset: int, abbr: str) -> bytes:
    """A minimal TZif2 file for a fixed UTC offset, ending with its POSIX rule."""
    name = abbr.encode() + b"\0"
    head = b"TZif2" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, len(name))
    body = struct.pack(">lBB", offset, 0, 0) + name
    return head + body + head + body + b"\n<" + abbr.encode() + b">" + str(-offset // 3600).encode() + b"\n"


HISTORY = ("Start-Date: 2026-11-18  06:25:01\nCommandline: /usr/bin/unattended-upgrade\n"
           "Upgrade: bash:amd64 (5.2.15-2, 5.2.15-2+b7)\nEnd-Date: 2026-11-18  06:25:09\n")
SCAN = "----------- SCAN SUMMARY -----------\nStart Date: 2026:11:18 06:00:00\nEnd Date:   2026:11:18 06:30:00\n"


def test_one_read_of_localtime_for_every_collector(make_root) -> None:
    root = make_root({"etc/localtime": _tzif(7 * 3600, "+07"), "var/log/apt/history.log": HISTORY,
                      "usr/bin/clamscan": "", "var/log/clamav/scan.log": SCAN, "etc/hostname": "pc01\n"})
    snap, reads = collect_counting(root, only={"host", "system", "antivirus"})
    assert reads["/etc/localtime"] == 1
    assert snap.table("host")["timezone"] == "<+07>-7"  # no name anywhere: the file's POSIX rule
    assert snap.table("host")["sources"]["timezone"] == "/etc/localtime (POSIX TZ rule)"
    assert snap.table("system")["last_update_time"] == "2026-11-17T23:25:09Z"
    clam = next(r for r in snap.table("antivirus") if r["id"] == "clamav")
    assert clam["last_scan_time"] == "2026-11-17T23:30:00Z"
    assert "/etc/localtime" in clam["last_scan_source"]


def test_a_configured_name_wins_for_the_host_and_zones_logs_when_localtime_is_unusable(make_root) -> None:
    root = make_root({"etc/timezone": "Asia/Ho_Chi_Minh\n", "etc/localtime": b"TZif2 damaged",
                      "var/log/apt/history.log": HISTORY, "etc/hostname": "pc01\n"})
    snap, _ = collect_counting(root, only={"host", "system"})
    assert snap.table("host")["timezone"] == "Asia/Ho_Chi_Minh"
    assert snap.table("host")["sources"]["timezone"] == "/etc/timezone"
    assert snap.table("system")["last_update_time"] == "2026-11-17T23:25:09Z"


def test_tzif_rule_of_a_real_zone_file() -> None:
    data = Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    if data.exists():
        assert tzif_rule(data.read_bytes()) == "<+07>-7"
    assert tzif_rule(b"TZif2" + b"\0" * 40 + b"\nICT-7\n") == "ICT-7"
    assert tzif_rule(b"not a zone file\n") is None
