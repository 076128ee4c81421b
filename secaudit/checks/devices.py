"""Removable media (VN-DEV-05): AutoRun/AutoPlay off for every user, and the USB mass-storage driver blocked where
the unit's configuration asks for it (lab PCs: `[params."devices.usb_storage"] blocked = true`)."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check, part_or_unknown
from secaudit.checks.desktop import DESKTOP_NAMES
from secaudit.facts.model import Snapshot
from secaudit.status import Status, worst


@check("devices.autorun")
def autorun(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    part = part_or_unknown(snap, "removable_media", "autorun", "removable_media")
    if isinstance(part, Outcome):
        return part
    source = str(part.get("source", ""))
    evidence = {k: v for k, v in part.items()}
    if env.family == "windows":
        types, no_autorun = part.get("no_drive_type_autorun"), part.get("no_autorun")
        args = {"types": "-" if types is None else f"0x{types:02X}", "no_autorun": "-" if no_autorun is None
                else no_autorun, "source": source}
        if part.get("disabled"):
            return Outcome("pass", "win_pass", args, evidence)
        if types == 0xFF:
            return Outcome("warn", "win_autorun_inf", args, evidence)
        return Outcome("fail", "win_fail", args, evidence)
    if not part.get("desktop", True):
        return Outcome("not_applicable", "no_desktop", {"source": source}, evidence)
    return _linux_autorun([_judge(e) for e in _people(_desktops(part))], evidence)


def _people(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each desktop's people get: the system's settings when someone has no files of their own, and each
    person's own (read with the system's, what the system locked staying the system's)."""
    out: list[dict[str, Any]] = []
    for entry in entries:
        if entry.get("default_applies", True):
            out.append({k: v for k, v in entry.items() if k != "users"})
        out.extend({**own, "desktop": entry.get("desktop")} for own in entry.get("users") or []
                   if isinstance(own, dict))
    return out


def _desktops(part: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-desktop entries; a snapshot from before them has GNOME's fields at the top."""
    entries = part.get("desktops")
    if isinstance(entries, list):
        return [e for e in entries if isinstance(e, dict)]
    value, disabled = part.get("value"), part.get("disabled")
    return [{"desktop": "gnome", "autorun_off": None if disabled is None else value is True,
             "locked": bool(part.get("locked")), "source": part.get("source"),
             "setting": f"org.gnome.desktop.media-handling autorun-never {str(value).lower() if value else '-'}"}]


def _judge(entry: dict[str, Any]) -> tuple[Status, str, dict[str, Any]]:
    """(status, message key, entry) of one desktop: autorun off and locked passes; off but changeable warns."""
    off, locked, source = entry.get("autorun_off"), entry.get("locked"), str(entry.get("source") or "")
    if off is None:
        return "unknown", "outdated" if "dconf update" in source else "undetermined", entry
    if off is False:
        return "fail", "fail", entry
    if locked is None:
        return "unknown", "undetermined", entry
    return ("pass", "pass", entry) if locked else ("warn", "not_locked", entry)


def _linux_autorun(judged: list[tuple[Status, str, dict[str, Any]]], evidence: dict[str, Any]) -> Outcome:
    """One finding: the worst desktop's status, naming every desktop in that state, its setting and source."""
    if not judged:  # a desktop seen, but none whose settings were read
        return Outcome("unknown", "undetermined", {"desktop": "-", "detail": "-"}, evidence)
    status = next(s for s, _, _ in judged if s == worst([s for s, _, _ in judged]))
    key = next(k for s, k, _ in judged if s == status)
    chosen = [e for s, k, e in judged if s == status and k == key]
    names = [DESKTOP_NAMES.get(str(e.get("desktop")), str(e.get("desktop"))) + (f" ({e['user']})" if e.get("user")
                                                                                else "") for e in chosen]
    details = [f"{e.get('setting') or '-'}; {e.get('source') or '-'}" for e in chosen]
    if len(chosen) > 1:
        details = [f"{n}: {d}" for n, d in zip(names, details, strict=True)]
    args = {"desktop": ", ".join(names), "detail": " | ".join(details)}
    return Outcome(status, key, args, evidence)


@check("devices.usb_storage")
def usb_storage(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    part = part_or_unknown(snap, "removable_media", "usb_storage", "removable_media")
    if not p.get("blocked"):
        evidence = {} if isinstance(part, Outcome) else dict(part)
        return Outcome("not_applicable", "not_asked", {}, evidence)
    if isinstance(part, Outcome):
        return part
    source = str(part.get("source", ""))
    evidence = dict(part)
    args = {"source": source, "install": part.get("install") or "-", "start": part.get("start")}
    if env.family == "windows":
        if part.get("blocked"):
            return Outcome("pass", "win_pass", args, evidence)
        return Outcome("fail", "win_fail", {**args, "start": "-" if part.get("start") is None else part["start"]},
                       evidence)
    if part.get("builtin"):
        return Outcome("fail", "builtin", args, evidence)
    if part.get("loaded"):
        return Outcome("fail", "loaded", args, evidence)
    if part.get("blocked"):
        return Outcome("pass", "pass", args, evidence)
    if part.get("blacklisted"):
        return Outcome("warn", "blacklist_only", args, evidence)
    return Outcome("fail", "fail", args, evidence)
