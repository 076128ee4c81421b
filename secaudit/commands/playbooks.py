"""`secaudit playbooks list | show ID | validate PATH | coverage`."""

from __future__ import annotations

from typing import Any

import click

from secaudit import pipeline
from secaudit.commands.options import lang_option, language, listing_format_option
from secaudit.i18n import t
from secaudit.safetext import for_terminal


@click.group()
def playbooks() -> None:
    """Bộ yêu cầu theo kế hoạch / plan playbooks."""


@playbooks.command("list")
@lang_option
def playbooks_list(lang: str | None) -> None:
    from secaudit import playbook as pb

    lg = language(lang)
    catalog = pipeline.check_catalog()
    for path in pb.list_shipped():
        book = pb.load(path, catalog)
        due = ", ".join(book.cadence.get("due", []))
        click.echo(f"{book.id:<24} {book.version:<8} {book.title[lg]}" + (f"  [{due}]" if due else ""))


@playbooks.command("show")
@click.argument("ref")
@lang_option
def playbooks_show(ref: str, lang: str | None) -> None:
    from secaudit import playbook as pb
    from secaudit.checks import REGISTRY

    lg = language(lang)
    book = pb.load(ref, pipeline.check_catalog())

    def echo(text: str) -> None:  # a playbook given by path is foreign text: escapes made visible
        click.echo("\n".join(for_terminal(line) for line in text.split("\n")))

    echo(f"{book.title[lg]} ({book.id} {book.version})")
    if book.document:
        echo("  " + " · ".join(f"{k}: {v}" for k, v in book.document.items()))
    if book.cadence:
        text = book.cadence.get("text", {}).get(lg, "")
        echo(f"{t('cadence', lg)}: {book.cadence['kind']} {', '.join(book.cadence.get('due', []))} {text}")
    for clause in book.clauses:
        echo(f"\n{clause.clause}: {clause.text[lg]}")
        for rid in clause.requirements:
            req = book.requirements[rid]
            echo(f"  {rid} {req.title[lg]}")
            for cid in req.checks:
                echo(f"      {cid}: {REGISTRY[cid].meta.title[lg]}")
            for aid in req.attestations:
                echo(f"      ≈ {aid}: {book.attestations[aid].question[lg]}")


@playbooks.command("validate")
@click.argument("path", type=click.Path())
@lang_option
def playbooks_validate(path: str, lang: str | None) -> None:
    from secaudit import playbook as pb

    book = pb.load(path, pipeline.check_catalog())
    click.echo(t("playbooks.valid", language(lang), path=path, n=len(book.evaluated_requirements())))


def catalogue() -> dict[str, Any]:
    """secaudit/data/requirements.yaml: the 67 ids of the rule pack with titles, and why some are uncovered."""
    from importlib import resources

    import yaml

    text = resources.files("secaudit").joinpath("data/requirements.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def coverage(only: str | None = None) -> list[dict[str, Any]]:
    """Per catalogue requirement: the plans citing it, and the checks and attestations evidencing it in the
    shipped playbooks (or in the playbook `only`)."""
    from secaudit import playbook as pb

    catalog = pipeline.check_catalog()
    books = [pb.load(only, catalog)] if only else [pb.load(path, catalog) for path in pb.list_shipped()]
    data = catalogue()
    rows = []
    for rid, title in data["requirements"].items():
        plans, checks, attestations = [], [], []
        for book in books:
            evaluated = {r.id: r for r in book.evaluated_requirements()}
            if book.clauses and rid in evaluated:
                plans.append(book.id)
            req = evaluated.get(rid)
            if req is not None:
                checks += req.checks
                attestations += req.attestations
        checks, attestations = list(dict.fromkeys(checks)), list(dict.fromkeys(attestations))
        why = None if checks or attestations else (data.get("uncovered") or {}).get(rid)
        rows.append({"requirement": rid, "title": title, "plans": plans, "checks": checks,
                     "attestations": attestations, "uncovered": why})
    return rows


@playbooks.command("coverage")
@click.option("--playbook", default=None, help="Only this playbook (id or path).")
@listing_format_option
@lang_option
def playbooks_coverage(playbook: str | None, listing: str, lang: str | None) -> None:
    """Yêu cầu nào có minh chứng / which catalogue requirements are evidenced, by what."""
    import json

    lg = language(lang)
    rows = coverage(playbook)
    if listing == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    plans = list(dict.fromkeys(p for row in rows for p in row["plans"])) or ([playbook] if playbook else [])
    for plan in plans:
        click.echo(f"{t('coverage.plan', lg)} {for_terminal(plan)}:")
        for row in rows:
            if plan in row["plans"]:
                click.echo(f"  {row['requirement']:<10} {t('coverage.checks', lg)}: {', '.join(row['checks']) or '—'}"
                           f" | {t('coverage.attestations', lg)}: {', '.join(row['attestations']) or '—'}")
    evidenced = [r for r in rows if r["checks"] or r["attestations"]]
    click.echo(f"\n{t('coverage.uncovered', lg)}:")
    for row in rows:
        if not (row["checks"] or row["attestations"]):
            why = (row["uncovered"] or {}).get(lg, "?")
            click.echo(f"  {row['requirement']:<10} {for_terminal(row['title'][lg])} — {for_terminal(why)}")
    click.echo(t("coverage.evidenced", lg, n=len(evidenced), total=len(rows)))
