"""Web logins on a real collector (uvicorn over TLS on loopback, real argon2id costs): `collector users add
--password-stdin` and `users password --password-stdin`, then the login form, the session cookie's flags,
a page, `collector audit-log`; a password on the command line is not an option, an empty stdin is one sentence."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.collector_server import running

pytestmark = pytest.mark.integration

PASSWORD = "mật khẩu đủ dài 2026"


def _cli_stdin(server_args: list[str], stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "secaudit", "collector", *args, *server_args], input=stdin,
                          capture_output=True, text=True, timeout=120, env=env, check=False)


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    form = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found
    return client.post("/login", data={"csrf": found.group(1), "name": name, "password": password})


def test_password_stdin_and_login_over_tls(tmp_path: Path) -> None:
    with running(tmp_path, tls=True) as server:
        added = _cli_stdin(server.args(), PASSWORD + "\n", "users", "add", "ana", "--role", "officer", "--scope",
                           "BH", "--password-stdin", "--lang", "en")
        assert added.returncode == 0, added.stderr
        assert added.stdout.strip().startswith("sat_") and PASSWORD not in added.stdout + added.stderr
        empty = _cli_stdin(server.args(), "", "users", "password", "ana", "--password-stdin", "--lang", "en")
        assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1 and "stdin" in empty.stderr
        short = _cli_stdin(server.args(), "short\n", "users", "password", "ana", "--password-stdin", "--lang", "en")
        assert short.returncode == 2 and "10 to 1024" in short.stderr and "Traceback" not in short.stderr
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        with httpx.Client(base_url=server.url, verify=context, follow_redirects=False, timeout=60) as client:
            assert _login(client, "ana", "wrong password!").status_code == 401
            done = _login(client, "ana", PASSWORD)
            assert done.status_code == 303
            cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith("secaudit_session="))
            assert all(flag in cookie.lower() for flag in ("; secure", "; httponly", "samesite=strict"))
            page = client.get("/units/BH")
            assert page.status_code == 200 and "Phòng GDĐT Biên Hòa" in page.text
            assert client.get("/units/LK").status_code == 404
            changed = _cli_stdin(server.args(), "một mật khẩu mới khác\n", "users", "password", "ana",
                                 "--password-stdin", "--lang", "en")
            assert changed.returncode == 0, changed.stderr
            assert client.get("/units/BH").status_code == 303  # a new password ended the session
        log = server.run("audit-log", "--user", "ana").stdout.splitlines()
        actions = [line.split("\t")[3] for line in log]
        assert actions[-2:] == ["login", "login_failed"]  # newest first and "view" in actions
        assert any(line.endswith("\t/units/BH") and "\t127.0.0.1\t" in line for line in log)
