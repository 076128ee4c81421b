"""Removable media (VN-DEV-05): AutoRun/AutoPlay off for every user, and the USB mass-storage driver blocked where
the unit's configuration asks for it (lab PCs: `[params."devices.usb_storage"] blocked = true`)."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check, part_or_unknown
from secaudit.facts.model import Snapshot


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
    args = {"source": source}
    if part.get("disabled") is None:
        return Outcome("unknown", "outdated", args, evidence)
    if part.get("disabled"):
        return Outcome("pass", "pass", args, evidence)
    if part.get("value") is True:
        return Outcome("warn", "not_locked", args, evidence)
    return Outcome("fail", "fail", args, evidence)


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
