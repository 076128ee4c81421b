"""Fixtures of the dashboard tests: a seeded collector (dashboard_world.Dashboard) per module, with the
argon2 cost lowered for speed (the real parameters are tested in test_auth.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secaudit.collector.web import auth
from tests.unit.collector.web.dashboard_world import Dashboard, cheap_hasher


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "_hasher", cheap_hasher)
        yield


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    board = Dashboard(tmp_path_factory.mktemp("dashboard"))
    yield board
    board.close()
