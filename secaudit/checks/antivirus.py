"""Anti-malware: present and running, real-time protection, fresh signatures, recent scans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from secaudit.checks.base import Env, Outcome, check, status_by_role
from secaudit.facts.model import Snapshot
from secaudit.status import Status
from secaudit.timefmt import parse_rfc3339

DAY = 86400


def _installed(snap: Snapshot) -> list[dict[str, Any]]:
    return [r for r in snap.table("antivirus") if isinstance(r, dict) and r.get("installed")]


def _when(value: str) -> datetime:
    return parse_rfc3339(value)


def _age(env: Env, value: str) -> int:
    """Seconds from `value` to the evaluation time (never negative: clocks may disagree)."""
    return max(0, int((env.now - _when(value)).total_seconds()))


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("product", "vendor", "running", "running_processes", "realtime", "realtime_source",
            "signature_time", "signature_source", "updater_running", "updater_scheduled",
            "updater_source", "last_scan_time", "last_scan_source", "managed", "managed_source",
            "enabled_units", "source")
    return {k: row.get(k) for k in keys if k in row}


def is_approved(row: dict[str, Any], approved: list[str]) -> bool:
    """A config entry approves a product when it names its id, or is part of its product or vendor name."""
    names = [str(row.get(k, "")).casefold() for k in ("id", "product", "vendor")]
    for entry in approved:
        want = entry.strip().casefold()
        if want and (want == names[0] or any(want in n for n in names[1:])):
            return True
    return False


@check("antivirus.present")
def present(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rows = _installed(snap)
    if not rows:
        return Outcome(status_by_role(p, "missing_status", env.role), "no_antivirus", {},
                       {"role": env.role, "products": []})
    evidence = {"products": [_summary(r) for r in rows]}
    names = [r["product"] for r in rows]
    approved = list(env.config.approved_antivirus)
    unapproved = [r["product"] for r in rows if approved and not is_approved(r, approved)]
    if all(r.get("running") is None for r in rows):
        why = snap.why_unknown("antivirus.running")
        enabled = sorted({u for r in rows for u in r.get("enabled_units", [])})
        if not enabled:
            return Outcome("warn", "not_enabled", {"products": names}, evidence)
        base = Outcome("pass", "installed_not_observable",
                       {"products": names, "units": enabled,
                        "reason": why["detail"] if why else "--root"}, evidence)
    else:
        running = [r for r in rows if r.get("running")]
        if not running:
            return Outcome("fail", "not_running", {"products": names}, evidence)
        base = Outcome("pass", "pass", {"products": [
            f"{r['product']} ({', '.join(r.get('running_processes') or [])})" for r in running]}, evidence)
    if unapproved:
        return Outcome("warn", "unapproved", {"products": unapproved, "approved": approved},
                       {**evidence, "approved": approved, "unapproved": unapproved})
    return base


def _on(env: Env, key: str) -> str:
    """The message key for the snapshot's OS: `win_<key>` (Windows wording: no files, no sudo) on Windows."""
    return f"win_{key}" if env.family == "windows" else key


@check("antivirus.realtime")
def realtime(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rows = _installed(snap)
    off_status = status_by_role(p, "off_status", env.role)
    if not rows:
        return Outcome(off_status, "no_antivirus", {}, {"role": env.role})
    evidence = {"products": [_summary(r) for r in rows], "role": env.role}
    on = [r for r in rows if r.get("realtime") is True]
    if on:
        return Outcome("pass", "pass", {"products": [f"{r['product']} ({r.get('realtime_source')})" for r in on]},
                       evidence)
    unknown = [r for r in rows if r.get("realtime") is None]
    if unknown:
        return Outcome("unknown", _on(env, "unknown"), {"products": [r["product"] for r in unknown]}, evidence)
    return Outcome(off_status, "disabled", {"products": [f"{r['product']} ({r.get('realtime_source')})" for r in rows]},
                   evidence)


def _updater_off(row: dict[str, Any]) -> bool:
    if row.get("updater_scheduled"):
        return False
    if row.get("updater_running") is not None:  # live system: is it updating now?
        return not row["updater_running"]
    return row.get("updater_enabled") is False  # mounted root: does anything start it at boot?


@check("antivirus.signature_age")
def signature_age(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    rows = _installed(snap)
    if not rows:
        return Outcome("not_applicable", "no_antivirus", {}, {})
    pass_s, fail_s = int(p["pass_days"]) * DAY, int(p["fail_days"]) * DAY
    if any(r.get("running") for r in rows):  # Windows: a passive Defender does not protect, another product does
        rows = [r for r in rows if not str(r.get("running_mode") or "").endswith("Passive Mode")]
    known = [r for r in rows if r.get("signature_time")]
    missing = [r for r in rows if not r.get("signature_time") and r.get("signatures_found") is False]
    # Windows Security Center says up to date or not, without a date (productState).
    flagged = [r for r in rows if not r.get("signature_time") and r not in missing
               and isinstance(r.get("signatures_out_of_date"), bool)]
    unknown = [r["product"] for r in rows if not r.get("signature_time") and r not in missing and r not in flagged]
    outcomes = [Outcome("fail", "missing", {"product": r["product"], "source": r.get("signature_source")},
                        _summary(r)) for r in missing]
    outcomes += [Outcome("fail" if r["signatures_out_of_date"] else "pass",
                         "wsc_out_of_date" if r["signatures_out_of_date"] else "wsc_up_to_date",
                         {"product": r["product"]}, {**_summary(r), "product_state": r.get("product_state")})
                 for r in flagged]
    if not known and not missing and not flagged:
        why = snap.unknown.get("antivirus.signature_time")
        return Outcome("unknown", _on(env, "unknown"), {"products": unknown},
                       {"products": [_summary(r) for r in rows], **({"reason": why} if why else {})})
    for row in known:
        age = _age(env, row["signature_time"])
        status: Status = "pass" if age <= pass_s else "warn" if age <= fail_s else "fail"
        key = {"pass": "pass", "warn": "old", "fail": "stale"}[status]
        if _updater_off(row) and status == "pass":
            status, key = "warn", "updater_off"
        args = {"product": row["product"], "days": age // DAY, "time": row["signature_time"],
                "source": row.get("signature_source"), "updater": row.get("updater_source") or "-",
                "pass_days": p["pass_days"], "fail_days": p["fail_days"]}
        evidence = {**_summary(row), "age_days": age // DAY, "updater_off": _updater_off(row)}
        if unknown:
            evidence["unknown_products"] = unknown
        outcomes.append(Outcome(status, key, args, evidence))
    if unknown and not known and flagged:
        outcomes.append(Outcome("unknown", _on(env, "unknown"), {"products": unknown}, {"unknown_products": unknown}))
    return outcomes


@check("antivirus.last_scan")
def last_scan(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rows = _installed(snap)
    if not rows:
        return Outcome("not_applicable", "no_antivirus", {}, {})
    scanned = [r for r in rows if r.get("last_scan_time")]
    why = snap.unknown.get("antivirus.last_scan_time")
    if not scanned and why:
        return Outcome("unknown", _on(env, "unreadable"), {"file": why["detail"]}, {"reason": why})
    if not scanned:
        return Outcome("warn", _on(env, "never"), {"products": [r["product"] for r in rows]},
                       {"products": [_summary(r) for r in rows]})
    newest = max(scanned, key=lambda r: _when(r["last_scan_time"]))
    age = _age(env, newest["last_scan_time"])
    args = {"product": newest["product"], "days": age // DAY, "time": newest["last_scan_time"],
            "source": newest.get("last_scan_source"), "max_days": p["max_days"]}
    evidence = {**_summary(newest), "age_days": age // DAY}
    if age > int(p["max_days"]) * DAY:
        return Outcome("warn", "old", args, evidence)
    return Outcome("pass", "pass", args, evidence)
