"""nmap through python-nmap: host discovery where ARP cannot be used, and the port scan.

Timing is chosen so a host that drops every packet cannot stall the scan: -T4 (short
round-trip timeouts), --max-retries 2, and --host-timeout as a hard cap per host.
"""

from __future__ import annotations

import math
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from secaudit.errors import SecauditError

SERVICES_FILE = "/usr/share/nmap/nmap-services"
PRESETS = {"top100": 100, "top1000": 1000}
DISCOVERY_PROBES_ROOT = ["-PE", "-PS22,80,443,445,3389", "-PA80"]
DISCOVERY_PROBES_USER = ["-PS22,80,443,445,3389"]  # ICMP and ACK probes need raw sockets
TIMING = ["-T4", "--max-retries", "2"]
DEFAULT_HOST_TIMEOUT = 120  # seconds per host; -sV gets more (it waits for banners)


class NmapError(SecauditError):
    pass


@dataclass(frozen=True)
class PortSpec:
    ports: tuple[int, ...]  # empty when the list is left to nmap (--top-ports)
    label: str  # what the operator asked for, for the plan and the report
    args: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.ports) or int(self.args[-1])


@dataclass
class HostScan:
    ip: str
    mac: str | None = None
    vendor: str | None = None  # nmap's own guess, used only when the OUI file has none
    open_ports: list[dict[str, Any]] = field(default_factory=list)
    timed_out: bool = False
    hostname: str | None = None


@dataclass
class ScanRun:
    hosts: dict[str, HostScan]
    command: str
    elapsed_ms: int
    nmap_version: str = ""
    warnings: list[str] = field(default_factory=list)


# -- ports ---------------------------------------------------------------------------------------


def root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@cache
def top_tcp_ports(n: int, path: str = SERVICES_FILE) -> tuple[int, ...]:
    """nmap's N most common TCP ports, by the frequency column of nmap-services (as --top-ports)."""
    rows: list[tuple[float, int]] = []
    from secaudit import limits
    from secaudit.fsutil import TooLarge, read_capped

    try:  # nmap's data file: regular and capped like every file read
        text = read_capped(path, limits.PACKAGE_DB).decode("utf-8", errors="replace")
    except (OSError, TooLarge):
        return ()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or line.startswith("#") or not parts[1].endswith("/tcp"):
            continue
        try:
            rows.append((float(parts[2]), int(parts[1].split("/", 1)[0])))
        except ValueError:
            continue
    rows.sort(key=lambda r: (-r[0], r[1]))
    return tuple(sorted(port for _, port in rows[:n]))


def policy_tcp_ports() -> tuple[int, ...]:
    """TCP ports of every risky service the checks judge, so they are always scanned."""
    from secaudit.policy.ports import scan_tcp_ports

    return scan_tcp_ports()


def parse_port_list(text: str) -> tuple[int, ...]:
    ports: set[int] = set()
    for item in text.replace(" ", "").split(","):
        if not item:
            continue
        low_text, _, high_text = item.partition("-")
        try:
            low, high = int(low_text), int(high_text or low_text)
        except ValueError:
            raise _bad_ports(text) from None
        if not 1 <= low <= high <= 65535:
            raise _bad_ports(text)
        ports.update(range(low, high + 1))
    if not ports:
        raise _bad_ports(text)
    return tuple(sorted(ports))


def _bad_ports(text: str) -> NmapError:
    return NmapError(
        f"Danh sách cổng '{text}' không hợp lệ: dùng top100, top1000 hoặc danh sách như 22,80,443,8000-8100.",
        f"Port list '{text}' is not valid: use top100, top1000 or a list such as 22,80,443,8000-8100.")


def port_spec(text: str) -> PortSpec:
    """top100 / top1000: nmap's most common TCP ports plus the policy's risky ports; or a list."""
    key = text.strip().lower()
    if key in PRESETS:
        top = top_tcp_ports(PRESETS[key])
        if not top:  # no nmap-services to read: let nmap pick (the risky extras are then not added)
            return PortSpec((), key, ("--top-ports", str(PRESETS[key])))
        ports = tuple(sorted(set(top) | set(policy_tcp_ports())))
    else:
        ports = parse_port_list(text)
    return PortSpec(ports, key, ("-p", "T:" + compact(ports)))


def compact(ports: Sequence[int]) -> str:
    """[21, 22, 23, 80] -> '21-23,80'."""
    out: list[str] = []
    items = sorted(set(ports))
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(out)


# -- arguments -----------------------------------------------------------------------------------


def discovery_args(as_root: bool, host_timeout: int = 30) -> list[str]:
    probes = DISCOVERY_PROBES_ROOT if as_root else DISCOVERY_PROBES_USER
    return ["-sn", *probes, "-n", *TIMING, "--host-timeout", f"{host_timeout}s"]


def scan_args(as_root: bool, ports: PortSpec, service_detect: bool, host_timeout: int) -> list[str]:
    # No --open: with it nmap leaves out hosts without open ports, which then cannot be told
    # apart from hosts it never finished.
    args = ["-sS" if as_root else "-sT", "-Pn", "-n", *TIMING, "--host-timeout", f"{host_timeout}s", *ports.args]
    if service_detect:
        args.append("-sV")
    return args


# -- running and parsing -------------------------------------------------------------------------


def _scanner() -> Any:
    import nmap

    try:
        return nmap.PortScanner()
    except nmap.PortScannerError:
        raise NmapError("Không tìm thấy nmap: hãy cài đặt (sudo apt install nmap).",
                        "nmap was not found: install it (sudo apt install nmap).") from None


def run(hosts: Sequence[str], args: Sequence[str], timeout: int) -> ScanRun:
    """Run nmap on `hosts` with `args`; `timeout` is an outer safety net in seconds."""
    import nmap

    scanner = _scanner()
    started = time.monotonic()
    try:
        result = scanner.scan(hosts=" ".join(hosts), arguments=" ".join(args), timeout=timeout)
    except nmap.PortScannerTimeout:
        raise NmapError(f"nmap chạy quá {timeout} giây và đã bị dừng.",
                        f"nmap ran longer than {timeout} seconds and was stopped.") from None
    except nmap.PortScannerError as exc:
        msg = str(exc).strip().replace("\n", " ")[:300]
        raise NmapError(f"nmap báo lỗi: {msg}", f"nmap failed: {msg}") from None
    except Exception as exc:  # python-nmap's XML analysis on output shaped by what the devices answered
        raise _unreadable(exc) from None
    elapsed = int((time.monotonic() - started) * 1000)
    xml = scanner.get_nmap_last_output()
    try:
        found = parse(result, xml)
    except NmapError:
        raise
    except Exception as exc:
        raise _unreadable(exc) from None
    run_ = ScanRun(found, str(result.get("nmap", {}).get("command_line", "")), elapsed, _version(scanner))
    warning = result.get("nmap", {}).get("scaninfo", {}).get("warning")
    if warning:
        run_.warnings = [w for w in (warning if isinstance(warning, list) else [warning]) if w]
    return run_


def _unreadable(exc: Exception) -> NmapError:
    return NmapError(f"Không đọc được kết quả của nmap ({type(exc).__name__}).",
                     f"nmap's output could not be read ({type(exc).__name__}).")


def _version(scanner: Any) -> str:
    try:
        major, minor = scanner.nmap_version()
        return f"{major}.{minor}"
    except (TypeError, ValueError):
        return ""


def parse_xml(xml: str | bytes) -> dict[str, HostScan]:
    """Recorded `nmap -oX` output -> hosts, through python-nmap's own parser (as a live run)."""
    import nmap

    # analyse_nmap_xml_scan only needs the instance to store results: skip __init__, which
    # looks for the nmap binary (not needed to read a recording).
    scanner = nmap.PortScanner.__new__(nmap.PortScanner)
    try:
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        result = scanner.analyse_nmap_xml_scan(text)
    # python-nmap trusts nmap's XML: a damaged file trips it with any of these. Its own error
    # carries the whole file, which is never echoed.
    except (nmap.PortScannerError, ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError):
        raise NmapError("Không đọc được kết quả XML của nmap (tệp hỏng hoặc không phải của nmap).",
                        "The nmap XML output cannot be read (damaged, or not from nmap).") from None
    return parse(result, text)


def parse(result: dict[str, Any], xml: str | bytes) -> dict[str, HostScan]:
    """python-nmap's result dict (plus the raw XML for the timedout flag) -> {ip: HostScan}."""
    out: dict[str, HostScan] = {}
    for ip, info in (result.get("scan") or {}).items():
        if (info.get("status") or {}).get("state") != "up":
            continue
        addresses = info.get("addresses") or {}
        mac = addresses.get("mac")
        host = HostScan(ip=str(addresses.get("ipv4") or ip), mac=mac.lower() if mac else None)
        vendors = info.get("vendor") or {}
        if mac and vendors:
            host.vendor = vendors.get(mac) or next(iter(vendors.values()), None)
        names = [h.get("name") for h in info.get("hostnames") or [] if h.get("name")]
        host.hostname = names[0] if names else None
        for proto in ("tcp", "udp"):
            for port, p in sorted((info.get(proto) or {}).items()):
                if p.get("state") != "open":
                    continue
                host.open_ports.append({
                    "port": int(port), "proto": proto,
                    "service": p.get("name") or None,
                    "product": p.get("product") or None,
                    "version": p.get("version") or None,
                    "extrainfo": p.get("extrainfo") or None,
                    # conf 10: identified by probing (-sV); 3: only guessed from the port number
                    "service_probed": _int(p.get("conf")) >= 5,
                })
        out[host.ip] = host
    for ip in timed_out_hosts(xml):
        if ip in out:
            out[ip].timed_out = True
        else:
            out[ip] = HostScan(ip=ip, timed_out=True)
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def timed_out_hosts(xml: str | bytes) -> list[str]:
    """Hosts nmap gave up on (--host-timeout): python-nmap drops this flag."""
    if not xml:
        return []
    try:
        root_el = ET.fromstring(xml)
    except ET.ParseError:
        return []
    out: list[str] = []
    for host in root_el.iter("host"):
        if host.get("timedout") == "true":
            addr = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None)
            if addr:
                out.append(addr)
    return out


def outer_timeout(n_hosts: int, host_timeout: int) -> int:
    """nmap scans hosts in parallel groups; this ceiling is only there so nothing waits forever."""
    return host_timeout * max(1, math.ceil(n_hosts / 8)) + 60


def discover(networks: Sequence[str], n_addresses: int, as_root: bool) -> ScanRun:
    return run(networks, discovery_args(as_root), 60 + n_addresses // 10)


def port_scan(ips: Sequence[str], ports: PortSpec, as_root: bool, service_detect: bool,
              host_timeout: int) -> ScanRun:
    return run(ips, scan_args(as_root, ports, service_detect, host_timeout), outer_timeout(len(ips), host_timeout))
