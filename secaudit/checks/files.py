"""Permissions of the account databases and sudoers."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot


@check("files.sensitive_modes")
def sensitive_modes(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rules: dict[str, dict[str, Any]] = p["files"]
    bad = []
    for row in snap.table("file_modes"):
        rule = rules.get(row["path"])
        if rule is None:
            continue
        mode = int(row["mode"], 8)
        problems = []
        if mode & ~int(rule["max_mode"], 8):
            problems.append(f"mode {row['mode']} > {rule['max_mode']}")
        if row["owner"] not in rule["owners"]:
            problems.append(f"owner {row['owner']}")
        if row["group"] not in rule["groups"]:
            problems.append(f"group {row['group']}")
        if problems:
            bad.append({**row, "expected": rule, "problems": problems})
    unreadable = sorted(k.split(":", 1)[1] for k in snap.unknown if k.startswith("file_modes:"))
    if bad:
        return Outcome("fail", "fail", {"files": [f"{b['path']} ({'; '.join(b['problems'])})" for b in bad]},
                       {"files": bad})
    if unreadable:
        return Outcome("unknown", "unknown", {"files": unreadable}, {"unreadable": unreadable})
    # Every system has these: when they are missing, "nothing has a wrong mode" is no evidence.
    seen = {row["path"] for row in snap.table("file_modes")}
    missing = [f for f in p.get("required") or [] if f not in seen]
    if missing:
        return Outcome("unknown", "unknown_missing", {"files": missing}, {"missing": missing})
    return Outcome("pass", "pass", {"n": len(snap.table("file_modes"))},
                   {"files": snap.table("file_modes")})
