"""The dashboard's /quarantine: refused envelopes for an admin of a whole tree (a refused envelope may belong
to no unit), newest first, paged, hostile fields escaped, the bytes only as a download; anyone else gets the
same 404 as outside their scope; every view and download is in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from secaudit.collector import quarantine
from secaudit.collector.errors import ApiError
from secaudit.collector.upload import receive
from secaudit.collector.web.models import WebAudit
from tests.unit.collector.helpers import envelope, report
from tests.unit.collector.web.dashboard_world import Dashboard


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    made = Dashboard(tmp_path_factory.mktemp("quarantine"))
    yield made
    made.close()


def _refuse(board: Dashboard, raw: bytes, source: str) -> None:
    with pytest.raises(ApiError):
        receive(board.db, raw, "https", source)


def test_admin_of_the_tree_sees_refused_envelopes(board: Dashboard) -> None:
    stranger = Ed25519PrivateKey.generate()
    raw = envelope(stranger, report(stranger, 1))
    _refuse(board, raw, "<script>alert(1)</script>")
    client = board.login("admin")
    assert 'href="/quarantine"' in client.get("/").text
    page = client.get("/quarantine")
    assert page.status_code == 200 and "Báo cáo bị từ chối" in page.text and "unknown_key" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "chưa đăng ký" in page.text  # the refusal's reason in the page's language
    assert "not enrolled" in client.get("/quarantine?lang=en").text
    with board.db.read() as s:
        row_id = quarantine.listing(s)[0]["id"]
    got = client.get(f"/quarantine/{row_id}/envelope")
    assert got.status_code == 200 and got.content == raw
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert client.get("/quarantine/999999/envelope").status_code == 404
    assert client.get("/quarantine/abc/envelope").status_code == 404
    with board.db.read() as s:
        actions = [a for a, in s.execute(select(WebAudit.action).where(WebAudit.user_name == "admin"))]
    assert "download" in actions


@pytest.mark.parametrize("name", ["officer-bh", "responder-dl"])
def test_everyone_else_gets_404(board: Dashboard, name: str) -> None:
    client = board.login(name)
    assert 'href="/quarantine"' not in client.get("/").text
    assert client.get("/quarantine").status_code == 404
    with board.db.read() as s:
        rows = quarantine.listing(s)
    if rows:
        assert client.get(f"/quarantine/{rows[0]['id']}/envelope").status_code == 404


def test_paged_newest_first(board: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.collector.web import pages

    monkeypatch.setattr(pages, "QUARANTINE_PAGE", 2)
    for n in range(2, 5):
        _refuse(board, json.dumps({"n": n}).encode(), f"10.0.0.{n}")
    client = board.login("admin")
    first, last = client.get("/quarantine").text, client.get("/quarantine?page=2").text
    assert "10.0.0.4" in first and "10.0.0.3" in first and "10.0.0.2" not in first and "?page=2" in first
    assert "10.0.0.2" in last and "?page=1" in last
