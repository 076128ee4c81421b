"""Permissions of the files that decide who is root: account databases, sudoers, the SSH
server's configuration and host keys, cron's system tables, the programs on root's PATH and
set-id files in the temporary directories.

A rule is keyed by a path or by a shell pattern over the entries of one directory
(`/etc/sudoers.d/*`); an exact path wins over a pattern, then the first pattern that matches.
`"*"` in owners or groups accepts any name.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot

_MAGIC = frozenset("*?[")


def _rule(rules: dict[str, dict[str, Any]], path: str) -> dict[str, Any] | None:
    if path in rules:
        return rules[path]
    directory, name = posixpath.split(path)
    for key, rule in rules.items():
        if _MAGIC & set(key):
            key_dir, key_name = posixpath.split(key)
            same_dir = key_dir == directory or (bool(_MAGIC & set(key_dir)) and fnmatch.fnmatchcase(directory, key_dir)
                                                and directory.count("/") == key_dir.count("/"))
            if same_dir and fnmatch.fnmatchcase(name, key_name):
                return rule
    return None


def _problems(row: dict[str, Any], rule: dict[str, Any]) -> list[str]:
    problems = []
    mode = int(row["mode"], 8)
    if row.get("kind") == "dir":
        mode &= ~0o6000  # set-gid on a directory only passes its group on to new files: no privilege
    if mode & ~int(rule["max_mode"], 8):
        problems.append(f"mode {row['mode']} > {rule['max_mode']}")
    if "*" not in rule["owners"] and row["owner"] not in rule["owners"]:
        problems.append(f"owner {row['owner']}")
    if "*" not in rule["groups"] and row["group"] not in rule["groups"]:
        problems.append(f"group {row['group']}")
    return problems


@check("files.sensitive_modes")
def sensitive_modes(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rules: dict[str, dict[str, Any]] = p["files"]
    bad = []
    for row in snap.table("file_modes"):
        rule = _rule(rules, row["path"])
        if rule is None:
            continue
        problems = _problems(row, rule)
        if problems:
            bad.append({**row, "expected": rule, "problems": problems})
    unknown = sorted(k.split(":", 1)[1] for k in snap.unknown if k.startswith("file_modes:"))
    # A directory that cannot be listed (sudoers.d is 0750): its entries are not reachable by
    # the people it is closed to either, so only the files that could not be read block a pass.
    unreadable = [u for u in unknown if not u.endswith("/")]
    not_listed = [u.rstrip("/") for u in unknown if u.endswith("/")]
    if bad:
        return Outcome("fail", "fail", {"files": [f"{b['path']} ({'; '.join(b['problems'])})" for b in bad]},
                       {"files": bad, **({"not_listed": not_listed} if not_listed else {})})
    if unreadable:
        return Outcome("unknown", "unknown", {"files": unreadable}, {"unreadable": unreadable})
    # Every system has these: when they are missing, "nothing has a wrong mode" is no evidence.
    seen = {row["path"] for row in snap.table("file_modes")}
    missing = [f for f in p.get("required") or [] if f not in seen]
    if missing:
        return Outcome("unknown", "unknown_missing", {"files": missing}, {"missing": missing})
    named = [row for row in snap.table("file_modes") if row["path"] in rules]  # not every program on PATH
    return Outcome("pass", "pass", {"n": len(snap.table("file_modes"))},
                   {"files": named, **({"not_listed": not_listed} if not_listed else {})})
