"""Command line: `secaudit audit`, `facts`, `evaluate`, `playbooks`. Errors are one sentence, exit 2."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import click

from secaudit import __version__, limits
from secaudit.errors import SecauditError
from secaudit.fsutil import safe_name, write_file
from secaudit.i18n import LANGS, default_lang, t
from secaudit.report.formats import FORMATS
from secaudit.safetext import for_terminal

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

lang_option = click.option("--lang", type=click.Choice(LANGS), default=None,
                           help="Ngôn ngữ / language: vi (mặc định) hoặc en.")


def _lang(value: str | None) -> str:
    return value or default_lang()


def _transport(root: str | None, replay: str | None) -> Any:
    if root and replay:
        raise click.UsageError("--root and --replay cannot be used together.")
    if replay:
        from secaudit.transport.replay import ReplayTransport

        return ReplayTransport.load(replay)
    if root:
        from secaudit.transport.base import FactUnavailable
        from secaudit.transport.local import RootTransport

        try:
            return RootTransport(root)
        except FactUnavailable:
            raise SecauditError(
                f"Thư mục gốc {root} không tồn tại.", f"Root directory {root} does not exist."
            ) from None
    from secaudit.transport.local import LocalTransport

    return LocalTransport()




def emit(report: dict[str, Any], fmt: str, output: str | None, lang: str, verbose: bool) -> int:
    """Write the report in `fmt` (to `output`, else standard output) and show the summary."""
    from secaudit.report import terminal
    from secaudit.report.formats import RenderOptions

    form = FORMATS[fmt]
    if form.terminal and not output:
        terminal.render(report, lang, verbose=verbose)
    else:
        data = form.render(report, RenderOptions(lang=lang, verbose=verbose))
        if form.binary and not output:  # named after the audited host: sanitised, in this directory
            stamp = safe_name(report["generated_at"][:10].replace("-", ""), "")
            output = f"{safe_name(report['host']['hostname'])}-{stamp}{form.suffix}"
        if output and output != "-":
            write_file(output, data)
            if not form.terminal:
                terminal.render(report, lang, verbose=verbose)
            click.echo(t("report.written", lang, path=output))
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    return EXIT_FAIL if report["summary"]["fail"] else EXIT_OK


def _report(snapshot: Any, playbook_ref: str | None, config: Any, key_dir: str | None = None) -> dict[str, Any]:
    from secaudit import playbook as pb

    return report_for(snapshot, pb.load(playbook_ref or config.playbook), config, key_dir)


def report_for(snapshot: Any, playbook: Any, config: Any, key_dir: str | None = None) -> dict[str, Any]:
    """Build a report with the next sequence number and the agent id of the signing key."""
    from secaudit.report.builder import build
    from secaudit.sign import agent_id_for
    from secaudit.state import next_sequence

    state_agent_id, sequence = next_sequence(config)  # persisted before anything is signed
    try:
        agent_id = agent_id_for(key_dir) or state_agent_id
    except SecauditError:
        agent_id = state_agent_id  # unreadable key dir: signing decides whether that is fatal
    return build(snapshot, playbook, config, agent_id, sequence)


def sign_and_announce(report: dict[str, Any], sign: bool | None, key_dir: str | None, output: str | None,
                      lang: str) -> None:
    """Sign when asked, or by default when a key exists; an unreadable key only warns by default."""
    if sign is False:
        return
    from secaudit.sign import sign_report

    out_dir = str(Path(output).parent) if output else "."
    try:
        path = sign_report(report, key_dir, None, out_dir)
    except SecauditError as exc:
        if sign:
            raise
        click.echo(t("sign.skipped", lang, reason=exc.text(lang)), err=True)
        return
    if path is None:
        if sign:
            raise SecauditError(t("sign.no_key", "vi"), t("sign.no_key", "en"))
        return
    click.echo(t("sign.written", lang, path=path), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secaudit")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--deadline", type=click.IntRange(min=1), default=None, metavar="SECONDS",
              help="Stop the whole run after this many seconds (default 1800; scan 6 h; backup 24 h).")
def cli(debug: bool, deadline: int | None) -> None:
    """secaudit: kiểm tra tuân thủ an toàn thông tin cho trường học / security compliance auditor."""
    if debug:
        os.environ["SECAUDIT_DEBUG"] = "1"


common = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                 help="Agent config (TOML)."),
    click.option("--root", type=click.Path(file_okay=False), default=None,
                 help="Audit a mounted filesystem instead of this machine."),
    click.option("--replay", type=click.Path(dir_okay=False), default=None,
                 help="Replay a recorded system (secaudit.recording/v1 JSON)."),
]


def _common(fn: Any) -> Any:
    for option in reversed(common):
        fn = option(fn)
    return fn


def _remote_options(fn: Any) -> Any:
    from secaudit.agent.remote_cli import add_remote_options

    return add_remote_options(fn)


@cli.command()
@_common
@click.option("--playbook", default=None, help="Playbook id or path (default from config: dong-nai-2026).")
@lang_option
@click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default="text")
@click.option("-o", "--output", default=None, help="Write the report here (a directory with --host/--hosts).")
@click.option("-v", "--verbose", is_flag=True, help="Also list passing checks.")
@click.option("--sign/--no-sign", default=None, help="Sign the report (default: when a key exists).")
@click.option("--key-dir", default=None, type=click.Path(file_okay=False), help="Agent key directory.")
@_remote_options
def audit(config_path: str | None, root: str | None, replay: str | None, playbook: str | None,
          lang: str | None, fmt: str, output: str | None, verbose: bool, sign: bool | None,
          key_dir: str | None, host: tuple[str, ...], hosts_file: str | None, parallel: int, accept_new: bool,
          known_hosts: str | None, identity: str | None, sudo: bool, connect_timeout: float) -> None:
    """Kiểm tra máy này (hoặc máy khác qua SSH) theo kế hoạch / audit this machine (or others over SSH)."""
    from secaudit import playbook as pb
    from secaudit.config import load_config
    from secaudit.facts import collect

    lg = _lang(lang)
    config = load_config(config_path)
    book = pb.load(playbook or config.playbook)  # fail fast on a bad playbook, before collecting
    if host or hosts_file:
        from secaudit.agent.remote_cli import check_exclusive, run_remote_audit

        check_exclusive(root, replay)
        sys.exit(run_remote_audit(host, hosts_file, parallel, accept_new, known_hosts, identity, sudo,
                                  connect_timeout, config=config, playbook=book, lang=lg, fmt=fmt, output=output,
                                  verbose=verbose, sign=sign, key_dir=key_dir))
    snapshot = collect(_transport(root, replay), config)
    report = report_for(snapshot, book, config, key_dir)
    sign_and_announce(report, sign, key_dir, output, lg)
    code = emit(report, fmt, output, lg, verbose)
    sys.exit(EXIT_ERROR if not_a_system(snapshot, root or replay or "/", lg) else code)


def not_a_system(snapshot: Any, where: str, lang: str) -> bool:
    """Say on stderr when the audited root looks like no installed system (an empty directory, a data
    disk): the report is written, every check in it is unknown, and the run exits 2 (a usage error)."""
    host = snapshot.table("host")
    if not isinstance(host, dict) or host.get("looks_like_system") is not False:
        return False
    markers = ", ".join(str(m) for m in host.get("system_markers_checked") or ["/etc/passwd"])
    click.echo(t("audit.not_a_system", lang, root=where, markers=markers), err=True)
    return True


@cli.command()
@_common
@click.option("-o", "--output", default="-", help="Snapshot file (default: standard output).")
@lang_option
def facts(config_path: str | None, root: str | None, replay: str | None, output: str, lang: str | None) -> None:
    """Thu thập dữ kiện (không đánh giá) / collect facts only."""
    from secaudit.config import load_config
    from secaudit.facts import collect

    config = load_config(config_path)
    snapshot = collect(_transport(root, replay), config)
    data = snapshot.to_dict()
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if len(text.encode("utf-8")) > limits.RECORDING:  # what `evaluate --facts` would refuse to read
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
        if len(text.encode("utf-8")) > limits.RECORDING:
            size = limits.mib(limits.RECORDING)
            raise SecauditError(f"Ảnh chụp dữ kiện lớn hơn {size} nên không được ghi (evaluate sẽ không đọc được).",
                                f"The fact snapshot is larger than {size} and was not written "
                                f"(evaluate could not read it).")
    if output == "-":
        click.echo(text, nl=False)
    else:
        write_file(output, text.encode("utf-8"))
        click.echo(t("facts.written", _lang(lang), path=output), err=True)
    if not_a_system(snapshot, root or replay or "/", _lang(lang)):
        sys.exit(EXIT_ERROR)


@cli.command()
@click.option("--facts", "facts_path", required=True, type=click.Path(dir_okay=False),
              help="Snapshot from `secaudit facts`.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--playbook", default=None)
@lang_option
@click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default="text")
@click.option("-o", "--output", default=None)
@click.option("-v", "--verbose", is_flag=True)
def evaluate(facts_path: str, config_path: str | None, playbook: str | None, lang: str | None,
             fmt: str, output: str | None, verbose: bool) -> None:
    """Đánh giá một ảnh chụp dữ kiện / evaluate a recorded snapshot."""
    from secaudit.config import load_config
    from secaudit.facts.model import Snapshot

    config = load_config(config_path)
    snapshot = Snapshot.load(facts_path)
    snapshot.mode = "replay"
    code = emit(_report(snapshot, playbook, config), fmt, output, _lang(lang), verbose)
    sys.exit(EXIT_ERROR if not_a_system(snapshot, facts_path, _lang(lang)) else code)


@cli.group()
def playbooks() -> None:
    """Bộ yêu cầu theo kế hoạch / plan playbooks."""


@playbooks.command("list")
@lang_option
def playbooks_list(lang: str | None) -> None:
    from secaudit import playbook as pb

    lg = _lang(lang)
    for path in pb.list_shipped():
        book = pb.load(path)
        due = ", ".join(book.cadence.get("due", []))
        click.echo(f"{book.id:<24} {book.version:<8} {book.title[lg]}" + (f"  [{due}]" if due else ""))


@playbooks.command("show")
@click.argument("ref")
@lang_option
def playbooks_show(ref: str, lang: str | None) -> None:
    from secaudit import playbook as pb
    from secaudit.checks import REGISTRY

    lg = _lang(lang)
    book = pb.load(ref)

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

    book = pb.load(path)
    click.echo(t("playbooks.valid", _lang(lang), path=path, n=len(book.evaluated_requirements())))


def _register() -> None:
    from secaudit.backup.cli import backup
    from secaudit.network.cli import scan
    from secaudit.report.cli import render
    from secaudit.sign.cli import keys, verify

    cli.add_command(backup)
    cli.add_command(keys)
    cli.add_command(verify)
    cli.add_command(render)
    cli.add_command(scan)


_register()


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
