"""Per-file verification records of a `files` set (what was verified when, with what result), kept
beside the state file in `backup-files/<hash of the set name>.json`: a set of 200,000 files would
make the state file itself too large for the audit to read. One compact row per file:
`[size, mtime, verified_at, decoded, format, problems]`, paths relative to the set's directory.
A damaged or oversized index only costs re-verification: it is ignored with a warning."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secaudit.limits import MiB

SCHEMA = "secaudit.backup-files/v1"
DIRNAME = "backup-files"
CAP = 256 * MiB  # about a million files; larger sets are listed only up to walk.VERIFY_WALK anyway


@dataclass(slots=True)
class FileRecord:
    size: int
    mtime: int
    verified_at: int
    decoded: bool = False
    format: str | None = None
    problems: list[dict[str, str]] = field(default_factory=list)

    def valid_for(self, size: int, mtime: int) -> bool:
        """Still about this file: same size and modification time as when it was verified."""
        return self.size == size and self.mtime == mtime

    def row(self) -> list[Any]:
        out: list[Any] = [self.size, self.mtime, self.verified_at, int(self.decoded), self.format]
        if self.problems:
            out.append(self.problems)
        return out


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def from_row(row: Any) -> FileRecord | None:
    if not isinstance(row, list) or len(row) not in (5, 6):
        return None
    size, mtime, at, decoded, fmt = row[:5]
    if not (_int(size) and _int(mtime) and _int(at) and decoded in (0, 1) and (fmt is None or isinstance(fmt, str))):
        return None
    problems = row[5] if len(row) == 6 else []
    if not isinstance(problems, list) or not all(
            isinstance(p, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in p.items())
            and isinstance(p.get("file"), str) and isinstance(p.get("problem"), str) for p in problems):
        return None
    return FileRecord(size, mtime, at, bool(decoded), fmt, problems)


def from_legacy(value: Any) -> FileRecord | None:
    """A record of the older in-state format ({"size", "mtime", "verified_at", ...})."""
    if not isinstance(value, dict):
        return None
    problems = value.get("problems") or []
    return from_row([value.get("size"), value.get("mtime"), value.get("verified_at"),
                     int(bool(value.get("decoded"))), value.get("format"), problems])


def index_path(state_file: Path, set_name: str) -> Path:
    """The index of one set: the name is hashed, so a set name never becomes a path."""
    digest = hashlib.sha256(set_name.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return state_file.parent / DIRNAME / f"{digest}.json"


def load(state_file: Path, set_name: str, set_path: str) -> tuple[dict[str, FileRecord], str | None]:
    """(records by absolute path, warning). Missing: empty. Damaged, too large, or about another
    definition of the set: empty, and a warning unless it merely belongs to an older definition."""
    from secaudit.fsutil import NotRegularFile, TooLarge, read_capped

    path = index_path(state_file, set_name)
    try:
        raw = read_capped(path, CAP)
    except FileNotFoundError:
        return {}, None
    except NotRegularFile:
        return {}, f"{path} is not a regular file: the per-file verification history starts afresh"
    except TooLarge:
        return {}, f"{path} is larger than {CAP >> 20} MiB: the per-file verification history starts afresh"
    except OSError as exc:
        return {}, f"cannot read {path} ({exc.strerror or exc}): the per-file verification history starts afresh"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("files"), dict) \
            or not isinstance(data.get("base"), str):
        return {}, f"{path} is damaged: the per-file verification history starts afresh"
    if data.get("set") != set_name or data.get("path") != set_path:
        return {}, None  # the set was redefined: these results are about something else
    base = data["base"].rstrip("/")
    records: dict[str, FileRecord] = {}
    for key, row in data["files"].items():
        rec = from_row(row)
        if rec is not None:
            records[key if key.startswith("/") or not base else f"{base}/{key}"] = rec
    return records, None


def save(state_file: Path, set_name: str, set_path: str, base: str, records: dict[str, FileRecord]) -> None:
    from secaudit.fsutil import replace

    prefix = base.rstrip("/") + "/" if base.startswith("/") else ""
    rows = {(k[len(prefix):] if prefix and k.startswith(prefix) else k): r.row() for k, r in records.items()}
    body = {"schema": SCHEMA, "set": set_name, "path": set_path, "base": prefix.rstrip("/"), "files": rows}
    path = index_path(state_file, set_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # ASCII escapes: a file name that is not UTF-8 (a lone surrogate here) round-trips intact.
    replace(path, json.dumps(body, separators=(",", ":")).encode("ascii"), 0o600, exact=True)


def prune(state_file: Path, keep: set[str]) -> None:
    """Remove the indexes of sets no longer configured."""
    directory = state_file.parent / DIRNAME
    wanted = {index_path(state_file, name).name for name in keep}
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.endswith(".json") and name not in wanted:
            with contextlib.suppress(OSError):
                (directory / name).unlink()
