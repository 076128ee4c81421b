"""The idle lock on Windows (VN-ACC-11 "tự khóa phiên"): the machine inactivity limit, and the screen saver of each
user whose registry hive is loaded, as collect.ps1 records them (probes `inactivity_limit`, `screen_savers`).

- "Interactive logon: Machine inactivity limit" (HKLM ...\\Policies\\System InactivityTimeoutSecs, REG_DWORD,
  seconds; 0 or absent: off) locks every session after that much inactivity, whoever is logged on.
- The screen saver is per user. The agent runs as SYSTEM and sees only the hives loaded under HKEY_USERS: the
  users logged on (or whose profile is still loaded). Each value of the Group Policy key
  (HKCU\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop) wins over the same value of the user's own
  settings (HKCU\\Control Panel\\Desktop), which the user may change. The values are REG_SZ text ("1", "900");
  older policies wrote REG_DWORD: both are read. A screen saver runs only when ScreenSaveActive is 1, a program
  is chosen (SCRNSAVE.EXE: without one nothing runs, whatever the timeout says) and the timeout is not 0; it
  locks only when ScreenSaverIsSecure is 1.

This module reads; windows.idle_lock judges.
"""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.windows.probes import as_int, one, rows

MACHINE_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"
POLICY_KEY = r"Software\Policies\Microsoft\Windows\Control Panel\Desktop"
OWN_KEY = r"Control Panel\Desktop"
# registry value -> the row's field
VALUES = {"ScreenSaveActive": "active", "ScreenSaverIsSecure": "secure", "ScreenSaveTimeOut": "timeout_seconds",
          "SCRNSAVE.EXE": "executable"}
MAX_USERS = 500  # a terminal server's loaded hives; more is not a PC


def _text(value: Any) -> str | None:
    """A REG_SZ as text; a number (a REG_DWORD written by an old policy) as its digits; null otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def _flag(value: Any) -> bool | None:
    """"1" / 1 -> True, "0" / 0 -> False; anything else (absent, "", "yes", 2) -> null: not a setting Windows reads
    as on."""
    text = _text(value)
    return {"1": True, "0": False}.get(text) if text is not None else None


def _seconds(value: Any) -> int | None:
    n = as_int(_text(value))
    return n if n is not None and n >= 0 else None


def _value(field: str, raw: Any) -> Any:
    if field == "timeout_seconds":
        return _seconds(raw)
    if field == "executable":
        text = _text(raw)
        return text or None
    return _flag(raw)


def user_row(obj: dict[str, Any]) -> dict[str, Any] | None:
    """One object of the screen_savers probe -> the user's screen saver in effect (policy value, else own); None
    for an object without a SID."""
    sid = obj.get("SID")
    if not isinstance(sid, str) or not sid.strip():
        return None
    sid = sid.strip()
    row: dict[str, Any] = {"sid": sid, "account": _text(obj.get("Account")) or None}
    policy_values: list[str] = []
    for name, field in VALUES.items():
        policy, own = obj.get(f"Policy{name}"), obj.get(f"Own{name}")
        # A policy value that is set decides, even when it is odd: Windows ignores the user's value then.
        if policy is not None:
            policy_values.append(name)
            row[field] = _value(field, policy)
        else:
            row[field] = _value(field, own)
    row["policy_values"] = policy_values
    row["from_policy"] = len(policy_values) == len(VALUES)
    keys = [f"HKU\\{sid}\\{POLICY_KEY}" + ("" if obj.get("PolicyKey") is True else " (absent)"),
            f"HKU\\{sid}\\{OWN_KEY}" + ("" if obj.get("OwnKey") is True else " (absent)")]
    row["source"] = "; ".join(keys) + ": " + ", ".join(VALUES)
    return row


def machine_limit(ctx: FactContext, unknown_key: str) -> tuple[bool, int | None]:
    """(read, seconds): InactivityTimeoutSecs; seconds None when it is not set (or not a count of seconds)."""
    obj = one(ctx, "inactivity_limit", unknown_key)
    if obj is None:
        return False, None
    return True, _seconds(obj.get("InactivityTimeoutSecs"))


def users(ctx: FactContext, unknown_key: str) -> list[dict[str, Any]] | None:
    """The loaded users' screen savers ([] when nobody's hive is loaded), or None (unknown recorded)."""
    found = rows(ctx, "screen_savers", unknown_key)
    if found is None:
        return None
    out = [r for r in (user_row(o) for o in found[:MAX_USERS]) if r is not None]
    return sorted(out, key=lambda r: r["sid"])


def idle_lock(ctx: FactContext) -> dict[str, Any] | None:
    """The local_security.idle_lock object, or None (unknown recorded) when neither probe could be read."""
    key = "local_security.idle_lock"
    read, seconds = machine_limit(ctx, f"{key}.machine_limit_seconds")
    loaded = users(ctx, f"{key}.users")
    if not read and loaded is None:
        ctx.unknown(key, "command_failed", "neither the machine inactivity limit nor the users' screen savers "
                                           "could be read (probes inactivity_limit, screen_savers)")
        return None
    return {
        "machine_limit_seconds": seconds if read else None,
        "machine_read": read,
        "machine_source": f"{MACHINE_KEY} InactivityTimeoutSecs",
        "users": loaded,
        "users_source": f"HKEY_USERS\\<SID>\\{POLICY_KEY} (policy), HKEY_USERS\\<SID>\\{OWN_KEY} (the user's own): "
                        "hives of logged-on users only",
    }


__all__ = ["idle_lock", "machine_limit", "user_row", "users"]
