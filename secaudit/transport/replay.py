"""Recorded outputs replayed as a system: files, stats and command outputs from a JSON recording.

Recording format (``secaudit.recording/v1``)::

    {"schema": "secaudit.recording/v1",
     "family":   "linux",                       (optional: else probed from the files)
     "files":    {"/etc/passwd": "root:x:0:0::/root:/bin/bash\\n", ...},
     "stats":    {"/etc/shadow": {"mode": 33184, "uid": 0, "gid": 42}},
     "denied":   ["/etc/gshadow"],
     "commands": {"uname -s": {"rc": 0, "stdout": "Linux\\n", "stderr": ""}},
     "collected_at": "2026-11-22T08:00:00Z",     (optional: ages are counted from it)
     "probes":   {"defender_status": {"rc": 0, "stdout": "{...}", "stderr": ""}}}   (Windows)

Directories are derived from file paths. A command or probe that was not recorded is "not found".
A Windows recording (../shared/reference/windows-probes.md) holds `family`, `collected_at` and `probes`.
"""

from __future__ import annotations

import posixpath
import shlex
import stat as stat_mod
from pathlib import Path
from typing import Any

from secaudit import inputs, limits
from secaudit.errors import SecauditError
from secaudit.timefmt import parse_rfc3339_or_none
from secaudit.transport.base import CommandResult, NotFound, NotRegular, PermissionDenied, StatResult, TooLarge
from secaudit.transport.family import FAMILIES, probe

SCHEMA = "secaudit.recording/v1"


def command_key(argv: list[str]) -> str:
    return shlex.join(argv)


_SECTIONS: dict[str, tuple[type, type | None]] = {
    "files": (dict, str), "stats": (dict, dict), "denied": (list, str), "commands": (dict, dict),
    "probes": (dict, dict)}
_STAT_FIELDS = ("mode", "uid", "gid", "size", "mtime")


def _validate(recording: dict[str, Any]) -> None:
    """Shapes before use: a recording is foreign input (a hostile one gets a sentence, not a traceback)."""
    def bad(field: str, want: str) -> SecauditError:
        return SecauditError(f"Bản ghi không hợp lệ: trường {field} phải là {want}.",
                             f"Invalid recording: field {field} must be {want}.")

    if "family" in recording and recording["family"] not in FAMILIES:
        raise bad("family", "one of " + ", ".join(FAMILIES))
    if "collected_at" in recording and parse_rfc3339_or_none(recording["collected_at"]) is None:
        raise bad("collected_at", "a time such as 2026-11-22T08:00:00Z")
    for section, (outer, inner) in _SECTIONS.items():
        value = recording.get(section, outer())
        if not isinstance(value, outer):
            raise bad(section, outer.__name__)
        pairs: list[tuple[Any, Any]] = list(value.items() if isinstance(value, dict) else enumerate(value)
                                            if isinstance(value, list) else [])
        for key, item in pairs:
            if not isinstance(key, str | int) or (inner is not None and not isinstance(item, inner)):
                raise bad(f"{section}[{key!r:.60}]", inner.__name__ if inner else "?")
            if section == "stats":
                for name in _STAT_FIELDS:
                    if name in item and (type(item[name]) is not int or item[name] < 0):
                        raise bad(f"stats[{key!r:.60}].{name}", "a non-negative integer")
            if section in ("commands", "probes"):
                if type(item.get("rc", 0)) is not int:
                    raise bad(f"commands[{key!r:.60}].rc", "an integer")
                for name in ("stdout", "stderr"):
                    if not isinstance(item.get(name, ""), str):
                        raise bad(f"commands[{key!r:.60}].{name}", "a string")


class ReplayTransport:
    mode = "replay"

    def __init__(self, recording: dict[str, Any], live: bool = True) -> None:
        _validate(recording)
        self.files: dict[str, str] = dict(recording.get("files", {}))
        self.stats: dict[str, dict[str, int]] = dict(recording.get("stats", {}))
        self.denied: set[str] = set(recording.get("denied", []))
        self.commands: dict[str, dict[str, Any]] = dict(recording.get("commands", {}))
        self.probes: dict[str, dict[str, Any]] = dict(recording.get("probes", {}))
        self.recorded_at: str | None = recording.get("collected_at")
        self.live = bool(recording.get("live", live))
        family = recording.get("family")
        self._family: str | None = family if isinstance(family, str) and family in FAMILIES else None
        dirs: set[str] = {"/"}
        for path in [*self.files, *self.stats]:
            parent = posixpath.dirname(path)
            while parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        self.dirs = dirs

    @classmethod
    def load(cls, path: str | Path) -> ReplayTransport:
        try:
            data = inputs.load_json(path, limits.RECORDING, "recording")
        except FileNotFoundError:
            raise inputs.missing(SecauditError, "recording", path) from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise SecauditError(
                f"{path} không phải bản ghi {SCHEMA}.", f"{path} is not a {SCHEMA} recording."
            )
        return cls(data)

    @property
    def family(self) -> str:
        """The OS family the recording says (`"family": "windows"`), else what the recorded files show."""
        if self._family is None:
            self._family = probe(self)
        return self._family

    def _check(self, path: str) -> None:
        if path in self.denied:
            raise PermissionDenied(path)

    def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
        if not self.stat(path).is_file:  # a recorded device, FIFO or directory is never "read"
            raise NotRegular(path)
        if path not in self.files:
            raise NotFound(path)
        data = self.files[path].encode("utf-8")
        if limit is not None:
            return data[:limit]
        cap = limits.CONFIG_FILE if cap is None else cap
        if len(data) > cap:
            raise TooLarge(f"{path} ({limits.mib(len(data))} > {limits.mib(cap)})")
        return data

    def read_text(self, path: str, cap: int | None = None) -> str:
        return self.read_bytes(path, cap=cap).decode("utf-8")

    def stat(self, path: str) -> StatResult:
        self._check(path)
        rec = self.stats.get(path)
        is_dir = path in self.dirs and path not in self.files
        if rec is None and path not in self.files and not is_dir:
            raise NotFound(path)
        rec = rec or {}
        default_mode = (stat_mod.S_IFDIR | 0o755) if is_dir else (stat_mod.S_IFREG | 0o644)
        mode = int(rec.get("mode", default_mode))
        if stat_mod.S_IFMT(mode) == 0:
            mode |= stat_mod.S_IFDIR if is_dir else stat_mod.S_IFREG
        return StatResult(
            mode=mode,
            uid=int(rec.get("uid", 0)),
            gid=int(rec.get("gid", 0)),
            size=int(rec.get("size", len(self.files.get(path, "").encode()))),
            mtime=int(rec.get("mtime", 0)),
            is_dir=stat_mod.S_ISDIR(mode),
            is_file=stat_mod.S_ISREG(mode),
        )

    def list_dir(self, path: str) -> list[str]:
        self._check(path)
        path = path.rstrip("/") or "/"
        if path not in self.dirs:
            raise NotFound(path)
        names = {
            p[len(path) :].lstrip("/").split("/")[0]
            for p in [*self.files, *self.stats, *self.dirs]
            if p != path and p.startswith(path.rstrip("/") + "/")
        }
        return sorted(n for n in names if n)

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.stats or path in self.dirs

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        rec = self.commands.get(command_key(argv))
        if rec is None:
            raise NotFound(argv[0])
        return CommandResult(int(rec.get("rc", 0)), str(rec.get("stdout", "")), str(rec.get("stderr", "")))

    def probe(self, probe_id: str) -> CommandResult:
        rec = self.probes.get(probe_id)
        if rec is None:
            raise NotFound(f"probe {probe_id} (not in the recording)")
        return CommandResult(int(rec.get("rc", 0)), str(rec.get("stdout", "")), str(rec.get("stderr", "")))

