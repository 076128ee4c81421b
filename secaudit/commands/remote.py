"""`secaudit audit --host USER@HOST ... | --hosts FILE`: the options of the agentless (SSH) side of
`audit` and the glue between them, the runner (secaudit.agent.remote) and the terminal. Neither
paramiko nor the collectors are imported until a remote audit is asked for."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secaudit.commands.progress import TerminalProgress
from secaudit.config import AgentConfig
from secaudit.errors import SecauditError
from secaudit.i18n import t
from secaudit.pipeline import Output, show_summary
from secaudit.progress import Progress
from secaudit.safetext import for_terminal

if TYPE_CHECKING:
    from secaudit.playbook import Playbook

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


def host_done(lang: str, progress: Progress) -> Callable[[Any, int, int], None]:
    """What the runner calls as each host finishes: one line per host (and the key it recorded)."""
    from secaudit.agent.remote import STATUS_TEXT

    def show(result: Any, done: int, total: int) -> None:
        # reasons can quote the remote host (banners, error text): escaped before the terminal
        target = for_terminal(result.spec.target)
        seconds = f"{result.duration_ms / 1000:.1f} s"
        status = STATUS_TEXT.get(result.status, {"vi": result.status, "en": result.status})[lang]
        if result.recorded_key_in:
            progress.note(t("remote.host_key_recorded", lang, target=target, host_key=for_terminal(result.host_key),
                            path=for_terminal(result.recorded_key_in)))
        if result.audited:
            summary = result.report["summary"]
            line = t("remote.host_result", lang, score=summary["score"], fail=summary["fail"])
        else:
            line = for_terminal(result.reason[lang])
        progress.note(f"[{done}/{total}] {target}: {status} — {line} ({seconds})")
        if result.sign_error:
            progress.note("  " + t("sign.skipped", lang, reason=for_terminal(result.sign_error[lang])))
        progress.advance()

    return show


def run_remote_audit(host: tuple[str, ...] | list[str], hosts_file: str | None, parallel: int, accept_new: bool,
                     known_hosts: str | None, identity: str | None, sudo: bool, connect_timeout: float, *,
                     config: AgentConfig, playbook: Playbook, out: Output) -> int:
    """Audit every host; write `<label>-<time>.json` (and `out.fmt` when it is a file format) per host
    into the directory `out.path` (default: the current directory), sign each when a key exists,
    print each host's terminal summary and the table of all hosts. Returns the exit code:
    2 if any host could not be audited, else 1 if any host has a fail, else 0."""
    from secaudit.agent.hosts import gather
    from secaudit.agent.remote import RemoteRun, audit_hosts, exit_code, ssh_options, summary_table, write_summary

    specs = gather(host, hosts_file)
    out_dir = out.path or "."
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise SecauditError(f"Khi kiểm tra từ xa, -o là một thư mục; {out_dir} là một tệp.",
                            f"With remote hosts, -o names a directory; {out_dir} is a file.")
    if out.sign:
        from secaudit.sign import keys

        if not keys.has_private_key(keys.resolve_key_dir(out.key_dir)):
            raise SecauditError(t("sign.no_key", "vi"), t("sign.no_key", "en"))
    run = RemoteRun(options=ssh_options(known_hosts, accept_new, identity, sudo, connect_timeout), config=config,
                    playbook=playbook, out_dir=out_dir, formats=(out.fmt,), lang=out.lang, sign=out.sign,
                    key_dir=out.key_dir, parallel=parallel)
    click.echo(t("remote.start", out.lang, n=len(specs), parallel=min(parallel, len(specs))), err=True)
    with TerminalProgress() as progress:
        progress.start("SSH", total=len(specs))
        results = audit_hosts(specs, run, host_done(out.lang, progress))
        progress.end()
    for result in results:
        if result.report is None:
            continue
        click.echo(f"\n== {for_terminal(result.spec.target)} ==")
        sys.stdout.flush()
        show_summary(result.report, out.lang, out.verbose)
    click.echo("\n" + summary_table(results, out.lang))
    path = write_summary(results, out_dir)
    click.echo(t("remote.summary_written", out.lang, path=for_terminal(path)))
    return exit_code(results)
