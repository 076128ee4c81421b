"""API accounts: tokens printed once, stored hashed, refused names, roles and scopes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from secaudit.collector import users
from secaudit.collector.models import ApiToken
from secaudit.collector.scope import lookup_token
from tests.unit.collector.helpers import new_db


def test_add_and_lookup(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    with db.write() as s:
        made = users.add(s, "officer.bh", "officer", "BH")
    with db.read() as s:
        row = s.scalar(select(ApiToken))
        assert row is not None and made.token not in row.token_sha256
        user = lookup_token(s, made.token)
        assert user is not None and user.name == "officer.bh" and user.scope_unit.code == "BH"
        assert lookup_token(s, made.token + "x") is None and lookup_token(s, "x" * 1000) is None
    for name, role, scope, match in (("a b", "admin", "DN", "not valid"), ("x", "root", "DN", "role"),
                                     ("x", "admin", "NOPE", "no unit"), ("officer.bh", "admin", "DN", "already")):
        with pytest.raises(users.UserError, match=match), db.write() as s:
            users.add(s, name, role, scope)


def test_new_token_disable_enable(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    with db.write() as s:
        first = users.add(s, "an", "responder", "DN").token
        second = users.new_api_token(s, "an").token
    with db.read() as s:
        assert lookup_token(s, first) is None and lookup_token(s, second) is not None
        assert users.listing(s) == [("an", "responder", "DN", False, 1)]
    with db.write() as s:
        users.set_disabled(s, "an", True)
    with db.read() as s:
        assert lookup_token(s, second) is None
    with db.write() as s:
        users.set_disabled(s, "an", False)
    with db.read() as s:
        assert lookup_token(s, second) is not None
    with pytest.raises(users.UserError), db.write() as s:
        users.new_api_token(s, "nobody")
