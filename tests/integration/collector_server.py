"""A real collector for integration tests: `secaudit collector` commands run as subprocesses and `serve`
on a free loopback port (plain HTTP, or TLS with a throwaway certificate)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.collector.helpers import TREE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en", "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "secaudit", "collector", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"collector {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Collector:
    data_dir: Path
    db_url: str | None
    url: str = ""
    process: subprocess.Popen[bytes] | None = None

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir)] + (["--db", self.db_url] if self.db_url else [])

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`secaudit collector ARGS --data-dir D [--db URL]`."""
        return cli(*args, *self.args(), check=check)

    def init(self, tree: str = TREE) -> None:
        self.run("init")
        csv = self.data_dir / "units.csv"
        csv.write_text(tree, encoding="utf-8")
        self.run("units", "import", str(csv))

    def token(self, unit: str, *extra: str) -> str:
        return self.run("tokens", "create", unit, *extra).stdout.strip()

    def user(self, name: str, role: str, scope: str) -> str:
        return self.run("users", "add", name, "--role", role, "--scope", scope).stdout.strip()

    def start(self, tls: tuple[Path, Path] | None = None, listen: str | None = None) -> None:
        port = free_port()
        extra = ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])] if tls else []
        cmd = [sys.executable, "-m", "secaudit", "collector", "serve", *self.args(),
               "--listen", listen or f"127.0.0.1:{port}", "--log-level", "warning", *extra]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise AssertionError(f"collector serve exited {self.process.returncode}: {err}")
            try:
                verify = ssl.create_default_context(cafile=str(tls[0])) if tls else True
                if httpx.get(self.url + "/api/v1/health", verify=verify, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("collector serve did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


POSTGRESQL = "postgresql"  # in db_urls(): a fresh database on the throwaway cluster of tests/integration/pg.py


def fresh_pg_database(server_url: str) -> str:
    """A new empty database on the PostgreSQL server of `server_url` (POSTGRESQL: on the throwaway
    cluster, started on first use; skipped without PostgreSQL binaries, failed in CI); its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if server_url == POSTGRESQL:
        from tests.integration import pg

        url = pg.url_for(POSTGRESQL)
        assert url is not None
        return url
    name = "secaudit_" + uuid.uuid4().hex[:12]
    engine = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def db_urls() -> list[str | None]:
    """The databases the collector tests run against: SQLite (None) and PostgreSQL (fresh_pg_database)."""
    return [None, POSTGRESQL]


@contextmanager
def running(data_dir: Path, db_url: str | None = None, tls: bool = False) -> Iterator[Collector]:
    server = Collector(data_dir, db_url)
    server.init()
    server.start(self_signed(data_dir) if tls else None)
    try:
        yield server
    finally:
        server.stop()
