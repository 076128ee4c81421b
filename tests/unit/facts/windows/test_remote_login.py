"""Remote Desktop and the SMB server from recorded registry values and Get-SmbServerConfiguration."""

from __future__ import annotations

from tests.unit.facts.windows.wintest import failed, ok, snapshot_of


def test_rdp_on_without_nla() -> None:
    snap = snapshot_of({"terminal_server": ok({"fDenyTSConnections": 0}),
                        "rdp_tcp": ok({"UserAuthentication": 0, "PortNumber": 3390, "SecurityLayer": 0})},
                       only={"remote_login"})
    rdp = snap.tables["remote_login"]["rdp"]
    assert (rdp["enabled"], rdp["nla"], rdp["port"], rdp["security_layer"]) == (True, False, 3390, "rdp")
    assert snap.tables["remote_login"]["ssh"] is None


def test_rdp_off_and_rdp_tcp_unreadable() -> None:
    snap = snapshot_of({"terminal_server": ok({"fDenyTSConnections": 1}), "rdp_tcp": failed("Access denied")},
                       only={"remote_login"})
    rdp = snap.tables["remote_login"]["rdp"]
    assert rdp["enabled"] is False and rdp["nla"] is None
    assert snap.unknown["remote_login.rdp"]["code"] == "command_failed"


def test_terminal_server_missing_is_unknown() -> None:
    snap = snapshot_of({}, only={"remote_login"})
    assert "remote_login" not in snap.tables and snap.unknown["remote_login.rdp"]["code"] == "not_found"


def test_smb1() -> None:
    snap = snapshot_of({"smb_server": ok({"EnableSMB1Protocol": True, "EnableSMB2Protocol": True})},
                       only={"smb_server"})
    assert snap.tables["smb_server"]["smb1_enabled"] is True
    assert "smb_server" in snapshot_of({}, only={"smb_server"}).unknown


def test_rdp_policy_session_limits_in_seconds() -> None:
    snap = snapshot_of({"terminal_server": ok({"fDenyTSConnections": 0}),
                        "rdp_policy": ok({"MaxIdleTime": 900000, "MaxDisconnectionTime": 0, "MinEncryptionLevel": 3,
                                          "SecurityLayer": 2})}, only={"remote_login"})
    rdp = snap.tables["remote_login"]["rdp"]
    assert (rdp["max_idle_seconds"], rdp["max_disconnected_seconds"], rdp["min_encryption_level"],
            rdp["policy_security_layer"]) == (900, 0, 3, "tls")
    assert "MaxIdleTime" in rdp["policy_source"]


def test_rdp_policy_key_absent_is_no_policy_and_other_failures_unknown() -> None:
    key = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
    absent = {"rc": 1, "stdout": "", "stderr": f"Cannot find path '{key}' because it does not exist.\r\n"
              "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand\r\n"}
    snap = snapshot_of({"terminal_server": ok({"fDenyTSConnections": 0}), "rdp_policy": absent},
                       only={"remote_login"})
    rdp = snap.tables["remote_login"]["rdp"]
    assert rdp["max_idle_seconds"] is None and "absent" in rdp["policy_source"]
    assert "remote_login.rdp.policy_source" not in snap.unknown
    snap = snapshot_of({"terminal_server": ok({"fDenyTSConnections": 0}), "rdp_policy": failed("Access denied")},
                       only={"remote_login"})
    assert snap.tables["remote_login"]["rdp"]["policy_source"] is None
    assert snap.unknown["remote_login.rdp.policy_source"]["code"] == "command_failed"
