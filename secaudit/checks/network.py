"""Network view (secaudit scan): unknown devices (VN-DEV-02), risky services reachable from the
network and ports a host's own report says are closed (VN-NET-02).

Pure over a snapshot whose `devices` table came from a scan; `known_devices` is the parsed
known-devices file; `agent_reports` holds what scanned hosts reported about themselves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.policy.ports import ROLES, binding, build_policy, network_policy, parse_allowed, shipped_policy
from secaudit.timefmt import parse_rfc3339

_RANK = {"ok": 0, "warn": 1, "fail": 2}


def describe_device(dev: dict[str, Any]) -> str:
    """'10.0.0.7 (02:00:00:00:00:07, Vendor, name)'."""
    extra = [x for x in (dev.get("mac"), dev.get("vendor"), *(dev.get("names") or [])[:1]) if x]
    return f"{dev.get('ip')}" + (f" ({', '.join(str(x) for x in extra)})" if extra else "")


def scope(snap: Snapshot) -> dict[str, Any]:
    """What the scan covered (targets, ports, scan type), so a reader knows what was not looked at."""
    meta = snap.tables.get("network_scan")
    if not isinstance(meta, dict):
        return {}
    keys = ("targets", "ports", "port_count", "port_scan", "service_detect", "excluded_self")
    return {"scope": {k: meta.get(k) for k in keys if k in meta}}


def _known_index(snap: Snapshot) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    by_mac: dict[str, dict[str, Any]] = {}
    by_ip: dict[str, dict[str, Any]] = {}
    for row in snap.table("known_devices"):
        if row.get("mac"):
            by_mac[str(row["mac"]).lower()] = row
        if row.get("ip"):
            by_ip.setdefault(str(row["ip"]), row)
    return by_mac, by_ip


def known_entry(dev: dict[str, Any], by_mac: dict[str, dict[str, Any]],
                by_ip: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """A device is known by its MAC; one whose MAC a scan cannot see (behind a router) by its IP."""
    mac = str(dev.get("mac") or "").lower()
    if mac:
        return by_mac.get(mac)
    return by_ip.get(str(dev.get("ip")))


# -- network.unknown_devices --------------------------------------------------------------------


@check("network.unknown_devices")
def unknown_devices(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    devices = snap.table("devices")
    by_mac, by_ip = _known_index(snap)
    unknown: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for dev in devices:
        entry = known_entry(dev, by_mac, by_ip)
        if entry is None:
            unknown.append({k: dev.get(k) for k in ("ip", "mac", "vendor", "names", "first_seen", "last_seen",
                                                    "mac_shared_with") if k in dev}
                           | {"identified_by": "mac" if dev.get("mac") else "ip (no MAC visible)",
                              "open_ports": [f"{x.get('proto')}/{x.get('port')}" for x in dev.get("open_ports") or []]})
        elif entry.get("ip") and dev.get("mac") and entry["ip"] != dev.get("ip"):
            moved.append({"mac": dev["mac"], "ip": dev["ip"], "known_ip": entry["ip"], "name": entry.get("name"),
                          "source": entry.get("source")})
    evidence: dict[str, Any] = {"devices": len(devices), "known_entries": len(snap.table("known_devices")),
                                "unknown": unknown, **scope(snap)}
    if moved:
        evidence["address_changed"] = moved
    if unknown:
        return Outcome("warn", "warn", {"n": len(unknown), "total": len(devices),
                                        "devices": [describe_device(d) for d in unknown]}, evidence)
    if not devices:
        # Nothing answered: a scan of the wrong range or a blocked one looks the same as an empty network.
        return Outcome("unknown", "none_found", {}, evidence)
    return Outcome("pass", "pass", {"n": len(devices)}, evidence)


# -- network.risky_exposed ----------------------------------------------------------------------


def _strictest(verdicts: dict[str, str]) -> str:
    return max((verdicts[r] for r in ROLES), key=lambda v: _RANK.get(v, 0))


def _by_name(policy: dict[tuple[str, int], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (proto, _port), entry in policy.items():
        if proto == "tcp":
            out.setdefault(entry["service"], entry)
    return out


# Names that say nothing about which service it is: judged by the port instead. Admin panels
# (Webmin, Cockpit, Proxmox...) are web servers, so -sV reports them as plain http/https.
UNINFORMATIVE = frozenset({"unknown", "tcpwrapped", "http", "https", "ssl", "ssl/http", "ssl/https", "http-alt",
                           "https-alt", "http-proxy", "ssl/unknown"})


def policy_entry(port: dict[str, Any], policy: dict[tuple[str, int], dict[str, Any]],
                 names: dict[str, dict[str, Any]], aliases: dict[str, str]) -> dict[str, Any] | None:
    """The risky-service entry for an open port: by the service nmap identified by probing
    (-sV) when that name is specific, else by the port number."""
    probed = str(port.get("service") or "").lower() if port.get("service_probed") else ""
    if probed and probed not in UNINFORMATIVE:
        name = aliases.get(probed)
        return names.get(name) if name else None  # identified as something that is not risky
    return policy.get((str(port.get("proto") or "tcp"), int(port.get("port") or 0)))


def _describe_exposed(item: dict[str, Any]) -> str:
    product = " ".join(x for x in (item.get("product"), item.get("version")) if x)
    where = f"{item['proto']}/{item['port']}"
    return f"{item['service']} {where}{' ' + product if product else ''} @ {item['ip']}" + (
        f" ({item['mac']})" if item.get("mac") else "")


@check("network.risky_exposed")
def risky_exposed(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    netpol = network_policy()
    policy = build_policy(shipped_policy(), [*(netpol.get("extra_services") or []), *(p.get("extra_services") or [])])
    names = _by_name(policy)
    aliases = {str(k).lower(): str(v) for k, v in (netpol.get("nmap_names") or {}).items()}
    global_allowed, invalid = parse_allowed(list(p.get("allowed") or []))
    by_mac, by_ip = _known_index(snap)
    findings: list[dict[str, Any]] = []
    permitted: list[dict[str, Any]] = []
    open_total = 0
    for dev in snap.table("devices"):
        entry_known = known_entry(dev, by_mac, by_ip)
        role = (entry_known or {}).get("role")
        dev_allowed, dev_invalid = parse_allowed(list((entry_known or {}).get("allowed_ports") or []))
        invalid.extend(dev_invalid)
        for port in dev.get("open_ports") or []:
            open_total += 1
            entry = policy_entry(port, policy, names, aliases)
            if entry is None:
                continue
            verdicts = entry["verdicts"]["exposed"]
            verdict = verdicts[role] if role in ROLES else _strictest(verdicts)
            if verdict == "ok":
                continue
            item = {"ip": dev.get("ip"), "mac": dev.get("mac"), "names": dev.get("names") or [],
                    "proto": port.get("proto", "tcp"), "port": port.get("port"), "service": entry["service"],
                    "detected_service": port.get("service"), "product": port.get("product"),
                    "version": port.get("version"), "category": entry["category"],
                    "category_label": entry["label"], "role": role or "unknown",
                    "role_source": "known_devices" if role else "strictest (role unknown)", "verdict": verdict}
            rule = next((r for r in [*global_allowed, *dev_allowed]
                         if item["proto"] in r[0] and int(item["port"] or 0) in r[1]), None)
            if rule is not None:
                permitted.append({**item, "verdict": "allowed", "note": f"allowed ({rule[2]})"})
            else:
                findings.append(item)
    evidence: dict[str, Any] = {"findings": findings, "allowed": permitted, "open_ports": open_total,
                                "devices": len(snap.table("devices")), **scope(snap)}
    if invalid:
        evidence["invalid_allowed_entries"] = sorted(set(invalid))
    fails = [_describe_exposed(f) for f in findings if f["verdict"] == "fail"]
    warns = [_describe_exposed(f) for f in findings if f["verdict"] == "warn"]
    if fails:
        return Outcome("fail", "fail_and_warn" if warns else "fail", {"fail": fails, "warn": warns}, evidence)
    if warns:
        return Outcome("warn", "warn", {"warn": warns}, evidence)
    if not snap.table("devices"):
        return Outcome("unknown", "no_devices", {}, evidence)  # no device scanned: nothing was reviewed
    return Outcome("pass", "pass", {"n": open_total, "devices": len(snap.table("devices"))}, evidence)


# -- network.port_mismatch ----------------------------------------------------------------------


def _views(snap: Snapshot) -> list[dict[str, Any]]:
    """What hosts say about themselves: --agent-report rows, and this snapshot's own host if it
    carries live listening sockets and interfaces."""
    views = [r for r in snap.table("agent_reports") if isinstance(r, dict)]
    own_ports = snap.tables.get("listening_ports")
    if own_ports is not None and snap.why_unknown("listening_ports") is None and snap.mode != "root":
        ips: list[str] = []
        macs: list[str] = []
        for iface in snap.table("interfaces"):
            macs.append(str(iface.get("mac") or "").lower())
            ips.extend(str(a).split("/", 1)[0] for a in iface.get("ipv4") or [])
        views.append({"file": "(this snapshot)", "hostname": snap.table("host").get("hostname") or "",
                      "generated_at": snap.collected_at, "ips": [i for i in ips if i],
                      "macs": [m for m in macs if m], "listening_ports_known": True, "listening_ports": own_ports})
    return views


def _match(dev: dict[str, Any], views: list[dict[str, Any]]) -> dict[str, Any] | None:
    mac = str(dev.get("mac") or "").lower()
    if mac:
        for v in views:
            if mac in v.get("macs", []):
                return v
    return next((v for v in views if dev.get("ip") in v.get("ips", [])), None)


def _age_hours(view: dict[str, Any], env: Env) -> int | None:
    try:
        return int((env.now - parse_rfc3339(view.get("generated_at"))) / timedelta(hours=1))
    except ValueError:
        return None


def local_state(port: dict[str, Any], ip: str, sockets: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """How the host's own report explains an open port: listening | loopback_only | other_address |
    not_listening; plus the sockets it reported on that port."""
    same = [s for s in sockets if s.get("proto") == port.get("proto") and int(s.get("port") or -1) == port.get("port")]
    shown = [f"{s.get('address')}:{s.get('port')}" + (f" {s['process']}" if s.get("process") else "") for s in same]
    if not same:
        return "not_listening", shown
    kinds = {binding(str(s.get("address", ""))) for s in same}
    if "all" in kinds or any(str(s.get("address")) == ip for s in same):
        return "listening", shown
    if kinds == {"loopback"}:
        return "loopback_only", shown
    v4_specific = [s for s in same if binding(str(s.get("address", ""))) == "specific" and ":" not in str(
        s.get("address"))]
    return ("other_address" if v4_specific else "not_listening"), shown


@check("network.port_mismatch")
def port_mismatch(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    views = _views(snap)
    if not views:
        return Outcome("not_applicable", "no_reports", {}, {"agent_reports": 0})
    max_age = int(p.get("max_report_age_hours", 24))
    mismatches: list[dict[str, Any]] = []
    compared: list[str] = []
    skipped: list[dict[str, Any]] = []
    for dev in snap.table("devices"):
        view = _match(dev, views)
        if view is None:
            continue
        if not view.get("listening_ports_known"):
            skipped.append({"ip": dev.get("ip"), "report": view.get("file"),
                            "reason": f"report mode {view.get('mode') or '?'}: no live listening sockets"})
            continue
        compared.append(str(dev.get("ip")))
        age = _age_hours(view, env)
        stale = age is not None and age > max_age
        for port in dev.get("open_ports") or []:
            state, sockets = local_state(port, str(dev.get("ip")), list(view.get("listening_ports") or []))
            if state == "listening":
                continue
            mismatches.append({"ip": dev.get("ip"), "mac": dev.get("mac"), "port": port.get("port"),
                               "proto": port.get("proto"), "service": port.get("service"), "local_state": state,
                               "local_sockets": sockets, "host": view.get("hostname"), "report": view.get("file"),
                               "report_time": view.get("generated_at"), "report_age_hours": age, "stale": stale})
    evidence: dict[str, Any] = {"compared_hosts": compared, "mismatches": mismatches, "agent_reports": len(views)}
    if skipped:
        evidence["not_compared"] = skipped
    if not compared:
        return Outcome("not_applicable", "no_match", {"n": len(views)}, evidence)
    args = {f"items_{lang}": [_describe_mismatch(m, i) for m in mismatches] for i, lang in enumerate(("vi", "en"))}
    if any(not m["stale"] for m in mismatches):
        return Outcome("fail", "fail", args, evidence)
    if mismatches:
        return Outcome("warn", "warn_stale", {**args, "hours": max_age}, evidence)
    return Outcome("pass", "pass", {"n": len(compared)}, evidence)


_STATE_TEXT = {"not_listening": ("máy báo không lắng nghe", "host reports not listening"),
               "loopback_only": ("máy báo chỉ lắng nghe trên loopback", "host reports loopback only"),
               "other_address": ("máy báo gắn với địa chỉ khác", "host reports another address")}


def _describe_mismatch(m: dict[str, Any], lang: int) -> str:
    where = f"{m['proto']}/{m['port']} @ {m['ip']}" + (f" ({m['mac']})" if m.get("mac") else "")
    return f"{where} [{m['host'] or m['report']}: {_STATE_TEXT[m['local_state']][lang]}]"
