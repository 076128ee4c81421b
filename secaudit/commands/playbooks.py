"""`secaudit playbooks list | show ID | validate PATH`."""

from __future__ import annotations

import click

from secaudit import pipeline
from secaudit.commands.options import lang_option, language
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


@playbooks.command("validate")
@click.argument("path", type=click.Path())
@lang_option
def playbooks_validate(path: str, lang: str | None) -> None:
    from secaudit import playbook as pb

    book = pb.load(path, pipeline.check_catalog())
    click.echo(t("playbooks.valid", language(lang), path=path, n=len(book.evaluated_requirements())))
