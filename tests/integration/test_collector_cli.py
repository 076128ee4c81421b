"""`secaudit collector` commands end to end: TLS serving, plain HTTP only on loopback, errors as one sentence."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from tests.integration.collector_server import Collector, cli, running

pytestmark = pytest.mark.integration


def test_tls(tmp_path: Path) -> None:
    with running(tmp_path, tls=True) as server:
        assert server.url.startswith("https://")
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        assert httpx.get(server.url + "/api/v1/health", verify=context).json()["status"] == "ok"
        with pytest.raises(httpx.HTTPError):  # no plain HTTP on the TLS port
            httpx.get(server.url.replace("https://", "http://") + "/api/v1/health", timeout=5)


@pytest.mark.parametrize("extra, words", [
    (["--listen", "0.0.0.0:8443"], "Plain HTTP is not served"),
    (["--listen", "10.1.2.3:8443"], "Plain HTTP is not served"),
    (["--listen", "nowhere"], "not valid"),
    (["--listen", "example.org:443"], "IP address"),
    (["--tls-cert", "/nonexistent.pem"], "Both --tls-cert and --tls-key"),
    (["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], "no file"),
])
def test_serve_refusals(tmp_path: Path, extra: list[str], words: str) -> None:
    done = cli("serve", "--data-dir", str(tmp_path), *extra, "--lang", "en", check=False)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_commands_need_init_and_say_so(tmp_path: Path) -> None:
    done = cli("tokens", "create", "TH1", "--data-dir", str(tmp_path), "--lang", "en", check=False)
    assert done.returncode == 2 and "collector init" in done.stderr and "Traceback" not in done.stderr
    bad = cli("init", "--db", "mysql://x@y/z", "--lang", "en", check=False)
    assert bad.returncode == 2 and "not supported" in bad.stderr


def test_units_tokens_users(tmp_path: Path) -> None:
    server = Collector(tmp_path, None)
    server.init()
    again = server.run("units", "import", str(tmp_path / "units.csv"), "--lang", "en")
    assert "0 new" in again.stdout and "8 unchanged" in again.stdout
    moved = tmp_path / "moved.csv"
    moved.write_text("code,name,parent,level\nTH1,Trường Tiểu học Số Một,LK,school\n", encoding="utf-8")
    out = server.run("units", "import", str(moved), "--lang", "en").stdout
    assert "1 renamed" in out and "1 moved" in out and "7 units not in the file are kept" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent\nA,x,B\nB,y,A\n", encoding="utf-8")
    refused = server.run("units", "import", str(bad), "--lang", "en", check=False)
    assert refused.returncode == 2 and "cycle" in refused.stderr
    token = server.run("tokens", "create", "TH1", "--ttl", "2d", "--uses", "3").stdout.strip()
    assert len(token) == 29 and token.count("-") == 4
    assert server.run("tokens", "create", "NOPE", "--lang", "en", check=False).returncode == 2
    api = server.run("users", "add", "an", "--role", "responder", "--scope", "DN").stdout.strip()
    assert api.startswith("sat_")
    dup = server.run("users", "add", "an", "--role", "responder", "--scope", "DN", "--lang", "en", check=False)
    assert dup.returncode == 2 and "already exists" in dup.stderr
