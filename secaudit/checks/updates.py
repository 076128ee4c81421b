"""Where security updates come from (VN-PAT-01): apt must have an enabled security source for the release
the host runs, or the host cannot receive security updates however often it is updated."""

from __future__ import annotations

import re
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot

_MAIN_DEBIAN = re.compile(r"^[a-z+]+://(?![^/]*security\.debian\.org)[^/]+(/.*)?/debian/?$", re.I)


def _label(e: dict[str, Any]) -> str:
    return f"{e.get('uri')} {e.get('suite')} ({e.get('source')})"


@check("system.security_updates_source")
def security_updates_source(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    src: dict[str, Any] = snap.table("update_sources")
    entries = [e for e in src.get("entries", []) if e.get("type") == "deb"]
    enabled = [e for e in entries if e.get("enabled")]
    security = [e for e in enabled if e.get("pocket") == "security"]
    disabled = [e for e in entries if not e.get("enabled") and e.get("pocket") == "security"]
    unparsed = list(src.get("unparsed") or [])
    codenames = [str(c) for c in src.get("codenames") or []]
    if not codenames:
        os_info = snap.table("host").get("os") or {}
        codenames = [str(os_info.get("version_codename") or "").lower()] if os_info.get("version_codename") else []
    codename = " / ".join(codenames) or None
    aliases = {str(a).lower() for a in p.get("suite_aliases") or ()}
    matching = [e for e in security if not codenames or e.get("codename") in codenames]
    # Debian publishes <codename>-security only under .../debian-security: the same suite under a main archive
    # path (deb.debian.org/debian, a mirror's /debian) does not exist, and apt gets nothing from it.
    misplaced = [e for e in matching if _MAIN_DEBIAN.search(str(e.get("uri") or ""))
                 and str(e.get("suite") or "").endswith("-security")]
    matching = [e for e in matching if e not in misplaced]
    # archives that publish security fixes in the release suite itself (Raspbian has no -security suite)
    marks = [str(m).lower() for m in p.get("release_has_security") or ()]
    in_release = [e for e in enabled if e.get("pocket") == "release" and e.get("codename") in codenames
                  and any(m in str(e.get("uri") or "").lower() for m in marks)]
    aliased = [e for e in security if e not in matching and e.get("codename") in aliases]
    evidence: dict[str, Any] = {
        "security": [_label(e) for e in security], "disabled_security": [_label(e) for e in disabled],
        "enabled": [_label(e) for e in enabled], "files": src.get("files", []), "unparsed": unparsed,
        "codename": codename}
    suite = f"{codenames[-1]}-security" if codenames else "<codename>-security"  # a derivative: its base's
    args = {"codename": codename or "?", "suite": suite,
            "files": ", ".join(src.get("files") or []) or "/etc/apt/sources.list",
            "sources": [_label(e) for e in enabled] or ["-"], "security": [_label(e) for e in security],
            "disabled": [_label(e) for e in disabled], "unparsed": unparsed}
    if matching:
        return Outcome("pass", "pass", {**args, "security": [_label(e) for e in matching]}, evidence)
    if in_release:
        return Outcome("pass", "pass_in_release", {**args, "security": [_label(e) for e in in_release]}, evidence)
    if misplaced:
        return Outcome("fail", "fail_main_archive", {**args, "security": [_label(e) for e in misplaced]}, evidence)
    if aliased:
        return Outcome("warn", "warn_alias", args, evidence)
    if security:
        return Outcome("fail", "fail_other_release", args, evidence)
    if unparsed:
        return Outcome("unknown", "unknown_unparsed", args, evidence)
    if disabled:
        return Outcome("fail", "fail_disabled", args, evidence)
    if not enabled:
        return Outcome("fail", "fail_no_sources", args, evidence)
    return Outcome("fail", "fail", args, evidence)
