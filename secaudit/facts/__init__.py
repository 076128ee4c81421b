"""Fact collectors turn what a transport reads into a typed snapshot. They never judge."""

from __future__ import annotations

import importlib

from secaudit.facts.model import SCHEMA, Snapshot
from secaudit.facts.registry import collect

_FAMILIES = {
    "linux": (
        "secaudit.facts.linux.accounts",
        "secaudit.facts.linux.remote_login",
        "secaudit.facts.linux.file_modes",
        "secaudit.facts.linux.antivirus",
        "secaudit.facts.linux.ports",
        "secaudit.facts.linux.host",
        "secaudit.facts.linux.hardware",
        "secaudit.facts.linux.interfaces",
        "secaudit.facts.linux.software",
        "secaudit.facts.linux.firewall",
        "secaudit.facts.linux.system",
        "secaudit.facts.linux.backups",
    ),
}


def load_collectors(family: str) -> None:
    for module in _FAMILIES.get(family, ()):
        importlib.import_module(module)


__all__ = ["SCHEMA", "Snapshot", "collect", "load_collectors"]
