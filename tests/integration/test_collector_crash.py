"""Crash test of the collector with the real agent code (secaudit.agent.submit.Submitter over each agent's
outbox): 20 concurrent agents x 200 reports each.

- SQLite: the collector (uvicorn on loopback) is killed with SIGKILL mid-run and restarted on the same port.
- PostgreSQL: two collector processes share one database; every agent's outbox goes through process A while
  a copy of the same envelopes goes through process B at the same time (the same bytes racing on two
  processes), and A is killed with SIGKILL mid-run and restarted.

Then: every envelope has a receipt and left its outbox; every receipt's report is stored once, with the
bytes sent (its SHA-256); the database holds exactly one report per agent and sequence, none flagged as a
conflict; while a collector was down, the agents saw nothing but connection errors.
SECAUDIT_CRASH_AGENTS / SECAUDIT_CRASH_REPORTS shrink the run for a quick local try.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import create_engine, text

from secaudit.agent import enroll, outbox
from secaudit.agent.submit import Result, RetryPolicy, Submitter
from secaudit.collector.db import database_url
from secaudit.config import AgentConfig
from secaudit.report.sample import sample_report
from secaudit.sign import keys, sign_report
from secaudit.sign.dsse import verify
from secaudit.sign.payload_types import RECEIPT_TYPE
from secaudit.state import outbox_dir
from tests.integration.collector_server import Collector, free_port, fresh_pg_database

pytestmark = pytest.mark.integration

AGENTS = int(os.environ.get("SECAUDIT_CRASH_AGENTS", "20"))
REPORTS = int(os.environ.get("SECAUDIT_CRASH_REPORTS", "200"))
UNITS = ("TH1", "TH2", "TH3", "TH9")
POLICY = RetryPolicy(base=0.1, cap=1.0, budget=300.0)


@dataclass
class Agent:
    config: AgentConfig
    key_dir: str
    envelopes: dict[str, tuple[int, bytes]]  # sha256 -> (sequence, bytes)


def _serve(server: Collector, port: int) -> None:
    """`secaudit collector serve` on 127.0.0.1:port (the same port again after a kill)."""
    cmd = [sys.executable, "-m", "secaudit", "collector", "serve", *server.args(), "--listen", f"127.0.0.1:{port}",
           "--log-level", "warning"]
    server.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"collector serve exited {server.process.returncode}"
        try:
            if httpx.get(server.url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("collector serve did not answer within 180 s")


def _make_agents(server: Collector, base: Path) -> list[Agent]:
    """AGENTS agents enrolled with the real agent code, each with REPORTS signed envelopes in its outbox."""
    agents = []
    for i in range(AGENTS):
        key_dir = str(base / f"a{i}" / "keys")
        info = keys.init(key_dir)
        config = AgentConfig(state_dir=str(base / f"a{i}" / "state"))
        answer = enroll.enroll_online(server.url, enroll.build_request(server.token(UNITS[i % len(UNITS)]), key_dir),
                                      info)
        enroll.store(config, server.url, answer)
        box = base / f"a{i}" / "state" / "outbox"
        envelopes = {}
        for seq in range(1, REPORTS + 1):
            payload = sample_report(findings=3, software=2, seed=seq, hostname=f"PC-{i:02d}",
                                    generated_at=f"2026-{1 + seq // 28 % 12:02d}-{1 + seq % 28:02d}T02:30:00Z")
            payload["sequence"] = seq
            payload["host"]["agent_id"] = info.agent_id
            path = Path(sign_report(payload, key_dir, None, str(box)) or "")
            data = path.read_bytes()
            envelopes[hashlib.sha256(data).hexdigest()] = (seq, data)
        agents.append(Agent(config, key_dir, envelopes))
    return agents


def _send(url: str, config: AgentConfig, paths: list[Path]) -> list[Result]:
    with Submitter(url, config, POLICY) as submitter:
        return submitter.run(paths)


def _kill_and_restart(server: Collector, port: int, agents: list[Agent], done: threading.Event,
                      log: list[str]) -> None:
    """SIGKILL the collector once a quarter of the reports has left the outboxes, restart it after 2 s."""
    deadline = time.monotonic() + 300
    while not done.is_set() and time.monotonic() < deadline:
        waiting = sum(len(os.listdir(outbox_dir(a.config))) for a in agents)
        if waiting <= AGENTS * REPORTS * 3 // 4:
            break
        time.sleep(0.2)
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    log.append("killed")
    time.sleep(2)
    _serve(server, port)
    log.append("restarted")


def _stored(url: str) -> dict[str, tuple[int, int, bool, str]]:
    """sha256 -> (report id, sequence, conflict, agent id) of every stored report."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT r.envelope_sha256, r.id, r.sequence, r.conflict, a.agent_id "
                                     "FROM reports r JOIN agents a ON a.id = r.agent_pk")).all()
    finally:
        engine.dispose()
    return {row[0]: (int(row[1]), int(row[2]), bool(row[3]), str(row[4])) for row in rows}


def _chain(url: str) -> list[Any]:
    """The receipt chain's check (no problem expected) and the collector's public keys."""
    from secaudit.collector import receipts as chain
    from secaudit.collector.db import Database

    db = Database.open(url)
    try:
        with db.read() as session:
            state = chain.check_chain(session)
            keys = [load_pem_public_key(k["public_key"].encode()) for k in chain.public_keys(session)]
    finally:
        db.dispose()
    assert state.problems == [] and state.receipts == state.head_index == AGENTS * REPORTS, state
    return keys


def _check(agents: list[Agent], results: list[list[Result]], db_url: str) -> None:
    stored = _stored(db_url)
    signers = _chain(db_url)  # one receipt per stored report, numbered without gaps or forks, all signed
    expected = {sha: seq for agent in agents for sha, (seq, _) in agent.envelopes.items()}
    assert set(stored) == set(expected), "every envelope stored, nothing else"
    assert len(stored) == AGENTS * REPORTS
    assert not any(conflict for _, _, conflict, _ in stored.values())
    assert len({(agent_id, seq) for _, seq, _, agent_id in stored.values()}) == AGENTS * REPORTS  # no duplicate
    kinds: set[str] = set()
    for agent, agent_results in zip(agents, results, strict=True):
        wrong = {(r.status, r.code, json.dumps(r.reason)) for r in agent_results
                 if r.status not in ("accepted", "duplicate")}
        assert not wrong, wrong
        assert outbox.pending(agent.config) == []
        receipts = sorted(outbox.sent_dir(agent.config).glob("*.receipt.json"))
        assert len(receipts) == REPORTS
        for path in receipts:
            receipt = json.loads(path.read_bytes())
            report_id, seq, _, _ = stored[receipt["envelope_sha256"]]
            assert receipt["report_id"] == report_id and receipt["sequence"] == seq
            signed = verify(json.dumps(receipt["signed"]).encode(), {RECEIPT_TYPE}, signers).payload
            assert signed["envelope_sha256"] == receipt["envelope_sha256"]
            envelope = path.with_name(path.name.removesuffix(".receipt.json"))
            assert hashlib.sha256(envelope.read_bytes()).hexdigest() == receipt["envelope_sha256"]
        for r in agent_results:
            kinds.update(r.errors)
    assert kinds <= {"connection"}, kinds  # nothing but connection errors while it was down


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[Collector, int]]:
    server = Collector(tmp_path / "collector", None)
    server.init()
    port = free_port()
    _serve(server, port)
    try:
        yield server, port
    finally:
        server.stop()


def test_sigkill_mid_run_sqlite(sqlite_server: tuple[Collector, int], tmp_path: Path) -> None:
    server, port = sqlite_server
    agents = _make_agents(server, tmp_path / "agents")
    done, log = threading.Event(), []  # type: ignore[var-annotated]
    killer = threading.Thread(target=_kill_and_restart, args=(server, port, agents, done, log))
    killer.start()
    with ThreadPoolExecutor(AGENTS) as pool:
        results = list(pool.map(lambda a: _send(server.url, a.config, outbox.pending(a.config)), agents))
    done.set()
    killer.join()
    assert len(log) == 2, log
    assert any("connection" in r.errors for rs in results for r in rs), "the kill hit the run"
    _check(agents, results, database_url(server.data_dir, None))


def test_two_processes_on_postgresql_with_a_kill(tmp_path: Path) -> None:
    db_url = fresh_pg_database("postgresql")
    first, second = Collector(tmp_path / "collector", db_url), Collector(tmp_path / "collector-b", db_url)
    for server in (first, second):
        server.data_dir.mkdir(parents=True)
    first.init()
    port_a, port_b = free_port(), free_port()
    _serve(first, port_a)
    _serve(second, port_b)
    try:
        agents = _make_agents(first, tmp_path / "agents")
        copies: list[tuple[AgentConfig, list[Path]]] = []
        for i, agent in enumerate(agents):  # the same envelopes, from another state dir, through process B
            config = AgentConfig(state_dir=str(tmp_path / "copies" / f"a{i}"))
            usb = tmp_path / "usb" / f"a{i}"
            usb.mkdir(parents=True)
            paths = []
            for path in outbox.pending(agent.config):
                (usb / path.name).write_bytes(path.read_bytes())
                paths.append(usb / path.name)
            copies.append((config, paths))
        done, log = threading.Event(), []  # type: ignore[var-annotated]
        killer = threading.Thread(target=_kill_and_restart, args=(first, port_a, agents, done, log))
        killer.start()
        with ThreadPoolExecutor(2 * AGENTS) as pool:
            via_a = [pool.submit(_send, first.url, a.config, outbox.pending(a.config)) for a in agents]
            via_b = [pool.submit(_send, second.url, config, paths) for config, paths in copies]
            results = [f.result() for f in via_a]
            copy_results = [f.result() for f in via_b]
        done.set()
        killer.join()
        assert len(log) == 2, log
        _check(agents, results, db_url)
        stored = _stored(db_url)
        for agent_results in copy_results:  # process B's receipts name the same stored reports
            for r in agent_results:
                assert r.status in ("accepted", "duplicate") and r.receipt is not None
                assert stored[r.receipt["envelope_sha256"]][0] == r.receipt["report_id"]
                assert set(r.errors) <= {"connection"}
    finally:
        first.stop()
        second.stop()
