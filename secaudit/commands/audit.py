"""`secaudit audit`, `facts` and `evaluate`: this machine, a mounted root, a recording, or (with
--host/--hosts) other machines over SSH; every report goes through secaudit.pipeline."""

from __future__ import annotations

import json
import sys

import click

from secaudit import limits, pipeline
from secaudit.commands.options import (
    F,
    config_option,
    fail,
    format_option,
    lang_option,
    language,
    output_of,
    output_option,
    report_options,
    verbose_option,
)
from secaudit.commands.remote import add_remote_options, check_exclusive, remote_requested, run_remote_audit
from secaudit.commands.submit import collector_options, retry_option, run_submit
from secaudit.errors import SecauditError
from secaudit.fsutil import write_file
from secaudit.i18n import t
from secaudit.pipeline import EXIT_ERROR


def _system_options(fn: F) -> F:
    """--config, --root, --replay."""
    fn = click.option("--replay", type=click.Path(dir_okay=False), default=None,
                      help="Replay a recorded system (secaudit.recording/v1 JSON).")(fn)
    fn = click.option("--root", type=click.Path(file_okay=False), default=None,
                      help="Audit a mounted filesystem instead of this machine.")(fn)
    return config_option(fn)


def _transport(root: str | None, replay: str | None) -> object:
    if root and replay:
        raise click.UsageError("--root and --replay cannot be used together.")
    return pipeline.open_transport(root, replay)


@click.command()
@_system_options
@click.option("--playbook", default=None, help="Playbook id or path (default from config: dong-nai-2026).")
@report_options("Write the report here (a directory with --host/--hosts).")
@add_remote_options
@click.option("--submit", "submit_after", is_flag=True,
              help="Gửi báo cáo đã ký (và hàng đợi) tới collector / then send the signed report (and the outbox) "
                   "to the collector.")
@collector_options
@retry_option
def audit(config_path: str | None, root: str | None, replay: str | None, playbook: str | None,
          lang: str | None, fmt: str, output: str | None, verbose: bool, sign: bool | None,
          key_dir: str | None, host: tuple[str, ...], hosts_file: str | None, parallel: int, accept_new: bool,
          known_hosts: str | None, identity: str | None, sudo: bool, connect_timeout: float,
          submit_after: bool, collector: str | None, ca_file: str | None, retry_for: float | None) -> None:
    """Kiểm tra máy này (hoặc máy khác qua SSH) theo kế hoạch / audit this machine (or others over SSH).

    With --submit the report is signed (a key is required) and the outbox is sent: the exit code is the
    audit's when every envelope got its receipt, else 2."""
    if (collector or ca_file or retry_for is not None) and not submit_after:
        raise click.UsageError("--collector, --ca-file and --retry-for are only used with --submit.")
    if submit_after and sign is False:
        raise click.UsageError("--submit sends the signed report; it cannot be used with --no-sign.")
    out = output_of(lang, fmt, output, verbose, True if submit_after else sign, key_dir)
    config = pipeline.load_config(config_path)
    book = pipeline.load_playbook(playbook, config)  # fail fast on a bad playbook, before collecting
    if remote_requested(host, hosts_file):
        check_exclusive(root, replay)
        code = run_remote_audit(host, hosts_file, parallel, accept_new, known_hosts, identity, sudo,
                                connect_timeout, config=config, playbook=book, out=out)
    else:
        snapshot = pipeline.collect(_transport(root, replay), config)
        code = pipeline.deliver(snapshot, book, config, out)
        code = EXIT_ERROR if pipeline.not_a_system(snapshot, root or replay or "/", out.lang) else code
    if submit_after:
        try:
            sent = run_submit(config, collector, (), out.lang, ca_file, retry_for)
        except SecauditError as exc:
            fail(exc, out.lang)
        code = code if sent == pipeline.EXIT_OK else EXIT_ERROR
    sys.exit(code)


def _record(transport: object, path: str, lang: str) -> None:
    """Write the Windows recording (collect.ps1's document) that `--replay` evaluates as this run."""
    from secaudit.transport.base import FactUnavailable
    from secaudit.transport.windows import WindowsTransport

    if not isinstance(transport, WindowsTransport):
        raise SecauditError("--record chỉ dùng khi chạy trên Windows (ghi kết quả các probe của collect.ps1).",
                            "--record only works on Windows (it saves the output of collect.ps1's probes).")
    try:
        recording = transport.recording()
    except FactUnavailable as exc:
        raise SecauditError(f"Không ghi được bản ghi: {exc.detail}.",
                            f"The recording could not be made: {exc.detail}.") from None
    text = json.dumps(recording, ensure_ascii=False, indent=1) + "\n"
    write_file(path, text.encode("utf-8"))
    click.echo(t("facts.recorded", lang, path=path), err=True)


@click.command()
@_system_options
@output_option("Snapshot file (default: standard output; with --record, none unless given).", default=None)
@click.option("--record", "record", type=click.Path(dir_okay=False), default=None,
              help="Windows: also save collect.ps1's recording here (replay it with --replay).")
@lang_option
def facts(config_path: str | None, root: str | None, replay: str | None, output: str | None, record: str | None,
          lang: str | None) -> None:
    """Thu thập dữ kiện (không đánh giá) / collect facts only."""
    config = pipeline.load_config(config_path)
    if record and (root or replay):
        raise click.UsageError("--record saves this Windows machine's probes; it cannot be used with --root or "
                               "--replay.")
    transport = _transport(root, replay)
    if record:
        _record(transport, record, language(lang))
        if output is None:
            return
    output = output or "-"
    snapshot = pipeline.collect(transport, config)
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
        click.echo(t("facts.written", language(lang), path=output), err=True)
    if pipeline.not_a_system(snapshot, root or replay or "/", language(lang)):
        sys.exit(EXIT_ERROR)


@click.command()
@click.option("--facts", "facts_path", required=True, type=click.Path(dir_okay=False),
              help="Snapshot from `secaudit facts`.")
@config_option
@click.option("--playbook", default=None, help="Playbook id or path (default from config).")
@lang_option
@format_option()
@output_option()
@verbose_option
def evaluate(facts_path: str, config_path: str | None, playbook: str | None, lang: str | None,
             fmt: str, output: str | None, verbose: bool) -> None:
    """Đánh giá một ảnh chụp dữ kiện / evaluate a recorded snapshot."""
    out = output_of(lang, fmt, output, verbose, sign=False)  # a replayed snapshot is not signed
    config = pipeline.load_config(config_path)
    snapshot = pipeline.load_snapshot(facts_path)
    code = pipeline.deliver(snapshot, pipeline.load_playbook(playbook, config), config, out)
    sys.exit(EXIT_ERROR if pipeline.not_a_system(snapshot, facts_path, out.lang) else code)
