"""Turn check results into the report payload described in DESIGN.md (the contract)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from secaudit import __version__
from secaudit.checks import load_checks
from secaudit.checks.engine import Result, effective_role, run_checks
from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.i18n import nfc
from secaudit.playbook import Playbook
from secaudit.report import SCHEMA
from secaudit.report.fit import fit
from secaudit.status import ATTESTED, RANK, REQUIREMENT_STATUSES, SEVERITIES, worst


def score(counts: dict[str, int]) -> int:
    """0..100 over what the machine judged: pass counts fully, warn half; not_applicable and attested
    (the school's own word, not checked) are left out."""
    judged = sum(v for k, v in counts.items() if k not in ("not_applicable", ATTESTED))
    if judged == 0:
        return 0
    return (200 * counts["pass"] + 100 * counts["warn"]) // (2 * judged)


def _inventory(snapshot: Snapshot) -> dict[str, Any]:
    accounts = [
        {k: u.get(k) for k in ("name", "id", "enabled", "interactive", "password_state",
                               "password_last_change", "last_login", "admin", "groups")}
        for u in snapshot.table("users")
    ]
    return {
        "accounts": accounts,
        "antivirus": snapshot.table("antivirus"),
        "listening_ports": snapshot.table("listening_ports"),
        "software": snapshot.table("software"),
        "interfaces": snapshot.table("interfaces"),
        "backups": snapshot.table("backups"),
        "devices": snapshot.table("devices"),
        "hardware": snapshot.table("hardware"),
    }


def _normalise(value: Any) -> Any:
    """NFC strings, integers only: the payload must serialise the same way everywhere."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return nfc(str(value))


def build(snapshot: Snapshot, playbook: Playbook, config: AgentConfig, agent_id: str, sequence: int
          ) -> dict[str, Any]:
    from secaudit.report import attestations

    registry = load_checks()
    now = datetime.now(UTC)
    attested = attestations.evaluate(playbook, attestations.load_answers(config) if playbook.attestations else {},
                                     now)
    by_id = {row["id"]: row for row in attested}
    requirements = playbook.evaluated_requirements()
    check_ids = list(dict.fromkeys(cid for req in requirements for cid in req.checks))
    results: dict[str, Result] = run_checks(snapshot, check_ids, playbook, config)

    req_rows = []
    by_check: dict[str, list[str]] = {}
    for req in requirements:
        statuses = [results[c].requirement_status for c in req.checks]  # a folded finding counts as before
        if req.attestations:
            statuses.append(attestations.requirement_status([by_id[a] for a in req.attestations]))
        req_rows.append({
            "id": req.id,
            "clause": ", ".join(req.clauses),
            "title": req.title,
            "status": worst(statuses),
            "checks": req.checks,
            "attestations": req.attestations,
            "basis": req.basis,
        })
        for cid in req.checks:
            by_check.setdefault(cid, []).append(req.id)

    findings = []
    for cid in check_ids:
        res, meta = results[cid], registry[cid].meta
        findings.append({
            "check_id": cid,
            "status": res.status,
            "severity": meta.severity,
            "requirements": by_check[cid],
            "title": meta.title,
            "message": res.message,
            "evidence": res.evidence,
            "remediation": meta.remediation,
        })
    findings.sort(key=lambda f: (-RANK[str(f["status"])], SEVERITIES.index(str(f["severity"])), str(f["check_id"])))

    counts: dict[str, int] = {s: 0 for s in REQUIREMENT_STATUSES}
    for row in req_rows:
        counts[str(row["status"])] += 1
    host = snapshot.table("host")
    os_info = host.get("os") or {}
    payload = {
        "schema": SCHEMA,
        "report_id": str(uuid.uuid4()),
        "sequence": sequence,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "secaudit", "version": __version__},
        "unit": {"code": config.unit_code, "name": config.unit_name, **config.unit_extra},
        "host": {
            "hostname": host.get("hostname") or "",
            "os": {"family": snapshot.os_family() or "", **{k: os_info.get(k) or "" for k in ("name", "version")}},
            "agent_id": agent_id,
            "role": effective_role(snapshot, config),
        },
        "playbook": {"id": playbook.id, "version": playbook.version, "sha256": playbook.sha256,
                     "title": playbook.title, "cadence": playbook.cadence},
        "mode": snapshot.mode,
        "facts_collected_at": snapshot.collected_at,
        "summary": {**counts, "score": score(counts)},
        "requirements": req_rows,
        "findings": findings,
        "attestations": attested,  # apart from the findings: the school's word, never checked
        "inventory": _inventory(snapshot),
    }
    return fit(_normalise(payload))  # lists cut with counts, so that the signed report always verifies
