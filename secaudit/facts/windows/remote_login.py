"""Remote Desktop (Terminal Server fDenyTSConnections, RDP-Tcp UserAuthentication for NLA) and the SMB server's
protocol versions (SMBv1), from the registry and Get-SmbServerConfiguration as recorded by collect.ps1.

The SSH part of remote_login is Linux's (sshd_config); on Windows it is null (not examined)."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.host import probe_result
from secaudit.facts.windows.probes import as_bool, as_int, one, rows, run_probe

TS_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server"
RDP_KEY = TS_KEY + r"\WinStations\RDP-Tcp"
DEFAULT_RDP_PORT = 3389
POLICY_KEY = r"HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
# RDP-Tcp SecurityLayer: 0 RDP security (no TLS), 1 negotiate, 2 TLS.
SECURITY_LAYERS = {0: "rdp", 1: "negotiate", 2: "tls"}
NOT_FOUND_IDS = ("PathNotFound", "ItemNotFoundException")  # the error id, whatever the UI language


def optional_key(ctx: FactContext, probe_id: str, unknown_key: str) -> dict[str, Any] | bool | None:
    """A registry key read by Get-ItemProperty: its values; False when the key does not exist (nothing set);
    None (unknown recorded) when the probe did not run or failed otherwise."""
    res = probe_result(ctx, probe_id, unknown_key)
    if res is None:
        return None
    if res.rc != 0:
        if any(tag in res.stderr for tag in NOT_FOUND_IDS):
            return False
        run_probe(ctx, probe_id, unknown_key)  # records the failure as unknown
        return None
    found = rows(ctx, probe_id, unknown_key)
    if found is None:
        return None
    return found[0] if found else False


def _seconds(ms: Any) -> int | None:
    n = as_int(ms)
    return None if n is None or n < 0 else n // 1000


def _policy(ctx: FactContext, rdp: dict[str, Any]) -> None:
    """Remote Desktop Services policy (Group Policy: Session Time Limits, Security): wins over RDP-Tcp's own."""
    policy = optional_key(ctx, "rdp_policy", "remote_login.rdp.policy_source")
    rdp.update(policy_security_layer=None, min_encryption_level=None, max_idle_seconds=None,
               max_disconnected_seconds=None)
    if policy is None:
        rdp["policy_source"] = None
        return
    if policy is False:
        rdp["policy_source"] = f"{POLICY_KEY} (absent: no Remote Desktop policy)"
        return
    assert isinstance(policy, dict)
    layer = as_int(policy.get("SecurityLayer"))
    level = as_int(policy.get("MinEncryptionLevel"))
    rdp.update(policy_security_layer=SECURITY_LAYERS.get(layer) if layer is not None else None,
               min_encryption_level=level if level in (1, 2, 3, 4) else None,
               max_idle_seconds=_seconds(policy.get("MaxIdleTime")),
               max_disconnected_seconds=_seconds(policy.get("MaxDisconnectionTime")),
               policy_source=f"{POLICY_KEY} MaxIdleTime, MaxDisconnectionTime, MinEncryptionLevel, SecurityLayer")


def _flag(value: Any) -> bool | None:
    """A DWORD flag (0/1); null when the value is absent or anything else."""
    n = as_int(value)
    return None if n is None or n not in (0, 1) else bool(n)


@collector("remote_login", ("remote_login",))
def collect_remote_login(ctx: FactContext) -> None:
    ts = one(ctx, "terminal_server", "remote_login.rdp")
    if ts is None:
        ctx.unknown("remote_login", "not_found", "the Terminal Server registry key could not be read")
        return
    deny = _flag(ts.get("fDenyTSConnections"))
    rdp: dict[str, Any] = {
        # fDenyTSConnections 1 (the default on a fresh install) refuses connections; 0 accepts them.
        "enabled": None if deny is None else not deny,
        "nla": None,
        "port": None,
        "security_layer": None,
        "source": f"{TS_KEY} fDenyTSConnections",
    }
    tcp = one(ctx, "rdp_tcp", "remote_login.rdp")
    if tcp is not None:
        auth = _flag(tcp.get("UserAuthentication"))
        port = as_int(tcp.get("PortNumber"))
        layer = as_int(tcp.get("SecurityLayer"))
        rdp.update(
            nla=auth,
            port=port if port is not None and 0 < port < 65536 else None,
            security_layer=SECURITY_LAYERS.get(layer) if layer is not None else None,
            source=f"{rdp['source']}; {RDP_KEY} UserAuthentication, PortNumber, SecurityLayer",
        )
    _policy(ctx, rdp)
    ctx.put("remote_login", {"ssh": None, "rdp": rdp})


@collector("smb_server", ("smb_server",))
def collect_smb_server(ctx: FactContext) -> None:
    conf = one(ctx, "smb_server", "smb_server")
    if conf is None:
        return
    ctx.put("smb_server", {
        "smb1_enabled": as_bool(conf.get("EnableSMB1Protocol")),
        "smb2_enabled": as_bool(conf.get("EnableSMB2Protocol")),
        "source": "Get-SmbServerConfiguration EnableSMB1Protocol, EnableSMB2Protocol",
    })


__all__ = ["collect_remote_login", "collect_smb_server"]
