"""borg: `borg check --verify-data` (every chunk decrypted and authenticated) when the budget
allows the whole repository; otherwise `borg check --repository-only --max-duration S`, which
checks segment CRCs and resumes where the previous run stopped (borg keeps the position in the
repository config). Exit code 1 ("warning") is a failure for a check. A damaged segment is named
by its file (repo/data/<n // segments_per_dir>/<n>)."""

from __future__ import annotations

import configparser
import os
import re
import time
from typing import Any

from secaudit.backup.budget import Allowance
from secaudit.backup.sets import tool_error
from secaudit.backup.verify import Problem
from secaudit.backup.verify.repo import repo_data_bytes, run_tool
from secaudit.backup.verify.restic import RepoRun
from secaudit.config import BackupSet

DEFAULT_THROUGHPUT = 60 * 1000 * 1000
_SEGMENT = re.compile(r"segment (\d+)")
_PARTIAL = re.compile(r"finished partial segment check, last segment checked is (\d+)")
_FULL = re.compile(r"finished segment check at segment (\d+)")
_NOISE = ("starting ", "finished ", "checking segments", "analyzing archive", "archive consistency check complete",
          "repository check complete", "skipping to segments", "remote: ", "checking ", "enter passphrase",
          "verifying data", "finished cryptographic", "starting cryptographic", "archive ", "terminating with")
_CONFIG = ("passphrase supplied", "does not exist", "is not a valid repository", "failed to create/acquire the lock",
           "permission denied", "passcommand", "repository access aborted", "read-only file system")


def segment_file(repo: str, segment: int) -> str:
    per_dir = 1000
    cfg = configparser.ConfigParser()
    try:
        cfg.read(os.path.join(repo, "config"), encoding="utf-8")
        per_dir = cfg.getint("repository", "segments_per_dir", fallback=1000)
    except (configparser.Error, ValueError, OSError):
        pass
    return os.path.join(repo, "data", str(segment // per_dir), str(segment))


def parse_check(repo: str, output: str) -> list[Problem]:
    problems: list[Problem] = []
    for raw in output.splitlines():
        line = raw.strip()
        low = line.lower()
        if not line or low.startswith(_NOISE) or low.startswith(("id: ", "committed index", "rebuilt index")):
            continue
        target = repo
        match = _SEGMENT.search(line)
        if match:
            target = segment_file(repo, int(match.group(1)))
        code = ("checksum_mismatch" if "checksum mismatch" in low or "integrity error" in low or "mac" in low
                else "missing" if "missing" in low or "not found" in low
                else "truncated" if "truncated" in low or "short" in low
                else "corrupt")
        problems.append(Problem(target, code, f"borg: {line[:300]}"))
    return problems


def verify(bset: BackupSet, entry: dict[str, Any], allowance: Allowance, now: int) -> RepoRun:
    state: dict[str, Any] = entry.setdefault("borg", {})
    total = repo_data_bytes(bset.path)
    throughput = int(entry.get("throughput") or DEFAULT_THROUGHPUT)
    seconds_allowed: float | None = None
    full = True
    if not allowance.unlimited:
        candidates = []
        left, nbytes = allowance.seconds_left(), allowance.bytes_left()
        if left is not None:
            candidates.append(left)
        if nbytes is not None:
            candidates.append(nbytes / throughput)
        seconds_allowed = max(1.0, min(candidates))
        full = total is not None and (left is None or total / throughput <= left) and (
            nbytes is None or total <= nbytes)
    if full:
        argv = ["borg", "check", "--info", "--verify-data", bset.path]
        method = "borg check --verify-data"
    else:
        duration = max(1, int(seconds_allowed or 1))
        argv = ["borg", "check", "--info", "--repository-only", "--max-duration", str(duration), bset.path]
        method = f"borg check --repository-only --max-duration {duration}"
    timeout = None if seconds_allowed is None else max(120.0, 4 * seconds_allowed)
    started = time.monotonic()
    result = run_tool(bset, argv, timeout)
    seconds = time.monotonic() - started
    run = RepoRun(method, total, 0, seconds=seconds)
    if result.missing:
        run.config_error = ("not_found", "borg is not installed")
        return run
    if result.timed_out:
        run.config_error = ("timeout", f"{method} did not finish within {int(timeout or 0)} s")
        return run
    low = result.output.lower()
    if result.rc == 2 and any(s in low for s in _CONFIG):
        run.config_error = tool_error("borg", bset.path, result.output, result.rc)
        return run
    problems = parse_check(bset.path, result.output) if result.rc != 0 else []
    if result.rc != 0 and not problems:
        problems = [Problem(bset.path, "corrupt", f"borg check exited with code {result.rc} "
                                                  f"({'warning' if result.rc == 1 else 'error'}) and no details")]
    errs = [p.to_dict() for p in problems]
    if full:
        state.clear()
        state["errors"] = errs
        run.complete_cycle = True
        entry["fully_verified_at"] = now
        run.bytes_verified = int(total or 0)
        if seconds > 1 and run.bytes_verified:
            entry["throughput"] = int(run.bytes_verified / seconds)
        run.errors = problems
        return run
    # Partial pass: errors accumulate over the cycle; those of the last complete cycle stay
    # reported until a whole new cycle has run.
    if not state.get("cycle_started"):
        state["cycle_started"] = now
        state["cycle_errors"] = []
    cycle = state.setdefault("cycle_errors", [])
    cycle.extend(e for e in errs if e not in cycle)
    if _FULL.search(result.output) or (not _PARTIAL.search(result.output) and result.rc == 0):
        run.complete_cycle = True
        entry["fully_verified_at"] = int(state["cycle_started"])
        state["last_cycle_errors"] = cycle
        state["cycle_started"], state["cycle_errors"] = None, []
    run.bytes_verified = int(min(total or 0, seconds * throughput))
    run.notes.append("segment CRCs only: the budget is too small for --verify-data")
    shown = list(state.get("last_cycle_errors", []))
    shown.extend(e for e in state.get("cycle_errors", []) if e not in shown)
    state["errors"] = shown
    run.errors = [Problem(e["file"], e["problem"], e["detail"]) for e in shown]
    return run
