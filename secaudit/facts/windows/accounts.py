"""Local accounts on Windows: users (Get-LocalUser), the Administrators group (by SID S-1-5-32-544, with the
ADSI fallback when Get-LocalGroupMember fails on an orphaned SID), the password and lockout policy from the
`secedit` export's [System Access] section, auto-logon (never the password), UAC and the idle lock
(session_lock.py).

Built-in accounts are told by the RID at the end of their SID, never by name: names are localised and can be
renamed. The secedit INF's keys are not localised; the console text secedit prints around it is, and is skipped.
"""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.model import GroupRow, PasswordPolicy, UserRow
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_bool, as_int, one, ps_time, rows, text
from secaudit.facts.windows.session_lock import idle_lock
from secaudit.timefmt import parse_rfc3339_or_none

ADMINS_SID = "S-1-5-32-544"
ADMINS_NAME = "Administrators"  # what the row is called: the group's own name is localised
BUILTIN_RIDS = {500: "Administrator", 501: "Guest", 503: "DefaultAccount", 504: "WDAGUtilityAccount"}
SYSTEM_RIDS = (503, 504)  # accounts Windows keeps for itself, not for a person
POLICY = "Local Security Policy"  # what enforces passwords and lockout: quality_module / lockout_module
SECEDIT = "secedit /export /areas SECURITYPOLICY"
_SID = re.compile(r"^S-1-\d{1,3}(?:-\d{1,10}){1,15}$")
_SECTION = re.compile(r"^\[([^\]\r\n]{1,100})\]$")
MAX_INF_LINES = 20_000


# --- small readers ------------------------------------------------------------------------------


def sid_of(value: Any) -> str | None:
    """A SID as ConvertTo-Json prints it: a string, or the SecurityIdentifier object with its Value."""
    if isinstance(value, dict):
        value = value.get("Value")
    if isinstance(value, str) and _SID.match(value.strip()):
        return value.strip()
    return None


def rid_of(sid: str | None) -> int | None:
    return int(sid.rsplit("-", 1)[1]) if sid else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- secedit INF ----------------------------------------------------------------------------------


def decode_inf(data: str | bytes) -> str:
    """The INF as text, whatever way it arrived: secedit writes UTF-16 LE with a BOM; a recorder may have
    decoded it already (a str), or passed UTF-16 bytes through a single-byte decoding (NULs between the
    characters, the BOM as "ÿþ"), or re-saved it as UTF-8."""
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16", "replace")
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8", "replace")
        if len(data) >= 2 and data[1:2] == b"\x00" and data[0:1] != b"\x00":
            return data.decode("utf-16-le", "replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")
    text_ = data
    if "\x00" in text_:
        text_ = text_.replace("\x00", "")
        for mark in ("ÿþ", "þÿ"):
            if text_.startswith(mark):
                text_ = text_[len(mark) :]
    return text_.lstrip("\ufeff")


def parse_inf(data: str | bytes) -> dict[str, dict[str, str]]:
    """Section (lower case) -> key (lower case) -> value (quotes removed) of an INF such as secedit exports.
    Text before the first section (secedit's own messages, in the UI language) is skipped; the first value of a
    key wins; lines that are neither a section nor key = value are ignored."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for n, raw in enumerate(decode_inf(data).splitlines()):
        if n >= MAX_INF_LINES:
            break
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group(1).strip().lower(), {})
            continue
        if current is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        current.setdefault(key.strip().lower(), value)
    return sections


def _inf_int(access: dict[str, str], key: str) -> int | None:
    return as_int(access.get(key.lower(), ""))


def policy_from_inf(access: dict[str, str]) -> PasswordPolicy:
    """The password_policy table from the [System Access] keys (absent keys: null, never guessed).
    MaximumPasswordAge -1 (or 0) is "never expires"; LockoutDuration -1 is "until an administrator unlocks";
    secedit omits the lockout duration and window when the threshold is 0."""
    where = f"{SECEDIT} [System Access]"
    sources: dict[str, str] = {}

    def num(column: str, key: str) -> int | None:
        value = _inf_int(access, key)
        if value is not None:
            sources[column] = f"{where} {key}"
        return value

    min_length = num("min_length", "MinimumPasswordLength")
    complexity = num("complexity", "PasswordComplexity")
    max_age = num("max_age_days", "MaximumPasswordAge")
    threshold = num("lockout_threshold", "LockoutBadCount")
    duration = num("lockout_minutes", "LockoutDuration")
    window = num("lockout_window_minutes", "ResetLockoutCount")
    clear = num("clear_text_passwords", "ClearTextPassword")
    guest = num("guest_account_enabled", "EnableGuestAccount")
    admin = num("admin_account_enabled", "EnableAdminAccount")
    if complexity is not None:
        sources["min_classes"] = sources["complexity"]
    permanent = threshold is not None and threshold > 0 and duration is not None and duration < 0
    policy: PasswordPolicy = {
        "min_length": min_length,
        # Windows complexity: three of uppercase, lowercase, digits, symbols (and Unicode letters).
        "min_classes": None if complexity is None else (3 if complexity else 0),
        "quality_module": POLICY,
        "quality_enforcing": True,
        "quality_reason": None,
        "quality_service": None,
        "max_age_days": None if max_age is None or max_age <= 0 else max_age,
        "min_age_days": num("min_age_days", "MinimumPasswordAge"),
        "history": num("history", "PasswordHistorySize"),
        "lockout_module": POLICY,
        "lockout_threshold": threshold,
        "lockout_minutes": None if duration is None or duration < 0 else duration,
        "lockout_permanent": permanent,
        "lockout_window_minutes": window,
        "lockout_reason": "zero" if threshold == 0 else None,
        "lockout_service": None,
        "lockout_incomplete": False,
        "complexity": None if complexity is None else bool(complexity),
        "clear_text_passwords": None if clear is None else bool(clear),
        "guest_account_enabled": None if guest is None else bool(guest),
        "admin_account_enabled": None if admin is None else bool(admin),
        "admin_account_name": access.get("newadministratorname"),
        "guest_account_name": access.get("newguestname"),
        "sources": sources,
        "source": [SECEDIT],
    }
    return policy


def security_policy(ctx: FactContext) -> dict[str, str] | None:
    """The [System Access] section of the secedit export, parsed once; None (unknown recorded under
    password_policy) when the probe did not run, failed or printed no such section."""

    def load() -> dict[str, str] | None:
        out = text(ctx, "security_policy", "password_policy")
        if out is None:
            return None
        access = parse_inf(out).get("system access")
        if not access:
            first = next((ln.strip() for ln in decode_inf(out).splitlines() if ln.strip()), "no output")
            ctx.unknown(
                "password_policy",
                "error",
                f"probe security_policy: no [System Access] section in the secedit export ({first[:120]})",
            )
            return None
        return access

    return ctx.memo("windows.secedit", load)


# --- users and the Administrators group -------------------------------------------------------------


def _member_sid_name(item: dict[str, Any]) -> tuple[str | None, str]:
    sid = sid_of(item.get("SID"))
    name = _str(item.get("Name")) or sid or ""
    return sid, name.strip()


def _orphaned(sid: str | None, name: str) -> bool:
    """ADSI names a member whose account no longer exists by its SID: the name is the SID itself."""
    return bool(_SID.match(name)) and (sid is None or name == sid)


def admin_members(ctx: FactContext) -> tuple[list[tuple[str | None, str]], list[str], str] | None:
    """Members of the Administrators group as (SID, name), the SIDs that resolve to no account, and where they
    came from; None (unknown recorded) when neither Get-LocalGroupMember nor the ADSI fallback answered."""

    def load() -> tuple[list[tuple[str | None, str]], list[str], str] | None:
        found = rows(ctx, "local_admins", "groups.local_admins")
        source = f"Get-LocalGroupMember -SID {ADMINS_SID}"
        if found is None:
            # PowerShell 5.1 throws on an orphaned SID (error 1789): read the group through ADSI instead.
            found = rows(ctx, "local_admins_adsi", "groups")
            if found is None:
                return None
            failed = ctx.snapshot.unknown.pop("groups.local_admins", None)
            why = f" ({failed['detail'][:120]})" if failed else ""
            source = f"ADSI WinNT://./{ADMINS_NAME},group (fallback: Get-LocalGroupMember failed{why})"
        members: list[tuple[str | None, str]] = []
        orphaned: list[str] = []
        for item in found:
            sid, name = _member_sid_name(item)
            if not name:
                continue
            if _orphaned(sid, name):
                orphaned.append(sid or name)
            else:
                members.append((sid, name))
        return members, orphaned, source

    return ctx.memo("windows.admins", load)


def _bare(name: str) -> str:
    """ "PC05\\alice" -> "alice"."""
    return name.rsplit("\\", 1)[-1]


def _days_between(start: str | None, end: str | None) -> int | None:
    a, b = parse_rfc3339_or_none(start), parse_rfc3339_or_none(end)
    return None if a is None or b is None else max(0, (b - a).days)


def user_row(item: dict[str, Any], admin_sids: set[str], admin_names: set[str] | None) -> UserRow | None:
    name = _str(item.get("Name"))
    if not name:
        return None
    sid = sid_of(item.get("SID"))
    rid = rid_of(sid)
    required = as_bool(item.get("PasswordRequired"))
    last_set = ps_time(item.get("PasswordLastSet"))
    expires = ps_time(item.get("PasswordExpires"))
    row: UserRow = {
        "name": name,
        "id": sid or name,
        "interactive": True,
        "system": rid in SYSTEM_RIDS,
        "source": "Get-LocalUser",
    }
    if sid is not None and rid is not None:
        row["sid"], row["rid"], row["builtin"] = sid, rid, rid in BUILTIN_RIDS
    enabled = as_bool(item.get("Enabled"))
    if enabled is not None:
        row["enabled"] = enabled
    row["password_required"] = required
    row["password_state"] = "unknown" if required is None else ("set" if required else "not_required")
    row["password_last_change"] = last_set
    row["password_expires"] = expires
    # PasswordExpires null: the password never expires (the account's flag, or no maximum age in the policy).
    row["password_max_days"] = _days_between(last_set, expires) if expires else None
    row["password_change_required"] = last_set is None
    row["last_login"] = ps_time(item.get("LastLogon"))
    row["last_login_source"] = "Get-LocalUser LastLogon"
    row["description"] = _str(item.get("Description"))
    if admin_names is not None:
        admin = (sid is not None and sid in admin_sids) or name.casefold() in admin_names
        row["admin"] = admin
        row["admin_via"] = [f"group:{ADMINS_SID}"] if admin else []
        row["groups"] = [ADMINS_NAME] if admin else []
    return row


@collector("accounts", ("users", "groups"))
def collect_accounts(ctx: FactContext) -> None:
    admins = admin_members(ctx)
    if admins is None:
        ctx.unknown("users.admin", "not_found", "the Administrators group could not be read")
    members, orphaned, admin_source = admins if admins is not None else ([], [], "")
    admin_sids = {sid for sid, _ in members if sid}
    # A member is matched to a local user by SID; by name only when its SID was not printed.
    admin_names = {_bare(n).casefold() for sid, n in members if not sid} if admins is not None else None
    found = rows(ctx, "local_users", "users")
    users = [r for r in (user_row(item, admin_sids, admin_names) for item in found or []) if r is not None]
    if found is not None:
        ctx.put("users", users)
    if admins is None:
        return
    by_sid = {u["id"]: u["name"] for u in users}
    names = [by_sid.get(sid or "", n) for sid, n in members]
    group: GroupRow = {
        "name": ADMINS_NAME,
        "id": ADMINS_SID,
        "sid": ADMINS_SID,
        "members": list(dict.fromkeys(names)),
        "admin": True,
        "admin_via": [f"sid:{ADMINS_SID}"],
        "unresolved_members": orphaned,
        "source": admin_source,
    }
    ctx.put("groups", [group])


@collector("password_policy", ("password_policy",))
def collect_password_policy(ctx: FactContext) -> None:
    access = security_policy(ctx)
    if access is not None:
        ctx.put("password_policy", policy_from_inf(access))


# --- auto-logon and UAC ------------------------------------------------------------------------------

WINLOGON = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
UAC_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"
# ConsentPromptBehaviorAdmin: what an administrator sees when a program asks for elevation.
ADMIN_PROMPTS = {
    0: "elevate_without_prompting",
    1: "credentials_secure_desktop",
    2: "consent_secure_desktop",
    3: "credentials",
    4: "consent",
    5: "consent_non_windows",
}


def _flag(value: Any) -> bool | None:
    """A registry flag: 1/0 as a number or as REG_SZ text ("1"); null when the value is not set."""
    if isinstance(value, str):
        value = value.strip()
        return None if not value else value == "1" if value in ("0", "1") else None
    return as_bool(value)


@collector("local_security", ("local_security",))
def collect_local_security(ctx: FactContext) -> None:
    table: dict[str, Any] = {}
    logon = one(ctx, "winlogon", "local_security.auto_logon")
    if logon is not None:
        # The probe reduces DefaultPassword to a boolean: the password itself is never recorded.
        enabled = _flag(logon.get("AutoAdminLogon"))
        table["auto_logon"] = {
            "enabled": bool(enabled),
            "user": _str(logon.get("DefaultUserName")) or None,
            "password_stored": as_bool(logon.get("DefaultPasswordSet")),
            "source": f"{WINLOGON} AutoAdminLogon, DefaultUserName, DefaultPassword (set or not)",
        }
    uac = one(ctx, "uac", "local_security.uac")
    if uac is not None:
        prompt = as_int(uac.get("ConsentPromptBehaviorAdmin"))
        table["uac"] = {
            "enabled": _flag(uac.get("EnableLUA")),
            "admin_prompt": prompt,
            "admin_prompt_name": ADMIN_PROMPTS.get(prompt) if prompt is not None else None,
            "source": f"{UAC_KEY} EnableLUA, ConsentPromptBehaviorAdmin",
        }
    lock = idle_lock(ctx)
    if lock is not None:
        table["idle_lock"] = lock
    if table:
        ctx.put("local_security", table)
    else:
        ctx.unknown("local_security", "not_found", "neither the Winlogon nor the UAC registry key could be read, "
                                                   "nor the idle lock settings")


__all__ = [
    "admin_members",
    "collect_accounts",
    "collect_local_security",
    "collect_password_policy",
    "parse_inf",
    "policy_from_inf",
    "security_policy",
]
