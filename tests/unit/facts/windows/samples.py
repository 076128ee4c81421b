"""A Windows 11 lab PC's probes for W2's collectors (accounts, antivirus, ports, firewall, remote login, backups),
shaped as Windows PowerShell 5.1 prints them. The contract test replays them; the fixture recordings under
tests/fixtures/windows/ are the fuller set."""

from __future__ import annotations

from typing import Any

from tests.unit.facts.windows import test_accounts as acc
from tests.unit.facts.windows.wintest import failed, ok, out


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
    }


def snapshot() -> Any:
    from tests.unit.facts.windows.wintest import snapshot_of

    return snapshot_of(probes())
