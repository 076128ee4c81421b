"""Network adapters with an IP address (Win32_NetworkAdapterConfiguration, IPEnabled): description, MAC,
addresses, gateways, DHCP. The catalogue's probe reads no IPSubnet, so addresses carry no prefix length."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_bool, rows

SOURCE = "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True'"
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
_WIRELESS = re.compile(r"wi-?fi|wireless|802\.11|wlan", re.I)
_VIRTUAL = re.compile(r"hyper-v|vmware|virtualbox|virtual|tap-|tap adapter|wireguard|tailscale|zerotier|vpn|"
                      r"loopback|bluetooth", re.I)
MAX_ROWS = 256


def _addresses(value: Any) -> tuple[list[str], list[str]]:
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    v4: list[str] = []
    v6: list[str] = []
    for item in items[:64]:
        if not isinstance(item, str):
            continue
        try:
            addr = ipaddress.ip_address(item.strip().split("%", 1)[0])
        except ValueError:
            continue
        (v4 if addr.version == 4 else v6).append(str(addr))
    return v4, v6


def kind_of(description: str) -> str:
    if _WIRELESS.search(description):
        return "wireless"
    if _VIRTUAL.search(description):
        return "virtual"
    return "ether"


def adapter_row(item: dict[str, Any]) -> dict[str, Any] | None:
    name = item.get("Description")
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()[:200]
    mac = item.get("MACAddress")
    mac = mac.strip().lower().replace("-", ":") if isinstance(mac, str) and _MAC.match(mac.strip()) else None
    ipv4, ipv6 = _addresses(item.get("IPAddress"))
    gw4, gw6 = _addresses(item.get("DefaultIPGateway"))
    dhcp = as_bool(item.get("DHCPEnabled"))
    return {"name": name, "mac": mac, "ipv4": ipv4, "ipv6": ipv6, "up": True, "operstate": None,
            "kind": kind_of(name), "method": None if dhcp is None else "dhcp" if dhcp else "static",
            "gateways": gw4 + gw6, "source": SOURCE}


@collector("interfaces", ("interfaces",))
def collect_interfaces(ctx: FactContext) -> None:
    found = rows(ctx, "network_adapters", "interfaces")
    if found is None:
        return
    out = [r for r in (adapter_row(item) for item in found[:MAX_ROWS]) if r is not None]
    ctx.put("interfaces", out)
