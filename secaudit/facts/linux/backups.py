"""Backup sets from the agent config: their copies (stat only, or `restic snapshots` / `borg list`
with short timeouts) and the results `secaudit backup verify` stored in its state file.
Cheap on purpose: nothing here reads a backup's content beyond its first bytes."""

from __future__ import annotations

import stat as stat_mod
from typing import Any

from secaudit.agent.config import BackupSet
from secaudit.backup import state as backup_state
from secaudit.backup.budget import parse_duration
from secaudit.backup.offsite import check_local, redact
from secaudit.backup.sets import Listing, list_set
from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import gid_names, uid_names
from secaudit.facts.model import BackupCopyRow, BackupOffsiteRow, BackupRow, BackupVerificationRow
from secaudit.facts.registry import collector, rfc3339
from secaudit.transport.base import FactUnavailable

MAX_COPIES = 50
MAX_ERRORS = 50


def _time(ts: Any) -> str | None:
    return rfc3339(int(ts)) if isinstance(ts, int | float) and ts > 0 else None


def _state(ctx: FactContext) -> tuple[dict[str, Any], str]:
    path = str(backup_state.state_path(ctx.config))
    try:
        text = ctx.transport.read_text(path)
    except FactUnavailable as exc:
        if exc.code != "not_found":
            ctx.unknown("backups.verification", exc.code, f"{path}: {exc.detail}")
        return backup_state.empty(), path
    try:
        return backup_state.parse(text, path), path
    except backup_state.StateCorrupt as exc:
        ctx.unknown("backups.verification", "error",
                    f"{exc}; the next `secaudit backup verify` sets it aside and starts afresh")
        return backup_state.empty(), path


def _copies(ctx: FactContext, listing: Listing) -> list[BackupCopyRow]:
    users, grps = uid_names(ctx), gid_names(ctx)
    rows: list[BackupCopyRow] = []
    for c in listing.copies[:MAX_COPIES]:
        row: BackupCopyRow = {"path": c.path, "time": rfc3339(c.time), "size_bytes": c.size, "is_dir": c.is_dir}
        if c.mode is not None:
            row["mode"] = f"{stat_mod.S_IMODE(c.mode):04o}"
            row["owner"] = users.get(c.uid or 0, str(c.uid)) if c.uid is not None else None
            row["group"] = grps.get(c.gid or 0, str(c.gid)) if c.gid is not None else None
        if c.id is not None:
            row["id"] = c.id
        row["encrypted"] = c.encrypted
        rows.append(row)
    return rows


def _verification(entry: dict[str, Any], state_file: str) -> BackupVerificationRow:
    last = entry.get("last_run") or {}
    errors = [e for e in entry.get("errors") or [] if isinstance(e, dict)]
    formats = sorted({str(r.get("format")) for r in (entry.get("files") or {}).values()
                      if isinstance(r, dict) and r.get("format")})
    drill = entry.get("drill")
    row: BackupVerificationRow = {
        "verified_at": _time(last.get("at")),
        "bytes_verified": int(last.get("bytes_verified") or 0),
        "bytes_total": last.get("bytes_total"),
        "bytes_covered": last.get("bytes_covered"),
        "fully_verified_at": _time(entry.get("fully_verified_at")),
        "method": str(last.get("method") or ""),
        "errors": errors[:MAX_ERRORS],
        "errors_count": int(entry.get("errors_count") or len(errors)),
        "config_error": last.get("config_error"),
        "formats": formats,
        "notes": list(last.get("notes") or []),
        "drill": None,
        "state_file": state_file,
    }
    if isinstance(drill, dict):
        row["drill"] = {
            "at": _time(drill.get("at")) or "", "copy": str(drill.get("copy") or ""),
            "method": str(drill.get("method") or ""), "files_restored": int(drill.get("files_restored") or 0),
            "files_compared": int(drill.get("files_compared") or 0),
            "skipped_changed": int(drill.get("skipped_changed") or 0),
            "mismatches": list(drill.get("mismatches") or [])[:MAX_ERRORS], "error": drill.get("error"),
        }
    return row


def _offsite(ctx: FactContext, bset: BackupSet, listing: Listing, entry: dict[str, Any],
             source_dev: int | None) -> BackupOffsiteRow | None:
    if not bset.offsite:
        return None
    max_age = parse_duration(bset.offsite_max_age or bset.max_age)
    stored = entry.get("offsite") if isinstance(entry.get("offsite"), dict) else None
    if bset.offsite.startswith("sftp://"):
        # Checked over SSH by `secaudit backup verify`; the audit only reports that result.
        if stored is None or stored.get("location") != redact(bset.offsite):
            return {"location": redact(bset.offsite), "kind": "sftp", "checked_at": None, "reachable": None,
                    "newest_time": None, "newest_path": None, "count": 0, "same_device": None, "missing": [],
                    "max_age_seconds": max_age, "error": None}
        return {"location": str(stored["location"]), "kind": "sftp", "checked_at": _time(stored.get("checked_at")),
                "reachable": stored.get("reachable"), "newest_time": _time(stored.get("newest_time")),
                "newest_path": stored.get("newest_path"), "count": int(stored.get("count") or 0),
                "same_device": None, "missing": list(stored.get("missing") or []), "max_age_seconds": max_age,
                "error": stored.get("error")}
    res = check_local(bset, bset.offsite, listing, int(ctx.now), ctx.transport, source_dev)
    return {"location": res.location, "kind": "local", "checked_at": _time(res.checked_at),
            "reachable": res.reachable, "newest_time": _time(res.newest_time), "newest_path": res.newest_path,
            "count": res.count, "same_device": res.same_device, "missing": res.missing, "max_age_seconds": max_age,
            "error": None if res.error is None else {"code": res.error[0], "detail": res.error[1]}}


def backup_row(ctx: FactContext, bset: BackupSet, entry: dict[str, Any], state_file: str) -> BackupRow:
    listing = list_set(ctx.transport, bset)
    times = [c.time for c in listing.copies]
    row: BackupRow = {
        "set": bset.name, "kind": bset.kind, "path": bset.path, "data_source": bset.source,
        "personal_data": bset.personal_data, "max_age_seconds": parse_duration(bset.max_age),
        "min_count": bset.min_count, "copies": _copies(ctx, listing), "count": len(listing.copies),
        "newest_time": _time(max(times)) if times else None, "oldest_time": _time(min(times)) if times else None,
        "span_days": (max(times) - min(times)) // 86400 if times else None,
        "directory": None, "encryption": listing.encryption, "same_device_as_source": None,
        "offsite": None, "verification": _verification(entry, state_file),
        "error": None if listing.error is None else {"code": listing.error[0], "detail": listing.error[1]},
        "source": listing.source,
    }
    if listing.dir_stat is not None:
        users, grps = uid_names(ctx), gid_names(ctx)
        row["directory"] = {"path": listing.dir_path, "mode": f"{stat_mod.S_IMODE(listing.dir_stat.mode):04o}",
                            "owner": users.get(listing.dir_stat.uid, str(listing.dir_stat.uid)),
                            "group": grps.get(listing.dir_stat.gid, str(listing.dir_stat.gid))}
    source_dev = None
    if bset.source:
        try:
            source_dev = ctx.transport.stat(bset.source).dev
        except FactUnavailable:
            source_dev = None
    if source_dev is not None and listing.dir_stat is not None and listing.dir_stat.dev:
        row["same_device_as_source"] = listing.dir_stat.dev == source_dev
    row["offsite"] = _offsite(ctx, bset, listing, entry, source_dev)
    return row


@collector("backups", ("backups",))
def collect_backups(ctx: FactContext) -> None:
    if not ctx.config.backups:
        ctx.put("backups", [])
        return
    state, state_file = _state(ctx)
    rows = []
    for bset in ctx.config.backups:
        entry = state["sets"].get(bset.name) or {}
        if entry.get("path") not in (None, bset.path) or entry.get("kind") not in (None, bset.kind):
            entry = {}  # the set was redefined: older results are about something else
        rows.append(backup_row(ctx, bset, entry, state_file))
    ctx.put("backups", rows)


__all__ = ["backup_row", "collect_backups"]
