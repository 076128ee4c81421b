"""The remote-audit CLI glue (options, refusals before any connection) and the last-resort budget that
keeps a stuck host from holding the run. Loopback only, no root needed."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from secaudit.agent import remote
from secaudit.agent.hosts import HostSpec, parse_target
from secaudit.agent.remote import HostResult, RemoteRun, audit_hosts
from secaudit.cli import cli
from secaudit.commands.remote import add_remote_options, check_exclusive, remote_requested
from secaudit.config import AgentConfig
from secaudit.pipeline import load_playbook
from secaudit.transport.ssh import SshOptions


def test_options_for_the_audit_command() -> None:
    seen: dict[str, Any] = {}

    @click.command()
    @add_remote_options
    def audit(**kw: Any) -> None:
        seen.update(kw)

    result = CliRunner().invoke(audit, ["--host", "a@h", "--host", "b@g:2222", "--sudo", "--parallel", "8"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": ("a@h", "b@g:2222"), "hosts_file": None, "parallel": 8, "accept_new": False,
                    "known_hosts": None, "identity": None, "sudo": True, "connect_timeout": 10.0}
    assert remote_requested(seen["host"], None) and not remote_requested((), None)
    assert remote_requested((), "hosts.txt")
    bad = CliRunner().invoke(audit, ["--parallel", "0"])
    assert bad.exit_code == 2 and "--parallel" in bad.output
    with pytest.raises(click.UsageError):
        check_exclusive("/mnt/disk", None)
    check_exclusive(None, None)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refusals_happen_before_connecting(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    base = ["audit", "--config", str(config), "--lang", "en"]
    mixed = CliRunner().invoke(cli, [*base, "--host", "a@127.0.0.1", "--root", str(tmp_path)])
    assert mixed.exit_code == 2 and "cannot be used with --root" in mixed.output
    a_file = tmp_path / "report.json"
    a_file.write_text("{}")
    res = CliRunner().invoke(cli, [*base, "--host", "a@127.0.0.1", "-o", str(a_file)])
    assert isinstance(res.exception, Exception) and "names a directory" in str(res.exception)
    res = CliRunner().invoke(cli, [*base, "--host", "a:pw@127.0.0.1"])
    assert res.exception is not None and "passwords are not supported" in str(res.exception)
    res = CliRunner().invoke(cli, [*base, "--host", f"a@127.0.0.1:{_closed_port()}", "--sign",
                                            "--key-dir", str(tmp_path / "no-keys")])
    assert res.exception is not None and not (tmp_path / "state").exists()  # no report was started


def test_unreachable_host_through_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    port = _closed_port()
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["audit", "--config", str(config), "--lang", "vi", "-o", str(out),
                                            "--host", f"a@127.0.0.1:{port}", "--known-hosts",
                                            str(tmp_path / "kh")], catch_exceptions=False)
    assert res.exit_code == 2
    assert f"a@127.0.0.1:{port}: không kết nối được — Không kết nối được tới a@127.0.0.1:{port}: cổng đóng" \
        in res.output
    assert "Máy" in res.output and "Trạng thái" in res.output and "Đã ghi bảng tổng hợp" in res.output
    assert len(list(out.glob("hosts-*.json"))) == 1


def test_a_stuck_host_is_given_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    release = threading.Event()

    def stuck(spec: HostSpec, run: RemoteRun) -> HostResult:
        if spec.port == 1:
            release.wait(30)
        return HostResult(spec, "unreachable", {"vi": "x", "en": "x"})

    monkeypatch.setattr(remote, "audit_one", stuck)
    monkeypatch.setattr(remote, "COLLECT_BUDGET", 0.5)
    config = AgentConfig(state_dir=str(tmp_path / "state"))
    run = RemoteRun(options=SshOptions(connect_timeout=0.1), config=config, playbook=load_playbook(None, config),
                    out_dir=str(tmp_path), parallel=1)
    seen: list[str] = []
    started = time.monotonic()
    try:
        results = audit_hosts([parse_target("a@h:1"), parse_target("a@h:2")], run,
                              lambda r, done, total: seen.append(f"{done}/{total} {r.spec.port} {r.status}"))
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert [r.status for r in results] == ["error", "unreachable"]
    assert "did not finish within 0.9 s and was given up" in (results[0].reason or {})["en"]
    assert seen == ["1/2 1 error", "2/2 2 unreachable"]
