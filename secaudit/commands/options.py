"""The click options several commands share, each defined once (`--format` offers exactly the
formats of secaudit.report.formats.FORMATS), and the one-sentence error exit of the commands that
also run outside `secaudit.cli.main`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from secaudit.errors import SecauditError
from secaudit.i18n import LANGS, default_lang
from secaudit.pipeline import Output
from secaudit.report.formats import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

KEY_DIR_HELP = ("Thư mục khóa / key directory (default: $SECAUDIT_KEY_DIR, /etc/secaudit/keys, "
                "%ProgramData%\\secaudit\\keys).")


def lang_option(fn: F) -> F:
    return click.option("--lang", type=click.Choice(LANGS), default=None,
                        help="Ngôn ngữ / language: vi (mặc định) hoặc en.")(fn)


def format_option(default: str = "text", show_default: bool = False) -> Callable[[F], F]:
    shown = " | ".join(f"{name} ({form.description})" if form.description else name for name, form in FORMATS.items())
    return click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default=default,
                        show_default=show_default, help=f"Định dạng / format: {shown}.")


def listing_format_option(fn: F) -> F:
    """--format text|json of a listing (not a report: `playbooks coverage`), as parameter `listing`."""
    return click.option("--format", "listing", type=click.Choice(("text", "json")), default="text",
                        help="Định dạng / format: text | json.")(fn)


def output_option(help: str = "Write the report here ('-': standard output).", default: str | None = None
                  ) -> Callable[[F], F]:
    return click.option("-o", "--output", default=default, help=help)


def verbose_option(fn: F) -> F:
    return click.option("-v", "--verbose", is_flag=True, help="Also list passing checks.")(fn)


def sign_option(fn: F) -> F:
    return click.option("--sign/--no-sign", default=None, help="Sign the report (default: when a key exists).")(fn)


def key_dir_option(fn: F) -> F:
    return click.option("--key-dir", default=None, type=click.Path(file_okay=False), help=KEY_DIR_HELP)(fn)


def config_option(fn: F) -> F:
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                        help="Agent config (TOML).")(fn)


def report_options(output_help: str = "Write the report here ('-': standard output).") -> Callable[[F], F]:
    """--lang --format -o -v --sign/--no-sign --key-dir: what a command that writes a signed report takes
    (parameters lang, fmt, output, verbose, sign, key_dir; `output_of` turns them into a pipeline.Output)."""

    def apply(fn: F) -> F:
        for option in reversed((lang_option, format_option(), output_option(output_help), verbose_option,
                                sign_option, key_dir_option)):
            fn = option(fn)
        return fn

    return apply


def language(value: str | None) -> str:
    return value or default_lang()


def output_of(lang: str | None, fmt: str, output: str | None, verbose: bool, sign: bool | None = None,
              key_dir: str | None = None) -> Output:
    return Output(fmt=fmt, path=output, lang=language(lang), verbose=verbose, sign=sign, key_dir=key_dir)


def fail(exc: SecauditError, lang: str) -> NoReturn:
    """One sentence on stderr and the error's exit code (a traceback with --debug)."""
    if os.environ.get("SECAUDIT_DEBUG"):
        raise exc
    click.echo(exc.text(lang), err=True)
    sys.exit(exc.exit_code)
