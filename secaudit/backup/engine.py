"""`secaudit backup verify`: integrity, restore drill and off-site check of every configured set
within a budget, remembering progress in the state file. The report is built afterwards from the
`backups` facts, which read what this stored."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secaudit.backup import state as st
from secaudit.backup.budget import Allowance, Budget
from secaudit.backup.sets import Listing, list_set
from secaudit.backup.verify import Problem
from secaudit.backup.verify.repo import repo_data_bytes
from secaudit.backup.walk import VERIFY_WALK
from secaudit.config import AgentConfig, BackupSet
from secaudit.progress import Progress, Silent

DRILL_EVERY = 7 * 86400  # with a budget, a successful drill is repeated weekly (each run without one)
MAX_ERRORS_KEPT = 500


@dataclass
class SetSummary:
    name: str
    kind: str
    bytes_total: int | None = None
    bytes_verified: int = 0
    bytes_covered: int | None = None
    method: str = ""
    errors: list[Problem] = field(default_factory=list)
    config_error: tuple[str, str] | None = None
    fully_verified_at: int | None = None
    drill: dict[str, Any] | None = None
    offsite: dict[str, Any] | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    files_total: int | None = None
    files_verified: int = 0
    files_covered: int | None = None
    listing_complete: bool = True
    listing: dict[str, int] | None = None  # files sets: {entries, limit, unlisted} of the walk


def _estimate(bset: BackupSet, listing: Listing) -> int:
    if bset.kind == "files":
        return sum(c.size or 0 for c in listing.copies)
    try:
        return repo_data_bytes(bset.path) or 0
    except Exception:  # only an ordering hint
        return 0


def _drill_due(entry: dict[str, Any], allowance: Allowance, now: int) -> bool:
    if allowance.unlimited:
        return True
    last = entry.get("drill") or {}
    ok = last.get("error") is None and not last.get("mismatches")
    return not (ok and int(last.get("at") or 0) >= now - DRILL_EVERY)


def _files_run(bset: BackupSet, listing: Listing, entry: dict[str, Any], allowance: Allowance, now: int,
               progress: Progress, state_file: Path, summary: SetSummary, last: dict[str, Any]) -> None:
    from secaudit.backup import fileindex
    from secaudit.backup.filesets import verify_set as verify_files

    records, warning = fileindex.load(state_file, bset.name, bset.path)
    if warning:
        summary.notes.append(warning)
    total = sum(c.size or 0 for c in listing.copies)
    progress.start(bset.name, total if allowance.bytes is None else min(total, allowance.bytes))
    try:
        run = verify_files(bset, listing, entry, records, allowance, now, progress.advance)
    finally:
        progress.end()
    fileindex.save(state_file, bset.name, bset.path, listing.dir_path, records)
    summary.bytes_total, summary.bytes_verified, summary.bytes_covered = (run.bytes_total, run.bytes_verified,
                                                                          run.bytes_covered)
    summary.files_total, summary.files_verified, summary.files_covered = (run.files_total, run.files_verified,
                                                                          run.files_covered)
    summary.listing_complete = run.listing_complete
    summary.method = ", ".join(sorted(run.methods)) or "nothing verified"
    summary.errors = run.errors
    summary.notes.extend(run.notes)
    entry["formats"] = run.formats
    last.update({"files_verified": run.files_verified, "files_total": run.files_total,
                 "files_covered": run.files_covered, "listing_complete": run.listing_complete})
    if listing.walk is not None:
        summary.listing = {"entries": listing.walk.entries, "limit": listing.walk.limit,
                           "unlisted": listing.walk.unlisted_count}
        last["listing"] = {"entries": listing.walk.entries, "limit": listing.walk.limit,
                           "truncated": listing.walk.truncated, "unlisted": listing.walk.unlisted_count,
                           "special": listing.walk.special_count}


def verify_set(bset: BackupSet, listing: Listing, entry: dict[str, Any], allowance: Allowance, now: int,
               progress: Progress, state_file: Path) -> SetSummary:
    from secaudit.backup import drill, offsite

    started = time.monotonic()
    summary = SetSummary(bset.name, bset.kind)
    entry["kind"], entry["path"] = bset.kind, bset.path
    last: dict[str, Any] = {"at": now}
    if listing.error:
        summary.config_error = listing.error
        last["config_error"] = {"code": listing.error[0], "detail": listing.error[1]}
        entry["last_run"] = last
        return summary
    if bset.kind == "files":
        _files_run(bset, listing, entry, allowance, now, progress, state_file, summary, last)
    else:
        from secaudit.backup.verify import borg, restic

        progress.start(bset.name, None)
        try:
            repo_run = (restic.verify if bset.kind == "restic" else borg.verify)(bset, entry, allowance, now)
        finally:
            progress.end()
        progress.advance(repo_run.bytes_verified)
        summary.bytes_total, summary.bytes_verified = repo_run.bytes_total, repo_run.bytes_verified
        summary.method, summary.errors, summary.notes = repo_run.method, repo_run.errors, repo_run.notes
        summary.config_error = repo_run.config_error
        if repo_run.slice:
            last["slice"] = list(repo_run.slice)
        summary.bytes_covered = repo_run.bytes_total if entry.get("fully_verified_at") else None
    last.update({"bytes_verified": summary.bytes_verified, "bytes_total": summary.bytes_total,
                 "bytes_covered": summary.bytes_covered, "method": summary.method, "notes": summary.notes,
                 "seconds": int(time.monotonic() - started)})
    if summary.config_error:
        last["config_error"] = {"code": summary.config_error[0], "detail": summary.config_error[1]}
    entry["last_run"] = last
    entry["errors"] = [p.to_dict() for p in summary.errors[:MAX_ERRORS_KEPT]]
    entry["errors_count"] = len(summary.errors)
    if summary.config_error is None and _drill_due(entry, allowance, now):
        timeout = max(60.0, allowance.seconds_left() or 600.0)
        result = drill.run_drill(bset, listing, timeout)
        result.at = now
        entry["drill"] = result.to_dict()
    summary.drill = entry.get("drill")
    try:
        off = offsite.check(bset, listing, now)
    except Exception as exc:  # one set's off-site location never ends the run
        off = offsite.OffsiteResult(offsite.redact(bset.offsite or ""), now,
                                    error=("error", f"{type(exc).__name__}: {str(exc)[:200]}"))
    entry["offsite"] = None if off is None else off.to_dict()
    summary.offsite = entry["offsite"]
    summary.fully_verified_at = entry.get("fully_verified_at")
    summary.seconds = time.monotonic() - started
    return summary


def _failed(bset: BackupSet, entry: dict[str, Any], now: int, exc: Exception) -> SetSummary:
    """A set whose verification raised: its history is reset (it may be what tripped), the reason kept."""
    detail = f"verification stopped on an unexpected error ({type(exc).__name__}: {str(exc)[:200]})"
    entry.clear()
    entry.update({"kind": bset.kind, "path": bset.path,
                  "last_run": {"at": now, "config_error": {"code": "error", "detail": detail}}})
    summary = SetSummary(bset.name, bset.kind)
    summary.config_error = ("error", detail)
    return summary


def _listing(transport: Any, bset: BackupSet) -> Listing:
    try:
        return list_set(transport, bset, keep_files=True, walk_limit=VERIFY_WALK)
    except Exception as exc:
        return Listing(error=("error", f"the copies could not be listed ({type(exc).__name__}: {str(exc)[:200]})"))


def verify_all(config: AgentConfig, budget: Budget, progress: Progress | None = None, now: int | None = None
               ) -> tuple[list[SetSummary], list[str]]:
    """Verify every set; returns the summaries and warnings (e.g. a corrupt state file set aside).
    One set that cannot be verified is that set's error: the others are still verified."""
    from secaudit.backup import fileindex
    from secaudit.transport.windows import WindowsTransport, machine_transport, posix_set

    when = int(time.time()) if now is None else now
    bar = progress or Silent()
    path = st.state_path(config)
    warnings: list[str] = []
    summaries: list[SetSummary] = []
    with st.locked(path):
        state, warning = st.load(path)
        if warning:
            warnings.append(warning)
        names = {b.name for b in config.backups}
        for name in list(state["sets"]):
            if name not in names:
                del state["sets"][name]
        fileindex.prune(path, names)
        transport = machine_transport()
        if isinstance(transport, WindowsTransport):  # D:\\Backup\\x is listed and opened as /D:/Backup/x
            sets = {b.name: posix_set(b) for b in config.backups}
        else:
            sets = {b.name: b for b in config.backups}
        listings = {b.name: _listing(transport, sets[b.name]) for b in config.backups}
        order = sorted(config.backups, key=lambda b: _estimate(b, listings[b.name]))
        t0 = time.monotonic()
        used = 0
        for i, bset in enumerate(order):
            left = len(order) - i
            seconds = None if budget.seconds is None else max(1.0, (budget.seconds - (time.monotonic() - t0)) / left)
            nbytes = None if budget.bytes is None else max(1, (budget.bytes - used) // left)
            allowance = Allowance(seconds, nbytes)
            entry = st.set_entry(state, bset.name)
            try:
                summary = verify_set(sets[bset.name], listings[bset.name], entry, allowance, when, bar, path)
            except Exception as exc:
                summary = _failed(bset, entry, when, exc)
            entry["path"] = bset.path  # as the config writes it (the audit's backups table matches on it)
            used += summary.bytes_verified
            summaries.append(summary)
            listings[bset.name] = Listing()  # its file list is no longer needed
            st.save(path, state)
        st.save(path, state)
    summaries.sort(key=lambda s: [b.name for b in config.backups].index(s.name))
    return summaries, warnings
