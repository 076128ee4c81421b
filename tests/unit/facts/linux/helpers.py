"""Helpers the firewall, system and updates collector tests share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport, command_key
from tests.conftest import facts_of


def make_link(root: Path, rel: str, target: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def firewall_of(root: Path) -> dict[str, Any]:
    return dict(facts_of(root, only={"firewall"}).table("firewall"))


def system_of(root: Path) -> Snapshot:
    return facts_of(root, only={"system"})


def replay(files: dict[str, str], commands: dict[str, dict[str, Any]], only: set[str]) -> Snapshot:
    rec = {"schema": "secaudit.recording/v1", "files": files,
           "commands": {command_key(k.split()): v for k, v in commands.items()}}
    return collect(ReplayTransport(rec), AgentConfig(), only=only)
