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
from collections import OrderedDict
from collections.abc import Callable
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


_MEMO: OrderedDict[tuple[str, str], str] = OrderedDict()  # (kind, SHA-256 of the list as signed) -> sha256
MEMO_MAX = 50_000


class InvList:
    """A normalised inventory list and its content hash. Built lazily when `raw` (the SHA-256 of the list's
    canonical JSON in the payload) is given: an unchanged host's list is then recognised by that digest,
    without normalising hundreds of rows again (the rows are built only for a list never stored)."""

    def __init__(self, kind: str, rows: list[dict[str, Any]] | None = None, *,
                 build: Callable[[], list[dict[str, Any]]] | None = None, raw: str | None = None) -> None:
        self.kind = kind
        self._rows, self._build, self._raw = rows, build, raw
        self._sha: str | None = None

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = self._build() if self._build is not None else []
        return self._rows

    @property
    def sha256(self) -> str:
        if self._sha is None:
            key = (self.kind, self._raw) if self._raw else None
            if key is not None and key in _MEMO:
                _MEMO.move_to_end(key)
                self._sha = _MEMO[key]
                return self._sha
            text = json.dumps([self.kind, self.rows], ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                              default=str)
            self._sha = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
            if key is not None:
                _MEMO[key] = self._sha
                if len(_MEMO) > MEMO_MAX:
                    _MEMO.popitem(last=False)
        return self._sha


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


_HOST_LISTS: tuple[tuple[str, str, Callable[[Any], InvList]], ...] = (
    ("software", "software", software), ("interfaces", "interfaces", interfaces),
    ("ports", "listening_ports", ports), ("antivirus", "antivirus", antivirus))


def host_lists(payload: dict[str, Any], raw: dict[int, str] | None = None) -> list[InvList]:
    """The inventory lists of an audit report's host (absent lists are empty lists: nothing known). `raw`:
    SHA-256 of the lists' canonical JSON by id() of the payload's list (envelopes.pack computes them)."""
    inventory = payload.get("inventory")
    inv = inventory if isinstance(inventory, dict) else {}
    out = []
    for kind, key, make in _HOST_LISTS:
        value = inv.get(key)
        digest = (raw or {}).get(id(value)) if isinstance(value, list) else None
        if digest is None:
            out.append(make(value))
        else:
            out.append(InvList(kind, build=lambda make=make, value=value: make(value).rows, raw=digest))  # type: ignore[misc]
    return out
