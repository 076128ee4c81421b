"""The statuses and severities of the report contract, and how they rank."""

from __future__ import annotations

from typing import Literal

Status = Literal["pass", "warn", "fail", "unknown", "not_applicable", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "unknown", "not_applicable", "error")
# Worst first: a requirement takes the worst status of its checks.
RANK: dict[str, int] = {"fail": 5, "error": 4, "unknown": 3, "warn": 2, "pass": 1, "not_applicable": 0}
SEVERITIES = ("critical", "high", "medium", "low", "info")


def worst(statuses: list[str]) -> str:
    return max(statuses, key=RANK.__getitem__) if statuses else "not_applicable"
