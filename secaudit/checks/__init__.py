"""Checks: pure functions over a snapshot. No I/O here."""

from __future__ import annotations

import importlib

from secaudit.checks.base import REGISTRY, Check, Env, Outcome, check

_MODULES = (
    "secaudit.checks.accounts",
    "secaudit.checks.ssh",
    "secaudit.checks.files",
    "secaudit.checks.antivirus",
    "secaudit.checks.ports",
    "secaudit.checks.inventory",
    "secaudit.checks.system",
    "secaudit.checks.backup",
    "secaudit.checks.network",
)


def load_checks() -> dict[str, Check]:
    for module in _MODULES:
        importlib.import_module(module)
    return REGISTRY


__all__ = ["REGISTRY", "Check", "Env", "Outcome", "check", "load_checks"]
