"""The quarantine: refused envelopes kept with where they came from and why; the same bytes counted on one
row; the size and row caps; a quarantine that cannot be written never changes the refusal."""

from __future__ import annotations

import json
import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from secaudit.collector import quarantine
from secaudit.collector.db import Database
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Agent, Quarantined, Report
from secaudit.collector.upload import receive
from tests.unit.collector.helpers import envelope, report


def _refuse(db: Database, raw: bytes, source: str | None = "10.0.0.7") -> ApiError:
    with pytest.raises(ApiError) as err:
        receive(db, raw, "https", source)
    return err.value


def _rows(db: Database) -> list[dict[str, object]]:
    with db.read() as s:
        return quarantine.listing(s)


def test_unknown_key_kept_with_source_and_reason(db: Database, key: Ed25519PrivateKey) -> None:
    stranger = Ed25519PrivateKey.generate()
    raw = envelope(stranger, report(stranger, 1))
    assert _refuse(db, raw).status == 401
    [row] = _rows(db)
    assert (row["channel"], row["source"], row["reason"], row["times"], row["kept"]) == (
        "https", "10.0.0.7", "unknown_key", 1, True)
    assert row["size"] == len(raw) and "not enrolled" in row["message"]["en"]  # type: ignore[index]
    with db.read() as s:
        assert quarantine.envelope(s, int(row["id"])) == raw  # type: ignore[call-overload]
        assert s.scalar(select(func.count()).select_from(Report)) == 0
    _refuse(db, raw, "10.0.0.8")  # the same bytes again: counted, not stored twice
    [again] = _rows(db)
    assert again["id"] == row["id"] and again["times"] == 2


def test_every_kind_of_refused_envelope_is_kept(db: Database, key: Ed25519PrivateKey) -> None:
    tampered = json.loads(envelope(key, report(key, 1)))
    tampered["payload"] = tampered["payload"][:-8] + "AAAAAAA="
    bad_schema = report(key, 2)
    bad_schema["schema"] = "other/v1"
    _refuse(db, json.dumps(tampered).encode())
    _refuse(db, envelope(key, bad_schema))
    _refuse(db, envelope(key, report(key, 3, agent="agent-" + "y" * 22)))
    _refuse(db, b"{not json")
    with db.write() as s:
        agent = s.scalar(select(Agent))
        assert agent is not None
        agent.status = "revoked"
    _refuse(db, envelope(key, report(key, 4)))
    reasons = {r["reason"] for r in _rows(db)}
    assert {"bad_signature", "bad_schema", "agent_mismatch", "agent_revoked"} <= reasons
    assert len(reasons) == 5  # the broken JSON too


def test_accepted_duplicate_and_conflict_are_not_quarantined(db: Database, key: Ed25519PrivateKey) -> None:
    raw = envelope(key, report(key, 1, seed=1))
    assert receive(db, raw).status == 201 and receive(db, raw).status == 200
    assert receive(db, envelope(key, report(key, 1, seed=2))).status == 409  # kept as a report, flagged
    assert _rows(db) == []


def test_byte_cap_keeps_the_row_without_the_bytes(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    stranger = Ed25519PrivateKey.generate()
    first, second = (envelope(stranger, report(stranger, n)) for n in (1, 2))
    monkeypatch.setattr(quarantine, "MAX_BYTES", len(zlib.compress(first, 6)) + 10)
    _refuse(db, first)
    _refuse(db, second)
    newest, oldest = _rows(db)
    assert oldest["kept"] is True and newest["kept"] is False and newest["reason"] == "unknown_key"
    with db.read() as s:
        assert quarantine.envelope(s, int(newest["id"])) is None  # type: ignore[call-overload]


def test_row_cap_only_logs(db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(quarantine, "MAX_ROWS", 1)
    stranger = Ed25519PrivateKey.generate()
    _refuse(db, envelope(stranger, report(stranger, 1)))
    assert _refuse(db, envelope(stranger, report(stranger, 2))).status == 401
    assert len(_rows(db)) == 1 and "quarantine full" in caplog.text


def test_a_failing_quarantine_does_not_change_the_answer(db: Database, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy.exc import OperationalError

    def broken(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(quarantine, "_keep", broken)
    stranger = Ed25519PrivateKey.generate()
    assert _refuse(db, envelope(stranger, report(stranger, 1))).code == "unknown_key"
    assert "not quarantined" in caplog.text


def test_purge(db: Database) -> None:
    from datetime import timedelta

    stranger = Ed25519PrivateKey.generate()
    _refuse(db, envelope(stranger, report(stranger, 1)))
    with db.write() as s:
        assert quarantine.purge(s, 1) == 0  # seen today
        row = s.scalar(select(Quarantined))
        assert row is not None
        row.last_at = row.last_at - timedelta(days=40)
    with db.write() as s:
        assert quarantine.purge(s, 30) == 1
    assert _rows(db) == []


def test_the_same_bytes_recorded_meanwhile_count_on_that_row(db: Database,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process quarantined the same bytes between the lookup and the insert: the unique sha256
    refuses the second row, and the refusal is counted on the first instead."""
    stranger = Ed25519PrivateKey.generate()
    raw = envelope(stranger, report(stranger, 1))
    real = quarantine._keep
    calls = []

    def racing(session: object, raw_: bytes, refusal: quarantine.Refusal, now: object) -> None:
        calls.append(1)
        if len(calls) == 1:  # the other process wins the race
            with db.write() as other:
                real(other, raw_, refusal, now)  # type: ignore[arg-type]
            session.add(Quarantined(envelope_sha256=quarantine.hashlib.sha256(raw_).hexdigest(),  # type: ignore[attr-defined]
                                    channel="https", reason="x", size=1))
            return
        real(session, raw_, refusal, now)  # type: ignore[arg-type]

    monkeypatch.setattr(quarantine, "_keep", racing)
    _refuse(db, raw)
    [row] = _rows(db)
    assert row["times"] == 2 and len(calls) == 2
