"""Risky services listening on the network (VN-NET-02). The policy: secaudit/policy/ports.py."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.policy.ports import ROLES, binding, build_policy, parse_allowed, shipped_policy


def _describe(item: dict[str, Any]) -> str:
    who = ", ".join(str(x) for x in (item.get("process"), f"pid {item['pid']}" if item.get("pid") else None) if x)
    where = f"{item['proto']}/{item['port']} {item['address']}"
    return f"{item['service']} ({where}{', ' + who if who else ''})"


@check("ports.risky_services")
def risky_services(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    policy = build_policy(shipped_policy(), p.get("extra_services") or [])
    allowed, invalid = parse_allowed([*env.config.allowed_ports, *(p.get("allowed") or [])])
    role = env.role if env.role in ROLES else "workstation"
    rows = snap.table("listening_ports")
    findings: list[dict[str, Any]] = []
    permitted: list[dict[str, Any]] = []
    for row in rows:
        entry = policy.get((row.get("proto", ""), int(row.get("port", 0))))
        if entry is None:
            continue
        bind = binding(str(row.get("address", "")))
        verdict = entry["verdicts"]["loopback" if bind == "loopback" else "exposed"][role]
        if verdict == "ok":
            continue
        item = {"proto": row["proto"], "address": row["address"], "port": row["port"],
                "service": entry["service"], "category": entry["category"], "category_label": entry["label"],
                "binding": bind, "verdict": verdict, "process": row.get("process"), "pid": row.get("pid"),
                "user": row.get("user"), "source": row.get("source")}
        rule = next((r for r in allowed if row["proto"] in r[0] and row["port"] in r[1]), None)
        if rule is not None:
            permitted.append({**item, "verdict": "allowed", "note": f"allowed by config ({rule[2]})"})
        else:
            findings.append(item)
    evidence: dict[str, Any] = {"role": role, "findings": findings, "allowed": permitted,
                                "listening": len(rows)}
    if invalid:
        evidence["invalid_allowed_entries"] = invalid
    fails = [_describe(f) for f in findings if f["verdict"] == "fail"]
    warns = [_describe(f) for f in findings if f["verdict"] == "warn"]
    if fails:
        key = "fail_and_warn" if warns else "fail"
        return Outcome("fail", key, {"fail": fails, "warn": warns}, evidence)
    if warns:
        return Outcome("warn", "warn", {"warn": warns}, evidence)
    if permitted:
        return Outcome("pass", "pass_allowed", {"n": len(rows), "allowed": [_describe(a) for a in permitted]},
                       evidence)
    return Outcome("pass", "pass", {"n": len(rows)}, evidence)
