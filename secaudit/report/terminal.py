"""The terminal summary: grouped by requirement, worst first, with what to do.

Every string of the report is printed as a plain rich Text (never markup, so a hostname
"[bold red]x[/]" or "[link=...]" prints literally) after safetext.for_terminal() has made escape
sequences and bidi controls visible (`\\x1b`, `\\u202e`): the report carries the audited system's
names and messages, and a terminal would obey them.
"""

from __future__ import annotations

from typing import Any

from secaudit.i18n import SEVERITY, STATUS, t
from secaudit.safetext import for_terminal as plain
from secaudit.status import RANK

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "magenta",
          "not_applicable": "dim", "error": "red", "attested": "cyan"}
_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "unknown": "?", "not_applicable": "-", "error": "E", "attested": "≈"}


def render(report: dict[str, Any], lang: str, file: Any = None, verbose: bool = False) -> None:
    from rich.console import Console
    from rich.text import Text

    def line(*parts: str | tuple[str, str]) -> None:
        console.print(Text.assemble(*parts))

    console = Console(file=file, highlight=False, soft_wrap=False, emoji=False, markup=False)
    host, summary = report["host"], report["summary"]
    role = t(f"role.{host['role']}", lang) if host["role"] in ("server", "workstation", "lab") else host["role"]
    line((t("report.title", lang), "bold"))
    unit = report["unit"]["name"] or report["unit"]["code"]
    host_line: list[str | tuple[str, str]] = [
        f"{t('report.host', lang)}: {plain(host['hostname'])} ({plain(role)}, {plain(host['os']['name'])})"]
    if unit:
        host_line.append(f" · {t('report.unit', lang)}: {plain(unit)}")
    line(*host_line)
    line(f"{t('report.playbook', lang)}: {plain(report['playbook']['title'][lang])} "
         f"· {t('report.mode', lang)}: {plain(report['mode'])} · {plain(report['generated_at'])}")
    counts: list[str | tuple[str, str]] = []
    for s in ("pass", "warn", "fail", "unknown", "not_applicable", "error", "attested"):
        if summary.get(s):
            counts += [" · "] if counts else []
            counts.append((f"{STATUS[s][lang]} {summary[s]}", _STYLE[s]))
    line((f"{t('report.score', lang)}: {summary['score']}/100", "bold"), "   ", *counts, "\n")

    findings = {f["check_id"]: f for f in report["findings"]}
    reqs = sorted(report["requirements"], key=lambda r: -RANK[r["status"]])
    quiet = 0
    for req in reqs:
        status = req["status"]
        if status in ("pass", "not_applicable") and not verbose:
            quiet += 1
            continue
        clause = f" ({plain(req['clause'])})" if req["clause"] else ""
        line((f"{_MARK[status]} {STATUS[status][lang]}", _STYLE[status]), " ", (plain(req["id"]), "bold"),
             f"{clause} {plain(req['title'][lang])}")
        for cid in sorted(req.get("checks") or [], key=lambda c: -RANK[findings[c]["status"]]):
            f = findings[cid]
            if f["status"] == "pass" and not verbose:
                continue
            sev = SEVERITY[f["severity"]][lang]
            line("    ", (_MARK[f["status"]], _STYLE[f["status"]]),
                 f" [{sev}] {plain(f['title'][lang])}: {plain(f['message'][lang])}")
            if f["status"] in ("fail", "warn"):
                line("      ", (f"→ {t('report.fix', lang)}:", "cyan"), f" {plain(f['remediation'][lang])}")
    if quiet:
        passed = [plain(r["id"]) for r in reqs if r["status"] == "pass"]
        if passed:
            line("\n", (f"{STATUS['pass'][lang]}:", "green"), f" {', '.join(passed)}")
        na = [plain(r["id"]) for r in reqs if r["status"] == "not_applicable"]
        if na:
            line((f"{STATUS['not_applicable'][lang]}: {', '.join(na)}", "dim"))
    attestations(report, lang, line, verbose)


def attestations(report: dict[str, Any], lang: str, line: Any, verbose: bool = False) -> None:
    """The unit's own answers, apart from the checked findings; unanswered questions on one line unless
    verbose (their requirements are listed above as unknown)."""
    rows = report.get("attestations") or []
    if not rows:
        return
    line("\n", (t("attest.section", lang), "bold"))
    waiting = [plain(r["id"]) for r in rows if r["status"] == "unanswered"]
    for row in rows:
        status = row["status"]
        if status == "unanswered" and not verbose:
            continue
        style = "cyan" if status == "attested" and row["answer"] == "yes" else "bold red" if status == "attested" \
            else "magenta"
        answer = t(f"attest.answer.{row['answer']}", lang) if row.get("answer") in ("yes", "no") else ""
        head = t(f"attest.status.{status}", lang) + (f": {answer}" if answer else "")
        line((f"{_MARK['attested']} {head}", style), " ", (plain(row["id"]), "bold"),
             f" ({plain(', '.join(row['requirements']))}) {plain(row['question'][lang])}")
        if row.get("answered_at"):
            line("      ", t("attest.by", lang, who=plain(row["answered_by"]), when=plain(row["answered_at"]),
                             until=plain(row["expires_at"] or "")))
        if row.get("document"):
            line("      ", t("attest.document", lang, document=plain(row["document"])))
    if waiting and not verbose:
        line((f"? {t('attest.status.unanswered', lang)} ({len(waiting)}): ", "magenta"), ", ".join(waiting))
    if any(r["status"] != "attested" for r in rows):
        line((t("attest.hint", lang), "dim"))
