"""Windows Defender Firewall per profile (Domain, Private, Public) from Get-NetFirewallProfile.

Windows PowerShell 5.1 prints the enums as integers: Enabled is a GpoBoolean (0 False, 1 True, 2 NotConfigured),
DefaultInboundAction an Action (0 NotConfigured, 2 Allow, 4 Block). NotConfigured means the built-in default
applies, which for both is the safe one (the profile on, inbound blocked); it is recorded as such, and said."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import rows

SOURCE = "Get-NetFirewallProfile Name, Enabled, DefaultInboundAction"
PROFILES = ("Domain", "Private", "Public")
_ENABLED = {0: False, 1: True, 2: True}  # GpoBoolean; NotConfigured: the default, on
_ACTIONS = {0: "not_configured", 2: "allow", 4: "block"}
_ACTION_NAMES = {"notconfigured": "not_configured", "allow": "allow", "block": "block"}


def _enabled(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _ENABLED.get(value)
    if isinstance(value, str):
        return {"true": True, "false": False, "notconfigured": True}.get(value.strip().lower())
    return None


def _action(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _ACTIONS.get(value)
    if isinstance(value, str):
        return _ACTION_NAMES.get(value.strip().lower())
    return None


def profile_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in found:
        name = item.get("Name")
        if not isinstance(name, str) or not name.strip():
            continue
        name = name.strip()
        out.setdefault(name, {"name": name, "enabled": _enabled(item.get("Enabled")),
                              "default_inbound": _action(item.get("DefaultInboundAction"))})
    order = {p: i for i, p in enumerate(PROFILES)}
    return sorted(out.values(), key=lambda p: (order.get(p["name"], len(order)), p["name"]))


@collector("firewall", ("firewall",))
def collect_firewall(ctx: FactContext) -> None:
    found = rows(ctx, "firewall_profiles", "firewall")
    if found is None:
        return
    profiles = profile_rows(found)
    if not profiles:
        ctx.unknown("firewall", "not_found", "probe firewall_profiles: no profile")
        return
    states = [p["enabled"] for p in profiles]
    inbound = {p["default_inbound"] for p in profiles}
    ctx.put("firewall", {
        "backend": "windows_firewall",
        "active": True if any(states) else (False if all(s is False for s in states) else None),
        # One value when every profile agrees; NotConfigured is Windows's default, block.
        "default_inbound": ("drop" if inbound <= {"block", "not_configured"}
                            else "accept" if inbound == {"allow"} else None),
        "default_inbound_ipv6": None,
        "profiles": profiles,
        "rules_count": None,
        "configured": ["windows_firewall"],
        "source": SOURCE,
    })


__all__ = ["collect_firewall", "profile_rows"]
