"""This machine's own addresses: `secaudit scan` never scans them (this machine is audited with
`secaudit audit`, and a scan of itself would report its own services as a device of the LAN).

Own means every address the kernel delivers to this machine:
  - loopback: all of 127.0.0.0/8 (not only 127.0.0.1) and ::1, whatever `lo` shows;
  - every address of every interface, up or down: primary and secondary addresses, IPv4 and IPv6
    (IPv4-mapped IPv6 addresses count as their IPv4 address);
  - on point-to-point links (tun, WireGuard, PPP, `ip addr add A peer B`), the *local* address A. The
    peer B is the far end, another machine: it is not ours and is scanned like any host. (`ip addr`
    prints B as "address" and A as "local" there; psutil reports A as the address and B as `ptp`.)
  - ranges the kernel's local routing table delivers here (`ip route add local 10.5.0.0/24 dev lo`,
    "AnyIP"): every address in them answers from this machine.
Read from psutil (every platform) and, on Linux, `ip -j route show table local` when `ip` exists.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import subprocess
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

Network = IPv4Network | IPv6Network
LOOPBACK: tuple[Network, ...] = (IPv4Network("127.0.0.0/8"), IPv6Network("::1/128"))


@dataclass(frozen=True)
class Own:
    networks: tuple[Network, ...]  # single addresses as /32 and /128, plus whole local ranges
    peers: tuple[str, ...] = ()  # far ends of point-to-point links: not ours (noted, still scanned)

    def contains(self, ip: str | IPv4Address | IPv6Address) -> bool:
        try:
            addr = ipaddress.ip_address(str(ip).split("%", 1)[0])
        except ValueError:
            return False
        return any(addr.version == n.version and addr in n for n in self.networks)

    def ipv4(self) -> list[IPv4Network]:
        return [n for n in self.networks if isinstance(n, IPv4Network)]


def _address(text: str) -> list[Network]:
    """An interface address as networks of one address ('fe80::1%eth0' -> fe80::1/128)."""
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return []
    out: list[Network] = [ipaddress.ip_network(addr)]
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        out.append(IPv4Network(addr.ipv4_mapped))
    return out


def _from_psutil() -> tuple[list[Network], list[str]]:
    import psutil

    nets: list[Network] = []
    peers: list[str] = []
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            nets.extend(_address(a.address))
            if a.ptp:
                peers.append(a.ptp.split("%", 1)[0])
    return nets, peers


def _local_routes() -> list[Network]:
    """Destinations of type `local` in the kernel's local routing table (Linux; [] elsewhere)."""
    ip = shutil.which("ip")
    if ip is None:
        return []
    out: list[Network] = []
    for family in ("-4", "-6"):
        try:
            proc = subprocess.run([ip, "-j", family, "route", "show", "table", "local"], capture_output=True,
                                  timeout=5, check=False)
            routes = json.loads(proc.stdout or b"[]") if proc.returncode == 0 else []
        except (OSError, subprocess.TimeoutExpired, ValueError):
            continue
        for route in routes if isinstance(routes, list) else []:
            if not isinstance(route, dict) or route.get("type") != "local":
                continue
            try:
                out.append(ipaddress.ip_network(str(route.get("dst", "")).split("%", 1)[0], strict=False))
            except ValueError:
                continue
    return out


def own_addresses() -> Own:
    nets, peers = _from_psutil()
    nets.extend(_local_routes())
    unique: list[Network] = []
    for net in [*LOOPBACK, *nets]:
        if net not in unique:
            unique.append(net)
    mine = Own(tuple(unique))
    return Own(mine.networks, tuple(sorted({p for p in peers if not mine.contains(p)})))
