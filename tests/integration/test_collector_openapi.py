"""The collector's published OpenAPI schema (/api/v1/openapi.json) exercised by schemathesis against a live
server (uvicorn on loopback, on SQLite and on PostgreSQL; a unit tree, an enrolled agent with reports so
that reads have data): every operation, generated valid and invalid requests, an admin's bearer token; no
5xx, every response matches its documented status, content type, headers and schema.

Excluded: `positive_data_acceptance` on POST /enroll and POST /reports only: a request body that is valid for
the schema (a DSSE envelope) but whose signature was not made by a key is rightly refused (400/401), which
no schema can express."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.collector_server import Collector, db_urls, fresh_pg_database, running
from tests.unit.collector.helpers import enroll_request, envelope, report

pytestmark = pytest.mark.integration

EXAMPLES = 25
SIGNED_BODIES = {("POST", "/api/v1/enroll"), ("POST", "/api/v1/reports")}


@pytest.fixture(scope="module", params=db_urls(), ids=lambda u: "postgresql" if u else "sqlite")
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collector, str]]:
    url = fresh_pg_database(request.param) if request.param else None
    with running(tmp_path_factory.mktemp("openapi"), url) as server:
        admin = server.user("schema-admin", "admin", "DN")
        _with_reports(server)
        yield server, admin


def _with_reports(server: Collector) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    dsse = {"Content-Type": "application/vnd.secaudit.dsse+json"}
    enrolled = httpx.post(server.url + "/api/v1/enroll", content=enroll_request(key, server.token("TH1")),
                          headers=dsse, timeout=30)
    assert enrolled.status_code == 201, enrolled.text
    for month in range(1, 4):
        sent = httpx.post(server.url + "/api/v1/reports", headers=dsse, timeout=30,
                          content=envelope(key, report(key, month, generated_at=f"2026-0{month}-05T02:30:00Z")))
        assert sent.status_code == 201, sent.text


def _exercise(operation: Any, mode: GenerationMode, url: str, admin: str) -> str | None:
    """Generated requests of `mode` for one operation, every check; the failure as text, or None."""
    excluded = [positive_data_acceptance] if (operation.method.upper(), operation.path) in SIGNED_BODIES else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {admin}"},
                               excluded_checks=excluded, timeout=30)

    try:
        run()
    except Unsatisfiable:  # no invalid request exists for it (no parameters, or any string is valid)
        return None if mode == GenerationMode.NEGATIVE else f"{operation.path}: no valid request"
    except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; the failures listed together
        return f"{operation.method.upper()} {operation.path}: {str(exc)[:3000]}"
    return None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_openapi(live: tuple[Collector, str], mode: GenerationMode) -> None:
    """Every operation of the published schema, generated requests of `mode`: no failure of any check."""
    server, admin = live
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures = [f for op in operations if (f := _exercise(op, mode, server.url, admin))]
    assert not failures, "\n\n".join(failures)


def test_the_schema_is_published(live: tuple[Collector, str], tmp_path: Path) -> None:
    server, _ = live
    document = httpx.get(server.url + "/api/v1/openapi.json", timeout=30).json()
    paths = set(document["paths"])
    assert {"/api/v1/health", "/api/v1/enroll", "/api/v1/reports", "/api/v1/units/{code}/summary",
            "/api/v1/units/{code}/late", "/api/v1/inventory/search", "/api/v1/hosts/{host_id}"} <= paths
