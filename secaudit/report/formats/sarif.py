"""SARIF 2.1.0 export of findings, for tools that read static-analysis results.

One run per host report (the unit's own attestations, which no machine checked, ride apart in the
run's properties.attestations, never as results). Rules come from the findings (id = check_id); results are the findings
that need a person: fail, warn, error and unknown (all of them with include_all=True).
SARIF allows a level other than "none" only for kind "fail" (§3.27.9), so a warning is a
kind "fail" result at level "warning", and error/unknown are kind "review" at level "none";
the secaudit status is kept in properties.status.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from secaudit.report.formats.interface import Format, RenderOptions, Report
from secaudit.safetext import DOCUMENT_UNSAFE

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "info": "note"}
KIND = {"fail": "fail", "warn": "fail", "pass": "pass", "not_applicable": "notApplicable"}  # others: review
EXPORTED = ("fail", "warn", "error", "unknown")
LANGUAGE = {"vi": "vi-VN", "en": "en-US"}

# Identifying integers in evidence; other integers are ages, counts or pids that change between runs.
_ID_INTS = {"port", "uid", "gid", "id", "mode"}
_VOLATILE = re.compile(r"time|date|age|days|hours|last|count|_at$|^pid$|seen|size|version")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or value.get("vi") or "")
    return "" if value is None else str(value)


def _identity(value: Any, key: str = "") -> list[str]:
    """The parts of the evidence that name the thing (user, file, port), not when or how often."""
    if isinstance(value, dict):
        out: list[str] = []
        for k in sorted(value, key=str):
            if not _VOLATILE.search(str(k)):
                out.extend(_identity(value[k], f"{key}.{k}" if key else str(k)))
        return out
    if isinstance(value, list):
        return sorted(part for item in value for part in _identity(item, key))
    if isinstance(value, str):
        return [] if _TIME.match(value) else [f"{key}={value}"]
    if isinstance(value, int) and not isinstance(value, bool) and key.rsplit(".", 1)[-1] in _ID_INTS:
        return [f"{key}={value}"]
    return []


def fingerprint(check_id: str, hostname: str, evidence: Any) -> str:
    parts = [check_id, hostname.casefold(), *_identity(evidence)]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _level(status: str, severity: str) -> str:
    if status == "fail":
        return LEVEL.get(severity, "warning")
    if status == "warn":
        return "note" if severity == "info" else "warning"
    return "none"


def run(report: dict[str, Any], lang: str, include_all: bool = False) -> dict[str, Any]:
    host = report.get("host") or {}
    unit = report.get("unit") or {}
    hostname = str(host.get("hostname") or "")
    qualified = "/".join(x for x in (str(unit.get("code") or ""), hostname) if x) or hostname
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for f in report.get("findings") or []:
        cid, status, severity = str(f.get("check_id")), str(f.get("status")), str(f.get("severity"))
        if cid not in index:
            index[cid] = len(rules)
            requirements = [str(r) for r in f.get("requirements") or []]
            rules.append({
                "id": cid,
                "shortDescription": {"text": _text(f.get("title"), lang) or cid},
                "help": {"text": _text(f.get("remediation"), lang) or "-"},
                "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
                "properties": {"severity": severity, "requirements": requirements,
                               "tags": ["security", "compliance", *requirements]},
            })
        if status not in EXPORTED and not include_all:
            continue
        results.append({
            "ruleId": cid,
            "ruleIndex": index[cid],
            "kind": KIND.get(status, "review"),
            "level": _level(status, severity),
            "message": {"text": _text(f.get("message"), lang) or _text(f.get("title"), lang) or cid},
            "locations": [{"logicalLocations": [{"name": hostname, "fullyQualifiedName": qualified,
                                                 "kind": "host"}]}],
            "partialFingerprints": {"secauditFinding/v1": fingerprint(cid, hostname, f.get("evidence"))},
            "properties": {"status": status, "severity": severity,
                           "requirements": [str(r) for r in f.get("requirements") or []],
                           "evidence": f.get("evidence") or {}},
        })
    tool = report.get("tool") or {}
    book = report.get("playbook") or {}
    out: dict[str, Any] = {
        "tool": {"driver": {"name": "secaudit", "version": str(tool.get("version") or "0"), "rules": rules}},
        "invocations": [{"executionSuccessful": True}],
        "language": LANGUAGE.get(lang, "vi-VN"),
        "automationDetails": {"id": f"secaudit/{book.get('id') or 'playbook'}/{hostname}/"},
        "results": results,
        "properties": {
            "report_id": report.get("report_id"), "sequence": report.get("sequence"),
            "unit": unit, "host": host, "mode": report.get("mode"),
            "playbook": {k: book.get(k) for k in ("id", "version", "sha256")},
            "summary": report.get("summary") or {},
            # the unit's own answers (secaudit attest): not results, never checked by a machine
            "attestations": [a for a in report.get("attestations") or [] if isinstance(a, dict)],
        },
    }
    if isinstance(report.get("generated_at"), str) and _TIME.match(report["generated_at"]):
        out["invocations"][0]["endTimeUtc"] = report["generated_at"]
    return out


def render(reports: list[dict[str, Any]], lang: str, include_all: bool = False) -> bytes:
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run(r, lang, include_all) for r in reports]}
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    # characters that reorder or hide text in an editor: written as \u escapes (the same JSON data)
    text = DOCUMENT_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return (text + "\n").encode("utf-8")


class Sarif(Format):
    name = "sarif"
    suffix = ".sarif"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return render([report], options.language)

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        return render(reports, options.language)
