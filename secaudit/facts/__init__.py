"""Fact collectors turn what a transport reads into a typed snapshot. They never judge."""

from __future__ import annotations

from secaudit.facts.model import SCHEMA, Snapshot
from secaudit.facts.registry import collect, load_collectors

__all__ = ["SCHEMA", "Snapshot", "collect", "load_collectors"]
