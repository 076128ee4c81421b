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
from typing import Any, Required, TypedDict

from secaudit.config import AgentConfig

SCHEMA = "secaudit.backup-state/v1"
FILENAME = "backup-state.json"


class StateCorrupt(Exception):
    """The state file exists but cannot be used; `str()` says why."""


class StateBusy(Exception):
    """Another `secaudit backup verify` holds the lock."""


def state_path(config: AgentConfig) -> Path:
    from secaudit.state import state_dir

    return state_dir(config) / FILENAME


def empty() -> dict[str, Any]:
    return {"schema": SCHEMA, "sets": {}}


class ProblemEntry(TypedDict, total=False):
    file: Required[str]
    problem: Required[str]
    detail: Required[str]


class FileRecord(TypedDict, total=False):
    verified_at: int
    problems: list[ProblemEntry]
    decoded: bool


class RepoState(TypedDict, total=False):
    next: int
    slices: int
    cycle_started: int | None
    slice_errors: dict[str, list[ProblemEntry]]
    errors: list[ProblemEntry]
    cycle_errors: list[ProblemEntry]
    last_cycle_errors: list[ProblemEntry]


class LastRun(TypedDict, total=False):
    at: int
    bytes_verified: int
    bytes_total: int | None
    bytes_covered: int | None
    method: str
    notes: list[str]
    config_error: dict[str, str] | None


class DrillState(TypedDict, total=False):
    at: int | None
    copy: str
    method: str
    files_restored: int
    files_compared: int
    skipped_changed: int
    mismatches: list[dict[str, Any]]
    error: dict[str, str] | None


class OffsiteState(TypedDict, total=False):
    location: str
    checked_at: int | None
    reachable: bool | None
    newest_time: int | None
    newest_path: str | None
    count: int
    missing: list[str]
    error: dict[str, str] | None


class SetState(TypedDict, total=False):
    """What is kept per backup set, as far as it is read back (undeclared fields are kept, unchecked)."""

    kind: str
    path: str
    last_run: LastRun
    errors: list[ProblemEntry]
    errors_count: int
    drill: DrillState | None
    offsite: OffsiteState | None
    fully_verified_at: int | None
    throughput: int
    files: dict[str, FileRecord]
    restic: RepoState
    borg: RepoState


def parse(text: str, origin: str) -> dict[str, Any]:
    """The state with its shape checked before use: a value of the wrong type would otherwise stop
    verification midway (int("x")) or end up in a report as a fact."""
    from secaudit import inputs, limits, shapes

    try:
        data = json.loads(text)
        deep = inputs.too_deep(data)
    except RecursionError:
        deep = True
    except ValueError as exc:
        raise StateCorrupt(f"{origin} is not valid JSON ({exc})") from None
    if deep:
        raise StateCorrupt(f"{origin} is nested more than {limits.NESTING} levels deep")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("sets"), dict):
        raise StateCorrupt(f"{origin} is not a {SCHEMA} file")
    for name, entry in data["sets"].items():
        if not isinstance(entry, dict):
            raise StateCorrupt(f"{origin}: the entry for set {name!r} is malformed")
        found = shapes.check(entry, SetState)
        if found is not None:
            raise StateCorrupt(f"{origin}: the entry for set {name!r} is malformed ({found.field}: {found.en})")
    return data


def load(path: Path) -> tuple[dict[str, Any], str | None]:
    """(state, warning). A missing file is an empty state. One that cannot be used (corrupt, not a
    regular file, over the cap, unreadable) is renamed aside, never written over, and the warning says
    where it went; when it cannot even be moved, verification stops (OSError) and leaves it in place."""
    from secaudit import limits
    from secaudit.fsutil import NotRegularFile, TooLarge, read_capped

    try:
        return parse(read_capped(path, limits.STATE_FILE).decode("utf-8"), str(path)), None
    except FileNotFoundError:
        return empty(), None
    except NotRegularFile:
        why = f"{path} is not a regular file"
    except TooLarge:
        why = f"{path} is larger than {limits.mib(limits.STATE_FILE)}"
    except UnicodeDecodeError:
        why = f"{path} is not UTF-8 text"
    except OSError as exc:
        why = f"cannot read {path} ({exc.strerror or exc})"
    except StateCorrupt as exc:
        why = str(exc)
    aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise OSError(exc.errno, f"{why}; it could not be set aside ({exc.strerror}) and was left untouched",
                      str(path)) from None
    return empty(), f"{why}: verification history starts afresh; the damaged file was kept as {aside}"


def save(path: Path, state: dict[str, Any]) -> None:
    from secaudit.fsutil import replace

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    replace(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode(), 0o600, exact=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One `backup verify` at a time per state directory."""
    from secaudit.fsutil import Busy, lock

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.parent / ".backup.lock", "a+") as held:
        try:
            lock(held, wait=False)
        except Busy:
            raise StateBusy(str(path.parent / ".backup.lock")) from None
        yield


def set_entry(state: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = state["sets"].setdefault(name, {})
    return entry
