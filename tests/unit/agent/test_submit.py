"""secaudit.agent.submit against the fake collector: receipts, duplicates, refusals, retries with
back-off and jitter, an unreachable collector, answers that are no receipt."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest

from secaudit.agent import link, outbox, submit
from secaudit.agent.submit import RetryPolicy, Submitter
from tests.unit.agent.conftest import Agent
from tests.unit.agent.fake_collector import FakeCollector


class Clock:
    """sleep() advances a fake monotonic clock instead of waiting."""

    def __init__(self) -> None:
        self.now, self.waits = 0.0, []  # type: ignore[var-annotated]

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _submitter(agent: Agent, url: str, clock: Clock, budget: float = 600.0) -> Submitter:
    return Submitter(url, agent.config, RetryPolicy(budget=budget), rng=random.Random(1), sleep=clock.sleep,
                     clock=clock)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_accepted_then_moved_with_the_receipt(enrolled: Agent, collector: FakeCollector) -> None:
    paths = [enrolled.envelope() for _ in range(3)]
    data = [p.read_bytes() for p in paths]
    with _submitter(enrolled, collector.url, Clock()) as s:
        results = s.run(outbox.pending(enrolled.config))
    assert [r.status for r in results] == ["accepted"] * 3
    assert collector.stored() == 3 and set(collector.state.encodings) >= {"gzip"}
    sent = outbox.sent_dir(enrolled.config)
    for path, raw, result in zip(paths, data, results, strict=True):
        assert not path.exists()
        assert (sent / path.name).read_bytes() == raw
        assert result.receipt_path is not None
        assert json.loads(result.receipt_path.read_bytes())["report_id"] == result.receipt["report_id"]  # type: ignore[index]
    assert submit.exit_code(results) == 0


def test_duplicate_gets_the_original_receipt(enrolled: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    path = enrolled.envelope(tmp_path / "usb", queue=False)
    with _submitter(enrolled, collector.url, Clock()) as s:
        first = s.send(path)
        again = s.send(path)
    assert (first.status, again.status) == ("accepted", "duplicate")
    assert first.receipt and again.receipt and first.receipt["report_id"] == again.receipt["report_id"]
    assert collector.stored() == 1 and path.exists()  # a named file outside the outbox stays where it is


def test_unenrolled_key_is_refused_and_kept(agent: Agent, collector: FakeCollector) -> None:
    path = agent.envelope()
    with _submitter(agent, collector.url, Clock()) as s:
        result = s.send(path)
    assert (result.status, result.http_status, result.code) == ("refused", 401, "unknown_key")
    assert result.reason and "(HTTP 401)" in result.reason["en"]
    assert path.exists() and submit.exit_code([result]) == 1


def test_tampered_envelope_is_refused(enrolled: Agent, collector: FakeCollector) -> None:
    path = enrolled.envelope()
    envelope = json.loads(path.read_bytes())
    envelope["payload"] = envelope["payload"][:-8] + ("A" * 8 if envelope["payload"][-8:] != "A" * 8 else "B" * 8)
    path.write_text(json.dumps(envelope))
    with _submitter(enrolled, collector.url, Clock()) as s:
        result = s.send(path)
    assert (result.status, result.http_status) == ("refused", 400) and path.exists()


def test_sequence_conflict_is_kept_flagged_and_leaves_the_outbox(enrolled: Agent, collector: FakeCollector) -> None:
    first = enrolled.envelope()
    enrolled.sequence -= 1  # the same sequence number again, other bytes (a state dir restored from a backup)
    second = enrolled.envelope(hostname="OTHER")
    with _submitter(enrolled, collector.url, Clock()) as s:
        results = s.run([first, second])
    assert [r.status for r in results] == ["accepted", "conflict"]
    flagged = results[1]
    assert flagged.http_status == 409 and flagged.code == "sequence_conflict" and not second.exists()
    assert flagged.receipt_path is not None and json.loads(flagged.receipt_path.read_bytes())["status"] == "conflict"
    assert flagged.reason and "both are kept" in flagged.reason["en"]
    assert submit.exit_code(results) == 1


def test_a_409_without_our_receipt_is_a_refusal(enrolled: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.agent import link

    path = enrolled.envelope()
    body = b'{"error": {"code": "sequence_conflict", "message": {"vi": "x", "en": "x"}}, "receipt": {"status": 1}}'
    monkeypatch.setattr(link, "post", lambda *a, **k: link.Answer(409, body, {}))
    with _submitter(enrolled, "http://127.0.0.1:9", Clock()) as s:
        result = s.send(path)
    assert result.status == "refused" and path.exists()


def test_retries_with_backoff_then_succeeds(enrolled: Agent, collector: FakeCollector) -> None:
    path = enrolled.envelope()
    collector.state.script = [503, "drop", 429, 502]
    clock = Clock()
    seen: list[submit.Retry] = []
    with Submitter(collector.url, enrolled.config, RetryPolicy(), rng=random.Random(7), sleep=clock.sleep,
                   clock=clock, on_retry=seen.append) as s:
        result = s.send(path)
    assert result.status == "accepted" and result.attempts == 5
    assert result.errors == ["http_503", "connection", "http_429", "http_502"]
    for attempt, wait in enumerate(clock.waits, start=1):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert [r.attempt for r in seen] == [1, 2, 3, 4]
    assert collector.stored() == 1


def test_retry_after_is_honoured_within_a_cap() -> None:
    rng = random.Random(0)
    policy = RetryPolicy()
    assert policy.delay(1, rng, retry_after=30) == 30
    assert policy.delay(1, rng, retry_after=10**6) == policy.retry_after_cap
    assert all(policy.delay(40, rng) <= policy.cap for _ in range(100))


def test_jitter_spreads_agents() -> None:
    policy = RetryPolicy()
    waits = {round(policy.delay(5, random.Random(seed)), 3) for seed in range(50)}
    assert len(waits) > 40 and min(waits) >= 8 and max(waits) <= 16


def test_unreachable_collector_leaves_everything_for_the_next_run(enrolled: Agent) -> None:
    paths = [enrolled.envelope() for _ in range(3)]
    clock = Clock()
    with _submitter(enrolled, f"http://127.0.0.1:{_free_port()}", clock, budget=20) as s:
        results = s.run(paths)
    assert [r.status for r in results] == ["unsent"] * 3
    assert results[0].errors and set(results[0].errors) == {"connection"}
    assert results[1].attempts == 0  # once the budget is spent, the others are not tried at all
    assert clock.now <= 20 and all(p.exists() for p in paths)
    assert submit.exit_code(results) == 2
    assert results[2].reason and results[2].reason["en"].startswith("cannot connect")


def test_collector_back_during_the_run(enrolled: Agent, collector: FakeCollector) -> None:
    path = enrolled.envelope()
    collector.stop()
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.waits) == 3:
            collector.start()

    with Submitter(collector.url, enrolled.config, RetryPolicy(), rng=random.Random(1), sleep=sleep,
                   clock=clock) as s:
        result = s.send(path)
    assert result.status == "accepted" and result.errors == ["connection"] * 3


@pytest.mark.parametrize("body", [
    b"{}", b"not json", b'{"schema": "secaudit.receipt/v1", "envelope_sha256": "00", "report_id": "x", '
                        b'"status": "accepted"}',
    b'{"schema": "secaudit.receipt/v1", "status": "accepted"}',
])
def test_an_answer_that_is_no_receipt_keeps_the_envelope(enrolled: Agent, body: bytes,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.agent import link

    path = enrolled.envelope()
    monkeypatch.setattr(link, "post", lambda *a, **k: link.Answer(201, body, {}))
    with _submitter(enrolled, "http://127.0.0.1:9", Clock()) as s:
        result = s.send(path)
    assert result.status == "failed" and path.exists()
    assert result.reason and "cannot be used as a receipt" in result.reason["en"]
    assert not outbox.sent_dir(enrolled.config).exists()
    assert submit.exit_code([result]) == 2


def test_another_run_holding_the_file_is_skipped(enrolled: Agent, collector: FakeCollector) -> None:
    import fcntl

    path = enrolled.envelope()
    with open(path, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with _submitter(enrolled, collector.url, Clock()) as s:
            result = s.send(path)
    assert result.status == "skipped" and "POST /api/v1/reports" not in collector.state.requests


def test_unreadable_named_file_fails_alone(enrolled: Agent, collector: FakeCollector, tmp_path: Path) -> None:
    good = enrolled.envelope()
    with _submitter(enrolled, collector.url, Clock()) as s:
        results = s.run([tmp_path, good])
    assert [r.status for r in results] == ["failed", "accepted"]


def test_through_the_schools_proxy(enrolled: Agent, collector: FakeCollector, monkeypatch: pytest.MonkeyPatch) -> None:
    """[collector] proxy: every upload goes through the school's web proxy (and only that setting: a stray
    HTTP_PROXY in the environment is not followed), with its user and password when it needs them."""
    from tests.unit.agent.http_proxy import Proxy

    proxy = Proxy()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    try:
        enrolled.envelope()
        enrolled.envelope()
        host = proxy.url.removeprefix("http://")
        enrolled.config.collector_proxy = f"http://truong:m%E1%BA%ADt-kh%E1%BA%A9u@{host}"
        with Submitter(collector.url, enrolled.config, RetryPolicy(budget=5.0)) as s:
            results = s.run(outbox.pending(enrolled.config))
        assert [r.status for r in results] == ["accepted", "accepted"] and collector.stored() == 2
        assert [(m, u) for m, u, _ in proxy.seen] == [("POST", collector.url + "/api/v1/reports")] * 2
        assert all(auth and auth.startswith("Basic ") for _, _, auth in proxy.seen)
    finally:
        proxy.stop()


@pytest.mark.parametrize("bad", ["socks5://127.0.0.1:1080", "proxy.truong:3128", "http://", "http://p:99999",
                                 "http://p:3128/path"])
def test_a_bad_proxy_setting_is_one_sentence(enrolled: Agent, bad: str) -> None:
    enrolled.config.collector_proxy = bad
    with pytest.raises(link.CollectorError) as err:
        Submitter("http://127.0.0.1:9", enrolled.config)
    assert "[collector] proxy" in err.value.en and "[collector] proxy" in err.value.vi
