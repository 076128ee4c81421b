"""Device names: NetBIOS node-status packets (built and parsed), a responder on loopback, reverse DNS."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from secaudit.network import names


def nbstat_response(txid: int, entries: list[tuple[str, int, int]], mac: bytes = b"\x00\x1a\x2b\x3c\x4d\x5e",
                    pointer: bool = False) -> bytes:
    body = bytes([len(entries)])
    for name, suffix, flags in entries:
        body += name.encode("latin-1").ljust(15, b" ") + bytes([suffix]) + struct.pack(">H", flags)
    body += mac + b"\x00" * 40  # statistics: unit id, then counters
    rr_name = b"\xc0\x0c" if pointer else b"\x20" + b"CK" + b"A" * 30 + b"\x00"
    return (struct.pack(">HHHHHH", txid, 0x8400, 0, 1, 0, 0) + rr_name
            + struct.pack(">HHIH", 0x0021, 0x0001, 0, len(body)) + body)


TABLE = [("PC-THUVIEN", 0x00, 0x0400), ("WORKGROUP", 0x00, 0x8400), ("PC-THUVIEN", 0x20, 0x0400),
         ("PC-THUVIEN", 0x03, 0x0400), ("__MSBROWSE__", 0x01, 0x8400)]


def test_query_packet() -> None:
    packet = names.nbstat_query(0x1234)
    assert packet[:2] == b"\x12\x34" and packet[4:6] == b"\x00\x01"  # one question
    assert packet[12:13] == b"\x20" and packet[13:45] == b"CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert packet[-4:] == b"\x00\x21\x00\x01"  # NBSTAT, IN


@pytest.mark.parametrize("pointer", [False, True])
def test_parse_node_status(pointer: bool) -> None:
    table, mac = names.parse_nbstat(nbstat_response(7, TABLE, pointer=pointer))
    assert table[0] == ("PC-THUVIEN", 0x00, False) and table[1] == ("WORKGROUP", 0x00, True)
    assert mac == "00:1a:2b:3c:4d:5e"
    assert names.computer_names(table) == ["PC-THUVIEN"]  # unique <00>/<20> only, once


def test_parse_samba_zero_mac_and_garbage() -> None:
    _, mac = names.parse_nbstat(nbstat_response(7, TABLE, mac=b"\x00" * 6))
    assert mac is None  # Samba reports 00:00:00:00:00:00
    with pytest.raises(ValueError):
        names.parse_nbstat(b"\x00" * 5)
    with pytest.raises(ValueError):
        names.parse_nbstat(names.nbstat_query(1))  # a query, not a response


def test_netbios_round_trip_on_loopback() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    seen: list[bytes] = []

    def answer() -> None:
        data, addr = server.recvfrom(2048)
        seen.append(data)
        txid = struct.unpack(">H", data[:2])[0]
        server.sendto(nbstat_response(txid + 1, TABLE), addr)  # wrong id: ignored
        server.sendto(nbstat_response(txid, TABLE), addr)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        found = names.netbios_names(["127.0.0.1"], timeout=2.0, port=port)
    finally:
        thread.join(2)
        server.close()
    assert found == {"127.0.0.1": ["PC-THUVIEN"]}
    assert seen and seen[0][-4:] == b"\x00\x21\x00\x01"


def test_netbios_never_queries_public_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(names.socket, "socket", refuse)
    assert names.netbios_names(["8.8.8.8", "1.1.1.1"]) == {}


def test_netbios_silent_hosts_end_at_the_timeout() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        started = time.monotonic()
        assert names.netbios_names(["127.0.0.1"], timeout=0.3, port=silent.getsockname()[1]) == {}
        assert time.monotonic() - started < 1.0
    finally:
        silent.close()


def test_reverse_dns_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(ip: str) -> tuple[str, list[str], list[str]]:
        if ip == "10.0.0.1":
            return ("gw.truong.local.", [], [ip])
        if ip == "10.0.0.3":
            raise socket.herror(1, "Unknown host")
        time.sleep(5)
        return ("late", [], [ip])

    monkeypatch.setattr(names.socket, "gethostbyaddr", slow)
    started = time.monotonic()
    found = names.reverse_dns(["10.0.0.1", "10.0.0.2", "10.0.0.3"], timeout=0.3)
    assert found == {"10.0.0.1": "gw.truong.local"}
    assert time.monotonic() - started < 1.0


def test_lookup_merges_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names, "reverse_dns", lambda ips, timeout=1.5: {"10.0.0.1": "pc1.lan"})
    monkeypatch.setattr(names, "netbios_names", lambda ips, timeout=1.0: {"10.0.0.1": ["PC1"], "10.0.0.2": ["PC2"]})
    assert names.lookup(["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == {"10.0.0.1": ["pc1.lan", "PC1"],
                                                                   "10.0.0.2": ["PC2"]}
    assert names.lookup(["10.0.0.1"], dns=False, netbios=False) == {}
