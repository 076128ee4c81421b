"""Fixtures of the collector's unit tests: a fresh database (SQLite and PostgreSQL, collector_db) with the
unit tree of helpers.TREE, and an agent key enrolled in unit TH1."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.collector.db import Database
from secaudit.collector.enroll import enroll
from tests.unit.collector.helpers import enroll_request, new_db, token


@pytest.fixture
def db(tmp_path: Path, collector_db: str | None) -> Database:
    return new_db(tmp_path, collector_db)


@pytest.fixture
def key(db: Database) -> Ed25519PrivateKey:
    k = Ed25519PrivateKey.generate()
    enroll(db, enroll_request(k, token(db, "TH1")))
    return k
