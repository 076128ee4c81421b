"""Values built from the table specs (secaudit/facts/tables/*.yaml): hypothesis strategies for any value of a
spec type, and plain plausible values per OS. Shared by the hostile snapshot tests and the platform test."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from secaudit.facts.tables import Column, Table, Type

TIME = "2026-01-31T08:00:00Z"
TIMES = [TIME, "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z"]
DATES = ["2026-01-31", "2000-02-29"]
OCTALS = ["0640", "777", "0000", "4755"]
TEXT = st.sampled_from(["", "root", "0.0.0.0", "::", "127.0.0.1", "tcp", "udp", "server", "ALL", "/etc/passwd",
                        "x" * 40]) | st.text(max_size=5)
ANY = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**6) | TEXT,
                   lambda c: st.lists(c, max_size=3) | st.dictionaries(TEXT, c, max_size=3), max_leaves=6)


def _columns(columns: dict[str, Column], family: str | None) -> dict[str, Column]:
    return {name: col for name, col in columns.items() if col.on(family)}


def strategy(typ: Type, family: str | None = None) -> st.SearchStrategy[Any]:
    """Any value of `typ` (only `family`'s columns in objects; None: every OS's)."""
    base: st.SearchStrategy[Any]
    if typ.kind == "list" and typ.item is not None:
        base = st.lists(strategy(typ.item, family), max_size=3)
    elif typ.kind == "map" and typ.item is not None:
        base = st.dictionaries(TEXT, strategy(typ.item, family), max_size=3)
    elif typ.kind == "object":
        cols = _columns(dict(typ.columns), family)
        base = st.fixed_dictionaries({k: strategy(c.type, family) for k, c in cols.items() if c.required},
                                     optional={k: strategy(c.type, family) for k, c in cols.items()
                                               if not c.required})
    else:
        base = {"str": TEXT, "int": st.integers(-3, 10**7), "bool": st.booleans(), "any": ANY,
                "time": st.sampled_from(TIMES), "date": st.sampled_from(DATES), "octal": st.sampled_from(OCTALS),
                "enum": st.sampled_from(typ.values or ("",))}[typ.kind]
    return base | st.none() if typ.nullable else base


def table_strategy(spec: Table, family: str | None = None) -> st.SearchStrategy[Any]:
    row = strategy(spec.row, family)
    return row if spec.single else st.lists(row, max_size=3)


# -- plain values --------------------------------------------------------------------------------------------

# Plausible values of a Windows machine's columns, where a value by type alone would be odd; the rest follow the
# type. A variant picks healthy values ("good"), values a check should object to ("bad"), nulls where allowed
# ("null") or empty lists ("empty"), so that the checks go down their different branches.
WINDOWS: dict[str, dict[str, Any]] = {
    "good": {
        "users.name": "gv.tin", "users.id": "S-1-5-21-1-2-3-1001", "users.sid": "S-1-5-21-1-2-3-1001",
        "users.rid": 1001, "users.password_state": "set", "users.groups": ["Users"], "users.admin_via": [],
        "users.admin": False, "users.system": False, "users.builtin": False, "users.last_login": TIME,
        "users.password_last_change": TIME, "users.password_max_days": 42,
        "users.source": "Get-LocalUser", "groups.name": "Administrators", "groups.id": "S-1-5-32-544",
        "groups.sid": "S-1-5-32-544", "groups.members": ["Administrator"],
        "host.hostname": "pc05", "host.os.family": "windows", "host.os.name": "Windows 11 Pro",
        "host.os.version": "10.0.22631", "host.os.build": "22631", "host.role": "workstation",
        "host.role_guess": "workstation", "host.looks_like_system": True, "host.arch": "AMD64",
        "hardware.serial": "7XK2R33", "hardware.vendor": "Dell Inc.", "hardware.virtual": False,
        "interfaces.mac": "3c:a0:67:aa:bb:cc", "interfaces.kind": "ether", "interfaces.ipv4": ["192.168.1.20/24"],
        "antivirus.product": "Microsoft Defender Antivirus", "antivirus.id": "defender",
        "antivirus.vendor": "Microsoft",
        "antivirus.installed": True, "antivirus.running": True, "antivirus.realtime": True,
        "antivirus.signature_time": "2026-11-19T03:00:00Z", "antivirus.last_scan_time": "2026-11-19T05:00:00Z",
        "antivirus.running_mode": "Normal", "antivirus.updater_scheduled": True,
        "listening_ports.proto": "tcp", "listening_ports.address": "0.0.0.0", "listening_ports.port": 135,
        "listening_ports.process": "svchost", "firewall.backend": "windows_firewall", "firewall.active": True,
        "firewall.default_inbound": "block", "firewall.profiles.name": "Domain",
        "firewall.profiles.enabled": True, "firewall.profiles.default_inbound": "block",
        "system.time_sync_service": "w32time", "system.time_synced": True, "system.auto_updates": True,
        "system.last_update_time": "2026-11-15T02:00:00Z", "system.pending_security_updates": 0,
        "system.reboot_required": False, "system.os_id": "windows", "system.os_version": "10.0.22631",
        "system.os_support_end": "2027-11-09", "system.os_rolling": False,
        "password_policy.min_length": 14, "password_policy.min_classes": 3,
        "password_policy.quality_module": "local security policy", "password_policy.quality_enforcing": True,
        "password_policy.quality_reason": None, "password_policy.lockout_module": "local security policy",
        "password_policy.lockout_threshold": 5, "password_policy.lockout_minutes": 15,
        "password_policy.lockout_reason": None, "password_policy.lockout_permanent": False,
        "password_policy.lockout_incomplete": False, "password_policy.max_age_days": 42,
        "remote_login.ssh": None, "remote_login.rdp.enabled": False, "remote_login.rdp.nla": True,
        "software.name": "7-Zip 23.01 (x64)", "software.manager": "registry", "software.version": "23.01",
        "backups.set": "CSDL", "backups.kind": "files", "backups.path": "D:/backup/db-*.bak",
        "backups.copies.path": "D:/backup/db-1.bak", "backups.copies.time": "2026-11-19T22:00:00Z",
        "backups.copies.size_bytes": 1 << 20, "backups.count": 8, "backups.min_count": 7,
        "backups.max_age_seconds": 93600, "backups.error": None, "backups.listing": None,
        "backups.verification.errors": [], "backups.verification.verified_at": "2026-11-19T23:00:00Z",
        "backups.offsite": None, "backups.personal_data": True,
    },
    "bad": {
        "users.name": "admin", "users.password_state": "empty", "users.admin": True, "users.enabled": True,
        "users.interactive": True, "users.last_login": "2020-01-01T00:00:00Z",
        "users.password_last_change": "2020-01-01T00:00:00Z", "users.password_max_days": None,
        "host.os.family": "windows", "host.hostname": "DESKTOP-ABC123", "host.looks_like_system": True,
        "antivirus.running": False, "antivirus.realtime": False, "antivirus.signature_time": "2020-01-01T00:00:00Z",
        "antivirus.installed": True, "listening_ports.proto": "tcp", "listening_ports.port": 3389,
        "listening_ports.address": "0.0.0.0", "firewall.profiles.enabled": False, "firewall.active": False,
        "system.time_synced": False, "system.auto_updates": False, "system.last_update_time": "2020-01-01T00:00:00Z",
        "system.os_support_end": "2020-01-14", "system.pending_security_updates": 12, "system.reboot_required": True,
        "password_policy.min_length": 0, "password_policy.quality_module": None,
        "password_policy.lockout_module": None, "password_policy.lockout_threshold": 0,
        "software.name": "teamviewer", "software.manager": "registry",
        "backups.copies.time": "2020-01-01T00:00:00Z", "backups.count": 1,
    },
}


def _plain(typ: Type, path: str, family: str, variant: str) -> Any:
    """One value of `typ` for the column at `path` ("users.groups", "firewall.profiles.name")."""
    table = WINDOWS.get(variant, {}) if family == "windows" else {}
    if path in table:
        return table[path]
    if typ.nullable and variant == "null":
        return None
    if typ.kind == "list" and typ.item is not None:
        return [] if variant == "empty" else [_plain(typ.item, path, family, variant)]
    if typ.kind == "map":
        return {}
    if typ.kind == "object":
        return {name: _plain(col.type, f"{path}.{name}", family, variant)
                for name, col in _columns(dict(typ.columns), family).items()}
    return {"str": path.rsplit(".", 1)[-1], "int": 1, "bool": variant != "bad", "any": None, "time": TIME,
            "date": "2027-01-31", "octal": "0640", "enum": typ.values[0] if typ.values else ""}[typ.kind]


def plain_table(spec: Table, family: str, variant: str = "good") -> Any:
    """A value of the table with `family`'s columns only (one row for a rows table)."""
    row = _plain(spec.row, spec.name, family, variant)
    return row if spec.single else [row]
