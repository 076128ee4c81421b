"""Windows accounts: Get-LocalUser, the Administrators group (and its ADSI fallback), the secedit INF, auto-logon
and UAC, read from recordings shaped as Windows PowerShell 5.1 prints them (verified against documented outputs,
not a live Windows)."""

from __future__ import annotations

import pytest

from secaudit.facts.windows import accounts
from tests.unit.facts.windows import psjson
from tests.unit.facts.windows.wintest import context, failed, ok, out, snapshot_of

DOMAIN = "S-1-5-21-3466893675-84708195-3670466460"
INF = (
    "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nMinimumPasswordAge = 1\r\nMaximumPasswordAge = 42\r\n"
    "MinimumPasswordLength = 12\r\nPasswordComplexity = 1\r\nPasswordHistorySize = 24\r\nLockoutBadCount = 5\r\n"
    "ResetLockoutCount = 15\r\nLockoutDuration = 15\r\nRequireLogonToChangePassword = 0\r\n"
    'ForceLogoffWhenHourExpire = 0\r\nNewAdministratorName = "qtv-pc05"\r\nNewGuestName = "Guest"\r\n'
    "ClearTextPassword = 0\r\nLSAAnonymousNameLookup = 0\r\nEnableAdminAccount = 0\r\nEnableGuestAccount = 0\r\n"
    "[Event Audit]\r\nAuditSystemEvents = 0\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
)
SECEDIT_VI = "Tác vụ đã hoàn tất thành công.\r\nXem nhật ký %windir%\\security\\logs\\scesrv.log để biết chi tiết.\r\n"


def user(name: str, rid: int, enabled: bool = True, required: bool = True, last_set: str | None = None,
         expires: str | None = None, last_logon: str | None = None) -> dict:
    return {"Name": name, "Enabled": enabled, "SID": psjson.sid(f"{DOMAIN}-{rid}"), "PasswordRequired": required,
            "PasswordLastSet": psjson.PSDate(last_set) if last_set else None,
            "PasswordExpires": psjson.PSDate(expires) if expires else None,
            "LastLogon": psjson.PSDate(last_logon) if last_logon else None, "Description": ""}


USERS = [
    user("Administrator", 500, enabled=False),
    user("Guest", 501, enabled=False, required=False),
    user("DefaultAccount", 503, enabled=False, required=False),
    user("gv.lan", 1001, last_set="2026-10-01T02:00:00+07:00", expires="2026-11-12T02:00:00+07:00",
         last_logon="2026-11-21T07:30:00+07:00"),
    user("phongmay", 1002, required=False, last_logon="2026-11-22T07:00:00+07:00"),
]


def admin(name: str, sid: str, cls: str = "User", source: int = 1) -> dict:
    return {"Name": name, "SID": psjson.sid(sid), "PrincipalSource": source, "ObjectClass": cls}


def test_users_by_rid_with_quirks_and_admins_by_sid() -> None:
    snap = snapshot_of({
        "local_users": ok(USERS),
        "local_admins": ok(admin("PC05\\gv.lan", f"{DOMAIN}-1001")),  # one member: an object, not an array
    }, only={"accounts"})
    users = {u["name"]: u for u in snap.tables["users"]}
    assert users["Guest"]["rid"] == 501 and users["Guest"]["builtin"] and not users["Guest"]["enabled"]
    assert users["DefaultAccount"]["system"] and not users["gv.lan"]["system"]
    lan = users["gv.lan"]
    assert lan["admin"] and lan["groups"] == ["Administrators"] and lan["id"] == f"{DOMAIN}-1001"
    assert lan["password_last_change"] == "2026-09-30T19:00:00Z" and lan["password_max_days"] == 42
    assert lan["last_login"] == "2026-11-21T00:30:00Z" and lan["password_state"] == "set"
    assert users["phongmay"]["password_state"] == "not_required" and not users["phongmay"]["admin"]
    assert users["phongmay"]["password_expires"] is None and users["phongmay"]["password_change_required"]
    group = snap.tables["groups"][0]
    assert group["sid"] == "S-1-5-32-544" and group["members"] == ["gv.lan"] and group["unresolved_members"] == []


def test_orphaned_sid_takes_the_adsi_fallback() -> None:
    orphan = f"{DOMAIN}-1107"
    snap = snapshot_of({
        "local_users": ok(USERS),
        "local_admins": failed("Failed to compare two elements in the array."),
        "local_admins_adsi": ok([{"Name": "Administrator", "SID": f"{DOMAIN}-500"},
                                 {"Name": orphan, "SID": orphan},
                                 {"Name": "gv.lan", "SID": f"{DOMAIN}-1001"}]),
    }, only={"accounts"})
    group = snap.tables["groups"][0]
    assert group["unresolved_members"] == [orphan] and group["members"] == ["Administrator", "gv.lan"]
    assert group["source"].startswith("ADSI") and "Failed to compare" in group["source"]
    assert "groups.local_admins" not in snap.unknown and "groups" not in snap.unknown


def test_no_admin_source_leaves_admin_unknown_not_false() -> None:
    snap = snapshot_of({"local_users": ok(USERS), "local_admins": failed("Access denied")}, only={"accounts"})
    assert "admin" not in snap.tables["users"][0]
    assert snap.unknown["users.admin"]["code"] == "not_found" and "groups" in snap.unknown


@pytest.mark.parametrize("prefix", ["", SECEDIT_VI, "The task has completed successfully.\r\n"])
def test_password_policy_from_the_inf_whatever_language_secedit_spoke(prefix: str) -> None:
    snap = snapshot_of({"security_policy": out(prefix + INF)}, only={"password_policy"})
    pol = snap.tables["password_policy"]
    assert (pol["min_length"], pol["complexity"], pol["min_classes"], pol["max_age_days"]) == (12, True, 3, 42)
    assert (pol["lockout_threshold"], pol["lockout_minutes"], pol["lockout_window_minutes"]) == (5, 15, 15)
    assert pol["history"] == 24 and pol["guest_account_enabled"] is False and pol["admin_account_name"] == "qtv-pc05"
    assert pol["sources"]["min_length"].endswith("MinimumPasswordLength")


@pytest.mark.parametrize("encoded", [
    INF.encode("utf-16"),                    # as secedit writes it: UTF-16 LE with a BOM
    b"\xef\xbb\xbf" + INF.encode("utf-8"),    # re-saved as UTF-8
    INF.encode("utf-16-le"),                 # no BOM
])
def test_inf_encodings(encoded: bytes) -> None:
    assert accounts.parse_inf(encoded)["system access"]["minimumpasswordlength"] == "12"


def test_inf_read_as_single_byte_text() -> None:
    garbled = INF.encode("utf-16").decode("latin-1")  # "ÿþ[\x00U\x00..."
    assert accounts.parse_inf(garbled)["system access"]["lockoutbadcount"] == "5"


def test_weak_policy_and_never_expiring() -> None:
    weak = INF.replace("MinimumPasswordLength = 12", "MinimumPasswordLength = 0").replace(
        "PasswordComplexity = 1", "PasswordComplexity = 0").replace("MaximumPasswordAge = 42",
                                                                    "MaximumPasswordAge = -1")
    weak = weak.replace("LockoutBadCount = 5", "LockoutBadCount = 0").replace("ResetLockoutCount = 15\r\n", "")
    weak = weak.replace("LockoutDuration = 15\r\n", "")
    pol = accounts.policy_from_inf(accounts.parse_inf(weak)["system access"])
    assert pol["min_length"] == 0 and pol["min_classes"] == 0 and pol["max_age_days"] is None
    assert pol["lockout_threshold"] == 0 and pol["lockout_reason"] == "zero" and pol["lockout_minutes"] is None


def test_permanent_lockout() -> None:
    pol = accounts.policy_from_inf(accounts.parse_inf(INF.replace("LockoutDuration = 15", "LockoutDuration = -1"))
                                   ["system access"])
    assert pol["lockout_permanent"] and pol["lockout_minutes"] is None


def test_secedit_without_system_access_is_unknown() -> None:
    ctx = context({"security_policy": out("Tác vụ đã kết thúc với lỗi.\r\n")})
    assert accounts.security_policy(ctx) is None
    assert "Tác vụ" in ctx.snapshot.unknown["password_policy"]["detail"]


def test_auto_logon_never_the_password_and_uac() -> None:
    snap = snapshot_of({
        "winlogon": ok({"AutoAdminLogon": "1", "DefaultUserName": "phongmay", "DefaultPasswordSet": True}),
        "uac": ok({"EnableLUA": 0, "ConsentPromptBehaviorAdmin": 0}),
    }, only={"local_security"})
    sec = snap.tables["local_security"]
    assert sec["auto_logon"] == {"enabled": True, "user": "phongmay", "password_stored": True,
                                 "source": sec["auto_logon"]["source"]}
    assert sec["uac"]["enabled"] is False and sec["uac"]["admin_prompt_name"] == "elevate_without_prompting"


def test_absent_registry_values() -> None:
    snap = snapshot_of({"winlogon": ok({"AutoAdminLogon": None, "DefaultUserName": None,
                                        "DefaultPasswordSet": False}),
                        "uac": failed("Cannot find path")}, only={"local_security"})
    assert snap.tables["local_security"]["auto_logon"]["enabled"] is False
    assert "uac" not in snap.tables["local_security"]
    assert snap.unknown["local_security.uac"]["code"] == "command_failed"
