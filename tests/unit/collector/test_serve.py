"""serve: the listen address, loopback, and the TLS pair."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.collector.serve import Listen, ServeError, check_tls, is_loopback, parse_listen
from tests.integration.collector_server import self_signed


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:8443") == Listen("127.0.0.1", 8443)
    assert parse_listen("[::1]:443") == Listen("::1", 443)
    assert parse_listen("localhost:80") == Listen("localhost", 80)
    for bad in ("", "8443", ":8443", "1.2.3.4:0", "1.2.3.4:70000", "host.example:443", "1.2.3.4:x"):
        with pytest.raises(ServeError):
            parse_listen(bad)


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.10") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.1")


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    check_tls(Listen("127.0.0.1", 1), None, None)
    for host in ("0.0.0.0", "::", "10.0.0.1"):
        with pytest.raises(ServeError, match="Plain HTTP"):
            check_tls(Listen(host, 1), None, None)
    cert, key = self_signed(tmp_path)
    check_tls(Listen("0.0.0.0", 1), str(cert), str(key))
    with pytest.raises(ServeError, match="Both"):
        check_tls(Listen("0.0.0.0", 1), str(cert), None)
    with pytest.raises(ServeError, match="Cannot load"):
        check_tls(Listen("0.0.0.0", 1), str(key), str(cert))
