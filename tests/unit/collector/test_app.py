"""The application's error format: every answer that is not a success is {"error": {code, message{vi,en}}}."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from secaudit.collector.app import create_app
from tests.unit.collector.helpers import new_db


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = create_app(new_db(tmp_path))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    return TestClient(app, raise_server_exceptions=False)


def _is_error(response: object, status: int) -> str:
    assert getattr(response, "status_code") == status  # noqa: B009
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]["message"]) == {"vi", "en"}
    return str(body["error"]["code"])


def test_error_shapes(client: TestClient) -> None:
    assert _is_error(client.get("/api/v1/boom"), 500) == "internal_error"
    assert _is_error(client.get("/nowhere"), 404) == "not_found"
    assert _is_error(client.delete("/api/v1/health"), 405) == "method_not_allowed"
    assert _is_error(client.post("/api/v1/reports", content=b"{}", headers={"Content-Type": "text/plain"}),
                     415) == "unsupported_media_type"
    assert _is_error(client.post("/api/v1/reports", content=b"{}", headers={
        "Content-Type": "application/json", "Content-Length": "99999999999"}), 413) == "too_large"
    assert _is_error(client.get("/api/v1/me"), 401) == "unauthorized"


def test_enroll_rate_limit(client: TestClient) -> None:
    json_type = {"Content-Type": "application/json"}
    for _ in range(20):
        assert client.post("/api/v1/enroll", content=b"{}", headers=json_type).status_code == 400
    limited = client.post("/api/v1/enroll", content=b"{}", headers=json_type)
    assert _is_error(limited, 429) == "too_many_requests" and limited.headers["Retry-After"]


def test_openapi(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    post = spec["paths"]["/api/v1/reports"]["post"]
    assert "application/vnd.secaudit.dsse+json" in post["requestBody"]["content"]
    assert {"200", "201", "400", "401", "403", "409", "413", "415"} <= set(post["responses"])


def test_database_down_is_503(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from secaudit.collector import upload

    def down(*_args: object) -> None:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(upload, "receive", down)
    response = client.post("/api/v1/reports", content=b"{}", headers={"Content-Type": "application/json"})
    assert _is_error(response, 503) == "database_unavailable" and response.headers["Retry-After"]
