"""View models: everything a template shows, already sorted, counted, labelled and formatted.

Templates only lay things out. Every string that came from the audited machine (host and user
names, process names, evidence, messages) goes through `Fmt.text()`: NFC, capped in length, and
control or bidirectional-formatting characters replaced by a visible "[U+202E]" so they cannot
reorder or hide text. Escaping for HTML or Markdown is done by the template environments.
Times are shown in Viet Nam time (ICT, UTC+7).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from secaudit.i18n import SEVERITY, STATUS
from secaudit.report.fit import SUFFIX, truncated
from secaudit.report.texts import MONTHS_EN, group_label, labels
from secaudit.safetext import DOCUMENT_UNSAFE as _UNSAFE
from secaudit.safetext import mark as _mark
from secaudit.status import RANK, SEVERITIES, STATUSES

ICT = timezone(timedelta(hours=7), "ICT")
SHOWN: tuple[str, ...] = STATUSES  # order of the summary
ISSUE = ("fail", "warn")
UNDETERMINED = ("unknown", "error")

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_SPACES = re.compile(r"\s+")
_ODD_SPACE = re.compile(r"^\s|\s$|[^\S ]|  ")


class Obj(dict[str, Any]):
    """A dict whose keys are also attributes (its __dict__ is itself): templates read `f.title` with a
    plain attribute lookup instead of a failed getattr and an exception first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__ = self


def _scalar(text: str) -> Obj:
    return Obj(k="s", v=text)


@dataclass(frozen=True)
class Caps:
    """How much untrusted data one rendering shows (the JSON keeps everything)."""

    text: int = 4000  # characters of one message or evidence value
    name: int = 255  # host, user, process names in headings and tables
    depth: int = 4  # nesting of evidence tables
    items: int = 50  # entries of one evidence list or object
    cells: int = 600  # evidence values per finding
    rows: int = 2000  # rows of one inventory table


HTML_CAPS = Caps()
PDF_CAPS = Caps(text=2000, depth=3, items=20, cells=150, rows=500)


@dataclass
class DocInfo:
    """What the school fills in the official header and signature block; None means: use the
    value the report carries (unit name), else a dotted placeholder."""

    parent: str | None = None  # cơ quan chủ quản, e.g. "Sở Giáo dục và Đào tạo tỉnh Đồng Nai"
    unit_name: str | None = None
    place: str | None = None  # địa danh of the date line
    symbol: str | None = None  # ký hiệu after "BC-"
    recipient: str | None = None  # "Kính gửi"; defaults to the parent body
    signer_title: str | None = None  # e.g. "HIỆU TRƯỞNG", "KT. HIỆU TRƯỞNG\nPHÓ HIỆU TRƯỞNG"
    signer_name: str | None = None
    blank_date: bool = False  # leave day and month for the văn thư, like the number


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(ICT)
    except ValueError:
        return None


class Fmt:
    """Formatting in one language: dates, numbers, untrusted text."""

    def __init__(self, lang: str, caps: Caps = HTML_CAPS) -> None:
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.caps = caps
        self.t = labels(self.lang)

    # untrusted text
    def text(self, value: Any, limit: int | None = None) -> str:
        if value is None:
            return ""
        text = value if isinstance(value, str) else str(value)
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        cap = self.caps.text if limit is None else limit
        over = len(text) - cap
        if over > 0:
            text = text[:cap]
        if _UNSAFE.search(text):
            text = _UNSAFE.sub(_mark, text)
        if over > 0:
            text += " " + self.t["more_chars"].format(n=self.num(over))
        return text

    def name(self, value: Any) -> str:
        return self.text(value, self.caps.name)

    def line(self, value: Any, limit: int | None = None) -> str:
        """One line: newlines and tabs become spaces (table cells, headings)."""
        text = self.text(value, limit)
        if _ODD_SPACE.search(text):
            text = _SPACES.sub(" ", text).strip()
        return text

    def pick(self, text: Any, one_line: bool = False) -> str:
        """A {vi, en} text in this language (falling back to the other)."""
        if isinstance(text, dict):
            text = text.get(self.lang) or text.get("vi") or text.get("en") or ""
        return self.line(text) if one_line else self.text(text)

    # numbers
    def num(self, n: int) -> str:
        out = f"{n:,}"
        return out.replace(",", ".") if self.lang == "vi" else out

    def pct(self, part: int, whole: int) -> str:
        if whole <= 0:
            return "—"
        tenths = (2000 * part + whole) // (2 * whole)  # rounded, integers only
        sep = "," if self.lang == "vi" else "."
        return f"{tenths // 10}{sep}{tenths % 10}%"

    def size(self, n: Any) -> str:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            return self.text(n) if n is not None else "—"
        for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if n >= factor:
                tenths = (20 * n + factor) // (2 * factor)
                sep = "," if self.lang == "vi" else "."
                return f"{tenths // 10}{sep}{tenths % 10} {unit}"
        return f"{n} B"

    # dates
    def formal_date(self, when: datetime | None) -> str:
        """vi: "ngày 05 tháng 6 năm 2026" (zero-padded day, and months 1-2); en: "5 June 2026"."""
        if when is None:
            return self.t["date_blank"]
        if self.lang == "vi":
            month = f"{when.month:02d}" if when.month <= 2 else str(when.month)
            return f"ngày {when.day:02d} tháng {month} năm {when.year}"
        return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"

    def date(self, value: Any) -> str:
        when = value if isinstance(value, datetime) else parse_time(value)
        if when is None:
            return "—" if value in (None, "") else self.text(value, 64)
        return f"{when:%d/%m/%Y}" if self.lang == "vi" else f"{when:%Y-%m-%d}"

    def datetime(self, value: Any) -> str:
        when = value if isinstance(value, datetime) else parse_time(value)
        if when is None:
            return "—" if value in (None, "") else self.text(value, 64)
        return f"{when:%d/%m/%Y %H:%M}" if self.lang == "vi" else f"{when:%Y-%m-%d %H:%M}"

    # words
    def status(self, status: str) -> str:
        return STATUS.get(status, {}).get(self.lang) or self.text(status, 32)

    def severity(self, severity: str) -> str:
        return SEVERITY.get(severity, {}).get(self.lang) or self.text(severity, 32)

    def yes_no(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.t["yes"] if value else self.t["no"]
        return self.line(value, 64)

    def role(self, role: Any) -> str:
        return self.t.get(f"role_{role}") or self.line(role, 32)

    def mode(self, mode: Any) -> str:
        return self.t.get(f"mode_{mode}") or self.line(mode, 32)

    def scalar(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, str):
            if not value:
                return self.t["empty"]
            when = parse_time(value)
            return self.datetime(when) if when else self.text(value)
        return self.text(value)

    def joined(self, values: Any, limit: int = 20, left_out: int = 0) -> str:
        if not isinstance(values, list | tuple):
            return self.scalar(values) if values not in (None, "") else "—"
        shown = ", ".join(self.line(v, self.caps.name) for v in values[:limit])
        if len(values) + left_out > min(limit, len(values)):
            shown += " " + self.t["more_items"].format(n=self.num(len(values) + left_out - min(limit, len(values))))
        return shown or "—"


# --- evidence as nested tables -----------------------------------------------------------------


class _Budget:
    def __init__(self, cells: int) -> None:
        self.left = cells


def _key(fmt: Fmt, key: Any) -> str:
    return fmt.line(str(key).replace("_", " "), 80)


def _members(obj: dict[str, Any]) -> list[tuple[Any, Any, int]]:
    """(key, value, entries the report left out of that value) for each member shown: a list's
    `<key>_truncated` count (report/fit.py) is folded into the list, not shown as a row of its own."""
    out = []
    for key, item in obj.items():
        if isinstance(key, str) and key.endswith(SUFFIX) and isinstance(obj.get(key[: -len(SUFFIX)]), list) \
                and truncated(obj, key[: -len(SUFFIX)]):
            continue
        out.append((key, item, truncated(obj, key) if isinstance(item, list) and isinstance(key, str) else 0))
    return out


def _summary(fmt: Fmt, value: Any, left_out: int) -> str:
    """A value the cell budget has no room for: still counted when it is a list."""
    if isinstance(value, list | dict) and len(value) + left_out:
        return "… " + fmt.t["n_items"].format(n=fmt.num(len(value) + left_out))
    return "…"


def evidence_tree(fmt: Fmt, value: Any, depth: int = 0, budget: _Budget | None = None,
                  left_out: int = 0) -> dict[str, Any]:
    """A JSON value as nodes a template lays out as nested tables:
    s (scalar text), l (list of scalars), m (object: key/value rows), t (list of similar objects:
    a table), ml (list of other things). Each list or object is capped; `more` counts the rest,
    including the `left_out` entries the report itself did not carry. Every key of an object is
    named even when the cell budget is spent (its value is then only summarised)."""
    budget = budget or _Budget(fmt.caps.cells)
    caps = fmt.caps
    if budget.left <= 0:
        return _scalar(_summary(fmt, value, left_out))
    if isinstance(value, dict):
        if not value:
            return _scalar(fmt.t["empty"])
        if depth >= caps.depth:
            budget.left -= 1
            return _scalar(fmt.text(_compact(value)))
        members = _members(value)
        pairs = []
        for key, item, n in members[: caps.items]:
            budget.left -= 1
            pairs.append(Obj(key=_key(fmt, key), node=evidence_tree(fmt, item, depth + 1, budget, n)))
        return Obj(k="m", rows=pairs, more=_more(fmt, len(members) - len(pairs)))
    if isinstance(value, list):
        if not value:
            return _scalar(fmt.t["empty"])
        total = len(value) + left_out
        head = value[: caps.items]
        if all(not isinstance(v, dict | list) for v in head):
            budget.left -= len(head)
            entries = [fmt.scalar(v) for v in head]
            more = _more(fmt, total - len(head))
            if sum(len(e) for e in entries) <= 160 and all("\n" not in e for e in entries):
                return _scalar(", ".join(entries) + (f" {more}" if more else ""))
            return Obj(k="l", entries=entries, more=more)
        if total == 1:
            return evidence_tree(fmt, value[0], depth, budget)
        if depth >= caps.depth:
            budget.left -= 1
            return _scalar(fmt.text(_compact(value)))
        columns = list(dict.fromkeys(k for v in head if isinstance(v, dict) for k, _, _ in _members(v)))
        if all(isinstance(v, dict) for v in head) and len(columns) <= 6:
            rows: list[list[dict[str, Any]]] = []
            for item in head:
                if budget.left <= 0:
                    break
                budget.left -= len(columns)
                rows.append([evidence_tree(fmt, item[c], depth + 2, budget, truncated(item, c)) if c in item
                             else _scalar("—") for c in columns])
            return Obj(k="t", cols=[_key(fmt, c) for c in columns], rows=rows,
                       more=_more(fmt, total - len(rows)))
        items = []
        for item in head:
            if budget.left <= 0:
                break
            items.append(evidence_tree(fmt, item, depth + 1, budget))
        return Obj(k="ml", entries=items, more=_more(fmt, total - len(items)))
    budget.left -= 1
    return _scalar(fmt.scalar(value))


def _more(fmt: Fmt, n: int, key: str = "more_items") -> str:
    return fmt.t[key].format(n=fmt.num(n)) if n > 0 else ""


_FLAT_ITEMS = 30


def _flat(value: Any, depth: int = 0, left_out: int = 0, width: int = 600) -> str:
    """Evidence as one readable line of about `width` characters: "key: value; list (N): a, b, …;
    objects: (k: v), (k: v)". Each key of the top object gets its share of the line, so every one
    stays named; a list that was cut says how many entries it had."""
    if isinstance(value, dict):
        members = _members(value)[:_FLAT_ITEMS]
        share = max(24, width // max(1, len(members)) - 4)
        parts = []
        for key, item, n in members:
            total = len(item) + n if isinstance(item, list) else 0
            label = f"{key} ({total})" if isinstance(item, list) and total > min(len(item), _FLAT_ITEMS) else str(key)
            text = _flat(item, depth + 1, n)
            if depth == 0 and len(text) > share:
                text = text[:share].rstrip() + "…"
            parts.append(f"{label}: {text}")
        text = "; ".join(parts)
        return f"({text})" if depth else text
    if isinstance(value, list):
        shown = ", ".join(_flat(v, depth + 1) for v in value[:_FLAT_ITEMS])
        return (shown + (", …" if len(value) + left_out > _FLAT_ITEMS or left_out else "")) or "[]"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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
            view["evidence_line"] = fmt.line(_flat(f["evidence"]), 600)
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
    }


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
        "more": _more(fmt, len(items) + left_out - len(shown), "more_rows"),
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


# --- the official document header (NĐ 30/2020 layout) ------------------------------------------


def _abbreviation(name: str) -> str:
    """"Trường THCS Nguyễn Du" -> "THCSND": the usual ký hiệu of a school (the văn thư may change it)."""
    words = [w for w in re.split(r"[\s,.;:()/-]+", name) if w]
    if words and words[0].casefold() in ("trường", "truong"):
        words = words[1:]
    out = "".join(w if w.isupper() and len(w) > 1 else w[0].upper() for w in words)
    out = unicodedata.normalize("NFKD", out.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in out if ch.isascii() and ch.isalnum())[:16]


def official_view(fmt: Fmt, unit: dict[str, Any], when: datetime | None, doc: DocInfo | None,
                  playbook: dict[str, str] | None = None) -> dict[str, Any]:
    """Header, recipient, fixed sentences and signature block of the official report. `unit` is the
    report's unit object (name, code, and parent/place/signer fields when the agent config has them)."""
    t = fmt.t
    doc = doc or DocInfo()

    def given(*values: Any) -> str:
        for value in values:
            if isinstance(value, str) and value.strip():
                return fmt.line(value, 300)
        return ""

    unit_name = given(doc.unit_name, unit.get("name"), unit.get("code"))
    parent = given(doc.parent, unit.get("parent"))
    symbol = given(doc.symbol, unit.get("symbol")) or _abbreviation(unit_name) or given(unit.get("code"))
    place = given(doc.place, unit.get("place"))
    raw_signer = next((v for v in (doc.signer_title, unit.get("signer_title")) if isinstance(v, str) and v.strip()),
                      t["signer_title"])
    signer_lines = [fmt.line(x, 120).upper() for x in raw_signer.replace("\\n", "\n").split("\n") if x.strip()]
    dated = None if doc.blank_date else when
    date_short = fmt.date(dated) if dated else "....../....../........."
    unit_plain = unit_name or t["placeholder"]
    return {
        "parent": parent.upper() if parent else t["placeholder"],
        "unit_name": unit_name.upper() if unit_name else t["placeholder"],
        "unit_plain": unit_plain,
        "symbol": symbol or t["placeholder"],
        "place_date": f"{place or t['placeholder']}, {fmt.formal_date(dated)}",
        "recipient": given(doc.recipient) or parent or t["placeholder"],
        "pursuant": t["pursuant"].format(**playbook) if playbook and playbook.get("title") else "",
        "intro": t["intro"].format(unit=unit_plain),
        "closing": t["closing"].format(unit=unit_plain),
        "appendix_ref": t["appendix_ref"].format(number=f"......./BC-{symbol or '...'}", date=date_short,
                                                 unit=unit_plain),
        "signer_title": signer_lines,
        "signer_name": given(doc.signer_name, unit.get("signer_name")),
        "fonts": font_faces(),
    }


# Liberation Serif has the metrics of Times New Roman (the font of official documents) and every
# Vietnamese letter; embedding the local files makes the PDF look the same on every machine.
_FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
              "/usr/share/fonts/liberation-serif", "/usr/share/fonts/liberation")
_FACES = (("normal", "normal", "Regular"), ("bold", "normal", "Bold"), ("normal", "italic", "Italic"),
          ("bold", "italic", "BoldItalic"))
_WINDOWS_TIMES = {"Regular": "times.ttf", "Bold": "timesbd.ttf", "Italic": "timesi.ttf", "BoldItalic": "timesbi.ttf"}


def font_faces() -> list[dict[str, str]]:
    """@font-face entries (family, weight, style, file URL) for the serif of the official report."""
    import os

    for directory in _FONT_DIRS:
        paths = {name: Path(directory) / f"LiberationSerif-{name}.ttf" for _, _, name in _FACES}
        if all(p.is_file() for p in paths.values()):
            return [{"family": "Liberation Serif", "weight": w, "style": s, "url": paths[n].as_uri()}
                    for w, s, n in _FACES]
    windir = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    paths = {name: windir / file for name, file in _WINDOWS_TIMES.items()}
    if all(p.is_file() for p in paths.values()):
        return [{"family": "Times New Roman", "weight": w, "style": s, "url": paths[n].as_uri()} for w, s, n in _FACES]
    return []
