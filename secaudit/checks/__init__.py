"""Checks: pure functions over a snapshot. No I/O here."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from secaudit.checks.base import REGISTRY, Check, Env, Outcome, check


@cache
def _modules() -> tuple[str, ...]:
    """The check modules: those with their metadata beside them (accounts.py + accounts.yaml), found by being
    there, with no list to keep."""
    here = Path(__file__).resolve().parent
    return tuple(f"{__name__}.{info.name}" for info in pkgutil.iter_modules([str(here)])
                 if not info.ispkg and (here / f"{info.name}.yaml").is_file())


def load_checks() -> dict[str, Check]:
    for module in _modules():
        importlib.import_module(module)
    return REGISTRY


__all__ = ["REGISTRY", "Check", "Env", "Outcome", "check", "load_checks"]
