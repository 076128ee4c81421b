"""A Windows 11 lab PC's probes for W2's collectors (accounts, antivirus, ports, firewall, remote login, backups),
shaped as Windows PowerShell 5.1 prints them. The contract test replays them; the fixture recordings under
tests/fixtures/windows/ are the fuller set."""

from __future__ import annotations

from typing import Any

from tests.unit.facts.windows import psjson
from tests.unit.facts.windows import test_accounts as acc
from tests.unit.facts.windows.wintest import failed, ok, out

LISTEN_TCP = [
    {"LocalAddress": "::", "LocalPort": 445, "OwningProcess": 4},
    {"LocalAddress": "::", "LocalPort": 135, "OwningProcess": 1012},
    {"LocalAddress": "0.0.0.0", "LocalPort": 3389, "OwningProcess": 1116},
    {"LocalAddress": "0.0.0.0", "LocalPort": 445, "OwningProcess": 4},
    {"LocalAddress": "192.168.1.15", "LocalPort": 139, "OwningProcess": 4},
    {"LocalAddress": "127.0.0.1", "LocalPort": 5939, "OwningProcess": 3320},
]
LISTEN_UDP = [
    {"LocalAddress": "0.0.0.0", "LocalPort": 5353, "OwningProcess": 2240},
    {"LocalAddress": "192.168.1.15", "LocalPort": 137, "OwningProcess": 4},
]
PROCESSES = [
    {"Id": 4, "ProcessName": "System", "Path": None},
    {"Id": 1012, "ProcessName": "svchost", "Path": "C:\\Windows\\system32\\svchost.exe"},
    {"Id": 1116, "ProcessName": "svchost", "Path": "C:\\Windows\\System32\\svchost.exe"},
    {"Id": 2240, "ProcessName": "svchost", "Path": None},
    {"Id": 3320, "ProcessName": "TeamViewer_Service", "Path": "C:\\Program Files\\TeamViewer\\TeamViewer_Service.exe"},
]
FIREWALL = [
    {"Name": "Domain", "Enabled": 1, "DefaultInboundAction": 0},
    {"Name": "Private", "Enabled": 1, "DefaultInboundAction": 4},
    {"Name": "Public", "Enabled": 1, "DefaultInboundAction": 0},
]


def mp_status(mode: str = "Normal", rtp: bool = True, signatures: str = "2026-11-21T23:10:00Z",
              quick_scan: str | None = "2026-11-20T05:00:00Z") -> dict[str, Any]:
    """Get-MpComputerStatus piped straight into ConvertTo-Json: an MSFT_MpComputerStatus CIM instance."""
    props = {
        "AMEngineVersion": "1.1.24090.11", "AMProductVersion": "4.18.24090.11", "AMRunningMode": mode,
        "AMServiceEnabled": True, "AMServiceVersion": "4.18.24090.11", "AntispywareEnabled": True,
        "AntispywareSignatureAge": 0, "AntispywareSignatureLastUpdated": psjson.PSDate(signatures),
        "AntispywareSignatureVersion": "1.421.1234.0", "AntivirusEnabled": mode == "Normal",
        "AntivirusSignatureAge": 0, "AntivirusSignatureLastUpdated": psjson.PSDate(signatures),
        "AntivirusSignatureVersion": "1.421.1234.0", "BehaviorMonitorEnabled": rtp,
        "ComputerID": "6C0E5A7B-1F3B-4F7A-9A43-2F0D3E8B9C11", "ComputerState": 0,
        "DefenderSignaturesOutOfDate": False, "DeviceControlDefaultEnforcement": None,
        "DeviceControlPoliciesLastUpdated": psjson.FILETIME_ZERO, "DeviceControlState": "Disabled",
        "FullScanAge": 4294967295, "FullScanEndTime": None, "FullScanStartTime": None,
        "IoavProtectionEnabled": rtp, "IsTamperProtected": True, "IsVirtualMachine": False,
        "LastFullScanSource": 0, "LastQuickScanSource": 2, "NISEnabled": rtp,
        "OnAccessProtectionEnabled": rtp, "QuickScanAge": 2,
        "QuickScanEndTime": psjson.PSDate(quick_scan) if quick_scan else None,
        "QuickScanStartTime": psjson.PSDate(quick_scan) if quick_scan else None,
        "RealTimeProtectionEnabled": rtp, "RealTimeScanDirection": 0, "TamperProtectionSource": "Signatures",
    }
    return psjson.cim_instance(props, "ROOT/Microsoft/Windows/Defender", "MSFT_MpComputerStatus", "PC05")


def av_product(name: str, state: int, exe: str) -> dict[str, Any]:
    props = {"displayName": name, "instanceGuid": "{D68DDC3A-831F-4fae-9E44-DA132C1ACF46}",
             "pathToSignedProductExe": exe, "pathToSignedReportingExe": exe, "productState": state,
             "timestamp": "Sat, 21 Nov 2026 23:10:00 GMT"}
    return psjson.cim_instance(props, "root/SecurityCenter2", "AntiVirusProduct", "PC05")


DEFENDER_SC2 = av_product("Windows Defender", 397568, "windowsdefender://")


def service(name: str, display: str, running: bool = True, start: int = 2) -> dict[str, Any]:
    return {"Name": name, "DisplayName": display, "Status": 4 if running else 1, "StartType": start}


SERVICES = [
    service("BFE", "Base Filtering Engine"),
    service("mpssvc", "Windows Defender Firewall"),
    service("WinDefend", "Microsoft Defender Antivirus Service"),
    service("TeamViewer", "TeamViewer"),
    service("wuauserv", "Windows Update", running=False, start=3),
]


def probes() -> dict[str, Any]:
    return {
        "local_users": ok(acc.USERS),
        "local_admins": failed("Failed to compare two elements in the array."),
        "local_admins_adsi": ok([{"Name": "Administrator", "SID": f"{acc.DOMAIN}-500"},
                                 {"Name": f"{acc.DOMAIN}-1107", "SID": f"{acc.DOMAIN}-1107"},
                                 {"Name": "gv.lan", "SID": f"{acc.DOMAIN}-1001"}]),
        "security_policy": out(acc.SECEDIT_VI + acc.INF),
        "winlogon": ok({"AutoAdminLogon": "0", "DefaultUserName": "gv.lan", "DefaultPasswordSet": False}),
        "uac": ok({"EnableLUA": 1, "ConsentPromptBehaviorAdmin": 5}),
        "terminal_server": ok({"fDenyTSConnections": 0}),
        "rdp_tcp": ok({"UserAuthentication": 0, "PortNumber": 3389, "SecurityLayer": 1}),
        "smb_server": ok({"EnableSMB1Protocol": False, "EnableSMB2Protocol": True}),
        "listen_tcp": ok(LISTEN_TCP),
        "listen_udp": ok(LISTEN_UDP),
        "processes": ok(PROCESSES),
        "firewall_profiles": ok(FIREWALL),
        "defender_status": ok(mp_status()),
        "av_products": ok(DEFENDER_SC2),
        "services": ok(SERVICES),
    }


def snapshot() -> Any:
    from tests.unit.facts.windows.wintest import snapshot_of

    return snapshot_of(probes())


def healthy_fixture() -> Any:
    """W1's base recording (tests/fixtures/windows/win11-healthy.json), replayed."""
    from pathlib import Path

    from secaudit.config import AgentConfig
    from secaudit.facts import collect
    from secaudit.transport.replay import ReplayTransport

    path = Path(__file__).resolve().parents[3] / "fixtures" / "windows" / "win11-healthy.json"
    return collect(ReplayTransport.load(path), AgentConfig())


def with_backup_set() -> Any:
    """A [[backup]] set with a Windows path, its copies recorded as files."""
    from secaudit.config import AgentConfig, BackupSet
    from secaudit.facts import collect
    from secaudit.transport.replay import ReplayTransport
    from tests.unit.facts.windows.wintest import recording

    files = {"/D:/Backup/hs-2026-11-21.zip": "PK\x03\x04" + "x" * 96, "/D:/Backup/hs-2026-11-20.zip": "x" * 90}
    stats = {"/D:/Backup/hs-2026-11-21.zip": {"mtime": 1795262400, "size": 100, "mode": 0o100644},
             "/D:/Backup/hs-2026-11-20.zip": {"mtime": 1795176000, "size": 90, "mode": 0o100644},
             "/D:/Backup": {"mtime": 1795262400, "mode": 0o40755}}
    config = AgentConfig(backups=[BackupSet(name="Hồ sơ học sinh", path="D:\\Backup\\hs-*.zip", offsite="E:\\hs"),
                                  BackupSet(name="Mất", path="F:\\none\\*.bak")])
    return collect(ReplayTransport(recording(probes(), files=files, stats=stats)), config)
