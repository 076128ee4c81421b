"""The idle lock on Windows (local_security.idle_lock): the machine inactivity limit and the loaded users' screen
savers, as the probes inactivity_limit and screen_savers print them in Windows PowerShell 5.1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.facts.windows.wintest import EMPTY, failed, ok, snapshot_of

SID = "S-1-5-21-2915623012-1318946527-4006722480"
NAMES = ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut", "SCRNSAVE.EXE")
NOT_FOUND = ("Cannot find path 'HKLM:\\SOFTWARE\\...' because it does not exist.\r\n"
             "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand")


def saver(rid: int = 1002, account: str | None = "THCSLQD-GV07\\giaovien", policy: dict[str, Any] | None = None,
          own: dict[str, Any] | None = None) -> dict[str, Any]:
    """One object of the screen_savers probe, in collect.ps1's property order; a key absent when its dict is
    None."""
    row: dict[str, Any] = {"SID": f"{SID}-{rid}", "Account": account}
    for prefix, values in (("Policy", policy), ("Own", own)):
        row[f"{prefix}Key"] = values is not None
        for name in NAMES:
            row[f"{prefix}{name}"] = (values or {}).get(name)
    return row


POLICY = {"ScreenSaveActive": "1", "ScreenSaverIsSecure": "1", "ScreenSaveTimeOut": "600",
          "SCRNSAVE.EXE": "scrnsave.scr"}
WIN11_DEFAULT = {"ScreenSaveActive": "1", "ScreenSaverIsSecure": "0", "ScreenSaveTimeOut": "900"}


def idle(probes: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    snap = snapshot_of(probes, only={"local_security"})
    unknown = {k: v for k, v in snap.unknown.items() if k.startswith("local_security.idle_lock")}
    return (snap.tables.get("local_security") or {}).get("idle_lock"), unknown


def test_machine_limit_and_one_user_as_an_object() -> None:
    lock, unknown = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": 900}),
                          "screen_savers": ok(saver(own=WIN11_DEFAULT))})
    assert lock is not None and not unknown
    assert lock["machine_limit_seconds"] == 900 and lock["machine_read"] is True
    assert "InactivityTimeoutSecs" in lock["machine_source"]
    (user,) = lock["users"]
    assert user == {"sid": f"{SID}-1002", "account": "THCSLQD-GV07\\giaovien", "active": True, "secure": False,
                    "timeout_seconds": 900, "executable": None, "policy_values": [], "from_policy": False,
                    "source": user["source"]}
    assert "(absent)" in user["source"].split(";")[0] and "Control Panel\\Desktop" in user["source"]


def test_the_policy_value_wins_over_the_users_own_value_by_value() -> None:
    own = {"ScreenSaveActive": "1", "ScreenSaverIsSecure": "0", "ScreenSaveTimeOut": "60", "SCRNSAVE.EXE":
           "C:\\Windows\\system32\\Mystify.scr"}
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": None}),
                    "screen_savers": ok(saver(policy={"ScreenSaverIsSecure": "1", "ScreenSaveTimeOut": "1200"},
                                              own=own))})
    assert lock is not None and lock["machine_limit_seconds"] is None
    (user,) = lock["users"]
    assert (user["active"], user["secure"], user["timeout_seconds"]) == (True, True, 1200)
    assert user["executable"] == "C:\\Windows\\system32\\Mystify.scr"
    assert user["policy_values"] == ["ScreenSaverIsSecure", "ScreenSaveTimeOut"] and user["from_policy"] is False
    # a policy "0" turns the screen saver off whatever the user chose
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": 0}),
                    "screen_savers": ok(saver(policy={**POLICY, "ScreenSaveActive": "0"}, own=own))})
    assert lock is not None and lock["machine_limit_seconds"] == 0
    assert lock["users"][0]["active"] is False and lock["users"][0]["from_policy"] is True


@pytest.mark.parametrize(("values", "expected"), [
    ({"ScreenSaveActive": 1, "ScreenSaverIsSecure": 1, "ScreenSaveTimeOut": 300}, (True, True, 300)),  # DWORDs
    ({"ScreenSaveActive": " 1 ", "ScreenSaverIsSecure": "0", "ScreenSaveTimeOut": " 900"}, (True, False, 900)),
    ({"ScreenSaveActive": "yes", "ScreenSaverIsSecure": "2", "ScreenSaveTimeOut": "15 min"}, (None, None, None)),
    ({"ScreenSaveActive": "", "ScreenSaverIsSecure": True, "ScreenSaveTimeOut": "-5"}, (None, None, None)),
    ({"ScreenSaveActive": "0", "ScreenSaverIsSecure": None, "ScreenSaveTimeOut": "0"}, (False, None, 0)),
    ({"ScreenSaveTimeOut": "999999999"}, (None, None, 999999999)),
    ({"ScreenSaveTimeOut": "\u0669\u0660\u0660"}, (None, None, None)),  # Arabic-Indic digits are not a number
])
def test_strings_ints_and_odd_values(values: dict[str, Any], expected: tuple[Any, ...]) -> None:
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": None}),
                    "screen_savers": ok(saver(own=values))})
    assert lock is not None
    user = lock["users"][0]
    assert (user["active"], user["secure"], user["timeout_seconds"]) == expected


@pytest.mark.parametrize(("raw", "seconds"), [(900, 900), ("600", 600), (0, 0), (-1, None), ("x", None),
                                               (None, None), (True, None), (4294967295, 4294967295)])
def test_machine_limit_values(raw: Any, seconds: int | None) -> None:
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": raw}), "screen_savers": ok(EMPTY)})
    assert lock is not None and lock["machine_limit_seconds"] == seconds and lock["machine_read"] is True


def test_several_users_sorted_and_odd_objects_skipped() -> None:
    users = [saver(1005, "THCSLQD-GV07\\quantri", own={"ScreenSaveActive": "0"}),
             saver(1002, None, policy=POLICY, own=WIN11_DEFAULT),
             {"SID": None, "Account": "x"}, {"Account": "no sid"}]
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": None}), "screen_savers": ok(users)})
    assert lock is not None
    assert [u["sid"] for u in lock["users"]] == [f"{SID}-1002", f"{SID}-1005"]
    first, second = lock["users"]
    assert first["account"] is None and first["from_policy"] is True and first["executable"] == "scrnsave.scr"
    assert second["active"] is False and second["policy_values"] == []


def test_nobody_logged_on_is_an_empty_list_not_unknown() -> None:
    lock, unknown = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": None}), "screen_savers": ok(EMPTY)})
    assert lock is not None and lock["users"] == [] and not unknown


def test_a_failed_probe_is_unknown_never_not_set() -> None:
    lock, unknown = idle({"inactivity_limit": failed("Requested registry access is not allowed."),
                          "screen_savers": ok(saver(policy=POLICY))})
    assert lock is not None and lock["machine_read"] is False and lock["machine_limit_seconds"] is None
    assert unknown["local_security.idle_lock.machine_limit_seconds"]["code"] == "command_failed"
    assert lock["users"][0]["from_policy"] is True
    # Policies\System always exists: a missing key is a failure like any other, not "no limit"
    lock, unknown = idle({"inactivity_limit": failed(NOT_FOUND), "screen_savers": ok(EMPTY)})
    assert lock is not None and lock["machine_read"] is False
    lock, unknown = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": 900}),
                          "screen_savers": failed("Exception calling \"OpenSubKey\": \"Requested registry access "
                                                  "is not allowed.\"")})
    assert lock is not None and lock["users"] is None and lock["machine_limit_seconds"] == 900
    assert "OpenSubKey" in unknown["local_security.idle_lock.users"]["detail"]


def test_neither_probe_read_or_run() -> None:
    lock, unknown = idle({"winlogon": ok({"AutoAdminLogon": "0", "DefaultUserName": "gv",
                                          "DefaultPasswordSet": False})})
    assert lock is None
    assert unknown["local_security.idle_lock"]["code"] == "command_failed"
    assert "not in the recording" in unknown["local_security.idle_lock.users"]["detail"]
    lock, unknown = idle({"inactivity_limit": {"rc": 0, "stdout": "not json {", "stderr": ""},
                           "screen_savers": failed("boom")})
    assert lock is None and unknown["local_security.idle_lock.machine_limit_seconds"]["code"] == "error"


def test_no_key_reads_as_absent_values() -> None:
    lock, _ = idle({"inactivity_limit": ok({"InactivityTimeoutSecs": None}), "screen_savers": ok(saver())})
    assert lock is not None
    user = lock["users"][0]
    assert (user["active"], user["secure"], user["timeout_seconds"], user["executable"]) == (None, None, None, None)
    assert user["source"].count("(absent)") == 2
