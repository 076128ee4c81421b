"""Shared test helpers: build fixture roots, collect facts from them, run one check."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secaudit.checks.engine import Result, run_checks
from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.playbook import Playbook
from secaudit.transport.local import RootTransport

IN_CI = bool(os.environ.get("CI"))
# Fixture files get the modes a package would give them (0644, 0755), whatever the umask of the person
# running the tests (002 on Ubuntu): logrotate, sshd and others refuse group-writable files, and so do
# the facts that mirror them.
os.umask(0o022)


def need_tool(name: str) -> str:
    """Path of a required tool: in CI a missing tool fails the test, elsewhere it skips with the reason."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if IN_CI:
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)
    return path


def write_tree(root: Path, files: dict[str, str | bytes | tuple[str | bytes, int]]) -> Path:
    """Create files under `root`. A value may be (content, mode)."""
    for rel, value in files.items():
        content, mode = (value if isinstance(value, tuple) else (value, None))
        target = root / rel.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        if mode is not None:
            target.chmod(mode)
    return root


def overlay(files: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A fixture root's files with `overrides` applied: a value replaces the file, None removes it."""
    for path, value in (overrides or {}).items():
        if value is None:
            files.pop(path, None)
        else:
            files[path] = value
    return files


@pytest.fixture
def make_root(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(files: dict[str, Any]) -> Path:
        return write_tree(tmp_path / f"root{next(counter)}", files)

    return make


def facts_of(root: Path, config: AgentConfig | None = None, only: set[str] | None = None) -> Snapshot:
    return collect(RootTransport(str(root)), config or AgentConfig(), only=only)


def run_check(check_id: str, snap: Snapshot, config: AgentConfig | None = None,
              params: dict[str, Any] | None = None, role: str | None = None) -> Result:
    cfg = config or AgentConfig()
    if role:
        cfg.role = role
    book = Playbook(id="t", version="1", title={"vi": "t", "en": "t"}, path="-", sha256="",
                    params={check_id: params or {}})
    return run_checks(snap, [check_id], book, cfg)[check_id]


def snapshot(tables: dict[str, Any], unknown: dict[str, Any] | None = None, mode: str = "replay",
             collected_at: str = "2026-11-20T00:00:00Z") -> Snapshot:
    """A hand-written snapshot for checks that do not need a root (e.g. sockets)."""
    return Snapshot(collected_at=collected_at, mode=mode, tables=tables, unknown=unknown or {})


@pytest.fixture(params=["sqlite", "postgresql"])
def collector_db(request: pytest.FixtureRequest) -> str | None:
    """The collector's database, once each: None (SQLite in the collector's --data-dir) or the URL of a fresh
    database on a throwaway PostgreSQL cluster (tests/integration/pg.py; started once per run)."""
    from tests.integration import pg

    return pg.url_for(request.param)
