"""A throwaway OpenSSH server for the remote-audit tests: a real `sshd -D -e` on 127.0.0.1 (free high
ports), a throwaway host key, a throwaway user (created with useradd, removed at teardown) whose
authorized_keys holds a throwaway client key. Only loopback is ever contacted."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI, need_tool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{argv}: {proc.stderr.strip()}")
    return proc


def need_root(what: str) -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail(f"CI runs as root: {what} needs root")
        pytest.skip(f"{what} needs root (run the tests as root)")


@dataclass
class Lab:
    work: Path
    user: str
    uid: int
    gid: int
    home: Path
    ports: list[int]
    proc: subprocess.Popen[bytes]
    client_key: Path
    host_pub: str  # "ssh-ed25519 AAAA..."
    extra: list[Path] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.ports[0]

    def known_hosts(self, path: Path, names: list[str] | None = None, key_line: str | None = None) -> Path:
        names = names or [f"[127.0.0.1]:{p}" for p in self.ports]
        path.write_text("".join(f"{n} {key_line or self.host_pub}\n" for n in names))
        return path

    @contextmanager
    def sudo_rights(self) -> Iterator[Path]:
        """NOPASSWD sudo for the throwaway user, removed afterwards."""
        need_tool("sudo")
        path = Path(f"/etc/sudoers.d/secaudit-test-{self.user}")
        path.write_text(f"{self.user} ALL=(root) NOPASSWD: ALL\n")
        path.chmod(0o440)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)


def _wait_listening(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"sshd did not start: {err}") from None
            time.sleep(0.05)
    raise RuntimeError("sshd did not listen within 10 s")


@contextmanager
def sshd_lab(n_ports: int = 1) -> Iterator[Lab]:
    exe = need_tool("sshd")
    for tool in ("ssh-keygen", "useradd", "userdel"):
        need_tool(tool)
    need_root("starting sshd and creating a throwaway user")
    work = Path(tempfile.mkdtemp(prefix="secaudit-rsshd-"))
    work.chmod(0o755)
    user = f"sa-t{secrets.token_hex(3)}"
    created = False
    proc: subprocess.Popen[bytes] | None = None
    try:
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_ed25519")])
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "client_ed25519")])
        run(["useradd", "-m", "-s", "/bin/bash", "-c", "secaudit remote-audit test", user])
        created = True
        run(["usermod", "-p", "*", user])  # no password, but not locked ('!'): sshd without PAM refuses locked
        import pwd

        pw = pwd.getpwnam(user)
        home = Path(pw.pw_dir)
        home.chmod(0o755)  # StrictModes: home not writable by others
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        shutil.copy(work / "client_ed25519.pub", ssh_dir / "authorized_keys")
        (ssh_dir / "authorized_keys").chmod(0o600)
        for p in (ssh_dir, ssh_dir / "authorized_keys"):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        ports = [free_port() for _ in range(n_ports)]
        (work / "sshd_config").write_text("\n".join([
            *[f"Port {p}" for p in ports], "ListenAddress 127.0.0.1", f"HostKey {work / 'host_ed25519'}",
            f"PidFile {work / 'sshd.pid'}", "AuthorizedKeysFile .ssh/authorized_keys",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin no", "StrictModes yes", "UsePAM no", f"AllowUsers {user}",
            "Subsystem sftp internal-sftp", "MaxStartups 40:30:100", "LogLevel ERROR", ""]))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
        proc = subprocess.Popen([exe, "-D", "-e", "-f", str(work / "sshd_config")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for p in ports:
            _wait_listening(proc, p)
        host_pub = " ".join((work / "host_ed25519.pub").read_text().split()[:2])
        yield Lab(work, user, pw.pw_uid, pw.pw_gid, home, ports, proc, work / "client_ed25519", host_pub)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        Path(f"/etc/sudoers.d/secaudit-test-{user}").unlink(missing_ok=True)
        if created:
            for _ in range(20):  # sessions of the user may take a moment to end
                if run(["userdel", "-r", "-f", user], check=False).returncode in (0, 6):
                    break
                time.sleep(0.2)
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A plain TCP listener on 127.0.0.1 that accepts and never sends an SSH banner."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            held.append(conn)  # keep it open, say nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        srv.close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    return free_port()
