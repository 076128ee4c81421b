"""Listening sockets as every reader describes them, and the psutil reader (this machine only: see
facts.common.native). psutil maps sockets to processes itself, on Linux and Windows alike."""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass
class Socket:
    proto: str  # tcp | udp
    family: str  # ipv4 | ipv6
    address: str
    port: int
    uid: int | None
    inode: int | None
    source: str
    pid: int | None = None
    process: str | None = None
    user: str | None = None


def psutil_sockets() -> tuple[list[Socket], bool]:
    """TCP sockets in LISTEN and bound unconnected UDP sockets, and whether some process names were refused."""
    import psutil

    out: list[Socket] = []
    names: dict[int, tuple[str | None, str | None]] = {}
    denied = False
    for conn in psutil.net_connections(kind="inet"):
        if not conn.laddr:
            continue
        if conn.type == socket.SOCK_STREAM:
            if conn.status != psutil.CONN_LISTEN:
                continue
            proto = "tcp"
        elif conn.type == socket.SOCK_DGRAM:
            if conn.raddr:
                continue
            proto = "udp"
        else:
            continue
        family = "ipv6" if conn.family == socket.AF_INET6 else "ipv4"
        sock = Socket(proto, family, conn.laddr.ip.split("%", 1)[0], conn.laddr.port, None, None,
                      "psutil.net_connections", conn.pid)
        if conn.pid is not None:
            if conn.pid not in names:
                try:
                    proc = psutil.Process(conn.pid)
                    names[conn.pid] = (proc.name(), proc.username())
                except psutil.AccessDenied:
                    names[conn.pid] = (None, None)
                    denied = True
                except (psutil.NoSuchProcess, KeyError):
                    names[conn.pid] = (None, None)
            sock.process, sock.user = names[conn.pid]
        out.append(sock)
    return out, denied
