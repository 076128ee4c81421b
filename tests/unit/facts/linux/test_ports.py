# ruff: noqa: E501  (recorded command output keeps its real line length)
"""Listening-port facts: /proc/net and `ss` parsers on recorded output, the replay path, and
the real machine (a listener opened by the test must be found with this process's pid)."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.ports import (
    FIND_ARGV,
    SS_ARGV,
    decode_address,
    parse_fd_listing,
    parse_proc_net,
    parse_ss,
)
from secaudit.transport.local import LocalTransport
from secaudit.transport.replay import ReplayTransport, command_key
from tests.conftest import facts_of, run_check

# Recorded from a Debian 12 server (addresses in the kernel's little-endian word order).
PROC_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21734 1 00000000c7b8c3ab 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 25001 1 00000000bdf5df08 100 0 0 10 0
   2: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 27000 1 00000000bdf5df09 100 0 0 10 0
   3: 0F02000A:0016 0202000A:C35A 01 00000000:00000000 02:0009E0A3 00000000     0        0 40001 4 000000005b9af410 20 4 31 10 -1
   4: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 26000 1 000000005614db5e 100 0 0 10 0
"""
PROC_TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21736 1 000000005b9af410 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 30001 1 000000005614db5e 100 0 0 10 0
   2: 00000000000000000000000001000000:170D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 30002 1 000000005614db5f 100 0 0 10 0
   3: 00000000000000000000000001000000:170D 00000000000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000  1000        0 30003 1 000000005614db60 20 4 31 10 -1
"""
PROC_UDP = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  377: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 18000 2 0000000022cb861c 0
15873: 00000000:00A1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19000 2 0000000022cb861d 0
  500: 0F02000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 19500 2 0000000022cb861e 0
"""
PROC_UDP6 = """\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
"""
PASSWD = ("root:x:0:0:root:/root:/bin/bash\nsystemd-resolve:x:101:101::/run/systemd:/usr/sbin/nologin\n"
          "mysql:x:108:113:MySQL Server,,,:/nonexistent:/bin/false\nthao:x:1000:1000:Thao:/home/thao:/bin/bash\n")
# `find /proc ... -lname 'socket:*' -printf '%p %l\n'`: nginx's master and worker share a socket.
FD_LISTING = """\
/proc/812/fd/3 socket:[21734]
/proc/812/fd/4 socket:[21736]
/proc/1300/fd/6 socket:[26000]
/proc/1301/fd/6 socket:[26000]
/proc/1200/fd/21 socket:[25001]
/proc/610/fd/13 socket:[18000]
/proc/900/fd/6 socket:[19000]
/proc/2000/fd/5 socket:[30002]
/proc/3000/fd/40 socket:[30001]
/proc/450/fd/7 socket:[27000]
/proc/450/fd/8 socket:[99999]
"""
COMMS = {812: "sshd", 1300: "nginx", 1301: "nginx", 1200: "mysqld", 610: "systemd-resolve", 900: "snmpd",
         2000: "Xvnc", 3000: "java", 450: "inetd"}
# `ss -H -tulpne` as root: uid: is omitted for uid 0; nginx has two processes on one socket.
SS_OUT = """\
udp   UNCONN 0      0      127.0.0.53%lo:53          0.0.0.0:*    users:(("systemd-resolve",pid=610,fd=13)) uid:101 ino:18000 sk:1 cgroup:/system.slice/systemd-resolved.service <->
udp   UNCONN 0      0            0.0.0.0:161         0.0.0.0:*    users:(("snmpd",pid=900,fd=6)) ino:19000 sk:2 cgroup:/system.slice/snmpd.service <->
udp   ESTAB  0      0      10.0.2.15%enp0s3:54321    8.8.8.8:53   users:(("dig",pid=4000,fd=3)) uid:1000 ino:19500 sk:9 <->
tcp   LISTEN 0      128          0.0.0.0:22          0.0.0.0:*    users:(("sshd",pid=812,fd=3)) ino:21734 sk:3 cgroup:/system.slice/ssh.service <->
tcp   LISTEN 0      151        127.0.0.1:3306        0.0.0.0:*    users:(("mysqld",pid=1200,fd=21)) uid:108 ino:25001 sk:4 cgroup:/system.slice/mysql.service <->
tcp   LISTEN 0      511          0.0.0.0:80          0.0.0.0:*    users:(("nginx",pid=1301,fd=6),("nginx",pid=1300,fd=6)) ino:26000 sk:5 cgroup:/system.slice/nginx.service <->
tcp   LISTEN 0      64           0.0.0.0:23          0.0.0.0:*    users:(("inetd",pid=450,fd=7)) ino:27000 sk:a cgroup:/system.slice/inetd.service <->
tcp   LISTEN 0      128             [::]:22             [::]:*    users:(("sshd",pid=812,fd=4)) ino:21736 sk:6 cgroup:/system.slice/ssh.service v6only:1 <->
tcp   LISTEN 0      5                  *:5901              *:*    users:(("Xvnc",pid=2000,fd=5)) uid:1000 ino:30002 sk:7 cgroup:/user.slice v6only:0 <->
tcp   LISTEN 0      4096 [::ffff:127.0.0.1]:8080           *:*    users:(("java",pid=3000,fd=40)) uid:1000 ino:30001 sk:8 cgroup:/user.slice v6only:0 <->
"""
# The same machine seen by an unprivileged user without -e: other users' processes are hidden.
SS_NONROOT = """\
udp   UNCONN 0      0      127.0.0.53%lo:53          0.0.0.0:*
tcp   LISTEN 0      128          0.0.0.0:22          0.0.0.0:*
tcp   LISTEN 0      5                  *:5901              *:*    users:(("Xvnc :1 \\"x\\"",pid=2000,fd=5))
tcp   LISTEN 0      128   [fe80::1%eth0]:8443               [::]:*
"""


def _recording(**extra: object) -> dict[str, object]:
    files = {"/proc/net/tcp": PROC_TCP, "/proc/net/tcp6": PROC_TCP6, "/proc/net/udp": PROC_UDP,
             "/proc/net/udp6": PROC_UDP6, "/etc/passwd": PASSWD}
    files.update({f"/proc/{pid}/comm": name + "\n" for pid, name in COMMS.items()})
    rec: dict[str, object] = {"schema": "secaudit.recording/v1", "files": files,
                              "commands": {command_key(FIND_ARGV): {"rc": 1, "stdout": FD_LISTING,
                                                                    "stderr": "find: '/proc/1/fd/0': Permission denied\n"}}}
    rec.update(extra)
    return rec


def _rows(rec: dict[str, object]) -> tuple[list[dict[str, object]], dict[str, object]]:
    snap = collect(ReplayTransport(rec), AgentConfig(), only={"listening_ports"})
    return snap.table("listening_ports"), snap.unknown


def _find(rows: list[dict[str, object]], proto: str, port: int, address: str | None = None) -> dict[str, object]:
    hits = [r for r in rows if r["proto"] == proto and r["port"] == port
            and (address is None or r["address"] == address)]
    assert len(hits) == 1, (proto, port, address, rows)
    return hits[0]


def test_decode_addresses_in_kernel_byte_order():
    assert decode_address("0100007F", "ipv4") == "127.0.0.1"
    assert decode_address("0F02000A", "ipv4") == "10.0.2.15"
    assert decode_address("00000000", "ipv4") == "0.0.0.0"
    assert decode_address("00000000000000000000000000000000", "ipv6") == "::"
    assert decode_address("00000000000000000000000001000000", "ipv6") == "::1"
    assert decode_address("0000000000000000FFFF00000100007F", "ipv6") == "::ffff:127.0.0.1"
    assert decode_address("B80D0120000000000000000001000000", "ipv6") == "2001:db8::1"


def test_proc_net_keeps_listeners_and_unconnected_udp_only():
    tcp = parse_proc_net(PROC_TCP, "tcp", "ipv4", "/proc/net/tcp")
    assert [(s.address, s.port, s.uid, s.inode) for s in tcp] == [
        ("0.0.0.0", 22, 0, 21734), ("127.0.0.1", 3306, 108, 25001), ("0.0.0.0", 23, 0, 27000),
        ("0.0.0.0", 80, 0, 26000)]
    assert tcp[1].source == "/proc/net/tcp:3"
    tcp6 = parse_proc_net(PROC_TCP6, "tcp", "ipv6", "/proc/net/tcp6")
    assert [(s.address, s.port) for s in tcp6] == [("::", 22), ("::ffff:127.0.0.1", 8080), ("::1", 5901)]
    udp = parse_proc_net(PROC_UDP, "udp", "ipv4", "/proc/net/udp")
    assert [(s.address, s.port) for s in udp] == [("127.0.0.53", 53), ("0.0.0.0", 161)]
    assert parse_proc_net(PROC_UDP6, "udp", "ipv6", "/proc/net/udp6") == []


def test_fd_listing_maps_inode_to_lowest_pid():
    owners = parse_fd_listing(FD_LISTING + "garbage line\n/proc/self/fd/3 socket:[1]\n")
    assert owners[26000] == 1300 and owners[21734] == 812 and 1 not in owners


def test_ss_parser_on_recorded_output():
    socks = parse_ss(SS_OUT)
    got = {(s.proto, s.address, s.port): s for s in socks}
    assert ("udp", "10.0.2.15", 54321) not in got  # connected UDP is not a listener
    assert got[("udp", "127.0.0.53", 53)].uid == 101
    assert got[("udp", "127.0.0.53", 53)].process == "systemd-resolve"
    assert got[("tcp", "0.0.0.0", 22)].uid == 0  # ss -e omits uid:0
    nginx = got[("tcp", "0.0.0.0", 80)]
    assert (nginx.pid, nginx.process, nginx.inode) == (1300, "nginx", 26000)
    assert got[("tcp", "::", 5901)].family == "ipv6"  # '*' is a dual-stack wildcard
    assert got[("tcp", "::ffff:127.0.0.1", 8080)].process == "java"
    assert got[("tcp", "::", 22)].inode == 21736


def test_ss_parser_without_process_or_extended_columns():
    socks = parse_ss(SS_NONROOT, "ss -H -tulpn")
    got = {(s.proto, s.address, s.port): s for s in socks}
    assert got[("tcp", "0.0.0.0", 22)].pid is None and got[("tcp", "0.0.0.0", 22)].uid is None
    assert got[("tcp", "::", 5901)].pid == 2000
    assert got[("tcp", "fe80::1", 8443)].family == "ipv6"
    assert got[("udp", "127.0.0.53", 53)].source == "ss -H -tulpn:1"


def test_replay_reads_proc_and_maps_owners():
    rows, unknown = _rows(_recording())
    ssh = _find(rows, "tcp", 22, "0.0.0.0")
    assert (ssh["pid"], ssh["process"], ssh["user"], ssh["family"]) == (812, "sshd", "root", "ipv4")
    assert ssh["source"] == "/proc/net/tcp:2"
    mysql = _find(rows, "tcp", 3306)
    assert (mysql["address"], mysql["user"], mysql["process"]) == ("127.0.0.1", "mysql", "mysqld")
    nginx = _find(rows, "tcp", 80)
    assert nginx["pid"] == 1300  # one row per socket, the parent's pid
    vnc = _find(rows, "tcp", 5901)
    assert (vnc["address"], vnc["family"], vnc["user"]) == ("::1", "ipv6", "thao")
    assert _find(rows, "udp", 161)["process"] == "snmpd"
    assert _find(rows, "tcp", 22, "::")["pid"] == 812
    assert not [r for r in rows if r["port"] in (54321, 50226)]  # established sockets
    assert "listening_ports.process" not in unknown
    assert len(rows) == len({(r["proto"], r["address"], r["port"], r["pid"]) for r in rows})


def test_replay_falls_back_to_ss_for_owners_when_fd_listing_is_missing():
    rec = _recording(commands={command_key(SS_ARGV): {"rc": 0, "stdout": SS_OUT, "stderr": ""}})
    rows, unknown = _rows(rec)
    assert _find(rows, "tcp", 80)["pid"] == 1300
    assert _find(rows, "tcp", 23)["process"] == "inetd"
    assert "listening_ports.process" not in unknown


def test_replay_without_proc_net_uses_ss():
    rec = _recording(denied=["/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"],
                     commands={command_key(SS_ARGV): {"rc": 0, "stdout": SS_NONROOT, "stderr": ""}})
    rows, unknown = _rows(rec)
    assert _find(rows, "tcp", 5901)["process"] == 'Xvnc :1 \\"x\\"'
    assert _find(rows, "tcp", 22, "0.0.0.0")["pid"] is None
    assert unknown["listening_ports.process"]["code"] == "permission_denied"


def test_replay_with_nothing_readable_is_unknown_with_reason():
    rec = _recording(denied=["/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"], commands={})
    rows, unknown = _rows(rec)
    assert rows == []
    assert unknown["listening_ports"]["code"] == "permission_denied"


def test_owners_unknown_when_no_listing_and_no_ss():
    rows, unknown = _rows(_recording(commands={}))
    assert _find(rows, "tcp", 22, "0.0.0.0")["pid"] is None
    assert _find(rows, "tcp", 22, "0.0.0.0")["user"] == "root"  # the socket's uid still names the owner
    assert unknown["listening_ports.process"]["code"] == "not_found"


def test_root_mode_is_not_applicable(make_root):
    snap = facts_of(make_root({"etc/hostname": "pc01\n"}), only={"listening_ports"})
    assert snap.unknown["listening_ports"]["code"] == "not_applicable"
    assert "listening_ports" not in snap.tables
    assert run_check("ports.risky_services", snap).status == "not_applicable"


# -- the real machine -------------------------------------------------------------------------------

class _RemoteLike(LocalTransport):
    """This machine read the way a remote one is: /proc files and commands, no psutil."""

    mode = "ssh"
    native = False


def _bind(family: int, kind: int, address: str, ports: list[int]) -> tuple[socket.socket, int]:
    for port in ports:
        sock = socket.socket(family, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                continue
            raise
        if kind == socket.SOCK_STREAM:
            sock.listen()
        return sock, sock.getsockname()[1]
    pytest.skip(f"none of the ports {ports} could be bound")


@pytest.fixture
def listeners() -> Iterator[dict[str, int]]:
    loop, loop_port = _bind(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1", [0])
    # A VNC port from the risky table, on all interfaces (> 1024, so no privilege is needed).
    vnc, vnc_port = _bind(socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", list(range(5900, 5911)))
    udp, udp_port = _bind(socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1", [0])
    try:
        yield {"loopback": loop_port, "vnc": vnc_port, "udp": udp_port}
    finally:
        for s in (loop, vnc, udp):
            s.close()


@pytest.mark.parametrize("transport", [LocalTransport, _RemoteLike], ids=["psutil", "proc"])
def test_live_listeners_are_found_with_this_pid(listeners, transport):
    snap = collect(transport(), AgentConfig(), only={"listening_ports"})
    rows = snap.table("listening_ports")
    me = os.getpid()
    loop = _find(rows, "tcp", listeners["loopback"], "127.0.0.1")
    assert loop["pid"] == me and loop["family"] == "ipv4"
    assert loop["process"] and loop["user"]
    vnc = _find(rows, "tcp", listeners["vnc"], "0.0.0.0")
    assert vnc["pid"] == me
    assert _find(rows, "udp", listeners["udp"], "127.0.0.1")["pid"] == me


def test_live_risky_listener_is_reported_and_can_be_allowed(listeners):
    snap = collect(LocalTransport(), AgentConfig(), only={"listening_ports"})
    res = run_check("ports.risky_services", snap, role="workstation")
    assert res.status == "fail"
    mine = [f for f in res.evidence["findings"] if f["port"] == listeners["vnc"]]
    assert mine and mine[0]["pid"] == os.getpid() and mine[0]["service"] == "vnc"
    allowed = run_check("ports.risky_services", snap,
                        config=AgentConfig(allowed_ports=[f"tcp/{listeners['vnc']}"]), role="workstation")
    assert not [f for f in allowed.evidence["findings"] if f["port"] == listeners["vnc"]]
    assert [a for a in allowed.evidence["allowed"] if a["port"] == listeners["vnc"]]
