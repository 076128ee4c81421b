"""The network scan (`secaudit scan`) as a domain: which parts of each target are swept by ARP and
which by nmap, the sweep and port scan themselves, and the snapshot with the `devices` table that
the report is built from. Progress goes through secaudit.progress; nothing here prints."""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

from secaudit.i18n import t
from secaudit.progress import Progress, Silent, step


def _now() -> str:
    from secaudit.timefmt import rfc3339

    return rfc3339(time.time())


def _host_table() -> dict[str, Any]:
    import platform

    try:
        osr = platform.freedesktop_os_release()
    except OSError:
        osr = {}
    return {"hostname": socket.gethostname(),
            "os": {"family": "linux" if sys.platform.startswith("linux") else sys.platform,
                   "name": osr.get("PRETTY_NAME"), "version": osr.get("VERSION_ID")},
            "sources": {"hostname": "gethostname()", "os": "/etc/os-release"}}


# -- plan -----------------------------------------------------------------------------------------


def make_plan(chosen: list[Any], ports_text: str, service_detect: bool, host_timeout: int | None) -> dict[str, Any]:
    """Which parts of each target are swept by ARP and which by nmap, and the port scan to run."""
    from secaudit.network import arp, nmapscan
    from secaudit.network.targets import within

    as_root = nmapscan.root()
    attached = arp.attached_networks()
    parts: list[dict[str, Any]] = []
    for target in chosen:
        for net, att in arp.split(target.network, attached):
            ranges = within(target.scan_ranges, net)  # what is left once this machine is cut out
            if not ranges:
                continue
            method = "arp" if att is not None and as_root else "nmap"
            parts.append({"network": net, "ranges": ranges, "target": target, "method": method,
                          "iface": att.iface if att is not None else None})
    ports = nmapscan.port_spec(ports_text)
    return {"targets": chosen, "parts": parts, "ports": ports, "root": as_root, "service_detect": service_detect,
            "host_timeout": host_timeout or (300 if service_detect else nmapscan.DEFAULT_HOST_TIMEOUT),
            "own": sorted({_shown(n) for target in chosen for n in target.own}, key=_sort_key)}


def own_networks() -> list[Any]:
    """This machine's addresses (secaudit.network.own) and those of the interfaces the plan sweeps."""
    import ipaddress

    from secaudit.network import arp, own

    nets: list[Any] = list(own.own_addresses().networks)
    nets += [ipaddress.ip_network(a.address) for a in arp.attached_networks()]
    return nets


def _shown(net: Any) -> str:
    """A /32 as its address, a range as CIDR."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def _sort_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("/")[0].split("."))


def plan_json(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan for --dry-run --format json: what would be swept, how, and what is left out."""
    return {
        "targets": [{"network": str(t.network), "origin": t.origin, "outside_config": t.outside_config,
                     "ranges": [str(r) for r in t.scan_ranges], "own": [_shown(n) for n in t.own]}
                    for t in plan["targets"]],
        "parts": [{"network": str(p["network"]), "ranges": [str(r) for r in p["ranges"]], "method": p["method"],
                   "iface": p["iface"]} for p in plan["parts"]],
        "own": plan["own"], "ports": plan["ports"].label, "port_count": plan["ports"].count, "root": plan["root"],
    }


# -- scan -----------------------------------------------------------------------------------------


def run_scan(plan: dict[str, Any], config: Any, known_rows: list[dict[str, Any]] | None,
             agent_rows: list[dict[str, Any]], lookup_names: bool, lang: str = "en",
             progress: Progress | None = None) -> Any:
    """Discovery, port scan and names; returns the snapshot (mode local) with the `devices` table.
    Each phase is a step of `progress`; a failed ARP sweep is one of its notes."""
    import threading

    from secaudit.facts.model import Snapshot
    from secaudit.network import arp, inventory, names, nmapscan, oui
    from secaudit.network.own import Own
    from secaudit.network.targets import hosts_of

    progress = progress or Silent()
    started = time.monotonic()
    collected_at = _now()
    own = set(plan["own"])  # shown in the report; the plan's ranges already leave them out
    mine = Own(tuple(own_networks()))  # and whatever answers, this machine is never a device
    found: dict[str, inventory.Discovered] = {}
    commands: list[str] = []
    for part in plan["parts"]:
        net = part["network"]
        if part["method"] == "arp":
            with step(progress, t("scan.phase_arp", lang, net=net)):
                addresses = [str(ip) for ip in hosts_of(net) if any(ip in r for r in part["ranges"])]
                try:
                    swept = arp.arp_sweep(part["iface"], addresses)
                except OSError as exc:  # interface gone or raw sockets refused: nmap can still look
                    progress.note(t("scan.arp_failed", lang, iface=part["iface"], why=exc.strerror or exc))
                    part["method"] = "nmap"
                else:
                    for ip, mac in swept.items():
                        found.setdefault(ip, inventory.Discovered(ip, mac, "arp", f"arp {part['iface']}"))
        if part["method"] != "arp":
            with step(progress, t("scan.phase_ping", lang, net=net)):
                run = nmapscan.discover([str(r) for r in part["ranges"]],
                                        sum(r.num_addresses for r in part["ranges"]), plan["root"])
                commands.append(run.command)
                for ip, host in run.hosts.items():
                    if not mine.contains(ip) and not host.timed_out:
                        found.setdefault(ip, inventory.Discovered(ip, host.mac, "nmap", "nmap -sn"))
    live = sorted(found, key=lambda a: tuple(int(x) for x in a.split(".")))
    discovery_ms = int((time.monotonic() - started) * 1000)

    found_names: dict[str, list[str]] = {}
    worker = threading.Thread(target=lambda: found_names.update(names.lookup(live)), daemon=True, name="names")
    if lookup_names and live:
        worker.start()  # names resolve while nmap scans
    scans: dict[str, nmapscan.HostScan] = {}
    port_run = None
    if live:
        with step(progress, t("scan.phase_ports", lang, n=len(live))):
            port_run = nmapscan.port_scan(live, plan["ports"], plan["root"], plan["service_detect"],
                                          plan["host_timeout"])
        commands.append(port_run.command)
        scans = port_run.hosts
    if worker.is_alive():
        worker.join(5.0)

    oui_source, oui_table = oui.database()
    rows = inventory.build_rows(found, scans, found_names, oui_table, oui_source, collected_at)
    inventory.remember(rows, inventory.state_path(config), collected_at)

    tables: dict[str, Any] = {
        "host": _host_table(),
        "devices": rows,
        "network_scan": {
            "targets": [{"network": str(target.network), "origin": target.origin, "hosts": target.host_count,
                         "outside_config": target.outside_config} for target in plan["targets"]],
            "discovery": [{"network": str(p["network"]), "method": p["method"], "iface": p["iface"]}
                          for p in plan["parts"]],
            "ports": plan["ports"].label, "port_count": plan["ports"].count,
            "port_scan": "syn" if plan["root"] else "connect", "service_detect": plan["service_detect"],
            "host_timeout_s": plan["host_timeout"], "excluded_self": sorted(own),
            "nmap_commands": commands, "nmap_version": port_run.nmap_version if port_run else "",
            "oui_file": oui_source or None, "discovery_ms": discovery_ms,
            "port_scan_ms": port_run.elapsed_ms if port_run else 0,
            "duration_ms": int((time.monotonic() - started) * 1000),
        },
    }
    unknown: dict[str, Any] = {}
    if known_rows is None:
        unknown["known_devices"] = {"code": "not_found", "detail": "known_devices (--known FILE)"}
    else:
        tables["known_devices"] = known_rows
    if agent_rows:
        tables["agent_reports"] = agent_rows
    return Snapshot(collected_at=collected_at, mode="local", tables=tables, unknown=unknown,
                    duration_ms=int((time.monotonic() - started) * 1000))
