"""Integrity of a `files` set: every copy (or every file inside a directory copy) read end to end
on all cores, in rolling slices when a budget is given. Per-file results are remembered (see
fileindex) so that each run verifies first what was never verified (newest first), then what was
verified longest ago. The run says exactly which share of the set is covered, in files and bytes,
and what could not be listed; a listing that stopped short never makes a file "missing"."""

from __future__ import annotations

import os
import posixpath
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from secaudit.backup.budget import Allowance
from secaudit.backup.fileindex import FileRecord, from_legacy
from secaudit.backup.sets import Listing, in_set
from secaudit.backup.verify import Problem
from secaudit.backup.verify.files import BUFFER, FileJob, FileOutcome, verify_file
from secaudit.backup.verify.manifest import Expected, matches
from secaudit.backup.verify.manifest import parse as parse_manifest
from secaudit.backup.walk import FileEntry
from secaudit.config import BackupSet
from secaudit.limits import MiB
from secaudit.transport.windows import native_path

MANIFEST_CAP = 64 * MiB  # a checksum file: about 600,000 lines
BATCH_BYTES = 4 * MiB  # files smaller than this are verified several to a task
BATCH_FILES = 256


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
    files_covered: int = 0
    errors: list[Problem] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    seconds: float = 0.0
    complete: bool = False  # every current file has a valid verification record
    listing_complete: bool = True  # every entry of every directory copy was listed
    vanished: int = 0  # files that disappeared between listing and reading (rotation)


def files_of(listing: Listing) -> list[FileEntry]:
    out: list[FileEntry] = []
    for copy in listing.copies:
        if copy.is_dir:
            out.extend(copy.files or [])
        elif copy.size is not None:
            out.append(FileEntry(copy.path, copy.size, copy.time))
    return out


def _outside(path: str, home: str) -> bool:
    """A link found beside the copies that leads out of the set's directory."""
    path, home = native_path(path), native_path(home)
    if not os.path.islink(path):
        return False
    real, top = os.path.realpath(path), os.path.realpath(home or "/")
    return not (real == top or real.startswith(top.rstrip("/") + "/"))


def _read_manifest(path: str, home: str, configured: str | None) -> tuple[str | None, Problem | None]:
    from secaudit.fsutil import NotRegularFile, TooLarge, read_capped

    if not (configured and matches(configured, path)) and _outside(path, home):
        return None, Problem(path, "not_regular", "checksum manifest: a symbolic link to a file outside the set, "
                                                  "not read")
    try:
        raw = read_capped(native_path(path), MANIFEST_CAP)
    except NotRegularFile:
        return None, Problem(path, "not_regular", "checksum manifest: not a regular file (a FIFO or a device), "
                                                 "never opened")
    except TooLarge as exc:
        return None, Problem(path, "malformed_manifest", f"checksum manifest of {exc.size} bytes, over the "
                                                         f"{MANIFEST_CAP >> 20} MiB limit: not read")
    except FileNotFoundError:
        return None, None  # removed since the listing (rotation): nothing to check against
    except OSError as exc:
        return None, Problem(path, "unreadable", f"checksum manifest: {exc.strerror or exc}")
    return raw.decode("utf-8", errors="surrogateescape"), None


def _really_missing(path: str) -> bool:
    """A manifest names a file the listing does not have: missing only if it truly is not there
    (the listing may have stopped at its cap, or the name is a link or a FIFO, reported elsewhere)."""
    try:
        os.lstat(native_path(path))
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _manifest_entries(listing: Listing, bset: BackupSet, present: set[str]
                      ) -> tuple[dict[str, list[Expected]], list[Problem]]:
    """Digests expected for the listed files only: a line naming a file outside the set (`../../etc/shadow`)
    never makes the verifier read that file."""
    expected: dict[str, list[Expected]] = {}
    problems: list[Problem] = []
    copy_dirs = [c.path.rstrip("/") + "/" for c in listing.copies if c.is_dir]
    for manifest in listing.manifests:
        text, problem = _read_manifest(manifest, listing.dir_path, bset.manifest)
        if problem is not None:
            problems.append(problem)
        if text is None:
            continue
        entries, bad = parse_manifest(text, manifest)
        problems.extend(bad)
        for exp in entries:
            if exp.path in present:
                expected.setdefault(exp.path, []).append(exp)
            elif (in_set(bset, exp.path) or any(exp.path.startswith(d) for d in copy_dirs)) \
                    and _really_missing(exp.path):
                problems.append(Problem(exp.path, "missing", f"listed in {exp.where} but missing"))
    return expected, problems


def _walk_problems(listing: Listing) -> tuple[list[Problem], list[str]]:
    """What the listing could not cover: FIFOs and devices (never opened), directories not listed."""
    walk = listing.walk
    if walk is None:
        return [], []
    problems = [Problem(path, "not_regular", f"a {kind}, not a regular file: never opened")
                for path, kind in walk.special]
    problems += [Problem(path, "unlisted", f"directory not listed: {why}") for path, why in walk.unlisted]
    notes = []
    if walk.special_count > len(walk.special) or walk.unlisted_count > len(walk.unlisted):
        notes.append(f"{walk.special_count} special files and {walk.unlisted_count} unlisted directories in "
                     f"all, {len(problems)} named")
    if walk.truncated:
        notes.append(f"listing stopped after {walk.entries} entries (the limit per set): files beyond it are "
                     f"neither verified nor counted")
    if walk.symlinks:
        notes.append(f"{walk.symlinks} symbolic links inside the copies were not followed")
    return problems, notes


def _safe_verify(job: FileJob, buf: bytearray, advance: Callable[[int], None], timeout: float) -> FileOutcome:
    """One broken file is one problem, whatever its decoder raises: never the end of the run."""
    try:
        return verify_file(job, buf, advance, tool_timeout=timeout)
    except Exception as exc:
        out = FileOutcome(job.path, job.size)
        out.problems.append(Problem(job.path, "corrupt", f"could not be decoded ({type(exc).__name__}: "
                                                         f"{str(exc)[:200]})"))
        return out


def verify_set(bset: BackupSet, listing: Listing, entry: dict[str, Any], records: dict[str, FileRecord],
               allowance: Allowance, now: int, progress: Callable[[int], None] | None = None) -> SetRun:
    """Verify what the allowance permits; `records` (the set's file index) is updated in place."""
    started = time.monotonic()
    run = SetRun(listing_complete=listing.complete)
    legacy = entry.pop("files", None)  # records kept in the state file by older versions
    if isinstance(legacy, dict):
        for key, value in legacy.items():
            rec = from_legacy(value)
            if rec is not None and key not in records:
                records[key] = rec
    files = files_of(listing)
    present = {f.path for f in files}
    expected, manifest_problems = _manifest_entries(listing, bset, present)
    for key in [k for k in records if k not in present]:
        del records[key]

    def valid(f: FileEntry) -> bool:
        rec = records.get(f.path)
        return rec is not None and rec.valid_for(f.size, f.mtime)

    never = [f for f in files if not valid(f)]
    never.sort(key=lambda f: (-f.mtime, f.path))
    seen = [f for f in files if valid(f)]
    seen.sort(key=lambda f: (records[f.path].verified_at, f.path))
    queue = never + seen

    def job_for(f: FileEntry) -> FileJob:
        exp = tuple(expected.get(f.path, ()))
        rec = records.get(f.path)
        if bset.verify == "full" or not exp:
            decode = True
        elif bset.verify == "hash":
            decode = False
        else:  # auto: decode once per content, then the manifest proves the bytes are unchanged
            decode = not (rec is not None and rec.valid_for(f.size, f.mtime) and rec.decoded)
        return FileJob(f.path, f.size, exp, decode, nofollow=f.inside)

    lock = threading.Lock()
    local = threading.local()

    def work(batch: list[tuple[FileEntry, FileJob]]) -> list[tuple[FileEntry, FileJob, FileOutcome]]:
        buf = getattr(local, "buf", None)
        if buf is None:
            buf = local.buf = bytearray(BUFFER)

        def advance(n: int) -> None:
            with lock:
                allowance.used += n
            if progress is not None:
                progress(n)

        timeout = allowance.seconds_left() or 3600.0
        return [(f, job, _safe_verify(job, buf, advance, timeout)) for f, job in batch]

    results: list[tuple[FileEntry, FileJob, FileOutcome]] = []
    pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="verify")
    inflight: set[Future[list[tuple[FileEntry, FileJob, FileOutcome]]]] = set()
    planned = 0
    started_any = False
    batch: list[tuple[FileEntry, FileJob]] = []
    batch_bytes = 0

    def submit() -> None:
        nonlocal batch, batch_bytes
        while len(inflight) >= 2 * workers():
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                inflight.discard(fut)
                results.extend(fut.result())
        inflight.add(pool.submit(work, batch))
        batch, batch_bytes = [], 0

    try:
        for f in queue:
            if started_any and (allowance.exhausted() or (allowance.bytes is not None
                                                          and planned + f.size > allowance.bytes)):
                break
            # Small files travel in batches: one task per file would cost more than reading it.
            batch.append((f, job_for(f)))
            batch_bytes += f.size
            planned += f.size
            started_any = True
            if batch_bytes >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                submit()
        if batch:
            submit()
        for fut in list(inflight):
            results.extend(fut.result())
    finally:
        pool.shutdown(wait=True)

    gone: set[str] = set()
    for f, job, out in results:
        if out.vanished:
            gone.add(f.path)
            records.pop(f.path, None)
            continue
        prev = records.get(f.path) if valid(f) else None
        run.files_verified += 1
        run.bytes_verified += out.bytes_read
        run.methods.add(out.method)
        records[f.path] = FileRecord(
            f.size, f.mtime, now, bool(out.decoded or (not job.decode and prev is not None and prev.decoded)),
            out.format or (prev.format if prev else None), [p.to_dict() for p in out.problems])
    if gone:
        files = [f for f in files if f.path not in gone]
    run.vanished = len(gone) + (listing.walk.vanished if listing.walk else 0)
    run.files_total = len(files)
    run.bytes_total = sum(f.size for f in files)
    formats: set[str] = set()
    for f in files:
        current = records.get(f.path)
        if current is not None and current.valid_for(f.size, f.mtime):
            run.bytes_covered += f.size
            run.files_covered += 1
            if current.format:
                formats.add(current.format)
            for p in current.problems:
                run.errors.append(Problem(p["file"], p["problem"], p.get("detail", "")))
    run.formats = sorted(formats)
    walk_problems, walk_notes = _walk_problems(listing)
    run.errors.extend(walk_problems)
    run.errors.extend(manifest_problems)
    run.notes.extend(walk_notes)
    run.complete = run.files_covered == len(files)
    if run.complete and files and run.listing_complete:
        entry["fully_verified_at"] = min(records[f.path].verified_at for f in files)
    elif not run.listing_complete:
        entry.pop("fully_verified_at", None)  # never "fully verified" while part of the set is not even listed
    if run.vanished:
        run.notes.append(f"{run.vanished} files disappeared while the set was being verified (rotation?)")
    covered = {posixpath.dirname(p) for p in expected}
    if files and not expected:
        run.notes.append("no checksum manifest: archives are checked by decoding them")
    elif covered:
        run.notes.append(f"manifests cover {sum(1 for f in files if f.path in expected)} of {len(files)} files")
    run.seconds = time.monotonic() - started
    return run
