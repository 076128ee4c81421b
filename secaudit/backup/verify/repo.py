"""Helpers shared by the restic and borg verifiers: the tool's environment, running it with a
time limit, and the size of a local repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from secaudit.backup.sets import tool_env
from secaudit.config import BackupSet

OUTPUT_CAP = 8 << 20  # of a tool's output kept for parsing (restic/borg check list one line per problem)


@dataclass
class ToolRun:
    rc: int
    output: str  # stdout and stderr, interleaved as the tool printed them
    timed_out: bool = False
    missing: bool = False
    cut: bool = False  # the output was longer than OUTPUT_CAP: only its beginning was kept


def run_tool(bset: BackupSet, argv: list[str], timeout: float | None, cwd: str | None = None) -> ToolRun:
    """Run restic/borg with its output in a temporary file, of which at most OUTPUT_CAP is read back:
    a repository that makes the tool print without end never fills memory."""
    exe = shutil.which(argv[0])
    if exe is None:
        return ToolRun(127, f"{argv[0]} is not installed", missing=True)
    if sys.platform == "win32":  # restic.exe needs SystemRoot, LOCALAPPDATA (its cache) and the like
        env = {**os.environ, **tool_env(bset)}
    else:
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C", "LANG": "C",
               "HOME": os.environ.get("HOME", "/root"), **tool_env(bset)}
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.run([exe, *argv[1:]], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=env, timeout=timeout, check=False, cwd=cwd)
            rc, timed_out = proc.returncode, False
        except subprocess.TimeoutExpired:
            rc, timed_out = -1, True
        except OSError as exc:
            return ToolRun(126, f"{argv[0]} cannot run: {exc.strerror or exc}", missing=True)
        size = out.seek(0, os.SEEK_END)
        out.seek(0)
        text = out.read(OUTPUT_CAP).decode("utf-8", "replace")
    return ToolRun(rc, text, timed_out=timed_out, cut=size > OUTPUT_CAP)


def local_repo(path: str) -> bool:
    return path.startswith("/") and os.path.isdir(path)


def repo_data_bytes(path: str) -> int | None:
    """Bytes under `<repo>/data` (restic packs, borg segments); None when not a local repository."""
    if not local_repo(path):
        return None
    total = 0
    stack = [os.path.join(path, "data")]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        total += e.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total
