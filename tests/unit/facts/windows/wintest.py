"""Building Windows recordings in tests: probe results shaped as collect.ps1 records them, a replay context."""

from __future__ import annotations

from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.context import FactContext
from secaudit.facts.model import Snapshot
from secaudit.timefmt import parse_rfc3339
from secaudit.transport.replay import ReplayTransport
from tests.unit.facts.windows.psjson import EMPTY, convert_to_json

AT = "2026-11-22T08:00:00Z"


def ok(value: Any) -> dict[str, Any]:
    """A probe that printed `value` through ConvertTo-Json (a list: several objects; EMPTY: nothing)."""
    return {"rc": 0, "stdout": convert_to_json(value), "stderr": ""}


def out(text: str) -> dict[str, Any]:
    """A classic command's text output."""
    return {"rc": 0, "stdout": text, "stderr": ""}


def failed(message: str) -> dict[str, Any]:
    return {"rc": 1, "stdout": "", "stderr": message + "\r\n"}


def recording(probes: dict[str, Any], at: str = AT, **extra: Any) -> dict[str, Any]:
    return {"schema": "secaudit.recording/v1", "family": "windows", "collected_at": at, "probes": probes, **extra}


def context(probes: dict[str, Any], at: str = AT, config: AgentConfig | None = None) -> FactContext:
    snap = Snapshot(collected_at=at, mode="replay", family="windows")
    return FactContext(ReplayTransport(recording(probes, at)), config or AgentConfig(), snap,
                       parse_rfc3339(at).timestamp())


def snapshot_of(probes: dict[str, Any], at: str = AT, config: AgentConfig | None = None,
                only: set[str] | None = None) -> Snapshot:
    return collect(ReplayTransport(recording(probes, at)), config or AgentConfig(), only=only)


__all__ = ["AT", "EMPTY", "context", "failed", "ok", "out", "recording", "snapshot_of"]
