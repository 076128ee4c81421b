"""The risky-port policy: which listening services are risky, per role and binding. The policy is data
(data/risky_ports.yaml); both sides read it here: the check judging listening ports and the network scanner
choosing which ports to scan.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

VERDICTS = ("fail", "warn", "ok")
ROLES = ("server", "workstation", "lab")


class PolicyError(ValueError):
    pass


def _port_range(value: Any, where: str) -> range:
    text = str(value).strip()
    first, _, last = text.partition("-")
    try:
        lo, hi = int(first), int(last or first)
    except ValueError:
        raise PolicyError(f"{where}: '{value}' is not a port or a port range") from None
    if not 0 < lo <= hi <= 65535:
        raise PolicyError(f"{where}: '{value}' is out of range 1-65535")
    return range(lo, hi + 1)


def build_policy(data: Any, extra: list[dict[str, Any]] | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    """(proto, port) -> {service, category, verdicts{binding: {role: verdict}}, label{vi,en}}."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise PolicyError("risky_ports: 'categories' mapping missing")
    cats: dict[str, Any] = data["categories"]
    for name, cat in cats.items():
        for binding in ("exposed", "loopback"):
            table = (cat or {}).get(binding)
            if not isinstance(table, dict) or set(table) != set(ROLES) or not set(table.values()) <= set(VERDICTS):
                raise PolicyError(f"risky_ports: categories.{name}.{binding} needs {ROLES} -> {VERDICTS}")
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for i, svc in enumerate([*(data.get("services") or []), *(extra or [])]):
        where = f"risky_ports: services[{i}]"
        if not isinstance(svc, dict) or svc.get("category") not in cats or not svc.get("service"):
            raise PolicyError(f"{where}: needs service and a known category")
        proto = svc.get("proto", "tcp")
        protos = ("tcp", "udp") if proto == "both" else (proto,)
        if not set(protos) <= {"tcp", "udp"}:
            raise PolicyError(f"{where}: proto must be tcp, udp or both")
        cat = cats[svc["category"]]
        entry = {"service": str(svc["service"]), "category": svc["category"],
                 "label": {"vi": cat["vi"], "en": cat["en"]},
                 "verdicts": {"exposed": cat["exposed"], "loopback": cat["loopback"]}}
        specs = svc.get("ports") or []
        if not isinstance(specs, list):  # "22" would be read character by character
            raise PolicyError(f"{where}: ports must be a list such as [22] or [\"5900-5910\"]")
        for spec in specs:
            for port in _port_range(spec, where):
                for pr in protos:
                    out[(pr, port)] = entry  # later entries (params) override the shipped ones
    return out


@cache
def shipped_policy() -> dict[str, Any]:
    from secaudit.resources import load_data

    data: dict[str, Any] = load_data("risky_ports.yaml")
    return data


def parse_allowed(entries: list[str]) -> tuple[list[tuple[set[str], range, str]], list[str]]:
    """'tcp/3306', '3306', 'udp/161', 'tcp/5900-5910' -> (protocols, ports, text); and invalid entries."""
    rules: list[tuple[set[str], range, str]] = []
    invalid: list[str] = []
    for raw in entries:
        text = str(raw).strip().lower()
        proto, sep, port = text.partition("/")
        if not sep:
            proto, port = "", text
        protos = {"tcp", "udp"} if proto in ("", "any", "*") else {proto}
        try:
            if not protos <= {"tcp", "udp"}:
                raise PolicyError(text)
            rules.append((protos, _port_range(port, "allowed_ports"), str(raw)))
        except PolicyError:
            invalid.append(str(raw))
    return rules, invalid


def binding(address: str) -> str:
    """loopback | all | specific (a given interface address)."""
    if address in ("0.0.0.0", "::", "*", ""):
        return "all"
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "specific"
    mapped = getattr(ip, "ipv4_mapped", None)
    if ip.is_loopback or (mapped is not None and mapped.is_loopback):
        return "loopback"
    return "specific"


@cache
def network_policy() -> dict[str, Any]:
    """The network view's additions (data/network_policy.yaml): extra risky services seen from the network
    (router and panel ports) and nmap's service names mapped onto the policy's."""
    from secaudit.resources import load_data

    data: dict[str, Any] = load_data("network_policy.yaml")
    return data


def scan_tcp_ports() -> tuple[int, ...]:
    """TCP ports of every risky service the policy judges, the network additions included."""
    extra = network_policy().get("extra_services") or []
    return tuple(sorted({port for proto, port in build_policy(shipped_policy(), extra) if proto == "tcp"}))
