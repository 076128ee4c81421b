"""Connection failures are reported, within their timeouts, as one bilingual sentence. Only loopback
listeners made by the test are contacted (no root needed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from secaudit.transport.ssh import SshError, SshOptions, connect, fingerprint


@contextmanager
def listener(reply: bytes, close: bool) -> Iterator[int]:
    """127.0.0.1 listener: sends `reply`, then closes or stays silent."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            if reply:
                conn.sendall(reply)
            if close:
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        srv.close()


def _opts(tmp_path: Path, timeout: float = 1.0) -> SshOptions:
    return SshOptions(known_hosts=str(tmp_path / "known_hosts"), system_known_hosts=None, connect_timeout=timeout)


def _refused(port: int, opts: SshOptions) -> tuple[SshError, float]:
    started = time.monotonic()
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", port, "audit", opts)
    return info.value, time.monotonic() - started


def test_closed_port_is_unreachable_at_once(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        err, took = _refused(port, _opts(tmp_path))
    assert err.status == "unreachable" and took < 1.0
    assert err.en == f"Cannot connect to audit@127.0.0.1:{port}: the port is closed (connection refused)."
    assert err.vi == f"Không kết nối được tới audit@127.0.0.1:{port}: cổng đóng (kết nối bị từ chối)."


def test_silent_listener_hits_the_banner_timeout(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with listener(b"", close=False) as port:
        err, took = _refused(port, _opts(tmp_path, 1.0))
    assert err.status == "unreachable" and "sent no SSH banner within 1 s" in err.en
    assert "không trả lời như một máy chủ SSH trong 1 giây" in err.vi
    assert 0.9 < took < 4.0
    assert "Traceback" not in capfd.readouterr().err  # paramiko's own logging stays quiet


def test_not_an_ssh_server(tmp_path: Path) -> None:
    with listener(b"HTTP/1.1 400 Bad Request\r\n\r\n", close=True) as port:
        err, took = _refused(port, _opts(tmp_path))
    assert err.status == "unreachable" and "without sending an SSH banner" in err.en and took < 1.0


def test_stalled_handshake_is_bounded(tmp_path: Path) -> None:
    with listener(b"SSH-2.0-OpenSSH_9.2\r\n", close=False) as port:
        err, took = _refused(port, _opts(tmp_path, 1.0))
    assert err.status == "unreachable" and "did not complete the SSH handshake within 2 s" in err.en
    assert took < 5.0


def test_missing_key_file_is_an_auth_failure(tmp_path: Path) -> None:
    opts = SshOptions(identity=str(tmp_path / "no_key"), system_known_hosts=None)
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", 22, "audit", opts)
    assert info.value.status == "auth_failed" and "does not exist" in info.value.en


def test_fingerprint_is_the_one_ssh_keygen_prints(tmp_path: Path) -> None:
    import subprocess

    import paramiko

    from tests.conftest import need_tool

    keygen = need_tool("ssh-keygen")
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    printed = subprocess.run([keygen, "-lf", str(tmp_path / "k.pub")], check=True, capture_output=True,
                             text=True).stdout.split()[1]
    key = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "k"))
    assert fingerprint(key) == printed and printed.startswith("SHA256:")
