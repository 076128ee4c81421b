"""View models: everything a template shows, already sorted, counted, labelled and formatted.

Templates only lay things out. Untrusted text goes through `Fmt` (report/fmt.py), evidence through
report/evidence.py; the official document's header is report/official.py.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from secaudit.i18n import t as i18n_t
from secaudit.report.evidence import evidence_tree, flat, more
from secaudit.report.fit import truncated
from secaudit.report.fmt import HTML_CAPS, Caps, Fmt, parse_time
from secaudit.report.texts import Obj, group_label
from secaudit.status import RANK, REQUIREMENT_STATUSES, SEVERITIES

SHOWN: tuple[str, ...] = REQUIREMENT_STATUSES  # order of the summary
ISSUE = ("fail", "warn")
UNDETERMINED = ("unknown", "error")


# --- one report --------------------------------------------------------------------------------


def _finding(fmt: Fmt, f: dict[str, Any], prefix: str, with_evidence: bool, one_line: bool) -> dict[str, Any]:
    status, severity, cid = str(f.get("status", "")), str(f.get("severity", "")), str(f.get("check_id", ""))
    view = Obj({
        "check_id": fmt.line(cid, 80),
        "anchor": prefix + re.sub(r"[^a-z0-9_.-]", "-", cid.lower())[:80],
        "status": status if status in RANK else "error",
        "label": fmt.status(status),
        "severity": severity if severity in SEVERITIES else "info",
        "severity_label": fmt.severity(severity),
        "title": fmt.pick(f.get("title"), one_line=True),
        "message": fmt.pick(f.get("message")),
        "remediation": fmt.pick(f.get("remediation")) if status in ISSUE else "",
        "requirements": ", ".join(fmt.line(r, 40) for r in f.get("requirements") or []),
        "evidence": None,
        "evidence_line": "",
    })
    if with_evidence and f.get("evidence"):
        view["evidence"] = evidence_tree(fmt, f["evidence"])
        if one_line:
            view["evidence_line"] = fmt.line(flat(f["evidence"]), 600)
    return view


def _sort_key(f: dict[str, Any]) -> tuple[int, int, str]:
    return (-RANK.get(f["status"], 4), SEVERITIES.index(f["severity"]), f["check_id"])


def _group_code(req_id: str) -> str:
    for part in req_id.upper().split("-"):
        if group_label(part, "vi"):
            return part
    return ""


def _counts(fmt: Fmt, counts: dict[str, int]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [Obj(status=s, label=fmt.status(s), n=counts.get(s, 0), pct=fmt.pct(counts.get(s, 0), total))
            for s in SHOWN]


def _score_class(score: int) -> str:
    return "good" if score >= 80 else "fair" if score >= 50 else "poor"


def report_view(report: dict[str, Any], lang: str, caps: Caps = HTML_CAPS, prefix: str = "",
                signature: dict[str, str] | None = None, one_line: bool = False) -> dict[str, Any]:
    """`one_line` adds each finding's evidence as one line of compact JSON (for Markdown)."""
    fmt = Fmt(lang, caps)
    t = fmt.t
    host, unit, book = report.get("host") or {}, report.get("unit") or {}, report.get("playbook") or {}
    os_info = host.get("os") or {}
    generated = parse_time(report.get("generated_at"))

    all_findings = report.get("findings") or []
    by_status: dict[str, list[dict[str, Any]]] = {s: [] for s in RANK}
    views: dict[str, dict[str, Any]] = {}
    for f in all_findings:
        status = f.get("status")
        view = _finding(fmt, f, prefix, status in ISSUE or status in UNDETERMINED, one_line)
        views[str(f.get("check_id"))] = view
        by_status[view["status"]].append(view)
    for items in by_status.values():
        items.sort(key=_sort_key)

    answers = attestations_view(fmt, report.get("attestations") or [])
    said = {a["id"]: a for a in answers}
    requirements: list[dict[str, Any]] = []
    groups: dict[str, Counter[str]] = {}
    for req in report.get("requirements") or []:
        status = req.get("status") if req.get("status") in RANK else "error"
        checks = sorted((views[c] for c in req.get("checks") or [] if c in views), key=_sort_key)
        clause = fmt.line(req.get("clause"), 200)
        basis = fmt.line(req.get("basis"), 400)
        requirements.append(Obj({
            "id": fmt.line(req.get("id"), 40),
            "clause": clause,
            "title": fmt.pick(req.get("title"), one_line=True),
            "status": status,
            "label": fmt.status(status),
            "basis": basis,
            "basis_full": "; ".join(x for x in (t["plan_clause"].format(clause=clause) if clause else "", basis) if x),
            "clauses": [c.strip() for c in clause.split(",") if c.strip()],
            "checks": checks,
            "attention": [c for c in checks if c["status"] not in ("pass", "not_applicable")],
            "attested": [f"{said[a]['label']} ({said[a]['id']})" for a in req.get("attestations") or [] if a in said],
        }))
        code = _group_code(str(req.get("id", "")))
        groups.setdefault(code, Counter())[status] += 1
    worst_first = sorted(requirements, key=lambda r: -RANK[r["status"]])

    summary = report.get("summary") or {}
    counts = {s: int(summary.get(s, 0) or 0) for s in SHOWN}
    score = int(summary.get("score", 0) or 0)
    group_rows = [{
        "label": group_label(code, fmt.lang) or t["other"],
        "total": sum(c.values()),
        "counts": [c.get(s, 0) for s in SHOWN],
    } for code, c in groups.items()]

    return {
        "lang": fmt.lang,
        "t": t,
        "anchor": prefix.rstrip("-") or "report",
        "host": {
            "name": fmt.line(host.get("hostname"), caps.name) or "—",
            "os": fmt.line(" ".join(str(x) for x in (os_info.get("name") or os_info.get("family"),) if x), 200) or "—",
            "role": fmt.role(host.get("role")),
            "agent_id": fmt.line(host.get("agent_id"), 80),
        },
        "unit": {"name": fmt.line(unit.get("name"), 300), "code": fmt.line(unit.get("code"), 80)},
        "playbook": {
            "title": fmt.pick(book.get("title"), one_line=True) or fmt.line(book.get("id")),
            "id": fmt.line(book.get("id"), 80),
            "version": fmt.line(book.get("version"), 40),
            "sha256": fmt.line(book.get("sha256"), 80),
        },
        "mode": fmt.mode(report.get("mode")),
        "generated": {"dt": generated, "formal": fmt.formal_date(generated), "short": fmt.datetime(generated),
                      "date": fmt.date(generated), "iso": fmt.line(report.get("generated_at"), 40)},
        "facts_collected": fmt.datetime(report.get("facts_collected_at")) if report.get("facts_collected_at") else "",
        "report_id": fmt.line(report.get("report_id"), 80),
        "sequence": fmt.line(report.get("sequence"), 20),
        "tool": fmt.line(" ".join(str(x) for x in ((report.get("tool") or {}).get("name"),
                                                   (report.get("tool") or {}).get("version")) if x), 80),
        "signature": _signature(fmt, signature),
        "summary": {
            "score": score,
            "score_class": _score_class(score),
            "total": sum(counts.values()),
            "counts": _counts(fmt, counts),
            "raw": counts,
            "groups": group_rows,
            "sentence": t["summary_sentence"].format(
                total=fmt.num(sum(counts.values())), hosts=1, score=score,
                counts="; ".join(f"{fmt.status(s)} {fmt.num(counts[s])}" for s in SHOWN if counts[s])),
        },
        "status_labels": [fmt.status(s) for s in SHOWN],
        "requirements": worst_first,
        "requirements_plan": requirements,
        "issues": by_status["fail"] + by_status["warn"],
        "undetermined": by_status["error"] + by_status["unknown"],
        "passing": by_status["pass"],
        "not_applicable": by_status["not_applicable"],
        "settled": by_status["pass"] + by_status["not_applicable"],
        "finding_groups": [
            {"key": "issues", "title": t["issues"], "findings": by_status["fail"] + by_status["warn"], "fix": True,
             "always": True},
            {"key": "undetermined", "title": t["undetermined"], "fix": False, "always": False,
             "findings": by_status["error"] + by_status["unknown"]},
        ],
        "inventory": inventory_view(fmt, report.get("inventory") or {}),
        "attestations": answers,
        "attestations_title": i18n_t("attest.section", fmt.lang),
    }


def attestations_view(fmt: Fmt, rows: list[Any]) -> list[dict[str, Any]]:
    """The unit's own answers, apart from the findings: never a pass, said as answered/expired/not answered."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        status = row.get("status") if row.get("status") in ("attested", "expired", "unanswered") else "unanswered"
        answer = row.get("answer") if row.get("answer") in ("yes", "no") else None
        label = i18n_t(f"attest.status.{status}", fmt.lang)
        if answer:
            label += ": " + i18n_t(f"attest.answer.{answer}", fmt.lang)
        who = ""
        if row.get("answered_at"):
            who = i18n_t("attest.by", fmt.lang, who=fmt.line(row.get("answered_by"), 300),
                         when=fmt.datetime(row.get("answered_at")), until=fmt.datetime(row.get("expires_at")))
        out.append(Obj({
            "id": fmt.line(row.get("id"), 80),
            "requirements": ", ".join(fmt.line(r, 40) for r in row.get("requirements") or []),
            "question": fmt.pick(row.get("question"), one_line=True),
            "evidence": fmt.pick(row.get("evidence"), one_line=True) if row.get("evidence") else "",
            "status": "attested" if status == "attested" and answer == "yes" else
                      "fail" if status == "attested" else "unknown",
            "label": label,
            "who": who,
            "document": fmt.line(row.get("document"), 300),
        }))
    return out


def _signature(fmt: Fmt, signature: dict[str, str] | None) -> str:
    if not signature:
        return fmt.t["not_signed"]
    text = fmt.t["signature_ok"].format(keyid=fmt.line(signature.get("keyid"), 80))
    if signature.get("fingerprint"):
        text += ", " + fmt.t["signature_fp"].format(fp=fmt.line(signature["fingerprint"], 120))
    return text


# --- inventory ---------------------------------------------------------------------------------


def _table(fmt: Fmt, rows: list[Any], columns: list[tuple[str, Any]], sort: Any = None,
           left_out: int = 0) -> dict[str, Any]:
    """`left_out`: rows the report itself did not carry (its `<table>_truncated` count)."""
    items = [r for r in rows if isinstance(r, dict)]
    if sort is not None:
        items.sort(key=sort)
    shown = items[: fmt.caps.rows]
    return {
        "cols": [fmt.t[c] for c, _ in columns],
        "rows": [[cell(r) for _, cell in columns] for r in shown],
        "more": more(fmt, len(items) + left_out - len(shown), "more_rows"),
    }


def inventory_view(fmt: Fmt, inv: dict[str, Any]) -> dict[str, Any]:
    f, t = fmt, fmt.t

    def pw(row: dict[str, Any]) -> str:
        return t.get(f"pw_{row.get('password_state')}") or f.line(row.get("password_state"), 32) or "—"

    accounts = _table(f, inv.get("accounts") or [], [
        ("col_name", lambda r: f.name(r.get("name"))),
        ("col_id", lambda r: f.line(r.get("id"), 80)),
        ("col_enabled", lambda r: f.yes_no(r.get("enabled"))),
        ("col_admin", lambda r: f.yes_no(r.get("admin"))),
        ("col_interactive", lambda r: f.yes_no(r.get("interactive"))),
        ("col_password", pw),
        ("col_password_changed", lambda r: f.date(r.get("password_last_change"))),
        ("col_last_login", lambda r: f.datetime(r.get("last_login"))),
        ("col_groups", lambda r: f.joined(r.get("groups"), left_out=truncated(r, "groups"))),
    ], sort=lambda r: (not r.get("admin"), not r.get("interactive"), str(r.get("name", "")).casefold()),
       left_out=truncated(inv, "accounts"))
    antivirus = _table(f, inv.get("antivirus") or [], [
        ("col_product", lambda r: f.name(r.get("product"))),
        ("col_vendor", lambda r: f.name(r.get("vendor"))),
        ("col_running", lambda r: f.yes_no(r.get("running"))),
        ("col_realtime", lambda r: f.yes_no(r.get("realtime"))),
        ("col_signatures", lambda r: f.datetime(r.get("signature_time"))),
        ("col_last_scan", lambda r: f.datetime(r.get("last_scan_time"))),
        ("col_managed", lambda r: f.yes_no(r.get("managed"))),
    ], left_out=truncated(inv, "antivirus"))
    ports = _table(f, inv.get("listening_ports") or [], [
        ("col_proto", lambda r: f.line(r.get("proto"), 8)),
        ("col_address", lambda r: f.line(r.get("address"), 64)),
        ("col_port", lambda r: f.line(r.get("port"), 8)),
        ("col_process", lambda r: f.name(r.get("process")) or "—"),
        ("col_user", lambda r: f.name(r.get("user")) or "—"),
    ], sort=lambda r: (r.get("port") if isinstance(r.get("port"), int) else 1 << 20, str(r.get("proto"))),
       left_out=truncated(inv, "listening_ports"))
    interfaces = _table(f, inv.get("interfaces") or [], [
        ("col_name", lambda r: f.name(r.get("name"))),
        ("col_mac", lambda r: f.line(r.get("mac"), 64) or "—"),
        ("col_ipv4", lambda r: f.joined(r.get("ipv4"))),
        ("col_ipv6", lambda r: f.joined(r.get("ipv6"))),
    ], left_out=truncated(inv, "interfaces"))
    software = _table(f, inv.get("software") or [], [
        ("col_name", lambda r: f.name(r.get("name"))),
        ("col_version", lambda r: f.line(r.get("version"), 80) or "—"),
        ("col_publisher", lambda r: f.name(r.get("publisher")) or "—"),
    ], sort=lambda r: str(r.get("name", "")).casefold(), left_out=truncated(inv, "software"))
    backups = _table(f, inv.get("backups") or [], [
        ("col_name", lambda r: f.name(r.get("set") or r.get("name"))),
        ("col_kind", lambda r: f.line(r.get("kind"), 32) or "—"),
        ("col_copies", lambda r: f.num(len(r.get("copies") or [])) if isinstance(r.get("copies"), list) else "—"),
        ("col_newest", lambda r: f.datetime(_newest(r.get("copies")))),
    ], left_out=truncated(inv, "backups"))
    devices = _table(f, inv.get("devices") or [], [
        ("col_ip", lambda r: f.line(r.get("ip"), 64)),
        ("col_mac", lambda r: f.line(r.get("mac"), 64) or "—"),
        ("col_vendor", lambda r: f.name(r.get("vendor")) or "—"),
        ("col_name", lambda r: f.joined(r.get("names"), left_out=truncated(r, "names"))),
        ("col_open_ports", lambda r: f.joined([f"{p.get('port')}/{p.get('proto')}" + (f" {p['service']}" if p.get(
            "service") else "") for p in r.get("open_ports") or [] if isinstance(p, dict)])),
        ("col_first_seen", lambda r: f.datetime(r.get("first_seen"))),
        ("col_last_seen", lambda r: f.datetime(r.get("last_seen"))),
    ], left_out=truncated(inv, "devices"))
    hw: dict[str, Any] = inv["hardware"] if isinstance(inv.get("hardware"), dict) else {}
    disks = [f"{d.get('name')} {f.size(d.get('size_bytes'))}" for d in hw.get("disks") or [] if isinstance(d, dict)]
    hardware = [{"label": t[key], "value": value} for key, value in (
        ("hw_vendor", f.name(hw.get("vendor"))),
        ("hw_model", f.name(hw.get("model"))),
        ("hw_serial", f.name(hw.get("serial"))),
        ("hw_cpu", f.name(hw.get("cpu"))),
        ("hw_memory", f.size(hw["memory_bytes"]) if hw.get("memory_bytes") is not None else ""),
        ("hw_disks", f.joined(disks) if disks else ""),
    ) if value]
    return {
        "accounts": accounts, "antivirus": antivirus, "listening_ports": ports, "interfaces": interfaces,
        "software": software, "software_count": t["software_count"].format(
            n=f.num(len(inv.get("software") or []) + truncated(inv, "software"))),
        "backups": backups, "devices": devices, "hardware": hardware,
    }


def _newest(copies: Any) -> Any:
    times = [str(c["time"]) for c in copies or [] if isinstance(c, dict) and isinstance(c.get("time"), str)]
    return max(times) if times else None


# --- several hosts of one unit -----------------------------------------------------------------


def unit_view(reports: list[dict[str, Any]], lang: str, caps: Caps = HTML_CAPS,
              signatures: list[dict[str, str] | None] | None = None, one_line: bool = False) -> dict[str, Any]:
    fmt = Fmt(lang, caps)
    t = fmt.t
    sigs = signatures or [None] * len(reports)
    order = sorted(range(len(reports)),
                   key=lambda i: str((reports[i].get("host") or {}).get("hostname", "")).casefold())
    hosts = [report_view(reports[i], lang, caps, f"h{n + 1}-", sigs[i], one_line) for n, i in enumerate(order)]

    totals: Counter[str] = Counter()
    host_rows = []
    for view in hosts:
        raw = view["summary"]["raw"]
        totals.update(raw)
        host_rows.append({"name": view["host"]["name"], "role": view["host"]["role"], "os": view["host"]["os"],
                          "score": view["summary"]["score"], "score_class": view["summary"]["score_class"],
                          "counts": [raw[s] for s in SHOWN], "generated": view["generated"]["short"],
                          "anchor": view["anchor"]})

    # per requirement across hosts: worst status, and which hosts do not pass
    rollup: dict[str, dict[str, Any]] = {}
    for view in hosts:
        for req in view["requirements_plan"]:
            entry = rollup.setdefault(req["id"], {"id": req["id"], "title": req["title"], "clause": req["clause"],
                                                  "basis_full": req["basis_full"], "statuses": [], "bad": []})
            entry["statuses"].append(req["status"])
            if RANK[req["status"]] >= RANK["warn"]:
                entry["bad"].append(f"{view['host']['name']} ({req['label']})")
    req_rows = []
    for entry in rollup.values():
        status = max(entry["statuses"], key=RANK.__getitem__)
        req_rows.append({**entry, "status": status, "label": fmt.status(status),
                         "passing": f"{entry['statuses'].count('pass')}/{len(entry['statuses'])}"})
    req_rows.sort(key=lambda r: -RANK[r["status"]])

    # shortcomings across hosts: one entry per check, the hosts it affects
    issues: dict[str, dict[str, Any]] = {}
    for view in hosts:
        for f in view["issues"]:
            entry = issues.setdefault(f["check_id"], {**f, "hosts": [], "statuses": []})
            entry["hosts"].append(view["host"]["name"])
            entry["statuses"].append(f["status"])
    issue_rows = []
    for entry in issues.values():
        status = max(entry["statuses"], key=RANK.__getitem__)
        issue_rows.append({**entry, "status": status, "label": fmt.status(status),
                           "hosts_text": ", ".join(entry["hosts"])})
    issue_rows.sort(key=_sort_key)

    units = Counter((r.get("unit") or {}).get("name") or "" for r in reports)
    codes = Counter((r.get("unit") or {}).get("code") or "" for r in reports)
    dates = sorted(v["generated"]["dt"] for v in hosts if v["generated"]["dt"] is not None)
    period = ""
    if dates:
        first, last = fmt.date(dates[0]), fmt.date(dates[-1])
        period = first if first == last else f"{first} – {last}"
    scores = [v["summary"]["score"] for v in hosts]
    average = (2 * sum(scores) + len(scores)) // (2 * len(scores)) if scores else 0
    total = sum(totals.values())
    books = list(dict.fromkeys(v["playbook"]["title"] for v in hosts))
    return {
        "lang": fmt.lang,
        "t": t,
        "unit": {"name": fmt.line(units.most_common(1)[0][0] if units else "", 300),
                 "code": fmt.line(codes.most_common(1)[0][0] if codes else "", 80)},
        "hosts": hosts,
        "host_rows": host_rows,
        "host_count": fmt.num(len(hosts)),
        "period": period,
        "generated": hosts[-1]["generated"] if hosts else {"dt": None},
        "latest": dates[-1] if dates else None,
        "playbooks": books,
        "playbook": hosts[0]["playbook"] if hosts else {},
        "summary": {
            "average": average,
            "score_class": _score_class(average),
            "counts": _counts(fmt, dict(totals)),
            "totals": [totals.get(s, 0) for s in SHOWN],
            "sentence": t["summary_sentence"].format(
                total=fmt.num(total), hosts=fmt.num(len(hosts)), score=average,
                counts="; ".join(f"{fmt.status(s)} {fmt.num(totals[s])}" for s in SHOWN if totals.get(s))),
        },
        "status_labels": [fmt.status(s) for s in SHOWN],
        "requirements": req_rows,
        "issues": issue_rows,
        "undetermined": [dict(f, host=v["host"]["name"]) for v in hosts for f in v["undetermined"]],
    }
