"""`secaudit backup verify`: integrity, restore drill and off-site check of every configured set
within a budget, remembering progress in the state file. The report is built afterwards from the
`backups` facts, which read what this stored."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from secaudit.agent.config import AgentConfig, BackupSet
from secaudit.backup import state as st
from secaudit.backup.budget import Allowance, Budget
from secaudit.backup.sets import Listing, list_set
from secaudit.backup.verify import Problem
from secaudit.backup.verify.repo import repo_data_bytes

DRILL_EVERY = 7 * 86400  # with a budget, a successful drill is repeated weekly (each run without one)
MAX_ERRORS_KEPT = 500


class Progress(Protocol):
    def start_set(self, name: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...

    def end_set(self) -> None: ...


class NoProgress:
    def start_set(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def end_set(self) -> None:
        pass


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


def _estimate(bset: BackupSet, listing: Listing) -> int:
    if bset.kind == "files":
        return sum(c.size or 0 for c in listing.copies)
    return repo_data_bytes(bset.path) or 0


def _drill_due(entry: dict[str, Any], allowance: Allowance, now: int) -> bool:
    if allowance.unlimited:
        return True
    last = entry.get("drill") or {}
    ok = last.get("error") is None and not last.get("mismatches")
    return not (ok and int(last.get("at") or 0) >= now - DRILL_EVERY)


def verify_set(bset: BackupSet, listing: Listing, entry: dict[str, Any], allowance: Allowance, now: int,
               progress: Progress) -> SetSummary:
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
        from secaudit.backup.filesets import verify_set as verify_files

        total = sum(c.size or 0 for c in listing.copies)
        progress.start_set(bset.name, total if allowance.bytes is None else min(total, allowance.bytes))
        run = verify_files(bset, listing, entry, allowance, now, progress.advance)
        progress.end_set()
        summary.bytes_total, summary.bytes_verified, summary.bytes_covered = (run.bytes_total, run.bytes_verified,
                                                                              run.bytes_covered)
        summary.method = ", ".join(sorted(run.methods)) or "nothing verified"
        summary.errors, summary.notes = run.errors, run.notes
        last.update({"files_verified": run.files_verified, "files_total": run.files_total})
    else:
        from secaudit.backup.verify import borg, restic

        progress.start_set(bset.name, None)
        repo_run = (restic.verify if bset.kind == "restic" else borg.verify)(bset, entry, allowance, now)
        progress.advance(repo_run.bytes_verified)
        progress.end_set()
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
    off = offsite.check(bset, listing, now)
    entry["offsite"] = None if off is None else off.to_dict()
    summary.offsite = entry["offsite"]
    summary.fully_verified_at = entry.get("fully_verified_at")
    summary.seconds = time.monotonic() - started
    return summary


def verify_all(config: AgentConfig, budget: Budget, progress: Progress | None = None, now: int | None = None
               ) -> tuple[list[SetSummary], list[str]]:
    """Verify every set; returns the summaries and warnings (e.g. a corrupt state file set aside)."""
    from secaudit.transport.local import LocalTransport

    when = int(time.time()) if now is None else now
    bar = progress or NoProgress()
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
        transport = LocalTransport()
        listings = {b.name: list_set(transport, b, keep_files=True) for b in config.backups}
        order = sorted(config.backups, key=lambda b: _estimate(b, listings[b.name]))
        t0 = time.monotonic()
        used = 0
        for i, bset in enumerate(order):
            left = len(order) - i
            seconds = None if budget.seconds is None else max(1.0, (budget.seconds - (time.monotonic() - t0)) / left)
            nbytes = None if budget.bytes is None else max(1, (budget.bytes - used) // left)
            allowance = Allowance(seconds, nbytes)
            summary = verify_set(bset, listings[bset.name], st.set_entry(state, bset.name), allowance, when, bar)
            used += summary.bytes_verified
            summaries.append(summary)
            st.save(path, state)
        st.save(path, state)
    summaries.sort(key=lambda s: [b.name for b in config.backups].index(s.name))
    return summaries, warnings
