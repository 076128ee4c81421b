"""`secaudit backup verify`: verify every declared backup set within a budget, then report on the
backup requirements only, through secaudit.pipeline."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click

from secaudit import pipeline
from secaudit.commands.options import config_option, fail, language, output_of, report_options
from secaudit.commands.progress import TerminalProgress
from secaudit.errors import SecauditError
from secaudit.i18n import t
from secaudit.pipeline import Output
from secaudit.safetext import for_terminal

_COLLECTORS = {"backups", "host", "listening_ports", "software"}


def _when(ts: int | None, lang: str) -> str:
    if not ts:
        return t("backup.never", lang)
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _summary(summaries: list[Any], lang: str, out: Any) -> None:
    from secaudit.units import format_size

    for s in summaries:
        if s.config_error:
            click.echo(t("backup.set_error", lang, name=for_terminal(s.name), kind=for_terminal(s.kind),
                         detail=for_terminal(s.config_error[1])), file=out)
        else:
            click.echo(t("backup.set", lang, name=for_terminal(s.name), kind=for_terminal(s.kind),
                         verified=format_size(s.bytes_verified),
                         seconds=int(s.seconds), covered="?" if s.bytes_covered is None else
                         format_size(s.bytes_covered), total="?" if s.bytes_total is None else
                         format_size(s.bytes_total), full=_when(s.fully_verified_at, lang), errors=len(s.errors)),
                       file=out)
            if s.files_total is not None:  # files sets: the share in files too (200,000 empty files are 0 bytes)
                click.echo(t("backup.files", lang, verified=s.files_verified, covered=s.files_covered,
                             total=s.files_total), file=out)
            if s.listing is not None and not s.listing_complete:
                click.echo(t("backup.unlisted", lang, **s.listing), file=out)
        if s.drill:
            click.echo(t("backup.drill", lang, method=for_terminal(s.drill.get("method") or "-"),
                         restored=s.drill.get("files_restored"), compared=s.drill.get("files_compared"),
                         mismatches=len(s.drill.get("mismatches") or [])), file=out)
        if s.offsite:
            err = s.offsite.get("error")
            state = err["detail"] if err else t("backup.offsite_ok", lang,
                                                 when=_when(s.offsite.get("newest_time"), lang))
            click.echo(t("backup.offsite", lang, location=for_terminal(s.offsite.get("location")),
                         state=for_terminal(state)), file=out)


def backup_playbook(book: Any) -> Any:
    """The playbook restricted to the requirements evidenced by backup.* checks."""
    from secaudit.checks import load_checks
    from secaudit.playbook import Clause, Requirement

    # Only the backup.* checks of those requirements: Windows Server Backup (windows.system_backup) is not a set.
    reqs = {rid: replace(r, checks=[c for c in r.checks if c.startswith("backup.")])
            for rid, r in book.requirements.items() if any(c.startswith("backup.") for c in r.checks)}
    if reqs:
        clauses = [Clause(c.clause, c.text, [r for r in c.requirements if r in reqs]) for c in book.clauses]
        clauses = [c for c in clauses if c.requirements]
        if book.clauses and not clauses:
            clauses = []
        return replace(book, requirements=reqs, clauses=clauses)
    # A playbook without backup requirements yet: one requirement per backup check.
    registry = load_checks()
    synthetic = {}
    for cid in sorted(c for c in registry if c.startswith("backup.")):
        rid = "BAK-" + cid.split(".", 1)[1].upper().replace("_", "-")
        synthetic[rid] = Requirement(rid, registry[cid].meta.title, "", [cid])
    return replace(book, requirements=synthetic, clauses=[])


@click.group("backup")
def backup() -> None:
    """Sao lưu: kiểm tra bản sao lưu / backups: verify backup sets."""


@backup.command("verify")
@config_option
@click.option("--budget", default=None,
              help="Time and/or bytes per run: 60s, 10m, 10GiB, 500MB or 10m,50GiB (default: everything).")
@click.option("--playbook", default=None, help="Playbook id or path (default from config).")
@report_options()
def verify(config_path: str | None, budget: str | None, playbook: str | None, lang: str | None, fmt: str,
           output: str | None, verbose: bool, sign: bool | None, key_dir: str | None) -> None:
    """Kiểm tra toàn vẹn, khôi phục thử, bản ở nơi khác / verify integrity, restore drill, off-site copy."""
    try:
        sys.exit(_verify(config_path, budget, playbook, output_of(lang, fmt, output, verbose, sign, key_dir)))
    except SecauditError as exc:
        fail(exc, language(lang))


def _verify(config_path: str | None, budget_text: str | None, playbook_ref: str | None, out: Output) -> int:
    from secaudit.backup import state as st
    from secaudit.backup.budget import parse_budget
    from secaudit.backup.engine import verify_all

    lang = out.lang
    config = pipeline.load_config(config_path)
    try:
        budget = parse_budget(budget_text)
    except ValueError as exc:
        raise SecauditError(t("backup.budget", "vi", error=exc), t("backup.budget", "en", error=exc)) from None
    book = backup_playbook(pipeline.load_playbook(playbook_ref, config))
    info = sys.stdout if out.fmt == "text" and not out.path else sys.stderr
    if not config.backups:
        click.echo(t("backup.no_sets", lang, path=config.source), file=info)
    else:
        shown = t("backup.unlimited", lang) if budget.unlimited else budget.describe()
        click.echo(t("backup.header", lang, budget=shown), file=info)
        try:
            with TerminalProgress(in_bytes=True) as bar:
                summaries, warnings = verify_all(config, budget, bar)
        except st.StateBusy as exc:
            raise SecauditError(t("backup.busy", "vi", lock=exc), t("backup.busy", "en", lock=exc)) from None
        except OSError as exc:
            error = f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip()
            raise SecauditError(t("backup.state", "vi", error=error), t("backup.state", "en", error=error)) from None
        for warning in warnings:
            click.echo(t("backup.warning", lang, text=for_terminal(warning)), err=True)
        _summary(summaries, lang, info)
        click.echo("", file=info)
    snapshot = pipeline.collect(pipeline.open_transport(), config, only=_COLLECTORS)
    return pipeline.deliver(snapshot, book, config, out)
