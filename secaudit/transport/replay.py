"""Recorded outputs replayed as a system: files, stats and command outputs from a JSON recording.

Recording format (``secaudit.recording/v1``)::

    {"schema": "secaudit.recording/v1",
     "files":    {"/etc/passwd": "root:x:0:0::/root:/bin/bash\\n", ...},
     "stats":    {"/etc/shadow": {"mode": 33184, "uid": 0, "gid": 42}},
     "denied":   ["/etc/gshadow"],
     "commands": {"powershell -NoProfile -Command Get-MpComputerStatus | ConvertTo-Json":
                     {"rc": 0, "stdout": "...", "stderr": ""}}}

Directories are derived from file paths. A command that was not recorded is "not found".
"""

from __future__ import annotations

import json
import posixpath
import shlex
import stat as stat_mod
from pathlib import Path
from typing import Any

from secaudit.errors import SecauditError
from secaudit.transport.base import CommandResult, NotFound, PermissionDenied, StatResult

SCHEMA = "secaudit.recording/v1"


def command_key(argv: list[str]) -> str:
    return shlex.join(argv)


class ReplayTransport:
    mode = "replay"

    def __init__(self, recording: dict[str, Any], live: bool = True) -> None:
        self.files: dict[str, str] = dict(recording.get("files", {}))
        self.stats: dict[str, dict[str, int]] = dict(recording.get("stats", {}))
        self.denied: set[str] = set(recording.get("denied", []))
        self.commands: dict[str, dict[str, Any]] = dict(recording.get("commands", {}))
        self.live = bool(recording.get("live", live))
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
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecauditError(
                f"Không đọc được bản ghi {path}: {exc}.", f"Cannot read recording {path}: {exc}."
            ) from exc
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise SecauditError(
                f"{path} không phải bản ghi {SCHEMA}.", f"{path} is not a {SCHEMA} recording."
            )
        return cls(data)

    def _check(self, path: str) -> None:
        if path in self.denied:
            raise PermissionDenied(path)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        return self.read_text(path).encode("utf-8")[:limit]

    def read_text(self, path: str) -> str:
        self._check(path)
        if path not in self.files:
            raise NotFound(path)
        return self.files[path]

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
