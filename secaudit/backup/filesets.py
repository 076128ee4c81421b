"""Integrity of a `files` set: every copy (or every file inside a directory copy) read end to end
on all cores, in rolling slices when a budget is given. Per-file results are remembered so that
each run verifies first what was never verified (newest first), then what was verified longest ago."""

from __future__ import annotations

import os
import posixpath
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from secaudit.agent.config import BackupSet
from secaudit.backup.budget import Allowance
from secaudit.backup.sets import FileEntry, Listing, in_set
from secaudit.backup.verify import Problem
from secaudit.backup.verify.files import BUFFER, FileJob, FileOutcome, verify_file
from secaudit.backup.verify.manifest import Expected
from secaudit.backup.verify.manifest import parse as parse_manifest


def workers() -> int:
    """Files verified at once: every core, and at least 4 so that the disk always has reads
    queued while other files are being hashed (hashlib, blake3 and zlib release the GIL)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(4, cpus)


@dataclass
class SetRun:
    bytes_total: int = 0
    bytes_verified: int = 0
    files_total: int = 0
    files_verified: int = 0
    bytes_covered: int = 0  # bytes whose last verification still applies (same size and mtime)
    errors: list[Problem] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    complete: bool = False  # every current file has a valid verification record


def files_of(listing: Listing) -> list[FileEntry]:
    out: list[FileEntry] = []
    for copy in listing.copies:
        if copy.is_dir:
            out.extend(copy.files or [])
        elif copy.size is not None:
            out.append(FileEntry(copy.path, copy.size, copy.time))
    return out


def _manifest_entries(listing: Listing, bset: BackupSet, present: set[str]
                      ) -> tuple[dict[str, list[Expected]], list[Problem]]:
    expected: dict[str, list[Expected]] = {}
    problems: list[Problem] = []
    copy_dirs = [c.path.rstrip("/") + "/" for c in listing.copies if c.is_dir]
    for manifest in listing.manifests:
        try:
            with open(manifest, encoding="utf-8", errors="surrogateescape") as fh:
                text = fh.read(64 << 20)
        except OSError as exc:
            problems.append(Problem(manifest, "unreadable", f"manifest: {exc.strerror or exc}"))
            continue
        entries, bad = parse_manifest(text, manifest)
        problems.extend(bad)
        for exp in entries:
            if exp.path in present:
                expected.setdefault(exp.path, []).append(exp)
            elif in_set(bset, exp.path) or any(exp.path.startswith(d) for d in copy_dirs):
                problems.append(Problem(exp.path, "missing", f"listed in {exp.where} but missing"))
    return expected, problems


def _record_valid(rec: dict[str, Any] | None, f: FileEntry) -> bool:
    return bool(rec) and rec.get("size") == f.size and rec.get("mtime") == f.mtime  # type: ignore[union-attr]


def verify_set(bset: BackupSet, listing: Listing, entry: dict[str, Any], allowance: Allowance, now: int,
               progress: Callable[[int], None] | None = None) -> SetRun:
    started = time.monotonic()
    run = SetRun()
    files = files_of(listing)
    present = {f.path for f in files}
    expected, manifest_problems = _manifest_entries(listing, bset, present)
    records: dict[str, dict[str, Any]] = {
        k: v for k, v in (entry.get("files") or {}).items() if k in present and isinstance(v, dict)}
    run.files_total = len(files)
    run.bytes_total = sum(f.size for f in files)

    never = [f for f in files if not _record_valid(records.get(f.path), f)]
    never.sort(key=lambda f: (-f.mtime, f.path))
    seen = [f for f in files if _record_valid(records.get(f.path), f)]
    seen.sort(key=lambda f: (int(records[f.path].get("verified_at", 0)), f.path))
    queue = never + seen

    def job_for(f: FileEntry) -> FileJob:
        exp = tuple(expected.get(f.path, ()))
        rec = records.get(f.path)
        if bset.verify == "full" or not exp:
            decode = True
        elif bset.verify == "hash":
            decode = False
        else:  # auto: decode once per content, then the manifest proves the bytes are unchanged
            decode = not (_record_valid(rec, f) and rec and rec.get("decoded"))
        return FileJob(f.path, f.size, exp, decode)

    lock = threading.Lock()
    local = threading.local()

    def work(job: FileJob) -> FileOutcome:
        buf = getattr(local, "buf", None)
        if buf is None:
            buf = local.buf = bytearray(BUFFER)

        def advance(n: int) -> None:
            with lock:
                allowance.used += n
            if progress is not None:
                progress(n)

        return verify_file(job, buf, advance, tool_timeout=allowance.seconds_left() or 3600.0)

    results: list[tuple[FileEntry, FileJob, FileOutcome]] = []
    pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="verify")
    inflight: dict[Future[FileOutcome], tuple[FileEntry, FileJob]] = {}
    planned = 0
    started_any = False
    try:
        for f in queue:
            while len(inflight) >= workers():
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                for fut in done:
                    fe, jb = inflight.pop(fut)
                    results.append((fe, jb, fut.result()))
            if started_any and (allowance.exhausted() or (allowance.bytes is not None
                                                          and planned + f.size > allowance.bytes)):
                break
            job = job_for(f)
            inflight[pool.submit(work, job)] = (f, job)
            planned += f.size
            started_any = True
        for fut, (fe, jb) in list(inflight.items()):
            results.append((fe, jb, fut.result()))
    finally:
        pool.shutdown(wait=True)

    for f, job, out in results:
        prev = records.get(f.path) if _record_valid(records.get(f.path), f) else None
        run.files_verified += 1
        run.bytes_verified += out.bytes_read
        run.methods.add(out.method)
        rec: dict[str, Any] = {"size": f.size, "mtime": f.mtime, "verified_at": now, "method": out.method,
               "format": out.format or (prev or {}).get("format"),
               "problems": [p.to_dict() for p in out.problems],
               "decoded": bool(out.decoded or (not job.decode and (prev or {}).get("decoded")))}
        if out.notes:
            rec["notes"] = out.notes
        records[f.path] = rec
    entry["files"] = records
    for f in files:
        current = records.get(f.path)
        if _record_valid(current, f):
            run.bytes_covered += f.size
            for p in (current or {}).get("problems", []):
                run.errors.append(Problem(p["file"], p["problem"], p.get("detail", "")))
    run.errors.extend(manifest_problems)
    run.complete = all(_record_valid(records.get(f.path), f) for f in files)
    if run.complete and files:
        entry["fully_verified_at"] = min(int(records[f.path]["verified_at"]) for f in files)
    covered = {posixpath.dirname(p) for p in expected}
    if files and not expected:
        run.notes.append("no checksum manifest: archives are checked by decoding them")
    elif covered:
        run.notes.append(f"manifests cover {sum(1 for f in files if f.path in expected)} of {len(files)} files")
    run.seconds = time.monotonic() - started
    return run
