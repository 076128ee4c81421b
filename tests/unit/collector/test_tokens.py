"""Enrollment tokens: hashed, expiring, parse of lifetimes, loose typing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from secaudit.collector import tokens
from secaudit.collector.models import EnrollToken, utcnow
from tests.unit.collector.helpers import new_db


def test_parse_ttl() -> None:
    assert tokens.parse_ttl("7d") == timedelta(days=7)
    assert tokens.parse_ttl("30m") == timedelta(minutes=30)
    for bad in ("", "7", "31d", "0m", "1w", "-1d"):
        with pytest.raises(tokens.TokenError):
            tokens.parse_ttl(bad)


def test_created_token_is_stored_hashed(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    with db.write() as s:
        made = tokens.create(s, "TH1", timedelta(hours=1), uses=3)
    assert len(made.token) == 29 and made.max_uses == 3
    with db.read() as s:
        row = s.scalar(select(EnrollToken))
        assert row is not None and made.token.replace("-", "") not in row.token_sha256
        assert tokens.find_usable(s, made.token.lower(), utcnow()) is not None
        assert tokens.find_usable(s, made.token, utcnow() + timedelta(hours=2)) is None
        assert tokens.find_usable(s, "x" * 1000, utcnow()) is None
    with pytest.raises(tokens.TokenError, match="NOPE"), db.write() as s:
        tokens.create(s, "NOPE")
    with pytest.raises(tokens.TokenError), db.write() as s:
        tokens.create(s, "TH1", uses=0)


def test_list_and_revoke(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    with db.write() as s:
        made = tokens.create(s, "TH1")
        tokens.create(s, "TH2", timedelta(minutes=1))
    later = utcnow() + timedelta(minutes=5)
    with db.read() as s:
        assert [(r.unit, r.state) for r in tokens.listing(s, later)] == [("TH1", "usable"), ("TH2", "expired")]
    with db.write() as s:
        tokens.revoke(s, 1, utcnow())
    with db.read() as s:
        assert tokens.listing(s, utcnow())[0].state == "revoked"
        assert tokens.find_usable(s, made.token, utcnow()) is None
    with pytest.raises(tokens.TokenError), db.write() as s:
        tokens.revoke(s, 99, utcnow())
