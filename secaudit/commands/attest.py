"""`secaudit attest [--answers FILE] [--playbook P]`: the unit answers the questions no machine can check
(secaudit/report/attestations.py); the answers are stored in the state directory and go into the next
audit's signed report, in their own section."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from secaudit import pipeline
from secaudit.commands.options import config_option, lang_option, language
from secaudit.i18n import t
from secaudit.safetext import for_terminal

if TYPE_CHECKING:
    from secaudit.playbook import Attestation, Playbook


@click.command()
@config_option
@click.option("--playbook", default=None, help="Playbook id or path (default from config).")
@click.option("--answers", "answers_path", type=click.Path(dir_okay=False), default=None,
              help="Tệp trả lời TOML/YAML thay vì hỏi / a TOML or YAML answers file instead of questions.")
@lang_option
def attest(config_path: str | None, playbook: str | None, answers_path: str | None, lang: str | None) -> None:
    """Trả lời các câu hỏi tự xác nhận / answer the attestation questions."""
    from secaudit.report import attestations as att

    lg = language(lang)
    config = pipeline.load_config(config_path)
    book = pipeline.load_playbook(playbook, config)
    questions = book.evaluated_attestations()
    if not questions:
        click.echo(t("attest.none", lg, playbook=book.id))
        return
    now = datetime.now(UTC).replace(microsecond=0)
    if answers_path:
        answers = att.read_answers_file(answers_path, book, now)
    else:
        try:
            answers = _ask(book, questions, now, lg)
        except (EOFError, click.exceptions.Abort):  # no terminal, end of input or Ctrl-C: nothing half-saved
            raise att.AttestationError(
                "Việc trả lời dừng giữa chừng nên không lưu câu trả lời nào; không có bàn phím thì dùng --answers TỆP.",
                "Answering stopped before the end, so no answer was saved; without a terminal use --answers FILE.",
            ) from None
    if not answers:
        click.echo(t("attest.nothing", lg))
        return
    path = att.save_answers(config, answers)
    until = att.expires_at(book.cadence, now).strftime("%Y-%m-%d")
    click.echo(t("attest.saved", lg, n=len(answers), path=path, until=until))


def _ask(book: Playbook, questions: list[Attestation], now: datetime, lang: str) -> dict[str, dict[str, str]]:
    from secaudit.report import attestations as att
    from secaudit.timefmt import FORMAT

    who = ""
    while not who:
        who = att.clean_text(click.prompt(t("attest.who", lang), default="", show_default=False))
    out: dict[str, dict[str, str]] = {}
    for i, question in enumerate(questions, 1):
        click.echo(f"\n[{i}/{len(questions)}] {for_terminal(', '.join(question.requirements))}: "
                   f"{for_terminal(question.question[lang])}")
        if question.evidence:
            click.echo(f"    ({for_terminal(question.evidence[lang])})")
        while True:
            raw = click.prompt(t("attest.prompt", lang), default="", show_default=False)
            if not raw.strip():
                answer = None
                break
            answer = att.parse_answer(raw)
            if answer is not None:
                break
            click.echo(t("attest.invalid", lang))
        if answer is None:
            continue
        document = att.clean_text(click.prompt(t("attest.prompt_document", lang), default="", show_default=False))
        out[question.id] = {"answer": answer, "answered_by": who, "answered_at": now.strftime(FORMAT),
                            "document": document, "playbook": book.id}
    return out
