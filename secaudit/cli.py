"""The `secaudit` command: the click group, its commands (secaudit/commands/) registered, `main` (errors
are one sentence, exit 2) and `run` (main under the whole-run watchdog). Nothing imports this module
but secaudit/__main__.py and the console entry point."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

import click

from secaudit import __version__, limits
from secaudit.commands import COMMANDS
from secaudit.errors import SecauditError
from secaudit.i18n import LANGS, default_lang, t
from secaudit.pipeline import EXIT_ERROR, EXIT_OK
from secaudit.safetext import for_terminal


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secaudit")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--deadline", type=click.IntRange(min=1), default=None, metavar="SECONDS",
              help="Stop the whole run after this many seconds (default 1800; scan 6 h; backup 24 h).")
def cli(debug: bool, deadline: int | None) -> None:
    """secaudit: kiểm tra tuân thủ an toàn thông tin cho trường học / security compliance auditor."""
    if debug:
        os.environ["SECAUDIT_DEBUG"] = "1"


for command in COMMANDS:
    cli.add_command(command)


def _lang_from_argv(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGS:
            return arg[7:]
    return default_lang()


# A whole run has a deadline: past it the process exits (exit 2), whatever a thread is stuck on.
DEADLINES = {"scan": 6 * 3600, "backup": 24 * 3600}


def _deadline(argv: list[str]) -> int:
    """Seconds for this run: --deadline (a group option), else SECAUDIT_DEADLINE, else by command."""
    given = os.environ.get("SECAUDIT_DEADLINE", "")
    for i, arg in enumerate(argv):
        if arg.startswith("--deadline="):
            given = arg.partition("=")[2]
        elif arg == "--deadline" and i + 1 < len(argv):
            given = argv[i + 1]
    if given.isdigit() and int(given) > 0:
        return int(given)
    command = next((a for a in argv if not a.startswith("-")), "")
    return DEADLINES.get(command, limits.RUN_DEADLINE)


def _flush_and_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def run() -> None:
    """The `secaudit` command: `main` under a watchdog, and an exit that waits for no thread (a collector
    stuck on a FIFO or a silent server must not keep a cron job alive once the report is written)."""
    args = sys.argv[1:]
    seconds = _deadline(args)
    lang = _lang_from_argv(args)

    def expired() -> None:
        click.echo(t("error.deadline", lang, seconds=seconds), err=True)
        _flush_and_exit(EXIT_ERROR)

    watchdog = threading.Timer(seconds, expired)
    watchdog.daemon = True
    watchdog.start()
    try:
        main(args)
        code = EXIT_OK
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_ERROR)
        if not isinstance(exc.code, int | None):
            click.echo(str(exc.code), err=True)
    _flush_and_exit(code)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(args)
    debug = "--debug" in args or bool(os.environ.get("SECAUDIT_DEBUG"))
    try:
        cli.main(args=args, prog_name="secaudit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except SecauditError as exc:
        if debug:
            raise
        click.echo(exc.text(lang), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        click.echo(t("error.internal", lang, error=for_terminal(f"{type(exc).__name__}: {exc}")), err=True)
        sys.exit(EXIT_ERROR)
