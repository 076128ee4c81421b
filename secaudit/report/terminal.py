"""The terminal summary: grouped by requirement, worst first, with what to do."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import RANK
from secaudit.i18n import SEVERITY, STATUS, t

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "magenta",
          "not_applicable": "dim", "error": "red"}
_MARK = {"pass": "✓", "warn": "!", "fail": "✗", "unknown": "?", "not_applicable": "-", "error": "E"}


def render(report: dict[str, Any], lang: str, file: Any = None, verbose: bool = False) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=file, highlight=False, soft_wrap=False)
    host, summary = report["host"], report["summary"]
    role = t(f"role.{host['role']}", lang) if host["role"] in ("server", "workstation", "lab") else host["role"]
    console.print(f"[bold]{t('report.title', lang)}[/bold]")
    unit = report["unit"]["name"] or report["unit"]["code"]
    line = f"{t('report.host', lang)}: {escape(host['hostname'])} ({role}, {escape(host['os']['name'])})"
    if unit:
        line += f" · {t('report.unit', lang)}: {escape(unit)}"
    console.print(line)
    console.print(f"{t('report.playbook', lang)}: {escape(report['playbook']['title'][lang])} "
                  f"· {t('report.mode', lang)}: {report['mode']} · {report['generated_at']}")
    counts = " · ".join(
        f"[{_STYLE[s]}]{STATUS[s][lang]} {summary[s]}[/]"
        for s in ("pass", "warn", "fail", "unknown", "not_applicable", "error") if summary[s]
    )
    console.print(f"[bold]{t('report.score', lang)}: {summary['score']}/100[/bold]   {counts}\n")

    findings = {f["check_id"]: f for f in report["findings"]}
    reqs = sorted(report["requirements"], key=lambda r: -RANK[r["status"]])
    quiet = 0
    for req in reqs:
        status = req["status"]
        if status in ("pass", "not_applicable") and not verbose:
            quiet += 1
            continue
        clause = f" ({escape(req['clause'])})" if req["clause"] else ""
        console.print(f"[{_STYLE[status]}]{_MARK[status]} {STATUS[status][lang]}[/] "
                      f"[bold]{req['id']}[/bold]{clause} {escape(req['title'][lang])}")
        for cid in sorted(req["checks"], key=lambda c: -RANK[findings[c]["status"]]):
            f = findings[cid]
            if f["status"] == "pass" and not verbose:
                continue
            sev = SEVERITY[f["severity"]][lang]
            console.print(f"    [{_STYLE[f['status']]}]{_MARK[f['status']]}[/] [{sev}] "
                          f"{escape(f['title'][lang])}: {escape(f['message'][lang])}")
            if f["status"] in ("fail", "warn"):
                console.print(f"      [cyan]→ {t('report.fix', lang)}:[/] {escape(f['remediation'][lang])}")
    if quiet:
        passed = [r["id"] for r in reqs if r["status"] == "pass"]
        if passed:
            console.print(f"\n[green]{STATUS['pass'][lang]}:[/] {', '.join(passed)}")
        na = [r["id"] for r in reqs if r["status"] == "not_applicable"]
        if na:
            console.print(f"[dim]{STATUS['not_applicable'][lang]}: {', '.join(na)}[/]")
