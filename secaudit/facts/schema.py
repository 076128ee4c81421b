"""The shape of a snapshot read from a file (`secaudit evaluate --facts`, a remote host's output): every
table and row is checked against the TypedDicts in facts/model.py (types, time and mode formats, the
columns marked Required that checks rely on) before a check sees it, so a malformed snapshot is one
sentence naming the file and the field, never a check that crashes on it."""

from __future__ import annotations

from typing import Any

from secaudit import shapes
from secaudit.facts import model as m

MODES = ("local", "root", "ssh", "replay")

TABLES: dict[str, Any] = {
    "host": m.HostTable,
    "users": list[m.UserRow],
    "groups": list[m.GroupRow],
    "sudo_rules": list[m.SudoRuleRow],
    "password_policy": m.PasswordPolicy,
    "pam": m.PamTable,
    "remote_login": m.RemoteLoginTable,
    "file_modes": list[m.FileModeRow],
    "antivirus": list[m.AntivirusRow],
    "listening_ports": list[m.PortRow],
    "firewall": m.FirewallTable,
    "system": m.SystemTable,
    "software": list[m.SoftwareRow],
    "interfaces": list[m.InterfaceRow],
    "hardware": m.HardwareTable,
    "backups": list[m.BackupRow],
    "devices": list[m.DeviceRow],
    "known_devices": list[m.KnownDeviceRow],
    "agent_reports": list[m.AgentReportRow],
    "network_scan": dict[str, Any],
}

_META: dict[str, Any] = {
    "collected_at": shapes.Time,
    "tool_version": str,
    "duration_ms": int,
    "unknown": dict[str, m.Unknown],
}


def problem(data: dict[str, Any]) -> shapes.Mismatch | None:
    """The first field of a snapshot dict (schema already checked) that is not of its documented shape."""
    for key, hint in _META.items():
        if key in data:
            found = shapes.check(data[key], hint, key)
            if found:
                return found
    if "mode" in data and data["mode"] not in MODES:
        return shapes.Mismatch("mode", f"phải là một trong {', '.join(MODES)}", f"must be one of {', '.join(MODES)}")
    for name, hint in TABLES.items():
        if name not in data:
            continue
        found = shapes.check(data[name], hint, name)
        if found:
            return found
    return None
