"""Listening sockets on Windows: Get-NetTCPConnection -State Listen and Get-NetUDPEndpoint, with the owning
process from Get-Process (PID 4 is the kernel, "System": SMB, NetBIOS and HTTP.sys listen there)."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.model import PortRow
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_int, rows

SOURCES = {"tcp": "Get-NetTCPConnection -State Listen", "udp": "Get-NetUDPEndpoint"}
MAX_ROWS = 5000


def _process_names(ctx: FactContext) -> dict[int, str] | None:
    found = rows(ctx, "processes", "listening_ports.process")
    if found is None:
        return None
    names: dict[int, str] = {}
    for p in found:
        pid, name = as_int(p.get("Id")), p.get("ProcessName")
        if pid is not None and isinstance(name, str) and name:
            names.setdefault(pid, name)
    return names


def port_rows(proto: str, found: list[dict[str, Any]], names: dict[int, str] | None) -> list[PortRow]:
    out: dict[tuple[str, int], PortRow] = {}
    for item in found[:MAX_ROWS]:
        address, port, pid = item.get("LocalAddress"), as_int(item.get("LocalPort")), as_int(item.get("OwningProcess"))
        if not isinstance(address, str) or not address.strip() or port is None or not 0 <= port < 65536:
            continue
        address = address.strip().lower()
        key = (address, port)
        if key in out:  # several sockets on one address and port (SO_REUSEADDR, several processes): lowest pid
            held = out[key].get("pid")
            if pid is None or (held is not None and held <= pid):
                continue
        out[key] = {
            "proto": proto,
            "family": "ipv6" if ":" in address else "ipv4",
            "address": address,
            "port": port,
            "pid": pid,
            "process": None if names is None or pid is None else names.get(pid),
            "user": None,  # the probes record no owner
            "source": SOURCES[proto],
        }
    return sorted(out.values(), key=lambda r: (r["port"], r["address"]))


@collector("listening_ports", ("listening_ports",))
def collect_listening_ports(ctx: FactContext) -> None:
    tcp = rows(ctx, "listen_tcp", "listening_ports")
    udp = rows(ctx, "listen_udp", "listening_ports.udp")
    if tcp is None:
        return  # without TCP the table would claim nothing listens; unknown is recorded
    names = _process_names(ctx)
    ctx.put("listening_ports", port_rows("tcp", tcp, names) + port_rows("udp", udp or [], names))


__all__ = ["collect_listening_ports", "port_rows"]
