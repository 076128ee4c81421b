"""Inventory rows from a verified report payload, normalised for search, and the content hash that lets an
unchanged list be stored once.

An audit report gives its host's software, interfaces (MAC and addresses), listening ports and
antivirus; a scan report (`secaudit scan`, inventory.devices) gives LAN devices, each with its address,
MAC, vendor, names and open ports. Payloads are foreign input even when signed: every value is checked
for its type, cut to its column and counted (at most MAX_ROWS rows per list).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from secaudit.collector.sqlutil import clip
from secaudit.timefmt import parse_rfc3339_or_none

MAX_ROWS = 5000
_HEX = re.compile(r"[0-9a-f]")


def normalize_mac(value: Any) -> str | None:
    """aa:bb:cc:dd:ee:ff from any common spelling (colons, dashes, Cisco dots, bare hex, any case);
    None for anything else and for the all-zero address."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    digits = re.sub(r"[\s:.\-]", "", value.lower())
    if len(digits) != 12 or not all(_HEX.match(c) for c in digits) or digits == "0" * 12:
        return None
    return ":".join(digits[i: i + 2] for i in range(0, 12, 2))


def mac_prefix(value: str) -> str | None:
    """A partial MAC (at least 3 bytes, e.g. a vendor prefix) normalised to aa:bb:cc[:..], else None."""
    digits = re.sub(r"[\s:.\-]", "", value.lower())
    if not 6 <= len(digits) <= 12 or len(digits) % 2 or not all(_HEX.match(c) for c in digits):
        return None
    return ":".join(digits[i: i + 2] for i in range(0, len(digits), 2))


def normalize_ip(value: Any) -> str | None:
    """An IPv4/IPv6 address without its prefix length, in its canonical form; None if it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_interface(value.strip()).ip)
    except ValueError:
        return None


def _rows(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [row for row in value[:MAX_ROWS] if isinstance(row, dict)]


def _port(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535 else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


@dataclass
class InvList:
    kind: str  # index_models.SET_KINDS
    rows: list[dict[str, Any]]

    @property
    def sha256(self) -> str:
        text = json.dumps([self.kind, self.rows], ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=str)
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def software(value: Any) -> InvList:
    rows = {(clip(r.get("name"), 300).lower(), clip(r.get("version"), 200), clip(r.get("publisher"), 300))
            for r in _rows(value) if r.get("name")}
    return InvList("software", [{"name": n, "version": v, "publisher": p} for n, v, p in sorted(rows)])


def interfaces(value: Any) -> InvList:
    rows: set[tuple[str, str, str]] = set()
    for r in _rows(value):
        if r.get("kind") == "loopback" or r.get("name") == "lo":
            continue
        name, mac = clip(r.get("name"), 100), normalize_mac(r.get("mac")) or ""
        ips = [normalize_ip(a) for key in ("ipv4", "ipv6") if isinstance(r.get(key), list) for a in r[key][:64]]
        found = sorted({ip for ip in ips if ip and not ip.startswith("fe80:")})
        if not found and mac:
            rows.add((name, mac, ""))
        rows.update((name, mac, ip) for ip in found)
    return InvList("interfaces", [{"name": n, "mac": m, "ip": i} for n, m, i in sorted(rows)])


def ports(value: Any) -> InvList:
    rows: set[tuple[int, str, str, str]] = set()
    for r in _rows(value):
        port = _port(r.get("port"))
        if port is None:
            continue
        rows.add((port, clip(r.get("proto") or "tcp", 8), normalize_ip(r.get("address")) or "",
                  clip(r.get("process") or r.get("service") or r.get("product"), 300)))
    return InvList("ports", [{"port": p, "proto": pr, "address": a, "process": s} for p, pr, a, s in sorted(rows)])


def antivirus(value: Any) -> InvList:
    rows = []
    for r in _rows(value):
        if not r.get("product"):
            continue
        when = parse_rfc3339_or_none(r.get("signature_time"))
        rows.append({"product": clip(r.get("product"), 300), "running": _bool(r.get("running")),
                     "realtime": _bool(r.get("realtime")),
                     "signature_time": when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None})
    rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
    return InvList("antivirus", rows)


@dataclass
class Device:
    """One LAN device of a scan report."""

    key: str  # mac:aa:bb:.. or ip:10.0.0.5
    ip: str
    mac: str
    name: str
    lists: list[InvList] = field(default_factory=list)


def devices(value: Any) -> list[Device]:
    out: dict[str, Device] = {}
    for r in _rows(value):
        ip = normalize_ip(r.get("ip")) or ""
        mac = normalize_mac(r.get("mac")) or ""
        if not ip and not mac:
            continue
        key = f"mac:{mac}" if mac else f"ip:{ip}"
        names = [clip(n, 200).lower() for n in (r.get("names") or [])[:20] if isinstance(n, str) and n] \
            if isinstance(r.get("names"), list) else []
        device = Device(key, ip, mac, names[0] if names else ip)
        device.lists = [
            InvList("interfaces", [{"name": "", "mac": mac, "ip": ip}]),
            ports(r.get("open_ports")),
            InvList("device", [{"vendor": clip(r.get("vendor"), 300), "names": " ".join(sorted(set(names)))}]),
        ]
        out.setdefault(key, device)
    return list(out.values())


def host_lists(payload: dict[str, Any]) -> list[InvList]:
    """The inventory lists of an audit report's host (absent lists are empty lists: nothing known)."""
    inventory = payload.get("inventory")
    inv = inventory if isinstance(inventory, dict) else {}
    return [software(inv.get("software")), interfaces(inv.get("interfaces")),
            ports(inv.get("listening_ports")), antivirus(inv.get("antivirus"))]
