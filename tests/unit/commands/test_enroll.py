"""`secaudit enroll` (CliRunner) against the fake collector: online, offline request and response, usage."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from secaudit.agent import enroll as en
from secaudit.commands.enroll import enroll
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector


def _config(agent: Agent, tmp_path: Path) -> str:
    path = tmp_path / "agent.toml"
    path.write_text(f'state_dir = "{agent.config.state_dir}"\n[unit]\ncode = "OTHER"\n', encoding="utf-8")
    return str(path)


def _run(*args: str) -> Result:
    return CliRunner().invoke(enroll, [*args, "--lang", "en"])


def test_online(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    result = _run(collector.url, "--token", collector.token("DN.BH.THCS1"), "--key-dir", agent.key_dir,
                  "--config", _config(agent, tmp_path))
    assert result.exit_code == 0, result.output
    assert f"This machine is enrolled with {collector.url}." in result.output
    assert "DN.BH.THCS1 — Đơn vị DN.BH.THCS1 (DN › DN.BH.THCS1)" in result.output
    assert agent.info.fingerprint in result.output
    assert "the collector always uses the enrolled unit" in result.output  # the config said OTHER
    stored = en.load(agent.config)
    assert stored is not None and stored["collector_url"] == collector.url


def test_online_creates_the_key(collector: FakeCollector, tmp_path: Path, monkeypatch: object) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    result = _run(collector.url, "--token", collector.token(), "--key-dir", str(tmp_path / "keys"),
                  "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "A new signing key was created" in result.output and (tmp_path / "keys" / "agent.key").exists()


def test_refused_token_is_one_sentence(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    result = _run(collector.url, "--token", "nope", "--key-dir", agent.key_dir, "--config", _config(agent, tmp_path))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "refused the enrollment" in result.output


def test_offline_then_response(agent: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    request = tmp_path / "REQ.json"
    first = _run("--offline", "--token", collector.token(), "--out", str(request), "--key-dir", agent.key_dir,
                 "--config", _config(agent, tmp_path))
    assert first.exit_code == 0, first.output
    assert "enroll-import" in first.output and agent.info.fingerprint in first.output
    status, body = collector._server.enroll(request.read_bytes())  # type: ignore[union-attr]
    assert status == 201
    response = tmp_path / "RESP.json"
    response.write_text(json.dumps(body))
    second = _run("--response", str(response), collector.url, "--key-dir", agent.key_dir,
                  "--config", _config(agent, tmp_path))
    assert second.exit_code == 0, second.output
    assert "The enrollment answer from" in second.output
    stored = en.load(agent.config)
    assert stored is not None and stored["collector_url"] == collector.url


def test_usage_errors(agent: Agent, tmp_path: Path) -> None:
    assert _run("--offline", "--token", "t").exit_code == 2
    assert _run("--out", "x.json", "--token", "t").exit_code == 2
    assert _run("https://c.example").exit_code == 2  # no token
    assert _run("--response", "r.json", "--token", "t").exit_code == 2
    assert _run("https://a.example", "--collector", "https://b.example", "--token", "t").exit_code == 2
    no_url = _run("--token", "t", "--key-dir", agent.key_dir, "--config", _config(agent, tmp_path))
    assert no_url.exit_code == 2 and "Give the collector URL" in no_url.output
