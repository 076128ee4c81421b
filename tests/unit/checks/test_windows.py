"""The Windows-only checks: RDP without NLA, SMBv1, UAC, automatic logon, idle lock, BitLocker, Windows Server
Backup."""

from __future__ import annotations

from typing import Any

import pytest

from secaudit.config import AgentConfig, BackupSet
from tests.conftest import run_check, snapshot


def _rdp(**rdp: Any) -> Any:
    return snapshot({"remote_login": {"ssh": None, "rdp": {"source": "reg", **rdp}}})


@pytest.mark.parametrize(("rdp", "status", "key"), [
    ({"enabled": False, "nla": False}, "pass", "rdp_off"),
    ({"enabled": True, "nla": True, "port": 3389, "security_layer": "tls"}, "pass", "nla"),
    ({"enabled": True, "nla": False, "port": 3390}, "fail", "no_nla"),
    ({"enabled": True, "nla": True, "security_layer": "rdp"}, "warn", "no_tls"),
    ({"enabled": True, "nla": None}, "unknown", "nla_unknown"),
    ({"enabled": None}, "unknown", "unknown"),
])
def test_rdp_nla(rdp: dict, status: str, key: str) -> None:
    result = run_check("windows.rdp_nla", _rdp(**rdp))
    assert (result.status, result.key) == (status, key)


def test_rdp_unreadable_is_unknown() -> None:
    snap = snapshot({}, unknown={"remote_login": {"code": "command_failed", "detail": "x"}})
    assert run_check("windows.rdp_nla", snap).status == "unknown"


@pytest.mark.parametrize(("smb1", "status"), [(True, "fail"), (False, "pass"), (None, "unknown")])
def test_smb1(smb1: bool | None, status: str) -> None:
    snap = snapshot({"smb_server": {"smb1_enabled": smb1, "smb2_enabled": True, "source": "x"}})
    assert run_check("windows.smb1", snap).status == status


@pytest.mark.parametrize(("uac", "status"), [
    ({"enabled": True, "admin_prompt": 5}, "pass"), ({"enabled": False, "admin_prompt": 5}, "fail"),
    ({"enabled": True, "admin_prompt": 0}, "warn"), ({"enabled": None, "admin_prompt": None}, "unknown"),
])
def test_uac(uac: dict, status: str) -> None:
    snap = snapshot({"local_security": {"uac": {**uac, "source": "reg"}}})
    assert run_check("windows.uac", snap).status == status


@pytest.mark.parametrize(("logon", "role", "status", "key"), [
    ({"enabled": False, "password_stored": False}, "workstation", "pass", "pass"),
    ({"enabled": True, "user": "phongmay", "password_stored": True}, "workstation", "fail", "stored_password"),
    ({"enabled": True, "user": "phongmay", "password_stored": False}, "lab", "warn", "enabled"),
    ({"enabled": False, "user": "gv", "password_stored": True}, "workstation", "warn", "leftover_password"),
])
def test_auto_logon(logon: dict, role: str, status: str, key: str) -> None:
    snap = snapshot({"local_security": {"auto_logon": {**logon, "source": "reg"}}})
    result = run_check("windows.auto_logon", snap, role=role)
    assert (result.status, result.key) == (status, key)
    assert "password" not in str(result.evidence.get("user"))


def test_bitlocker() -> None:
    on = {"name": "C:", "device": "C:", "kind": "bitlocker", "active": True, "source": "Get-BitLockerVolume"}
    assert run_check("windows.bitlocker", snapshot({"system": {"disk_encryption": [on]}})).status == "pass"
    off = snapshot({"system": {"disk_encryption": [{**on, "active": False}]}})
    assert run_check("windows.bitlocker", off, role="workstation").status == "fail"
    assert run_check("windows.bitlocker", off, role="lab").status == "warn"


def test_bitlocker_not_read_is_unknown_not_off() -> None:
    snap = snapshot({"system": {"disk_encryption": []}},
                    unknown={"system.disk_encryption": {"code": "command_failed", "detail": "Access denied"}})
    result = run_check("windows.bitlocker", snap, role="workstation")
    assert result.status == "unknown"  # the engine: a need that was not read


def _wb(newest: str | None, success: str | None = None, failures: int = 0) -> Any:
    events = {"last_success_time": success, "last_failure_time": None, "last_failure_id": 5 if failures else None,
              "failures_since_success": failures, "events_read": 3, "source": "x"}
    return snapshot({"windows_backup": {"versions": [], "count": 1 if newest else 0, "newest_time": newest,
                                        "targets": [], "events": events, "source": "wbadmin get versions"}},
                    collected_at="2026-11-22T08:00:00Z")


def test_system_backup() -> None:
    assert run_check("windows.system_backup", _wb("2026-11-21T12:00:00Z")).status == "pass"
    assert run_check("windows.system_backup", _wb("2026-11-01T12:00:00Z")).key == "stale"
    failing = run_check("windows.system_backup", _wb("2026-11-20T12:00:00Z", "2026-11-20T12:23:00Z", failures=2))
    assert failing.status == "fail" and failing.key == "failing"
    assert run_check("windows.system_backup", _wb(None), role="server").key == "no_sets"
    config = AgentConfig(backups=[BackupSet(name="x", path="/D:/b")])
    assert run_check("windows.system_backup", _wb(None), config=config).status == "not_applicable"
    unread = snapshot({}, unknown={"windows_backup": {"code": "command_failed", "detail": "denied"}})
    assert run_check("windows.system_backup", unread).status == "unknown"


def _av(pid: str, **row: Any) -> dict[str, Any]:
    return {"id": pid, "product": pid, "installed": True, "signature_time": None, "signatures_found": None,
            "source": "x", **row}


def test_signature_age_from_security_center_and_passive_defender_not_judged() -> None:
    passive = _av("defender", running=False, running_mode="Passive Mode", signature_time="2026-01-01T00:00:00Z")
    kes = _av("kes", running=True, signatures_out_of_date=False, product_state=266240)
    result = run_check("antivirus.signature_age", snapshot({"antivirus": [passive, kes]},
                                                            collected_at="2026-11-22T08:00:00Z"))
    assert result.status == "pass" and "kes" in result.message["en"] and "defender" not in result.message["en"]
    stale = _av("kes", running=True, signatures_out_of_date=True, product_state=266256)
    assert run_check("antivirus.signature_age", snapshot({"antivirus": [stale]})).status == "fail"


def test_orphaned_sid_in_administrators_is_a_warning() -> None:
    users = [{"name": "quantri", "id": "S-1-5-21-1-2-3-1001", "enabled": True, "interactive": True, "admin": True,
              "admin_via": ["group:S-1-5-32-544"], "source": "Get-LocalUser"}]
    groups = [{"name": "Administrators", "id": "S-1-5-32-544", "members": ["quantri"], "admin": True,
               "unresolved_members": ["S-1-5-21-1-2-3-1107"], "source": "ADSI"}]
    config = AgentConfig(approved_admins=["quantri"])
    result = run_check("accounts.admin_members", snapshot({"users": users, "groups": groups}), config=config)
    assert (result.status, result.key) == ("warn", "orphaned") and "1107" in result.message["en"]


# --- windows.idle_lock ------------------------------------------------------------------------------------------

_SID = "S-1-5-21-1-2-3"


def _user(rid: int = 1002, active: bool | None = True, secure: bool | None = True, timeout: int | None = 600,
          executable: str | None = "scrnsave.scr", policy: bool = True) -> dict[str, Any]:
    names = ["ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut", "SCRNSAVE.EXE"]
    return {"sid": f"{_SID}-{rid}", "account": f"PC\\u{rid}", "active": active, "secure": secure,
            "timeout_seconds": timeout, "executable": executable, "from_policy": policy,
            "policy_values": names if policy else [], "source": "HKU"}


def _lock(machine: int | None = None, users: list[dict[str, Any]] | None = None, read: bool = True,
          unknown: dict[str, Any] | None = None) -> Any:
    return snapshot({"local_security": {"idle_lock": {
        "machine_limit_seconds": machine, "machine_read": read, "machine_source": "HKLM Policies\\System",
        "users": users, "users_source": "HKU"}}}, unknown=unknown)


def _idle(snap: Any, role: str = "workstation") -> tuple[str, str, str]:
    result = run_check("windows.idle_lock", snap, role=role)
    return result.status, result.key, result.message["en"]


@pytest.mark.parametrize(("machine", "users", "role", "status", "key"), [
    # the machine inactivity limit locks every session: users are not needed
    (900, [], "workstation", "pass", "pass_machine"),
    (900, None, "lab", "pass", "pass_machine"),
    (900, [_user(active=False)], "workstation", "pass", "pass_machine"),
    (300, [], "server", "pass", "pass_machine"),
    (600, [_user(timeout=600)], "server", "warn", "users_long"),  # both beyond a server's 300 s
    (600, [_user(timeout=200)], "server", "pass", "users_pass"),  # the policy screen saver locks within 300 s
    (600, [_user(active=False)], "server", "warn", "users_long"),
    (1800, [_user(active=False)], "workstation", "warn", "users_long"),
    # no machine limit (absent or 0): every loaded user's screen saver decides
    (None, [_user(), _user(1003, timeout=900)], "workstation", "pass", "users_pass"),
    (0, [_user(timeout=900)], "lab", "pass", "users_pass"),
    (None, [_user(timeout=900)], "server", "warn", "users_long"),
    (None, [_user(timeout=1200)], "workstation", "warn", "users_long"),
    (None, [_user(policy=False)], "workstation", "warn", "users_own"),
    (None, [_user(policy=False, timeout=300)], "server", "warn", "users_own"),
    (1800, [_user(policy=False)], "workstation", "warn", "users_own"),
    (None, [_user(active=False)], "workstation", "fail", "users_none"),
    (None, [_user(secure=False)], "lab", "fail", "users_none"),
    (None, [_user(secure=None)], "workstation", "fail", "users_none"),
    (None, [_user(executable=None)], "workstation", "fail", "users_none"),  # no program: nothing runs
    (None, [_user(timeout=0)], "server", "fail", "users_none"),
    (None, [_user(timeout=None)], "workstation", "fail", "users_none"),
    (0, [_user(), _user(1003, active=None, policy=False)], "workstation", "fail", "users_none"),
    (None, [_user(), _user(1003, policy=False)], "workstation", "warn", "users_own"),
    # nobody logged on: only the machine limit says anything
    (1800, [], "workstation", "warn", "machine_long_no_users"),
    (None, [], "workstation", "unknown", "no_users"),
    (0, [], "server", "unknown", "no_users"),
    (1800, None, "workstation", "unknown", "users_unreadable"),
])
def test_idle_lock(machine: int | None, users: list[dict[str, Any]] | None, role: str, status: str,
                   key: str) -> None:
    assert _idle(_lock(machine, users), role)[:2] == (status, key)


def test_idle_lock_messages_name_the_users_and_what_was_not_read() -> None:
    status, _, msg = _idle(_lock(None, [_user(), _user(1003, active=False), _user(1004, secure=False)]))
    assert status == "fail" and "PC\\u1003, PC\\u1004" in msg and "PC\\u1002" not in msg
    assert "Users not logged on were not read" in msg
    status, _, msg = _idle(_lock(None, [_user(timeout=1200)]), "workstation")
    assert "PC\\u1002 (1200 s)" in msg and "900 s" in msg
    status, _, msg = _idle(_lock(1800, [_user(policy=False, timeout=300)]))
    assert status == "warn" and "PC\\u1002 (300 s)" in msg and "1800" in msg
    assert "every session locks after 600 s" in _idle(_lock(600, []))[2].lower()
    result = run_check("windows.idle_lock", _lock(None, [_user()]))
    assert result.evidence["verdicts"] == [{"user": "PC\\u1002", "verdict": "pass", "lock_after_seconds": 600}]
    assert result.evidence["limit"] == 900
    nameless = {**_user(active=False), "account": None}
    assert f"{_SID}-1002" in _idle(_lock(None, [nameless]))[2]  # an untranslated SID is named by itself
    assert "can change or turn off" in _idle(_lock(None, [_user(policy=False)]))[2]


def test_idle_lock_unread_machine_limit_never_fails_on_a_guess() -> None:
    why = {"local_security.idle_lock.machine_limit_seconds": {"code": "command_failed",
                                                               "detail": "probe inactivity_limit: denied"}}
    assert _idle(_lock(None, [_user()], read=False, unknown=why))[:2] == ("pass", "users_pass")
    status, key, msg = _idle(_lock(None, [_user(active=False)], read=False, unknown=why))
    assert (status, key) == ("unknown", "machine_unreadable") and "denied" in msg
    assert _idle(_lock(None, [], read=False, unknown=why))[:2] == ("unknown", "nothing_read")


def test_idle_lock_unknown_when_the_probes_failed_or_were_not_run() -> None:
    why = {"local_security.idle_lock": {"code": "command_failed", "detail": "neither probe"}}
    assert run_check("windows.idle_lock", snapshot({"local_security": {"uac": {"enabled": True}}},
                                                   unknown=why)).status == "unknown"
    users_why = {"local_security.idle_lock.users": {"code": "not_found",
                                                    "detail": "probe screen_savers (not in the recording)"}}
    status, key, msg = _idle(_lock(None, None, unknown=users_why))
    assert (status, key) == ("unknown", "users_unreadable") and "not in the recording" in msg
    # an older snapshot without the column
    result = run_check("windows.idle_lock", snapshot({"local_security": {"uac": {"enabled": True}}}))
    assert result.status == "unknown"


def test_idle_lock_params_by_role_can_be_overridden() -> None:
    snap = _lock(None, [_user(timeout=600)])
    assert run_check("windows.idle_lock", snap, params={"max_seconds": {"workstation": 300}},
                     role="workstation").status == "warn"
    assert run_check("windows.idle_lock", snap, role="server").status == "warn"
    assert run_check("windows.idle_lock", snap, role="lab").status == "pass"
