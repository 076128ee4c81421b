"""ARP sweep of a subnet attached to one of this machine's interfaces (scapy, root only).

ARP works below IP: a host that drops every IP packet still answers, so this finds devices
that a ping or TCP sweep misses. scapy is imported inside `arp_sweep` (slow to import).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

DEFAULT_TIMEOUT = 1.0  # seconds to wait for replies after the last request (LAN replies take ms)


@dataclass(frozen=True)
class Attached:
    iface: str
    address: IPv4Address  # this machine's address on that network
    network: IPv4Network
    mac: str | None


def attached_networks() -> list[Attached]:
    """IPv4 networks of this machine's interfaces (loopback and point-to-point /32 left out)."""
    import psutil

    out: list[Attached] = []
    for name, addrs in psutil.net_if_addrs().items():
        mac = next((a.address.lower() for a in addrs if a.family == psutil.AF_LINK and a.address), None)
        for a in addrs:
            if a.family != socket.AF_INET or not a.netmask:
                continue
            try:
                iface = IPv4Interface(f"{a.address}/{a.netmask}")
            except ValueError:
                continue
            if iface.ip.is_loopback or iface.network.prefixlen >= 31:
                continue
            out.append(Attached(name, iface.ip, iface.network, mac))
    return out


def can_arp() -> bool:
    """Raw layer-2 sockets need root (or CAP_NET_RAW, which a plain euid check cannot see)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def split(net: IPv4Network, attached: Sequence[Attached]) -> list[tuple[IPv4Network, Attached | None]]:
    """Parts of `net` on an attached network (ARP-able) and the rest (routed: nmap discovery)."""
    for att in attached:
        if net.subnet_of(att.network):
            return [(net, att)]
    for att in attached:
        if att.network.subnet_of(net):
            rest = sorted(net.address_exclude(att.network), key=lambda n: int(n.network_address))
            parts: list[tuple[IPv4Network, Attached | None]] = [(att.network, att)]
            for sub in rest:
                parts.extend(split(sub, [a for a in attached if a is not att]))
            return parts
    return [(net, None)]


def arp_sweep(iface: str, addresses: Sequence[str], timeout: float = DEFAULT_TIMEOUT) -> dict[str, str]:
    """Broadcast an ARP who-has for every address on `iface`; return {ip: mac} of the repliers.

    Every request goes out twice in one burst, so a single lost frame does not hide a device
    and the sweep still costs one timeout, not one per retry.
    """
    if not addresses:
        return {}
    from scapy.config import conf
    from scapy.layers.l2 import ARP, Ether
    from scapy.sendrecv import srp

    conf.verb = 0
    packets = [Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=ip) for ip in addresses]
    answered, _ = srp(packets + packets, iface=iface, timeout=timeout, verbose=False)
    wanted = set(addresses)
    found: dict[str, str] = {}
    for _sent, reply in answered:
        ip, mac = str(reply[ARP].psrc), str(reply[ARP].hwsrc).lower()
        if ip in wanted:
            found.setdefault(ip, mac)
    return found
