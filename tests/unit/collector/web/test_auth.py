"""Web passwords and sessions (secaudit.collector.web.auth) on a real database: argon2id with the real
parameters, NFC, rate limiting per account + address, lockout, session expiry, a new password ends sessions."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from secaudit.collector import users
from secaudit.collector.models import User, utcnow
from secaudit.collector.web import auth
from secaudit.collector.web.models import WebCredential, WebSession
from tests.unit.collector.web.dashboard_world import REAL_HASHER
from tests.unit.collector.world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path)
    w.units()
    with w.db.write() as session:
        users.add(session, "ana", "officer", "BH")
        users.add(session, "bao", "officer", "LK")
    return w


def _user(session: object, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))  # type: ignore[attr-defined]
    assert user is not None
    return user


def test_real_parameters_are_argon2id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_hasher", REAL_HASHER)  # the real PasswordHasher, not the tests' cheap one
    stored = auth.hash_password("một mật khẩu dài")
    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=4" in stored and "dài" not in stored


def test_password_is_nfc(world: World) -> None:
    composed = unicodedata.normalize("NFC", "Trường học 2026")
    with world.db.write() as session:
        auth.set_password(session, _user(session, "ana"), composed)
    with world.db.write() as session:  # the same text typed decomposed (NFD) logs in
        decomposed = unicodedata.normalize("NFD", composed)
        assert decomposed != composed
        assert isinstance(auth.authenticate(session, "ana", decomposed, "10.0.0.1"), User)


def test_short_password_refused(world: World) -> None:
    with world.db.write() as session, pytest.raises(auth.PasswordError, match="10 to 1024"):
        auth.set_password(session, _user(session, "ana"), "short")


def test_wrong_password_unknown_user_and_no_password(world: World) -> None:
    with world.db.write() as session:
        auth.set_password(session, _user(session, "ana"), "correct horse 42")
        assert auth.authenticate(session, "ana", "wrong horse 42", "a") == auth.Refused("bad")
        assert auth.authenticate(session, "nobody", "correct horse 42", "a") == auth.Refused("bad")
        assert auth.authenticate(session, "bao", "", "a") == auth.Refused("bad")  # no web password set
        assert isinstance(auth.authenticate(session, "ana", "correct horse 42", "a"), User)


def test_rate_limit_per_account_and_address(world: World) -> None:
    with world.db.write() as session:
        auth.set_password(session, _user(session, "ana"), "correct horse 42")
        for _ in range(auth.RATE_LIMIT):
            assert auth.authenticate(session, "ana", "nope nope nope", "10.0.0.9") == auth.Refused("bad")
        refused = auth.authenticate(session, "ana", "correct horse 42", "10.0.0.9")
        assert isinstance(refused, auth.Refused) and refused.reason == "rate" and refused.wait_minutes >= 1
        # another address may still log in (the account is not locked yet)
        assert isinstance(auth.authenticate(session, "ana", "correct horse 42", "10.0.0.10"), User)


def test_lockout_after_failures_from_many_addresses(world: World) -> None:
    with world.db.write() as session:
        auth.set_password(session, _user(session, "ana"), "correct horse 42")
        outcomes = [auth.authenticate(session, "ana", "nope nope nope", f"10.1.0.{i}") for i in range(auth.LOCK_AFTER)]
        assert outcomes[-1] == auth.Refused("locked", 15)
        locked = auth.authenticate(session, "ana", "correct horse 42", "10.2.0.1")
        assert isinstance(locked, auth.Refused) and locked.reason == "locked"
        cred = session.get(WebCredential, _user(session, "ana").id)
        cred.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        assert isinstance(auth.authenticate(session, "ana", "correct horse 42", "10.2.0.1"), User)


def test_sessions_expire_and_end_with_a_new_password(world: World) -> None:
    with world.db.write() as session:
        ana = _user(session, "ana")
        auth.set_password(session, ana, "correct horse 42")
        token, row = auth.start_session(session, ana, "10.0.0.1")
        assert row.token_sha256 != token and len(token) >= 40
        current = auth.lookup(session, token)
        assert current is not None and current.name == "ana" and current.csrf == row.csrf
        assert auth.lookup(session, token, utcnow() + auth.IDLE + timedelta(seconds=1)) is None
        assert auth.lookup(session, token + "x") is None
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert auth.lookup(session, token) is None
        token2, _ = auth.start_session(session, ana, "10.0.0.1")
        auth.set_password(session, ana, "another horse 43")
        assert auth.lookup(session, token2) is None
        token3, _ = auth.start_session(session, ana, "10.0.0.1")
        ana.disabled = True
        assert auth.lookup(session, token3) is None


def test_csrf_compare() -> None:
    assert auth.csrf_ok("abc", "abc") and not auth.csrf_ok("abc", "abd")
    assert not auth.csrf_ok("", "") and not auth.csrf_ok("abc", None) and not auth.csrf_ok("abc", "\udcff")
