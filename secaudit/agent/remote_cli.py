"""`secaudit audit --host USER@HOST ... | --hosts FILE`: the agentless (SSH) side of `audit`.

The lead's `audit` command takes these options with `@add_remote_options` and, when
`remote_requested(host, hosts_file)`, returns `run_remote_audit(...)` as its exit code.
`remote_audit` is the same as a stand-alone click command (used by the tests).
This module imports neither paramiko nor the collectors until a remote audit is asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from secaudit.errors import SecauditError
from secaudit.i18n import t
from secaudit.report.formats import FORMATS
from secaudit.safetext import for_terminal

_OPTIONS = [
    click.option("--host", "host", multiple=True, metavar="USER@HOST[:PORT]",
                 help="Kiểm tra máy từ xa qua SSH (lặp lại được) / audit a remote host over SSH (repeatable)."),
    click.option("--hosts", "hosts_file", type=click.Path(dir_okay=False), default=None,
                 help="Tệp danh sách máy (dòng user@host[:port] [key=..] [sudo=yes] hoặc .toml) / hosts file."),
    click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True,
                 help="Số máy kiểm tra cùng lúc / hosts audited at once."),
    click.option("--accept-new", is_flag=True,
                 help="Chấp nhận và ghi lại khóa máy chủ chưa biết (không bao giờ chấp nhận khóa đã đổi) / "
                      "accept and record unknown host keys (never changed ones)."),
    click.option("--known-hosts", type=click.Path(dir_okay=False), default=None,
                 help="Tệp known_hosts (mặc định ~/.ssh/known_hosts, cùng /etc/ssh/ssh_known_hosts)."),
    click.option("--identity", type=click.Path(dir_okay=False), default=None,
                 help="Khóa riêng SSH (không có: ssh-agent và ~/.ssh/id_*); không dùng mật khẩu / private key."),
    click.option("--sudo", is_flag=True,
                 help="Chạy lệnh và đọc tệp bị từ chối qua `sudo -n` (cần NOPASSWD) / use sudo -n (NOPASSWD)."),
    click.option("--connect-timeout", type=click.FloatRange(1, 300), default=10.0, show_default=True,
                 help="Giây chờ kết nối, banner SSH, xác thực / seconds for connect, banner, authentication."),
]


def add_remote_options(fn: Any) -> Any:
    """Decorate a click command with --host, --hosts, --parallel, --accept-new, --known-hosts,
    --identity, --sudo, --connect-timeout (parameters: host, hosts_file, parallel, accept_new,
    known_hosts, identity, sudo, connect_timeout)."""
    for option in reversed(_OPTIONS):
        fn = option(fn)
    return fn


def remote_requested(host: tuple[str, ...] | list[str], hosts_file: str | None) -> bool:
    return bool(host) or bool(hosts_file)


def check_exclusive(root: str | None, replay: str | None) -> None:
    """--host/--hosts cannot be combined with --root or --replay."""
    if root or replay:
        raise click.UsageError("--host/--hosts cannot be used with --root or --replay.")


def ssh_options(known_hosts: str | None = None, accept_new: bool = False, identity: str | None = None,
                sudo: bool = False, connect_timeout: float = 10.0) -> Any:
    from secaudit.transport.ssh import SshOptions

    return SshOptions(known_hosts=known_hosts, accept_new=accept_new, identity=identity, sudo=sudo,
                      connect_timeout=connect_timeout)


def transport_for(target: str, known_hosts: str | None = None, accept_new: bool = False,
                  identity: str | None = None, sudo: bool = False, connect_timeout: float = 10.0) -> Any:
    """One connected SshTransport for `secaudit facts --host USER@HOST` (raises SshError, a
    SecauditError, when the host cannot be reached). The caller closes it."""
    from secaudit.agent.hosts import parse_target
    from secaudit.transport.ssh import connect

    spec = parse_target(target)
    opts = ssh_options(known_hosts, accept_new, identity, sudo, connect_timeout)
    return connect(spec.host, spec.port, spec.user, opts)


def _progress(lang: str) -> Callable[[Any, int, int], None]:
    from secaudit.agent.remote import STATUS_TEXT

    def show(result: Any, done: int, total: int) -> None:
        # reasons can quote the remote host (banners, error text): escaped before the terminal
        target = for_terminal(result.spec.target)
        seconds = f"{result.duration_ms / 1000:.1f} s"
        status = STATUS_TEXT.get(result.status, {"vi": result.status, "en": result.status})[lang]
        if result.recorded_key_in:
            click.echo(t("remote.host_key_recorded", lang, target=target, host_key=for_terminal(result.host_key),
                         path=for_terminal(result.recorded_key_in)), err=True)
        if result.audited:
            summary = result.report["summary"]
            line = t("remote.host_result", lang, score=summary["score"], fail=summary["fail"])
        else:
            line = for_terminal(result.reason[lang])
        click.echo(f"[{done}/{total}] {target}: {status} — {line} ({seconds})", err=True)
        if result.sign_error:
            click.echo("  " + t("sign.skipped", lang, reason=for_terminal(result.sign_error[lang])), err=True)

    return show


def run_remote_audit(host: tuple[str, ...] | list[str], hosts_file: str | None, parallel: int, accept_new: bool,
                     known_hosts: str | None, identity: str | None, sudo: bool, connect_timeout: float, *,
                     config: Any, playbook: Any, lang: str, fmt: str = "text", output: str | None = None,
                     verbose: bool = False, sign: bool | None = None, key_dir: str | None = None) -> int:
    """Audit every host; write `<label>-<time>.json` (and `fmt` when it is a file format) per host
    into the directory `output` (default: the current directory), sign each when a key exists,
    print each host's terminal summary and the table of all hosts. Returns the exit code:
    2 if any host could not be audited, else 1 if any host has a fail, else 0."""
    from secaudit.agent.hosts import gather
    from secaudit.agent.remote import RemoteRun, audit_hosts, exit_code, summary_table, write_summary
    from secaudit.report import terminal

    specs = gather(host, hosts_file)
    out_dir = output or "."
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise SecauditError(f"Khi kiểm tra từ xa, -o là một thư mục; {out_dir} là một tệp.",
                            f"With remote hosts, -o names a directory; {out_dir} is a file.")
    if sign:
        from secaudit.sign import keys

        if not keys.has_private_key(keys.resolve_key_dir(key_dir)):
            raise SecauditError(t("sign.no_key", "vi"), t("sign.no_key", "en"))
    run = RemoteRun(options=ssh_options(known_hosts, accept_new, identity, sudo, connect_timeout), config=config,
                    playbook=playbook, out_dir=out_dir, formats=(fmt,), lang=lang, sign=sign, key_dir=key_dir,
                    parallel=parallel)
    click.echo(t("remote.start", lang, n=len(specs), parallel=min(parallel, len(specs))), err=True)
    results = audit_hosts(specs, run, _progress(lang))
    for result in results:
        if result.report is None:
            continue
        click.echo(f"\n== {for_terminal(result.spec.target)} ==")
        sys.stdout.flush()
        terminal.render(result.report, lang, verbose=verbose)
    click.echo("\n" + summary_table(results, lang))
    path = write_summary(results, out_dir)
    click.echo(t("remote.summary_written", lang, path=for_terminal(path)))
    return exit_code(results)


@click.command("audit-remote")
@add_remote_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help="Agent config (TOML).")
@click.option("--playbook", default=None, help="Playbook id or path.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None)
@click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)), default="text")
@click.option("-o", "--output", default=None, help="Thư mục ghi báo cáo / directory for the reports.")
@click.option("-v", "--verbose", is_flag=True)
@click.option("--sign/--no-sign", default=None)
@click.option("--key-dir", default=None, type=click.Path(file_okay=False))
def remote_audit(host: tuple[str, ...], hosts_file: str | None, parallel: int, accept_new: bool,
                 known_hosts: str | None, identity: str | None, sudo: bool, connect_timeout: float,
                 config_path: str | None, playbook: str | None, lang: str | None, fmt: str, output: str | None,
                 verbose: bool, sign: bool | None, key_dir: str | None) -> None:
    """Kiểm tra các máy từ xa qua SSH / audit remote hosts over SSH."""
    from secaudit import playbook as pb
    from secaudit.config import load_config
    from secaudit.i18n import default_lang

    if not remote_requested(host, hosts_file):
        raise click.UsageError("give --host USER@HOST or --hosts FILE.")
    lang = lang or default_lang()
    config = load_config(config_path)
    book = pb.load(playbook or config.playbook)
    sys.exit(run_remote_audit(host, hosts_file, parallel, accept_new, known_hosts, identity, sudo, connect_timeout,
                              config=config, playbook=book, lang=lang, fmt=fmt, output=output, verbose=verbose,
                              sign=sign, key_dir=key_dir))
