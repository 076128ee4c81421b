"""The scoping function: a user's subtree by the current tree; outside is the same 404 as absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from secaudit.collector import migrate
from secaudit.collector.db import Database, database_url
from secaudit.collector.errors import ApiError
from secaudit.collector.models import Unit, User
from secaudit.collector.scope import require_unit, unit_in_scope, visible_units


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open(database_url(tmp_path, None), create_dir=True)
    migrate.upgrade(database.engine)
    with database.write() as s:
        for uid, code, path in ((1, "DN", "/1/"), (2, "BH", "/1/2/"), (3, "TH1", "/1/2/3/"), (11, "X", "/1/11/"),
                                (12, "DL", "/12/")):
            s.add(Unit(id=uid, code=code, name=code, path=path))
        s.add(User(id=1, name="bh", role="officer", scope_unit_id=2))
        s.add(User(id=2, name="dn", role="admin", scope_unit_id=1))
    return database


def test_subtree_only(db: Database) -> None:
    with db.read() as s:
        bh, dn = s.get(User, 1), s.get(User, 2)
        assert bh is not None and dn is not None
        codes = set(s.scalars(select(Unit.code).where(Unit.id.in_(visible_units(s, bh)))))
        assert codes == {"BH", "TH1"}  # not "/1/11/" although "/1/1" is a string prefix of it
        assert len(set(s.scalars(select(Unit.code).where(Unit.id.in_(visible_units(s, dn)))))) == 4
        assert unit_in_scope(s, bh, "TH1").code == "TH1"
        for code in ("DN", "X", "DL", "nope"):
            with pytest.raises(ApiError) as err:
                unit_in_scope(s, bh, code)
            assert err.value.status == 404
        with pytest.raises(ApiError):
            require_unit(s, bh, 11)
        assert require_unit(s, dn, 11).code == "X"
