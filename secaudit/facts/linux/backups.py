"""Backup sets from the agent config: their copies (stat only, or `restic snapshots` / `borg list`
with short timeouts) and the results `secaudit backup verify` stored in its state file.
Cheap on purpose: nothing here reads a backup's content beyond its first bytes."""

from __future__ import annotations

import stat as stat_mod
from typing import Any

from secaudit import limits
from secaudit.backup import state as backup_state
from secaudit.backup.offsite import check_local, redact
from secaudit.backup.sets import Listing, list_set
from secaudit.config import BackupSet
from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import gid_names, uid_names
from secaudit.facts.model import BackupCopyRow, BackupOffsiteRow, BackupRow, BackupVerificationRow
from secaudit.facts.registry import collector
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable
from secaudit.units import parse_duration

MAX_COPIES = 50
MAX_ERRORS = 50


def _time(ts: Any) -> str | None:
    return rfc3339(int(ts)) if isinstance(ts, int | float) and ts > 0 else None


def _state(ctx: FactContext) -> tuple[dict[str, Any], str]:
    path = str(backup_state.state_path(ctx.config))
    try:
        text = ctx.transport.read_text(path, cap=limits.STATE_FILE)
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


def _owner(ctx: FactContext, uid: int | None, gid: int | None) -> tuple[str | None, str | None]:
    users, grps = uid_names(ctx), gid_names(ctx)
    return (None if uid is None else users.get(uid, str(uid)), None if gid is None else grps.get(gid, str(gid)))


def _copies(ctx: FactContext, listing: Listing) -> tuple[list[BackupCopyRow], list[dict[str, Any]]]:
    """The newest MAX_COPIES copies in full; the others grouped by mode and owner, so that a
    world-readable old copy is still seen (never judged only on the first page)."""
    rows: list[BackupCopyRow] = []
    for c in listing.copies[:MAX_COPIES]:
        row: BackupCopyRow = {"path": c.path, "time": rfc3339(c.time), "size_bytes": c.size, "is_dir": c.is_dir}
        if c.mode is not None:
            row["mode"] = f"{stat_mod.S_IMODE(c.mode):04o}"
            row["owner"], row["group"] = _owner(ctx, c.uid, c.gid)
        if c.id is not None:
            row["id"] = c.id
        row["encrypted"] = c.encrypted
        if c.is_dir:
            row["complete"] = c.complete
        rows.append(row)
    groups: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for c in listing.copies[MAX_COPIES:]:
        if c.mode is None:
            continue
        mode = f"{stat_mod.S_IMODE(c.mode):04o}"
        owner, group = _owner(ctx, c.uid, c.gid)
        item = groups.setdefault((mode, owner, group), {"mode": mode, "owner": owner, "group": group, "count": 0,
                                                        "example": c.path})
        item["count"] += 1
    return rows, sorted(groups.values(), key=lambda g: (-g["count"], g["mode"]))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _verification(entry: dict[str, Any], state_file: str) -> BackupVerificationRow:
    """What the last `backup verify` stored, read defensively: the state file is data, not code."""
    last = _dict(entry.get("last_run"))
    listed = entry.get("errors")
    errors = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    stored = entry.get("formats")
    if isinstance(stored, list):
        formats = sorted({f for f in stored if isinstance(f, str)})
    else:  # older state files kept per-file records here
        formats = sorted({str(r.get("format")) for r in _dict(entry.get("files")).values()
                          if isinstance(r, dict) and r.get("format")})
    drill = entry.get("drill")
    notes = last.get("notes")
    row: BackupVerificationRow = {
        "verified_at": _time(last.get("at")),
        "bytes_verified": _int(last.get("bytes_verified")) or 0,
        "bytes_total": _int(last.get("bytes_total")),
        "bytes_covered": _int(last.get("bytes_covered")),
        "files_total": _int(last.get("files_total")),
        "files_covered": _int(last.get("files_covered")),
        "listing_complete": last.get("listing_complete") is not False,
        "fully_verified_at": _time(entry.get("fully_verified_at")),
        "method": str(last.get("method") or ""),
        "errors": errors[:MAX_ERRORS],
        "errors_count": _int(entry.get("errors_count")) or len(errors),
        "config_error": last.get("config_error") if isinstance(last.get("config_error"), dict) else None,
        "formats": formats,
        "notes": [str(n) for n in notes] if isinstance(notes, list) else [],
        "drill": None,
        "state_file": state_file,
    }
    if isinstance(drill, dict):
        mismatches = drill.get("mismatches")
        row["drill"] = {
            "at": _time(drill.get("at")) or "", "copy": str(drill.get("copy") or ""),
            "method": str(drill.get("method") or ""), "files_restored": _int(drill.get("files_restored")) or 0,
            "files_compared": _int(drill.get("files_compared")) or 0,
            "skipped_changed": _int(drill.get("skipped_changed")) or 0,
            "mismatches": [m for m in mismatches if isinstance(m, dict)][:MAX_ERRORS]
            if isinstance(mismatches, list) else [],
            "error": drill.get("error") if isinstance(drill.get("error"), dict) else None,
        }
    return row


def _password_file(ctx: FactContext, bset: BackupSet) -> dict[str, Any] | None:
    """Who may read the repository's password: its mode and owner (never its content)."""
    if bset.kind not in ("restic", "borg") or not bset.password_file:
        return None
    try:
        st = ctx.transport.stat(bset.password_file)
    except FactUnavailable as exc:
        return {"path": bset.password_file, "error": {"code": exc.code, "detail": exc.detail}}
    owner, group = _owner(ctx, st.uid, st.gid)
    return {"path": bset.password_file, "mode": f"{stat_mod.S_IMODE(st.mode):04o}", "owner": owner,
            "group": group, "uid": st.uid, "gid": st.gid, "regular": st.is_file}


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
        missing = stored.get("missing")
        return {"location": str(stored["location"]), "kind": "sftp", "checked_at": _time(stored.get("checked_at")),
                "reachable": stored.get("reachable") if isinstance(stored.get("reachable"), bool) else None,
                "newest_time": _time(stored.get("newest_time")),
                "newest_path": stored.get("newest_path") if isinstance(stored.get("newest_path"), str) else None,
                "count": _int(stored.get("count")) or 0, "same_device": None,
                "missing": [m for m in missing if isinstance(m, str)] if isinstance(missing, list) else [],
                "max_age_seconds": max_age,
                "error": stored.get("error") if isinstance(stored.get("error"), dict) else None,
                "complete": stored.get("complete") is not False}
    res = check_local(bset, bset.offsite, listing, int(ctx.now), ctx.transport, source_dev)
    return {"location": res.location, "kind": "local", "checked_at": _time(res.checked_at),
            "reachable": res.reachable, "newest_time": _time(res.newest_time), "newest_path": res.newest_path,
            "count": res.count, "same_device": res.same_device, "missing": res.missing, "max_age_seconds": max_age,
            "error": None if res.error is None else {"code": res.error[0], "detail": res.error[1]},
            "complete": res.complete}


def backup_row(ctx: FactContext, bset: BackupSet, entry: dict[str, Any], state_file: str) -> BackupRow:
    listing = list_set(ctx.transport, bset)
    times = [c.time for c in listing.copies]
    copies, others = _copies(ctx, listing)
    row: BackupRow = {
        "set": bset.name, "kind": bset.kind, "path": bset.path, "data_source": bset.source,
        "personal_data": bset.personal_data, "max_age_seconds": parse_duration(bset.max_age),
        "min_count": bset.min_count, "copies": copies, "other_copies": others, "count": len(listing.copies),
        "newest_time": _time(max(times)) if times else None, "oldest_time": _time(min(times)) if times else None,
        "span_days": (max(times) - min(times)) // 86400 if times else None,
        "directory": None, "encryption": listing.encryption, "same_device_as_source": None,
        "offsite": None, "verification": _verification(entry, state_file),
        "error": None if listing.error is None else {"code": listing.error[0], "detail": listing.error[1]},
        "source": listing.source, "listing": None, "password_file": _password_file(ctx, bset),
    }
    if listing.walk is not None:
        row["listing"] = {"complete": listing.complete, "entries": listing.walk.entries,
                          "limit": listing.walk.limit, "truncated": listing.walk.truncated,
                          "special": listing.walk.special_count, "unlisted": listing.walk.unlisted_count}
    if listing.dir_stat is not None:
        owner, group = _owner(ctx, listing.dir_stat.uid, listing.dir_stat.gid)
        row["directory"] = {"path": listing.dir_path, "mode": f"{stat_mod.S_IMODE(listing.dir_stat.mode):04o}",
                            "owner": owner, "group": group}
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
        entry = _dict(state["sets"].get(bset.name))
        if entry.get("path") not in (None, bset.path) or entry.get("kind") not in (None, bset.kind):
            entry = {}  # the set was redefined: older results are about something else
        try:
            rows.append(backup_row(ctx, bset, entry, state_file))
        except Exception as exc:  # one set that trips the collector is that set's error, not the table's
            rows.append(_failed_row(bset, state_file, f"{type(exc).__name__}: {str(exc)[:200]}"))
    ctx.put("backups", rows)


def _failed_row(bset: BackupSet, state_file: str, detail: str) -> BackupRow:
    return {"set": bset.name, "kind": bset.kind, "path": bset.path, "data_source": bset.source,
            "personal_data": bset.personal_data, "max_age_seconds": parse_duration(bset.max_age),
            "min_count": bset.min_count, "copies": [], "other_copies": [], "count": 0, "newest_time": None,
            "oldest_time": None, "span_days": None, "directory": None, "encryption": None,
            "same_device_as_source": None, "offsite": None, "verification": _verification({}, state_file),
            "error": {"code": "error", "detail": f"the set could not be examined ({detail})"},
            "source": "", "listing": None, "password_file": None}


__all__ = ["backup_row", "collect_backups"]
