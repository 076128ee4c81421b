"""A hostile SSH/SFTP server on loopback (paramiko's server side), for what a real sshd cannot be made
to do: a READ that is never answered, a file that streams without end past its announced size, a
FIFO. Commands all fail as "not found". Only 127.0.0.1 is ever listened on or contacted."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

PASSWD = b"root:x:0:0:root:/root:/bin/bash\naudit:x:1000:1000::/home/audit:/bin/bash\n"
# path -> (kind, announced size); kinds: file (PASSWD), stall (READ never answered), endless, fifo
FILES: dict[str, tuple[str, int]] = {
    "/etc/passwd": ("file", len(PASSWD)),
    "/etc/shadow": ("stall", 40),
    "/etc/group": ("endless", 64),
    "/etc/sudoers": ("fifo", 0),
}


@dataclass
class Server:
    port: int
    host_key: paramiko.PKey
    client_key: paramiko.PKey
    opened: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


class _Handle(paramiko.SFTPHandle):
    def __init__(self, server: Server, path: str) -> None:
        super().__init__()
        self.server, self.path = server, path

    def read(self, offset: int, length: int) -> bytes | int:
        kind, _ = FILES[self.path]
        if kind == "stall":
            self.server.stop.wait()  # never answers while the test runs
            return paramiko.SFTP_FAILURE
        if kind == "endless":
            return b"g" * length  # whatever the offset, past the announced size
        return PASSWD[offset:offset + length] or paramiko.SFTP_EOF

    def stat(self) -> paramiko.SFTPAttributes:
        return _attrs(self.path)


def _attrs(path: str) -> Any:
    kind, size = FILES[path]
    attrs = paramiko.SFTPAttributes()
    attrs.st_mode = (stat.S_IFIFO if kind == "fifo" else stat.S_IFREG) | 0o644
    attrs.st_size, attrs.st_uid, attrs.st_gid, attrs.st_mtime = size, 0, 0, int(time.time())
    return attrs


def _interface(server: Server) -> type[paramiko.SFTPServerInterface]:
    class Sftp(paramiko.SFTPServerInterface):
        def stat(self, path: str) -> Any:
            return _attrs(path) if path in FILES else paramiko.SFTP_NO_SUCH_FILE

        lstat = stat

        def open(self, path: str, flags: int, attr: Any) -> Any:
            if path not in FILES:
                return paramiko.SFTP_NO_SUCH_FILE
            server.opened.append(path)
            if FILES[path][0] == "fifo":
                server.stop.wait()  # an open(2) of a FIFO nobody writes blocks the server
            return _Handle(server, path)

        def list_folder(self, path: str) -> Any:
            names = sorted({p[len(path.rstrip("/")) + 1:].split("/")[0] for p in FILES
                            if p.startswith(path.rstrip("/") + "/")})
            if not names:
                return paramiko.SFTP_NO_SUCH_FILE
            out = []
            for name in names:
                attrs = paramiko.SFTPAttributes()
                attrs.filename = name
                attrs.st_mode = stat.S_IFREG | 0o644
                out.append(attrs)
            return out

    return Sftp


class _Auth(paramiko.ServerInterface):
    def __init__(self, server: Server) -> None:
        self.server = server

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = key.get_base64() == self.server.client_key.get_base64()
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        def answer() -> None:
            channel.sendall_stderr(b"env: 'x': No such file or directory\n")
            channel.send_exit_status(127)
            channel.close()

        threading.Thread(target=answer, daemon=True).start()
        return True


@contextmanager
def hostile_sftp(tmp_path: Path) -> Iterator[Server]:
    host_key = paramiko.Ed25519Key.from_private_key_file(_keygen(tmp_path / "host"))
    client_path = _keygen(tmp_path / "client")
    server = Server(0, host_key, paramiko.Ed25519Key.from_private_key_file(client_path))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    server.port = listener.getsockname()[1]

    def serve() -> None:
        while not server.stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = paramiko.Transport(sock)
            t.add_server_key(host_key)
            t.set_subsystem_handler("sftp", paramiko.SFTPServer, _interface(server))
            t.start_server(server=_Auth(server))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        listener.close()


def _keygen(path: Path) -> str:
    """An OpenSSH-format ed25519 private key (paramiko cannot generate ed25519): via ssh-keygen."""
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30)
    os.chmod(path, 0o600)
    return str(path)
