"""Listening sockets: TCP in LISTEN, UDP bound and unconnected.

On this machine psutil answers (facts.common.sockets). Over other live
transports (replay, SSH) the kernel tables /proc/net/{tcp,tcp6,udp,udp6} are
read through the transport and socket inodes are mapped to processes from a
listing of /proc/*/fd; when /proc cannot be read, `ss` output is parsed.
Several processes can hold one socket (forked workers): one row is kept per
socket, with the lowest pid, which is normally the parent.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from secaudit.facts.common import native
from secaudit.facts.common.sockets import Socket, psutil_sockets
from secaudit.facts.context import FactContext
from secaudit.facts.linux.etcfiles import uid_names
from secaudit.facts.model import PortRow
from secaudit.facts.registry import collector
from secaudit.transport.base import CommandFailed, FactUnavailable, NotFound, PermissionDenied, TooLarge

PROC_NET = (
    ("tcp", "ipv4", "/proc/net/tcp"),
    ("tcp", "ipv6", "/proc/net/tcp6"),
    ("udp", "ipv4", "/proc/net/udp"),
    ("udp", "ipv6", "/proc/net/udp6"),
)
TCP_LISTEN = 0x0A
UDP_UNCONNECTED = 0x07  # TCP_CLOSE: bound, no peer
SS_ARGV = ["ss", "-H", "-tulpne"]
# Every /proc/<pid>/fd/<n> that is a socket, as "path target"; task/ and net/ pruned for speed.
FIND_ARGV = ["find", "/proc", "-mindepth", "1", "-maxdepth", "3",
             "(", "-path", "/proc/[0-9]*/task", "-o", "-path", "/proc/[0-9]*/net", ")", "-prune",
             "-o", "-path", "/proc/[0-9]*/fd/*", "-lname", "socket:*", "-printf", "%p %l\\n"]
CMD_TIMEOUT = 3.0
# Command output may be 64 MiB: as rows, tens of times that. Past these the parser raises TooLarge.
MAX_SOCKETS = 100_000  # listening sockets in `ss` output
MAX_FDS = 1_000_000  # socket descriptors in the /proc/*/fd listing


# -- /proc/net ------------------------------------------------------------------------

def decode_address(hexaddr: str, family: str) -> str:
    """A /proc/net address in the kernel's byte order (32-bit words, little-endian hosts)."""
    raw = bytes.fromhex(hexaddr)
    if family == "ipv4":
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    # inet_ntop, like psutil and ss, writes IPv4-mapped addresses as ::ffff:127.0.0.1
    return socket.inet_ntop(socket.AF_INET6, words)


def parse_proc_net(text: str, proto: str, family: str, path: str) -> list[Socket]:
    """Listening (tcp) or bound unconnected (udp) sockets from one /proc/net table."""
    wanted = TCP_LISTEN if proto == "tcp" else UDP_UNCONNECTED
    out: list[Socket] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) < 10 or not fields[0].endswith(":") or ":" not in fields[1]:
            continue  # header or malformed
        try:
            state = int(fields[3], 16)
            hexaddr, hexport = fields[1].rsplit(":", 1)
            port = int(hexport, 16)
            if state != wanted or not 0 <= port <= 65535:
                continue
            out.append(Socket(proto, family, decode_address(hexaddr, family), port,
                              int(fields[7]), int(fields[9]) or None, f"{path}:{lineno}"))
        except ValueError:
            continue
    return out


def parse_fd_listing(text: str) -> dict[int, int]:
    """inode -> lowest pid, from `find ... -printf '%p %l'` lines like
    '/proc/812/fd/3 socket:[21734]'."""
    owners: dict[int, int] = {}
    # [0-9], not \d: \d also matches other scripts' digits; bounded, as int() refuses 4300+ digits
    pattern = re.compile(r"^/proc/([0-9]{1,10})/fd/[0-9]+ socket:\[([0-9]{1,20})\]$")
    for line in text.splitlines():
        m = pattern.match(line.strip())
        if not m:
            continue
        pid, inode = int(m.group(1)), int(m.group(2))
        if inode not in owners or pid < owners[inode]:
            owners[inode] = pid
            if len(owners) > MAX_FDS:
                raise TooLarge(f"find /proc: more than {MAX_FDS} sockets")
    return owners


# -- ss -------------------------------------------------------------------------------

_SS_PROC = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=([0-9]{1,10}),fd=[0-9]+\)')


def _split_endpoint(text: str) -> tuple[str, int] | None:
    """'0.0.0.0:22', '[::]:22', '*:22', '127.0.0.53%lo:53', '[fe80::1%eth0]:123' -> (address, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit() and len(port) <= 5 and int(port) <= 65535):
        return None
    if host.startswith("[") and "]" in host:
        host = host[1:host.index("]")]
    host = host.split("%", 1)[0]
    return host, int(port)


def parse_ss(text: str, source: str = "ss -H -tulpne") -> list[Socket]:
    """Rows of `ss -H -tulpn[e]`. `*` (a dual-stack socket on all addresses) becomes `::`.
    With -e, a socket owned by uid 0 prints no `uid:` (ss omits zero), so uid is 0 then."""
    out: list[Socket] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) < 5 or fields[0] not in ("tcp", "udp"):
            continue
        proto, state = fields[0], fields[1]
        if (proto == "tcp" and state != "LISTEN") or (proto == "udp" and state != "UNCONN"):
            continue
        ep = _split_endpoint(fields[4])
        if ep is None:
            continue
        host, port = ep
        if host == "*":
            host = "::"
        try:
            family = "ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"
        except ValueError:
            continue
        procs = [(int(pid), name) for name, pid in _SS_PROC.findall(line)]
        pid, process = min(procs) if procs else (None, None)
        inode_m = re.search(r"\bino:([0-9]{1,20})\b", line)
        uid_m = re.search(r"\buid:([0-9]{1,10})\b", line)
        uid = int(uid_m.group(1)) if uid_m else (0 if inode_m else None)
        out.append(Socket(proto, family, host, port, uid,
                          int(inode_m.group(1)) if inode_m and inode_m.group(1) != "0" else None,
                          f"{source}:{lineno}", pid, process))
        if len(out) > MAX_SOCKETS:
            raise TooLarge(f"{source}: more than {MAX_SOCKETS} listening sockets")
    return out


# -- collection paths ---------------------------------------------------------------------

def _read_proc_net(ctx: FactContext) -> tuple[list[Socket], FactUnavailable | None]:
    sockets: list[Socket] = []
    failure: FactUnavailable | None = None
    read_any = False
    for proto, family, path in PROC_NET:
        try:
            text = ctx.transport.read_text(path)
        except FactUnavailable as exc:
            if exc.code != "not_found":  # no tcp6 on an IPv6-less kernel is normal
                failure = exc
            continue
        read_any = True
        sockets.extend(parse_proc_net(text, proto, family, path))
    if read_any:
        return sockets, None
    return sockets, failure or NotFound("/proc/net/tcp")


def _run(ctx: FactContext, argv: list[str]) -> tuple[str | None, FactUnavailable | None]:
    try:
        res = ctx.transport.run(argv, timeout=CMD_TIMEOUT)
    except FactUnavailable as exc:
        return None, exc
    if res.rc != 0 and not res.stdout.strip():
        detail = f"{' '.join(argv[:3])}: {res.stderr.strip()[:200]}"
        denied = "ermission denied" in res.stderr or "not permitted" in res.stderr
        return None, PermissionDenied(detail) if denied else CommandFailed(detail)
    return res.stdout, None


def _attach_owners(ctx: FactContext, sockets: list[Socket]) -> FactUnavailable | None:
    """Fill pid/process from a /proc/*/fd listing, or from `ss -p`; the reason when neither works."""
    text, problem = _run(ctx, FIND_ARGV)
    owners: dict[int, tuple[int, str | None]] = {}
    try:
        if text is not None:
            for inode, pid in parse_fd_listing(text).items():
                owners[inode] = (pid, None)
        else:
            ss_text, ss_problem = _run(ctx, SS_ARGV)
            if ss_text is None:
                return problem if problem and problem.code != "not_found" else ss_problem
            for s in parse_ss(ss_text):
                if s.inode is not None and s.pid is not None:
                    owners[s.inode] = (s.pid, s.process)
    except TooLarge as exc:  # the sockets are known; their processes are not
        return exc
    comms: dict[int, str | None] = {}
    for sock in sockets:
        if sock.inode is None or sock.inode not in owners:
            continue
        pid, name = owners[sock.inode]
        if name is None:
            if pid not in comms:
                comm = ctx.read_text(f"/proc/{pid}/comm")
                comms[pid] = comm.strip() if comm else None
            name = comms[pid]
        sock.pid, sock.process = pid, name
    return None


def _uid_map(sockets: list[Socket]) -> dict[tuple[str, str, str, int], int]:
    return {(s.proto, s.family, s.address, s.port): s.uid for s in sockets if s.uid is not None}


def _rows(ctx: FactContext, sockets: list[Socket]) -> list[PortRow]:
    names = uid_names(ctx) if any(s.uid is not None for s in sockets) else {}
    best: dict[tuple[str, str, str, int, str | int | None], PortRow] = {}
    for s in sockets:
        user = s.user
        if user is None and s.uid is not None:
            user = names.get(s.uid, str(s.uid))
        row: PortRow = {"proto": s.proto, "family": s.family, "address": s.address, "port": s.port,
                        "pid": s.pid, "process": s.process, "user": user, "source": s.source}
        # One row per socket: the inode when known, else the process name (forked workers).
        ident: str | int | None = s.inode if s.inode is not None else (s.process or s.pid)
        key = (s.proto, s.family, s.address, s.port, ident)
        old = best.get(key)
        if old is None or (s.pid is not None and (old.get("pid") is None or s.pid < (old.get("pid") or 0))):
            best[key] = row
    return sorted(best.values(), key=lambda r: (r["proto"], r["port"], r["family"], r["address"],
                                                r.get("pid") or 0))


_OTHERS = "/proc/*/fd (sockets of other users' processes)"


def _local(ctx: FactContext) -> list[Socket]:
    import os

    import psutil

    try:
        sockets, denied = psutil_sockets()
    except psutil.AccessDenied:
        sockets, denied = [], True
    if any(s.pid is None for s in sockets):
        # The kernel tables name the owner uid of every socket, even other users'.
        uids = _uid_map(_read_proc_net(ctx)[0])
        for s in sockets:
            if s.pid is None:
                s.uid = uids.get((s.proto, s.family, s.address, s.port))
    if os.geteuid() != 0 and (denied or any(s.pid is None for s in sockets)):
        ctx.unknown("listening_ports.process", "permission_denied", _OTHERS)
    elif any(s.pid is None for s in sockets):
        ctx.unknown("listening_ports.process", "not_found",
                    "the process of some sockets (another PID namespace or container)")
    return sockets


def _remote(ctx: FactContext) -> list[Socket] | None:
    sockets, failure = _read_proc_net(ctx)
    if failure is None:
        problem = _attach_owners(ctx, sockets)
        if any(s.pid is None for s in sockets):
            why = problem or PermissionDenied(_OTHERS)
            ctx.unknown("listening_ports.process", why.code, why.detail)
        return sockets
    ss_text, ss_problem = _run(ctx, SS_ARGV)
    if ss_text is None:
        ctx.unknown_from("listening_ports", ss_problem if failure.code == "not_found" and ss_problem else failure)
        return None
    sockets = parse_ss(ss_text)
    if any(s.pid is None for s in sockets):
        ctx.unknown("listening_ports.process", "permission_denied", _OTHERS)
    return sockets


@collector("listening_ports", ("listening_ports",))
def collect_listening_ports(ctx: FactContext) -> None:
    if not ctx.transport.live:
        ctx.unknown("listening_ports", "not_applicable", "no running system in --root mode")
        return
    sockets = _local(ctx) if native(ctx.transport) else _remote(ctx)
    if sockets is not None:
        ctx.put("listening_ports", _rows(ctx, sockets))
