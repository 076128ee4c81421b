"""A throwaway PostgreSQL cluster for the collector's tests and bench, built from Debian's binaries
(/usr/lib/postgresql/<version>/bin: initdb, pg_ctl; the `postgresql` package of scripts/system-deps.sh).
Nothing pre-installed is assumed running: the cluster lives in a temporary directory, listens on a free
loopback port (and a Unix socket in that directory), requires a password (scram-sha-256), and is stopped and
removed at exit. As root it runs as the unprivileged `postgres` user (PostgreSQL refuses to run as root).
A cluster whose test process died without its exit handler (SIGKILL) is stopped and removed by the next
run (its directory names the process that owned it).

    url = server_url()            # the cluster's superuser URL (started on first use, once per process)
    db = fresh_database()         # a new empty database on it, its SQLAlchemy URL (postgresql+psycopg://)

SECAUDIT_TEST_COLLECTOR_PG, when set, names an existing server to use instead (a fresh database per test).
Outside CI, missing binaries skip the PostgreSQL tests; in CI (CI=true) they fail.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PG_ENV = "SECAUDIT_TEST_COLLECTOR_PG"
SUPERUSER = "secaudit"
RUN_AS = "postgres"  # as root: PostgreSQL will not run as root
START_TIMEOUT = 60.0


class Unavailable(Exception):
    """No PostgreSQL binaries here (the reason says what is missing)."""


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres."""
    found = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        if all((candidate / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            version = candidate.parent.name
            found.append((int(version) if version.isdigit() else 0, candidate))
    if not found:
        raise Unavailable("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin/initdb; "
                          "Debian package postgresql, see scripts/system-deps.sh)")
    return max(found)[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cluster:
    """One PostgreSQL server in `base` (data in base/data, socket and log in base). As root, `base` is handed
    to the postgres user: its parents must let that user through (tempfile.mkdtemp() under /tmp does)."""

    base: Path
    settings: dict[str, str] = field(default_factory=dict)  # extra postgresql.conf lines (the bench's)
    port: int = 0
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    user: str | None = None  # the OS user the server runs as (None: this process's)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC"}
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, env=env, cwd=self.base,
                              check=False, **kwargs)  # type: ignore[call-overload]
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} -> {done.returncode}\n{done.stdout}\n{done.stderr}\n{log}")
        return done

    def start(self) -> Cluster:
        binaries = bin_dir()
        self.user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(RUN_AS)
            except KeyError:
                raise Unavailable(f"running as root needs the unprivileged user {RUN_AS!r} (created by Debian's "
                                  "postgresql package)") from None
            self.user = RUN_AS
        self.base.mkdir(parents=True, exist_ok=True)
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        os.chmod(self.base, 0o700)
        os.chmod(pwfile, 0o600)
        (self.base / OWNER).write_text(str(os.getpid()))
        self._run(str(binaries / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
                  "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-instructions")
        pwfile.unlink()
        self.port = self.port or _free_port()
        conf = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                "unix_socket_directories": f"'{self.base}'", "max_connections": "200",
                "logging_collector": "off", "log_min_messages": "warning", **self.settings}
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# secaudit tests\n" + "".join(f"{k} = {v}\n" for k, v in conf.items()))
        self._run(str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t",
                  str(int(START_TIMEOUT)), "start", timeout=START_TIMEOUT + 30)
        return self

    def stop(self) -> None:
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                          timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        from sqlalchemy import create_engine, text

        name = name or "secaudit_" + uuid.uuid4().hex[:12]
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


_lock = threading.Lock()
_cluster: Cluster | None = None
OWNER = "owner.pid"


def _alive(pid: int) -> bool:
    """A running process (a zombie waiting for its parent to reap it is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def sweep_orphans(parent: Path | None = None) -> list[Path]:
    """Stop and remove the clusters of test processes that are gone (killed before their exit handler);
    the directories removed."""
    removed = []
    for base in sorted(Path(parent or tempfile.gettempdir()).glob("secaudit-pg-*")):
        try:
            owner = int((base / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or still being set up
        if _alive(owner):
            continue
        orphan = Cluster(base)
        if os.geteuid() == 0 and base.stat().st_uid != 0:
            orphan.user = pwd.getpwuid(base.stat().st_uid).pw_name
        orphan.stop()
        removed.append(base)
    return removed


def cluster() -> Cluster:
    """The process's throwaway cluster, started on first use and removed at exit."""
    global _cluster
    with _lock:
        if _cluster is None:
            sweep_orphans()
            started = Cluster(Path(tempfile.mkdtemp(prefix="secaudit-pg-"))).start()
            atexit.register(started.stop)
            _cluster = started
        return _cluster


def server_url() -> str:
    """A PostgreSQL server's superuser URL: SECAUDIT_TEST_COLLECTOR_PG, else the throwaway cluster."""
    return os.environ.get(PG_ENV) or cluster().url()


def fresh_database() -> str:
    """A new empty database (on the server of server_url()); its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not os.environ.get(PG_ENV):
        return cluster().create_database()
    name = "secaudit_" + uuid.uuid4().hex[:12]
    base = make_url(os.environ[PG_ENV])
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def wait_ready(url: str, timeout: float = 30) -> None:
    """Until `url` accepts a connection (after a restart)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def url_for(kind: str) -> str | None:
    """For a test parametrized over the collector's databases: None for "sqlite" (the collector's default
    in its data directory), a fresh PostgreSQL database's URL for "postgresql". Without the binaries the
    test is skipped (failed in CI)."""
    import pytest

    if kind == "sqlite":
        return None
    try:
        return fresh_database()
    except Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI must install it)")
        pytest.skip(str(exc))
