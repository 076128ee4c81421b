"""Interface addresses through psutil (this machine only: see facts.common.native), and the address text
every reader writes: "10.0.0.5/24", "fe80::1/64"."""

from __future__ import annotations

from typing import Any


def with_prefix(addr: str, prefix: Any) -> str:
    """`addr/prefix` when the prefix is a number; a zone (fe80::1%eth0) is dropped: it is the interface itself."""
    addr = addr.split("%", 1)[0]
    return f"{addr}/{prefix}" if isinstance(prefix, int) else addr


def mask_bits(mask: str) -> int | None:
    """255.255.255.0 -> 24 (the set bits of a netmask), None when it is not an address."""
    import ipaddress

    try:
        return bin(int(ipaddress.ip_address(mask))).count("1")
    except ValueError:
        return None


def psutil_addresses(names: set[str]) -> dict[str, dict[str, list[str]]]:
    """{interface: {ipv4: [...], ipv6: [...]}}. An IPv4 alias labelled "eth0:1" belongs to eth0 unless a
    link of that very name is among `names`."""
    import socket

    import psutil

    out: dict[str, dict[str, list[str]]] = {}
    for label, addrs in psutil.net_if_addrs().items():
        name = label if label in names or ":" not in label else label.split(":", 1)[0]
        row = out.setdefault(name, {"ipv4": [], "ipv6": []})
        for a in addrs:
            family = {socket.AF_INET: "ipv4", socket.AF_INET6: "ipv6"}.get(a.family)
            if family:
                bits = mask_bits(a.netmask.split("/")[0]) if a.netmask else None
                row[family].append(with_prefix(a.address, bits))
    return out
