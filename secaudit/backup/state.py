"""What `secaudit backup verify` remembers between runs (rolling slices, last results), in
`<state_dir>/backup-state.json`. Writes are atomic (temporary file, fsync, rename) under a lock;
a corrupt file is set aside with a clear message and verification starts afresh."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from secaudit.agent.config import AgentConfig

SCHEMA = "secaudit.backup-state/v1"
FILENAME = "backup-state.json"


class StateCorrupt(Exception):
    """The state file exists but cannot be used; `str()` says why."""


class StateBusy(Exception):
    """Another `secaudit backup verify` holds the lock."""


def state_path(config: AgentConfig) -> Path:
    from secaudit.agent.state import state_dir

    return state_dir(config) / FILENAME


def empty() -> dict[str, Any]:
    return {"schema": SCHEMA, "sets": {}}


def parse(text: str, origin: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateCorrupt(f"{origin} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("sets"), dict):
        raise StateCorrupt(f"{origin} is not a {SCHEMA} file")
    for name, entry in data["sets"].items():
        if not isinstance(entry, dict):
            raise StateCorrupt(f"{origin}: the entry for set {name!r} is malformed")
    return data


def load(path: Path) -> tuple[dict[str, Any], str | None]:
    """(state, warning). A missing file is an empty state; a corrupt one is renamed aside and
    the warning says where it went."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty(), None
    except (OSError, UnicodeDecodeError) as exc:
        return empty(), f"cannot read {path} ({getattr(exc, 'strerror', None) or exc}); starting afresh"
    try:
        return parse(text, str(path)), None
    except StateCorrupt as exc:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        try:
            os.replace(path, aside)
            moved = f"; the damaged file was kept as {aside}"
        except OSError:
            moved = ""
        return empty(), f"{exc}: verification history starts afresh{moved}"


def save(path: Path, state: dict[str, Any]) -> None:
    from secaudit.fsutil import replace

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    replace(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode(), 0o600, exact=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One `backup verify` at a time per state directory."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / ".backup.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateBusy(str(path.parent / ".backup.lock")) from None
        yield


def set_entry(state: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = state["sets"].setdefault(name, {})
    return entry
