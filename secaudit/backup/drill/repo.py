"""Drills of restic and borg repositories: list the newest snapshot/archive as it streams, sample files
under `source`, restore them with the tool into a private temporary directory, compare."""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import random
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from secaudit.backup.drill.compare import (
    MAX_LINE,
    MAX_NAMED,
    DrillResult,
    Reservoir,
    Sampled,
    compare,
    limit_for,
    live_path,
    safe_member,
    under,
    unsafe_finding,
)
from secaudit.backup.sets import Listing, parse_time, tool_env
from secaudit.backup.verify.repo import run_tool
from secaudit.config import BackupSet


def _stream_rows(bset: BackupSet, argv: list[str], timeout: float, on_row: Callable[[dict[str, Any]], None]
                 ) -> str | None:
    """Run a tool printing one JSON object per line and hand each to `on_row` as it comes (nothing
    accumulates); a watchdog kills the tool at `timeout`. Returns an error sentence or None."""
    exe = shutil.which(argv[0])
    if exe is None:
        return f"{argv[0]} is not installed"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": os.environ.get("HOME", "/root"),
           **tool_env(bset)}
    killed = threading.Event()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen([exe, *argv[1:]], stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                    env=env)
        except OSError as exc:
            return f"{argv[0]} cannot run: {exc.strerror or exc}"

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            while raw := proc.stdout.readline(MAX_LINE + 1):
                if len(raw) > MAX_LINE:  # an absurd line: skip to its end, unparsed
                    while raw and not raw.endswith(b"\n"):
                        raw = proc.stdout.readline(MAX_LINE + 1)
                    continue
                try:
                    row = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(row, dict):
                    on_row(row)
            rc = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if killed.is_set():
            return f"{' '.join(argv[:3])} did not finish within {int(timeout)} s"
        err.seek(max(0, err.seek(0, os.SEEK_END) - 4096))
        text = err.read().decode("utf-8", "replace").strip()
    return f"exit code {rc}: {text[-300:]}" if rc else None


@dataclass
class _Candidate:
    path: str  # as the tool names it (restic: absolute; borg: relative)
    rel: str  # the clean relative path, where it is restored under the temporary directory
    live: str | None
    mtime: int | None
    size: int | None


def _candidate(bset: BackupSet, node: dict[str, Any], file_type: str, absolute: bool) -> _Candidate | str | None:
    """A sampled restic/borg node: a _Candidate, the name when it is unsafe, or None (not a file, not
    under source)."""
    if node.get("type") != file_type:
        return None
    path = node.get("path")
    if not isinstance(path, str) or not path:
        return None
    rel = safe_member(path)
    if rel is None:
        return path
    if path != ("/" + rel if absolute else rel):
        return None  # an odd spelling (./x, //x): the tool would not find it under that name
    live = None
    if bset.source:
        live = "/" + rel
        src = posixpath.normpath(bset.source)
        if not under(live, src) or live_path(src, rel) != live:
            return None
    mtime = None
    with contextlib.suppress(ValueError, TypeError, OverflowError):
        mtime = parse_time(str(node.get("mtime")))
    size = node.get("size") if isinstance(node.get("size"), int) else None
    return _Candidate(path, rel, live, mtime, size)


def _escape_restic(path: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in path)


def drill_repo(bset: BackupSet, listing: Listing, tmp: str, rng: random.Random, timeout: float) -> DrillResult:
    result = DrillResult(at=int(time.time()))
    if not listing.copies or not listing.copies[0].id:
        result.error = ("no_copy", "there is no snapshot or archive to restore")
        return result
    newest = listing.copies[0]
    result.copy = newest.path
    sample = Reservoir(bset.drill_files, rng)
    unsafe: list[str] = []
    unsafe_count = 0
    kind, absolute = ("file", True) if bset.kind == "restic" else ("-", False)

    def on_row(node: dict[str, Any]) -> None:
        nonlocal unsafe_count
        got = _candidate(bset, node, kind, absolute)
        if isinstance(got, str):
            unsafe_count += 1
            if len(unsafe) < MAX_NAMED:
                unsafe.append(got)
        elif got is not None:
            sample.offer(got)

    if bset.kind == "restic":
        err = _stream_rows(bset, ["restic", "-r", bset.path, "ls", "--json", "--no-lock", "--no-cache",
                                  str(newest.id)], timeout, on_row)
    else:
        err = _stream_rows(bset, ["borg", "list", "--json-lines", "--bypass-lock", f"{bset.path}::{newest.id}"],
                           timeout, on_row)
    if err:
        result.error = ("tool_error", f"listing {newest.path}: {err}")
        return result
    unsafe_finding(result, newest.path, unsafe, unsafe_count)
    chosen: list[_Candidate] = [c for c in sample.items if c is not None]
    if not chosen:
        result.error = ("nothing_to_restore", f"no file of {newest.path} is under source {bset.source}"
                        if bset.source else f"{newest.path} holds no files")
        return result
    # A file the repository says is far larger than its live copy is not restored at all: it differs.
    items = [Sampled(c.path, c.live, os.path.join(tmp, c.rel), c.mtime, c.size) for c in chosen]
    restore = []
    for c, item in zip(chosen, items, strict=True):
        if c.size is not None and c.size > limit_for(c.live) and c.live is not None:
            item.over, item.got = True, 0
        else:
            restore.append(c)
    if restore:
        if bset.kind == "restic":
            argv = ["restic", "-r", bset.path, "restore", str(newest.id), "--target", tmp, "--no-lock", "--no-cache"]
            argv += [f"--include={_escape_restic(c.path)}" for c in restore]
            result.method = "restic restore"
            run = run_tool(bset, argv, timeout)
        else:
            argv = ["borg", "extract", "--bypass-lock", f"{bset.path}::{newest.id}", "--", *[c.path for c in restore]]
            result.method = "borg extract"
            run = run_tool(bset, argv, timeout, cwd=tmp)
        if run.rc != 0:
            result.error = ("tool_error", f"{result.method} exited with code {run.rc}: {run.output.strip()[-300:]}")
            return result
    result.method = result.method or ("restic restore" if bset.kind == "restic" else "borg extract")
    for item in items:
        compare(result, item, newest.time)
    return result
