"""Helpers shared by the restic and borg verifiers: the tool's environment, running it with a
time limit, and the size of a local repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from secaudit.agent.config import BackupSet
from secaudit.backup.sets import tool_env


@dataclass
class ToolRun:
    rc: int
    output: str  # stdout and stderr, interleaved as the tool printed them
    timed_out: bool = False
    missing: bool = False


def run_tool(bset: BackupSet, argv: list[str], timeout: float | None, cwd: str | None = None) -> ToolRun:
    exe = shutil.which(argv[0])
    if exe is None:
        return ToolRun(127, f"{argv[0]} is not installed", missing=True)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C", "LANG": "C",
           "HOME": os.environ.get("HOME", "/root"), **tool_env(bset)}
    try:
        proc = subprocess.run([exe, *argv[1:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env, timeout=timeout, check=False, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else ""
        return ToolRun(-1, out, timed_out=True)
    return ToolRun(proc.returncode, proc.stdout.decode("utf-8", "replace"))


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
