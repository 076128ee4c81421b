"""Fixtures of the agent-side tests: a fake collector on loopback, an agent (key + state dir) and
signed envelopes in its outbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from secaudit.config import AgentConfig
from secaudit.report.sample import sample_report
from secaudit.sign import keys, sign_report
from secaudit.state import outbox_dir, queue_envelope
from tests.unit.agent.fake_collector import FakeCollector


@dataclass
class Agent:
    config: AgentConfig
    key_dir: str
    info: keys.KeyInfo
    sequence: int = 0

    def envelope(self, out_dir: Path | None = None, queue: bool = True, **sample: object) -> Path:
        """A signed sample report (next sequence) written to `out_dir` (default: a scratch dir) and
        queued in the outbox; returns the outbox copy (or the written file when not queued)."""
        self.sequence += 1
        payload = sample_report(findings=5, software=3, seed=self.sequence, **sample)  # type: ignore[arg-type]
        payload["sequence"] = self.sequence
        payload["host"]["agent_id"] = self.info.agent_id
        target = out_dir or Path(self.config.state_dir).parent / "signed"
        written = Path(sign_report(payload, self.key_dir, None, str(target)) or "")
        return queue_envelope(self.config, written) if queue else written

    @property
    def outbox(self) -> Path:
        return outbox_dir(self.config)


@pytest.fixture
def collector() -> Iterator[FakeCollector]:
    server = FakeCollector()
    yield server
    server.stop()


@pytest.fixture
def make_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Agent]:
    monkeypatch.delenv("SECAUDIT_KEY_PASSPHRASE", raising=False)

    def make(name: str = "agent") -> Agent:
        base = tmp_path / name
        config = AgentConfig(state_dir=str(base / "state"))
        key_dir = str(base / "keys")
        return Agent(config, key_dir, keys.init(key_dir))

    return make


@pytest.fixture
def agent(make_agent: Callable[[str], Agent]) -> Agent:
    return make_agent("agent")


@pytest.fixture
def enrolled(agent: Agent, collector: FakeCollector) -> Agent:
    from secaudit.agent import enroll

    answer = enroll.enroll_online(collector.url, enroll.build_request(collector.token(), agent.key_dir), agent.info)
    enroll.store(agent.config, collector.url, answer)
    return agent
