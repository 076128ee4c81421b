"""Anti-malware on Windows: Microsoft Defender (Get-MpComputerStatus), the products Windows Security Center knows
(SecurityCenter2 AntiVirusProduct, productState decoded) and, where SecurityCenter2 does not exist (Windows
Server) or says nothing of a product, the vendor catalogue's Windows services (secaudit/data/antivirus.yaml, the
catalogue Linux uses) matched against Get-Service.

productState is undocumented; the community decoding used (0xPPSSGG) is in windows-facts.md: bits 12-15 the state
(0 off, 1 on, 2 snoozed, 3 expired), bits 8-11 the owner (1: Microsoft), bits 4-7 the signatures (0 up to date)."""

from __future__ import annotations

import fnmatch
from functools import cache
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.model import AntivirusRow
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import NEVER, as_bool, as_int, ps_time, rows
from secaudit.resources import load_data
from secaudit.timefmt import rfc3339

DEFENDER = "defender"
MP = "Get-MpComputerStatus"
SC2 = "SecurityCenter2 AntiVirusProduct"
RUNNING, AUTOMATIC = 4, 2  # ServiceControllerStatus.Running, ServiceStartMode.Automatic
PROTECTING_MODES = ("Normal", "EDR Block Mode")
MODES = ("Normal", "Passive Mode", "SxS Passive Mode", "EDR Block Mode", "Not running")


def decode_state(state: int) -> dict[str, Any]:
    """productState -> on (bool), state name, Microsoft's own product, signatures up to date."""
    code = (state >> 12) & 0xF
    return {"on": code == 1, "state": {0: "off", 1: "on", 2: "snoozed", 3: "expired"}.get(code, "unknown"),
            "microsoft": (state >> 8) & 0xF == 1, "up_to_date": (state >> 4) & 0xF == 0}


@cache
def windows_catalogue() -> list[tuple[str, dict[str, Any], str]]:
    """(row id, the product's windows: entry, vendor) for every product of the catalogue Linux reads too
    (secaudit/data/antivirus.yaml) that has a Windows side."""
    data = load_data("antivirus.yaml")
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, dict):
        raise ValueError("antivirus.yaml: 'products' must be a mapping")
    out = []
    for pid, spec in products.items():
        win = spec.get("windows")
        if isinstance(win, dict) and win.get("product"):
            out.append((str(win.get("id") or pid), win, str(spec["vendor"])))
    return out


def _match(patterns: Any, value: str) -> bool:
    return isinstance(patterns, list) and any(fnmatch.fnmatchcase(value.casefold(), str(p).casefold())
                                              for p in patterns)


def _base(pid: str, product: str, vendor: str | None, source: str) -> AntivirusRow:
    row: AntivirusRow = {"id": pid, "product": product, "installed": True, "running": None,
                         "running_processes": [], "realtime": None, "realtime_source": None,
                         "signature_time": None, "signature_source": None, "signatures_found": None,
                         "updater_running": None, "updater_scheduled": None, "updater_enabled": None,
                         "updater_source": None, "last_scan_time": None, "last_scan_source": None,
                         "managed": None, "managed_source": None, "enabled_units": [], "markers": [source],
                         "source": source}
    if vendor:
        row["vendor"] = vendor
    return row


def _age_time(ctx: FactContext, days: Any) -> str | None:
    n = as_int(days)
    return None if n is None or n < 0 or n >= NEVER or n > 36500 else rfc3339(ctx.now - n * 86400)


def defender_row(ctx: FactContext, mp: dict[str, Any]) -> AntivirusRow:
    row = _base(DEFENDER, "Microsoft Defender Antivirus", "Microsoft", MP)
    mode = mp.get("AMRunningMode")
    mode = mode.strip() if isinstance(mode, str) and mode.strip() in MODES else None
    service, av, rtp = (as_bool(mp.get(k)) for k in ("AMServiceEnabled", "AntivirusEnabled",
                                                     "RealTimeProtectionEnabled"))
    if mode is not None:  # passive: installed and running, but another product protects the machine
        row["running"] = mode in PROTECTING_MODES
    elif service is not None:  # before AMRunningMode existed (2013-era Defender)
        row["running"] = bool(service and av)
    row["realtime"] = None if rtp is None else bool(rtp and row["running"] is not False)
    row["realtime_source"] = f"{MP} RealTimeProtectionEnabled" + (f", AMRunningMode {mode}" if mode else "")
    row["signature_time"] = ps_time(mp.get("AntivirusSignatureLastUpdated"))
    if row["signature_time"]:
        row["signature_source"] = f"{MP} AntivirusSignatureLastUpdated"
    else:
        row["signature_time"] = _age_time(ctx, mp.get("AntivirusSignatureAge"))
        row["signature_source"] = f"{MP} AntivirusSignatureAge" if row["signature_time"] else None
    row["signatures_found"] = bool(mp.get("AntivirusSignatureVersion")) or None
    row["updater_scheduled"] = True  # Defender's signatures come through Windows Update / its own schedule
    row["updater_source"] = "Windows Update (Defender security intelligence updates)"
    scans = [t for t in (ps_time(mp.get("QuickScanEndTime")), ps_time(mp.get("FullScanEndTime"))) if t]
    if scans:
        row["last_scan_time"], row["last_scan_source"] = max(scans), f"{MP} QuickScanEndTime, FullScanEndTime"
    else:
        ages = [a for a in (as_int(mp.get("QuickScanAge")), as_int(mp.get("FullScanAge")))
                if a is not None and 0 <= a < NEVER]
        if ages:  # 4294967295: never scanned
            row["last_scan_time"] = _age_time(ctx, min(ages))
            row["last_scan_source"] = f"{MP} QuickScanAge, FullScanAge (days)"
    row["running_mode"] = mode
    row["tamper_protected"] = as_bool(mp.get("IsTamperProtected"))
    row["signatures_out_of_date"] = as_bool(mp.get("DefenderSignaturesOutOfDate"))
    return row


def _apply_state(row: AntivirusRow, state: int) -> None:
    s = decode_state(state)
    row["product_state"] = state
    where = f"{SC2} productState {state} (0x{state:06X}: {s['state']}, signatures "
    where += "up to date)" if s["up_to_date"] else "out of date)"
    if row.get("running") is None:
        row["running"] = s["on"]
    row["realtime"], row["realtime_source"] = s["on"], where
    if row.get("signatures_out_of_date") is None:
        row["signatures_out_of_date"] = not s["up_to_date"]


def _services(ctx: FactContext) -> list[dict[str, Any]] | None:
    return ctx.memo("windows.services", lambda: rows(ctx, "services", "antivirus.services"))


def _service_evidence(row: AntivirusRow, win: dict[str, Any], services: list[dict[str, Any]]) -> bool:
    """Fill running/enabled_units/managed from the product's services; whether any was found."""
    mine = [s for s in services if isinstance(s.get("Name"), str) and _match(win.get("services"), s["Name"])]
    if not mine:
        return False
    running = [s["Name"] for s in mine if as_int(s.get("Status")) == RUNNING]
    row["markers"] = list(dict.fromkeys([*row["markers"], *(f"service {s['Name']}" for s in mine)]))
    row["enabled_units"] = [s["Name"] for s in mine if as_int(s.get("StartType")) == AUTOMATIC]
    row["running_processes"] = [f"service {n} (running)" for n in running[:5]]
    if row.get("running") is None:
        row["running"] = bool(running)
    if not running and row.get("running"):
        row["running"] = False  # its services are stopped, whatever an older status says
    agents = [s for s in services if isinstance(s.get("Name"), str) and _match(win.get("management"), s["Name"])]
    if agents:
        up = [s["Name"] for s in agents if as_int(s.get("Status")) == RUNNING]
        row["managed"] = bool(up)
        row["managed_source"] = f"management agent service {(up or [agents[0]['Name']])[0]}" + (
            "" if up else " (stopped)")
    elif win.get("management"):
        row["managed"], row["managed_source"] = False, "no management agent service found"
    return True


@collector("antivirus", ("antivirus",))
def collect_antivirus(ctx: FactContext) -> None:
    found: dict[str, AntivirusRow] = {}
    mp = rows(ctx, "defender_status", "antivirus.defender")
    if mp:
        found[DEFENDER] = defender_row(ctx, mp[0])
    products = rows(ctx, "av_products", "antivirus.security_center")
    cat = windows_catalogue()
    for item in products or []:
        name, state = item.get("displayName"), as_int(item.get("productState"))
        if not isinstance(name, str) or not name.strip():
            continue
        name = name.strip()
        pid, win, vendor = next(((p, w, v) for p, w, v in cat if _match(w.get("names"), name)),
                                ("", {}, None))
        if pid == DEFENDER or (not pid and state is not None and decode_state(state)["microsoft"]):
            pid = DEFENDER
            row = found.setdefault(DEFENDER, _base(DEFENDER, "Microsoft Defender Antivirus", "Microsoft", SC2))
        else:
            pid = pid or "sc2:" + name.casefold()
            row = found.setdefault(pid, _base(pid, name, vendor, f"{SC2} {name}"))
            path = item.get("pathToSignedProductExe")
            if isinstance(path, str) and path:
                row["markers"].append(path)
        if state is not None and state >= 0:
            _apply_state(row, state)
    services = _services(ctx)
    for pid, win, vendor in cat:
        if services is None:
            break
        row = found.get(pid) or _base(pid, str(win["product"]), vendor, "Get-Service")
        if _service_evidence(row, win, services) and pid not in found:
            row["source"] = row["markers"][1] if len(row["markers"]) > 1 else row["source"]
            row["markers"] = row["markers"][1:] or row["markers"]
            if products is None:
                row["realtime_source"] = "not observable: no SecurityCenter2 (Windows Server) and no status command"
            found[pid] = row
    if mp is None and products is None and services is None:  # never "no antivirus" when nothing answered
        ctx.unknown("antivirus", "not_found", "neither Defender, SecurityCenter2 nor the services could be read")
        return
    for row in found.values():
        if row["running"] is False and row["realtime"]:
            row["realtime"], row["realtime_source"] = False, f"product not running; {row['realtime_source']}"
    ctx.put("antivirus", sorted(found.values(), key=lambda r: (r["id"] != DEFENDER, r["id"])))


__all__ = ["collect_antivirus", "decode_state", "defender_row", "windows_catalogue"]
