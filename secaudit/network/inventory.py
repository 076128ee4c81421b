"""Device rows for the `devices` table, and when each device was first and last seen.

First/last seen live in `devices.json` under the agent's state directory, keyed by MAC
(or by IP for devices behind a router, whose MAC a scan cannot see).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secaudit.errors import SecauditError
from secaudit.fsutil import lock, replace
from secaudit.network import oui
from secaudit.network.nmapscan import HostScan

STATE_FILE = "devices.json"
STATE_SCHEMA = "secaudit.devices/v1"


@dataclass
class Discovered:
    ip: str
    mac: str | None
    method: str  # arp | nmap
    source: str  # "arp eth0" | "nmap -sn -PE ..."


def device_key(ip: str, mac: str | None) -> str:
    return f"mac:{mac}" if mac else f"ip:{ip}"


def build_rows(found: Mapping[str, Discovered], scans: Mapping[str, HostScan], names: Mapping[str, list[str]],
               oui_table: dict[str, str], oui_source: str, now: str) -> list[dict[str, Any]]:
    """One row per live device, sorted by address; first/last seen are filled by `remember`."""
    rows: list[dict[str, Any]] = []
    for ip in sorted(found, key=lambda a: int(ipaddress.IPv4Address(a))):
        disc = found[ip]
        scan = scans.get(ip)
        mac = disc.mac or (scan.mac if scan else None)
        vendor = oui.vendor(mac, oui_table) if mac else None
        vendor_source = oui_source if vendor else None
        if mac and vendor is None and scan and scan.vendor:
            vendor, vendor_source = scan.vendor, "nmap"
        host_names = list(names.get(ip, []))
        if scan and scan.hostname and scan.hostname not in host_names:
            host_names.insert(0, scan.hostname)
        rows.append({
            "ip": ip,
            "mac": mac,
            "vendor": vendor,
            "vendor_source": vendor_source,
            "mac_locally_administered": oui.locally_administered(mac) if mac else None,
            "names": host_names,
            "open_ports": [dict(p) for p in scan.open_ports] if scan else [],
            "port_scan": "not_scanned" if scan is None else ("timeout" if scan.timed_out else "complete"),
            "discovered_by": disc.method,
            "first_seen": now,
            "last_seen": now,
            "source": disc.source,
        })
    mark_shared_macs(rows)
    return rows


PROXY_ARP_MIN = 8  # one MAC answering for this many addresses is a router, not that many devices


def mark_shared_macs(rows: list[dict[str, Any]]) -> None:
    """A MAC seen on several addresses (IP aliases, or a router answering ARP for others):
    each such row lists the other addresses, so nobody counts one box as many."""
    by_mac: dict[str, list[str]] = {}
    for row in rows:
        if row.get("mac"):
            by_mac.setdefault(str(row["mac"]), []).append(str(row["ip"]))
    for row in rows:
        ips = by_mac.get(str(row.get("mac") or ""), [])
        if len(ips) > 1:
            row["mac_shared_with"] = [ip for ip in ips if ip != row["ip"]]


def proxy_arp_suspects(rows: list[dict[str, Any]]) -> dict[str, int]:
    """{mac: address count} for MACs that answered for at least PROXY_ARP_MIN addresses."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.get("mac"):
            counts[str(row["mac"])] = counts.get(str(row["mac"]), 0) + 1
    return {mac: n for mac, n in counts.items() if n >= PROXY_ARP_MIN}


def state_path(config: Any) -> Path:
    from secaudit.state import state_dir

    return state_dir(config) / STATE_FILE


def preflight(path: Path) -> None:
    """Before a scan: a corrupt or unwritable state file stops the command here, untouched,
    rather than after minutes of scanning."""
    _read(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    if not os.access(path.parent, os.W_OK):
        raise _unwritable(path, PermissionError(13, "Permission denied"))


def _unwritable(path: Path, exc: OSError) -> SecauditError:
    return SecauditError(f"Không ghi được danh sách thiết bị đã thấy vào {path}: {exc.strerror}.",
                         f"Cannot write the seen-devices state to {path}: {exc.strerror}.")


def remember(rows: list[dict[str, Any]], path: Path, now: str) -> None:
    """Set first_seen from the state file (now for new devices) and store last_seen = now."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(directory / ".devices.lock", "a+") as held:
            lock(held)
            state = _read(path)
            known: dict[str, Any] = state["devices"]
            for row in rows:
                key = device_key(row["ip"], row.get("mac"))
                entry = known.get(key) or {}
                row["first_seen"] = str(entry.get("first_seen") or now)
                known[key] = {"first_seen": row["first_seen"], "last_seen": now, "ip": row["ip"],
                              "mac": row.get("mac")}
            data = {"schema": STATE_SCHEMA, "devices": dict(sorted(known.items()))}
            replace(path, json.dumps(data, indent=1).encode(), 0o600, exact=True)
    except OSError as exc:
        raise _unwritable(path, exc) from exc


def _read(path: Path) -> dict[str, Any]:
    """The seen-devices state; a damaged one stops the scan and is never written over."""
    from secaudit import inputs

    data = inputs.load_state(path)
    if data is None:
        return {"schema": STATE_SCHEMA, "devices": {}}
    if not isinstance(data, dict) or not isinstance(data.get("devices"), dict):
        raise inputs.corrupt(SecauditError, "state", path, f"không đúng định dạng {STATE_SCHEMA}",
                             f"not a {STATE_SCHEMA} file")
    for key, entry in data["devices"].items():
        if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str | None)
                                                  for f in ("first_seen", "last_seen", "ip", "mac")):
            raise inputs.corrupt(SecauditError, "state", path, f"mục devices.{key[:80]} sai định dạng",
                                 f"entry devices.{key[:80]} is malformed")
    return data
