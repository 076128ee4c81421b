"""The logging table on Windows: event log sizes and modes (Get-WinEvent -ListLog), Event Forwarding policy."""

from __future__ import annotations

from tests.conftest import run_check
from tests.unit.facts.windows.wintest import failed, ok, snapshot_of

ABSENT = failed("Cannot find path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\EventLog\\EventForwarding\\"
                "SubscriptionManager' because it does not exist.\r\n    + FullyQualifiedErrorId : "
                "PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand")


def logs(security: tuple[int, int], system: tuple[int, int] = (20971520, 0), enabled: bool = True) -> dict:
    return ok([{"LogName": "Security", "MaximumSizeInBytes": security[0], "LogMode": security[1],
                "IsEnabled": enabled, "RecordCount": 5, "FileSize": 69632},
               {"LogName": "System", "MaximumSizeInBytes": system[0], "LogMode": system[1], "IsEnabled": True,
                "RecordCount": 9, "FileSize": 69632}])


def snap(probes: dict) -> object:
    return snapshot_of(probes, only={"logging"})


def test_event_logs_and_forwarding() -> None:
    s = snap({"event_logs": logs((201326592, 1)), "event_forwarding": ok(
        {"1": "Server=http://wec.school:5985/wsman/SubscriptionManager/WEC,Refresh=60", "PSPath": "x"})})
    table = s.tables["logging"]
    assert table["event_logs"][0] == {"name": "Security", "max_size_bytes": 201326592, "mode": "autobackup",
                                      "enabled": True, "record_count": 5, "file_size": 69632}
    assert table["event_forwarding"] == ["Server=http://wec.school:5985/wsman/SubscriptionManager/WEC,Refresh=60"]
    res = run_check("logs.forwarding", s)
    assert res.status == "pass" and "wec.school" in res.message["vi"]


def test_absent_forwarding_key_is_none_and_a_failed_probe_unknown() -> None:
    s = snap({"event_logs": logs((20971520, 0)), "event_forwarding": ABSENT})
    assert s.tables["logging"]["event_forwarding"] == []
    assert run_check("logs.forwarding", s).key == "none_windows"
    s = snap({"event_logs": failed("Access is denied"), "event_forwarding": failed("Access is denied")})
    assert "event_logs" not in s.tables.get("logging", {})  # nothing read: the table itself is unknown
    assert s.unknown["logging.event_logs_probe"]["code"] == "command_failed" and "logging" in s.unknown
    for cid in ("logs.retention", "logs.disk_bounded", "logs.forwarding"):
        assert run_check(cid, s).status == "unknown", cid


def test_windows_retention_and_capacity() -> None:
    default = snap({"event_logs": logs((20971520, 0)), "event_forwarding": ABSENT})
    res = run_check("logs.retention", default)
    assert res.status == "fail" and "Security (20 MB, circular)" in res.message["en"]
    assert run_check("logs.disk_bounded", default).key == "fail_windows_small"
    big = snap({"event_logs": logs((201326592, 0), (33554432, 0)), "event_forwarding": ABSENT})
    assert run_check("logs.retention", big).key == "warn_windows_size"
    assert run_check("logs.disk_bounded", big).status == "pass"
    archived = snap({"event_logs": logs((201326592, 1), (33554432, 1)), "event_forwarding": ABSENT})
    assert run_check("logs.retention", archived).status == "pass"
    assert run_check("logs.disk_bounded", archived).key == "warn_windows_archive"
    retain = snap({"event_logs": logs((201326592, 2)), "event_forwarding": ABSENT})
    assert run_check("logs.disk_bounded", retain).key == "fail_windows_retain"
    off = snap({"event_logs": logs((201326592, 1), enabled=False), "event_forwarding": ABSENT})
    assert run_check("logs.retention", off).key == "fail_windows_off"
