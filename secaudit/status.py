"""The statuses and severities of the report contract, and how they rank."""

from __future__ import annotations

from typing import Literal

Status = Literal["pass", "warn", "fail", "unknown", "not_applicable", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "unknown", "not_applicable", "error")
# A requirement evidenced by an attestation (the school's own signed answer, `secaudit attest`) can be
# `attested`: never `pass` (no machine verified it), ranked between pass and warn. Findings never are.
ATTESTED = "attested"
REQUIREMENT_STATUSES: tuple[str, ...] = (*STATUSES, ATTESTED)
# Worst first: a requirement takes the worst status of its checks (and of its attestations).
RANK: dict[str, int] = {"fail": 6, "error": 5, "unknown": 4, "warn": 3, "attested": 2, "pass": 1, "not_applicable": 0}
SEVERITIES = ("critical", "high", "medium", "low", "info")


def worst(statuses: list[str]) -> str:
    return max(statuses, key=RANK.__getitem__) if statuses else "not_applicable"
