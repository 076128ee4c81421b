"""restic: `restic check --read-data` when the budget allows the whole repository, otherwise
`--read-data-subset=n/t` with n advancing run after run, so every pack is read within t runs.
A damaged pack is named by its file (repo/data/xx/<pack id>)."""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

from secaudit.backup.budget import Allowance
from secaudit.backup.sets import tool_error
from secaudit.backup.verify import Problem
from secaudit.backup.verify.repo import repo_data_bytes, run_tool
from secaudit.config import BackupSet

DEFAULT_THROUGHPUT = 100 * 1000 * 1000  # bytes/s, until a run has measured this repository
MAX_SLICES = 256
_ID = re.compile(r"\b([0-9a-f]{64}|[0-9a-f]{8})\b")
_NOISE = ("create exclusive lock", "load indexes", "check all packs", "check snapshots", "read all data",
          "read group", "no errors were found", "using temporary cache", "created new cache", "[", "repository ",
          "scheduled", "skipping", "read ")


@dataclass
class RepoRun:
    method: str
    bytes_total: int | None
    bytes_verified: int
    errors: list[Problem] = field(default_factory=list)
    config_error: tuple[str, str] | None = None
    complete_cycle: bool = False
    slice: tuple[int, int] | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _pack_file(repo: str, pack: str) -> str | None:
    directory = os.path.join(repo, "data", pack[:2])
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    hits = [n for n in names if n.startswith(pack)]
    return os.path.join(directory, hits[0]) if len(hits) == 1 else None


def parse_check(repo: str, output: str) -> list[Problem]:
    problems: list[Problem] = []
    for raw in output.splitlines():
        line = raw.strip()
        if not line or line.lower().startswith(_NOISE) or line.startswith("Fatal: repository contains errors"):
            continue
        target = repo
        for ident in _ID.findall(line):
            found = _pack_file(repo, ident) if os.path.isdir(repo) else None
            if found:
                target = found
                break
        low = line.lower()
        code = ("checksum_mismatch" if "does not match" in low or "hash mismatch" in low
                else "missing" if "not found" in low or "missing" in low or "no such file" in low
                else "truncated" if "unexpected eof" in low or "short" in low or "truncated" in low
                else "corrupt")
        problems.append(Problem(target, code, f"restic: {line[:300]}"))
    return problems


def verify(bset: BackupSet, entry: dict[str, Any], allowance: Allowance, now: int) -> RepoRun:
    state: dict[str, Any] = entry.setdefault("restic", {})
    total = repo_data_bytes(bset.path)
    throughput = int(entry.get("throughput") or DEFAULT_THROUGHPUT)
    budget: int | None = None
    if not allowance.unlimited:
        by_time = None if allowance.seconds_left() is None else int((allowance.seconds_left() or 0) * throughput)
        by_bytes = allowance.bytes_left()
        budget = min(x for x in (by_time, by_bytes) if x is not None)
    full = budget is None or (total is not None and total <= budget)
    argv = ["restic", "-r", bset.path, "check"]
    slice_n: tuple[int, int] | None = None
    if full:
        argv.append("--read-data")
        method = "restic check --read-data"
    else:
        slices = int(state.get("slices") or 0)
        # a remote repository (sftp:, rest: ...) has no size we can see: ten slices
        want = 10 if not total else min(MAX_SLICES, max(2, math.ceil(total / max(1, budget or 1))))
        if want != slices:  # the repository grew or the budget changed: a new grouping, a new cycle
            slices, state["next"], state["cycle_started"], state["slice_errors"] = want, 1, now, {}
        elif not state.get("cycle_started"):
            state["cycle_started"] = now
        n = int(state.get("next") or 1)
        slice_n = (n, slices)
        argv.append(f"--read-data-subset={n}/{slices}")
        method = f"restic check --read-data-subset={n}/{slices}"
    timeout = None if allowance.unlimited else max(120.0, 4 * (allowance.seconds_left() or 60.0))
    started = time.monotonic()
    result = run_tool(bset, argv, timeout)
    seconds = time.monotonic() - started
    run = RepoRun(method, total, 0, seconds=seconds, slice=slice_n)
    if result.missing:
        run.config_error = ("not_found", "restic is not installed")
        return run
    if result.timed_out:
        run.config_error = ("timeout", f"{method} did not finish within {int(timeout or 0)} s")
        return run
    problems = parse_check(bset.path, result.output) if result.rc != 0 else []
    if result.rc != 0 and (not problems or all(_is_config(p.detail) for p in problems)):
        run.config_error = tool_error("restic", bset.path, result.output, result.rc)
        return run
    verified = total if full else (None if total is None or slice_n is None else total // slice_n[1])
    run.bytes_verified = int(verified or 0)
    if seconds > 1 and run.bytes_verified:
        entry["throughput"] = int(run.bytes_verified / seconds)
    errs = [p.to_dict() for p in problems]
    if full:
        state.clear()
        state["errors"] = errs
        run.complete_cycle = True
    else:
        assert slice_n is not None
        n, slices = slice_n
        slice_errors = state.setdefault("slice_errors", {})
        slice_errors[str(n)] = errs
        state["errors"] = [e for v in slice_errors.values() for e in v]
        state["slices"] = slices
        if n >= slices:
            run.complete_cycle = True
            entry["fully_verified_at"] = int(state.get("cycle_started") or now)
            state["next"], state["cycle_started"] = 1, None
        else:
            state["next"] = n + 1
    if full:
        entry["fully_verified_at"] = now
    run.errors = [Problem(e["file"], e["problem"], e["detail"]) for e in state["errors"]]
    return run


def _is_config(detail: str) -> bool:
    low = detail.lower()
    return any(s in low for s in ("wrong password", "is there a repository", "unable to open config",
                                  "permission denied", "unable to create lock", "repository is already locked"))
