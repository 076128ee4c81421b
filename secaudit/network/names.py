"""Device names: reverse DNS through the system resolver, and NetBIOS node status (UDP 137).

Both run with short timeouts. NetBIOS queries go only to private addresses that are being
scanned: the caller passes the live hosts of the checked targets, and public addresses are
dropped here again.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Sequence

from secaudit.network.targets import is_private

NBSTAT_PORT = 137
# "*" padded with NULs to 16 bytes, first-level encoded (RFC 1001 14.1): 32 letters.
_WILDCARD = b"CK" + b"A" * 30
NAME_SUFFIXES = (0x00, 0x20)  # workstation / file-server service: the computer's own name


def nbstat_query(txid: int) -> bytes:
    header = struct.pack(">HHHHHH", txid, 0x0000, 1, 0, 0, 0)
    return header + b"\x20" + _WILDCARD + b"\x00" + struct.pack(">HH", 0x0021, 0x0001)


def _skip_name(data: bytes, offset: int) -> int:
    while offset < len(data):
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:  # compression pointer
            return offset + 2
        offset += 1 + length
    raise ValueError("truncated name")


NameEntry = tuple[str, int, bool]  # name, suffix byte, group flag


def parse_nbstat(data: bytes) -> tuple[list[NameEntry], str | None]:
    """A node-status response -> ([(name, suffix, group)...], MAC from the statistics or None)."""
    if len(data) < 12:
        raise ValueError("short packet")
    _txid, flags, _qd, ancount, _ns, _ar = struct.unpack(">HHHHHH", data[:12])
    if not flags & 0x8000 or ancount < 1:
        raise ValueError("not a response")
    offset = _skip_name(data, 12)
    rtype, _rclass, _ttl, rdlength = struct.unpack(">HHIH", data[offset:offset + 10])
    offset += 10
    if rtype != 0x0021:
        raise ValueError("not a node status answer")
    end = offset + rdlength
    count = data[offset]
    offset += 1
    names: list[NameEntry] = []
    for _ in range(count):
        if offset + 18 > end:
            raise ValueError("truncated name table")
        raw = data[offset:offset + 15]
        suffix = data[offset + 15]
        (nflags,) = struct.unpack(">H", data[offset + 16:offset + 18])
        names.append((raw.decode("latin-1").rstrip(" \x00"), suffix, bool(nflags & 0x8000)))
        offset += 18
    mac = data[offset:offset + 6] if offset + 6 <= end else b""
    mac_text = ":".join(f"{b:02x}" for b in mac) if len(mac) == 6 and any(mac) else None
    return names, mac_text


def computer_names(names: list[NameEntry]) -> list[str]:
    out: list[str] = []
    for name, suffix, group in names:
        if not group and suffix in NAME_SUFFIXES and name and name not in out:
            out.append(name)
    return out


def netbios_names(ips: Sequence[str], timeout: float = 1.0, port: int = NBSTAT_PORT) -> dict[str, list[str]]:
    """Ask every private address for its NetBIOS name table; unanswered ones are simply absent."""
    targets = [ip for ip in ips if is_private(ipaddress.IPv4Network(ip))]
    if not targets:
        return {}
    found: dict[str, list[str]] = {}
    txid = int.from_bytes(os.urandom(2), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        deadline = time.monotonic() + timeout
        resend_at = time.monotonic() + timeout / 2
        _send_all(sock, targets, txid, port)
        while (left := deadline - time.monotonic()) > 0 and len(found) < len(targets):
            if resend_at and time.monotonic() >= resend_at:
                _send_all(sock, [ip for ip in targets if ip not in found], txid, port)
                resend_at = 0.0
            ready, _, _ = select.select([sock], [], [], min(left, 0.1))
            if not ready:
                continue
            try:
                data, (addr, source_port) = sock.recvfrom(2048)
            except OSError:
                continue
            if addr not in targets or source_port != port or data[:2] != txid.to_bytes(2, "big"):
                continue
            try:
                names = computer_names(parse_nbstat(data)[0])
            except (ValueError, struct.error, IndexError):
                continue
            found[addr] = names
    return {ip: names for ip, names in found.items() if names}


def _send_all(sock: socket.socket, ips: Sequence[str], txid: int, port: int) -> None:
    packet = nbstat_query(txid)
    for ip in ips:
        try:
            sock.sendto(packet, (ip, port))
        except OSError:
            continue  # unreachable network, no route: the host simply gets no NetBIOS name


def reverse_dns(ips: Sequence[str], timeout: float = 1.5) -> dict[str, str]:
    """PTR names via the system resolver (so /etc/hosts and the school's DNS both count).

    gethostbyaddr cannot be given a timeout, so each lookup runs in a daemon thread and the
    ones still blocked at the deadline are abandoned.
    """
    found: dict[str, str] = {}
    lock = threading.Lock()

    def one(ip: str) -> None:
        try:
            name = socket.gethostbyaddr(ip)[0]
        except (OSError, UnicodeError):
            return
        if name and name != ip:
            with lock:
                found[ip] = name.rstrip(".")

    threads = [threading.Thread(target=one, args=(ip,), daemon=True, name=f"rdns-{ip}") for ip in ips]
    for th in threads:
        th.start()
    deadline = time.monotonic() + timeout
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    with lock:
        return dict(found)


def lookup(ips: Sequence[str], dns: bool = True, netbios: bool = True, timeout: float = 1.5) -> dict[str, list[str]]:
    """Both kinds of name at once: {ip: [dns name, NetBIOS names...]}."""
    nb: dict[str, list[str]] = {}

    def run_nb() -> None:
        nb.update(netbios_names(ips, min(timeout, 1.0)))

    worker = threading.Thread(target=run_nb, daemon=True, name="netbios")
    if netbios:
        worker.start()
    ptr = reverse_dns(ips, timeout) if dns else {}
    if netbios:
        worker.join(timeout + 0.5)
    out: dict[str, list[str]] = {}
    for ip in ips:
        names = ([ptr[ip]] if ip in ptr else []) + [n for n in nb.get(ip, []) if n]
        unique = list(dict.fromkeys(names))
        if unique:
            out[ip] = unique
    return out
