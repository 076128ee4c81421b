"""The `logging` table on Windows: the Application, System and Security event logs (size, what happens when
full) and Windows Event Forwarding's subscription managers set by policy, from collect.ps1's probes."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_bool, as_int, rows
from secaudit.facts.windows.remote_login import optional_key

FORWARDING_KEY = r"HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager"
MODES = {0: "circular", 1: "autobackup", 2: "retain"}
_MODE_NAMES = {"circular": "circular", "autobackup": "autobackup", "retain": "retain"}


def _mode(value: Any) -> str | None:
    n = as_int(value)
    if n is not None:
        return MODES.get(n)
    return _MODE_NAMES.get(str(value).lower()) if isinstance(value, str) else None


def _event_logs(ctx: FactContext) -> list[dict[str, Any]] | None:
    found = rows(ctx, "event_logs", "logging.event_logs_probe")
    if found is None:
        return None
    return [{"name": str(r.get("LogName")), "max_size_bytes": as_int(r.get("MaximumSizeInBytes")),
             "mode": _mode(r.get("LogMode")), "enabled": as_bool(r.get("IsEnabled")),
             "record_count": as_int(r.get("RecordCount")), "file_size": as_int(r.get("FileSize"))}
            for r in found if r.get("LogName")]


def _forwarding(ctx: FactContext) -> list[str] | None:
    key = optional_key(ctx, "event_forwarding", "logging.event_forwarding_probe")
    if key is None:
        return None
    if not isinstance(key, dict):
        return []
    return [str(v) for k, v in sorted(key.items()) if not str(k).startswith("PS") and isinstance(v, str) and v]


@collector("logging", ("logging",))
def collect_logging(ctx: FactContext) -> None:
    logs = _event_logs(ctx)
    forwarding = _forwarding(ctx)
    if logs is None and forwarding is None:
        # no probe ran (e.g. a mounted Windows disk): both parts are unknown, nothing is guessed
        ctx.unknown("logging", "not_found", "neither the event log list nor the Event Forwarding policy could be read")
        return
    table: dict[str, Any] = {"sources": ["Get-WinEvent -ListLog Application,System,Security", FORWARDING_KEY]}
    if logs is not None:
        table["event_logs"] = logs
    if forwarding is not None:
        table["event_forwarding"] = forwarding
    ctx.put("logging", table)
