"""`secaudit submit` and `secaudit audit --submit` (CliRunner) against the fake collector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from secaudit.commands.audit import audit
from secaudit.commands.submit import submit
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector

ROOT = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
    "etc/shadow": ("root:*:19000:0:99999:7:::\n", 0o600),
    "etc/group": "root:x:0:\n",
    "etc/os-release": 'ID=debian\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n',
    "etc/hostname": "PC-PHONGMAY-01\n",
}


def _config(agent: Agent, tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "agent.toml"
    path.write_text(f'state_dir = "{agent.config.state_dir}"\n{extra}', encoding="utf-8")
    return str(path)


def _run(command: object, *args: str) -> Result:
    return CliRunner().invoke(command, [*args, "--lang", "en"])  # type: ignore[arg-type]


def test_submit_the_outbox(enrolled: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    for _ in range(2):
        enrolled.envelope()
    result = _run(submit, "--config", _config(enrolled, tmp_path))  # the URL comes from the enrollment
    assert result.exit_code == 0, result.output
    assert result.output.count("Sent ") == 2
    assert "Total: sent 2, already there 0, flagged 0, refused 0, waiting 0." in result.output
    assert collector.stored() == 2 and list(enrolled.outbox.iterdir()) == []
    again = _run(submit, "--config", _config(enrolled, tmp_path))
    assert again.exit_code == 0 and "No report is waiting" in again.output


def test_submit_a_named_file_twice(enrolled: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    path = enrolled.envelope(tmp_path / "usb", queue=False)
    config = _config(enrolled, tmp_path, f'[collector]\nurl = "{collector.url}"\n')
    assert _run(submit, str(path), "--config", config).exit_code == 0
    second = _run(submit, str(path), "--config", config)
    assert second.exit_code == 0 and "the collector already had it" in second.output


def test_not_enrolled_says_how(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    agent.envelope()
    result = _run(submit, "--collector", collector.url, "--config", _config(agent, tmp_path))
    assert result.exit_code == 1
    assert "this machine is not enrolled, run `secaudit enroll URL --token T`" in result.output


def test_no_collector_known(agent: Agent, tmp_path: Path) -> None:
    agent.envelope()
    result = _run(submit, "--config", _config(agent, tmp_path))
    assert result.exit_code == 2
    assert result.output.startswith("The collector address is not known")


def test_unreachable_is_exit_2_and_keeps_the_outbox(enrolled: Agent, collector: FakeCollector,
                                                    tmp_path: Path) -> None:
    path = enrolled.envelope()
    collector.stop()
    result = _run(submit, "--retry-for", "0", "--config", _config(enrolled, tmp_path))
    assert result.exit_code == 2 and path.exists()
    assert "will be sent by the next run" in result.output


def test_plain_http_to_another_host_is_refused(agent: Agent, tmp_path: Path) -> None:
    agent.envelope()
    result = _run(submit, "--collector", "http://192.0.2.1", "--config", _config(agent, tmp_path))
    assert result.exit_code == 2 and "unencrypted http" in result.output


def test_audit_submit(enrolled: Agent, collector: FakeCollector, make_root: Callable[..., Path],
                      tmp_path: Path) -> None:
    root = make_root(ROOT)
    out = tmp_path / "reports" / "r.json"
    result = _run(audit, "--root", str(root), "--format", "json", "-o", str(out), "--key-dir", enrolled.key_dir,
                  "--config", _config(enrolled, tmp_path), "--submit")
    assert result.exit_code in (0, 1), result.output
    assert collector.stored() == 1 and "Sent " in result.output
    assert list(enrolled.outbox.iterdir()) == []
    signed = list((tmp_path / "reports").glob("*.secaudit.json"))
    assert len(signed) == 1 and signed[0].exists()  # the envelope written next to the report stays


def test_audit_submit_unreachable_is_exit_2(enrolled: Agent, collector: FakeCollector,
                                            make_root: Callable[..., Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.agent import submit as sub

    monkeypatch.setattr(sub, "RETRY_BUDGET", 0.0)
    collector.stop()
    result = _run(audit, "--root", str(make_root(ROOT)), "--format", "json", "-o", str(tmp_path / "r.json"),
                  "--key-dir", enrolled.key_dir, "--config", _config(enrolled, tmp_path), "--submit")
    assert result.exit_code == 2, result.output
    assert len(list(enrolled.outbox.iterdir())) == 1


def test_audit_submit_usage(tmp_path: Path) -> None:
    assert _run(audit, "--submit", "--no-sign").exit_code == 2
    assert "only used with --submit" in _run(audit, "--collector", "https://c.example").output
