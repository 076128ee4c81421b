"""Accounts and permissions: users, groups, sudo rules, password policy and the PAM stacks.

Password hashes are read only to tell set / empty / locked / none; they never leave this module.
"""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux import etcfiles
from secaudit.facts.linux.logins import collect_last_logins, defs_int, login_defs
from secaudit.facts.linux.pam import PamConfig, collect_pam
from secaudit.facts.linux.pam_policy import build_policy
from secaudit.facts.linux.sudo_rules import rules
from secaudit.facts.linux.sudoers import Reader, Sudoers, parse_sudoers
from secaudit.facts.model import GroupRow, PasswordPolicy, UserRow
from secaudit.facts.registry import collector
from secaudit.policy.sudo import grants_admin
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable

# sudo/wheel/admin by sudoers convention; docker, lxd, incus-admin and disk give root by other means
# (a container with the host's / mounted, raw access to the block devices)
ADMIN_GROUPS = ("sudo", "wheel", "admin", "docker", "lxd", "incus-admin", "disk")
SUDO_BINARIES = ("/usr/bin/sudo", "/bin/sudo", "/usr/sbin/sudo", "/sbin/sudo", "/usr/local/bin/sudo")
DAY = 86400
# A usable crypt(3) hash: $id$..., or traditional 13-character DES.
_HASH = re.compile(r"^\$[0-9a-z]+\$.+|^[./0-9A-Za-z]{13}$")
_ID = re.compile(r"-?[0-9]{1,19}")  # ASCII digits only: str.isdigit() also accepts '²', which int() refuses


# --- shared, parsed once per collection ---------------------------------------------------------


def _hostname(ctx: FactContext) -> str:
    def load() -> str:
        for path in ("/etc/hostname", "/proc/sys/kernel/hostname"):
            text = (ctx.read_text(path) or "").strip()
            if text:
                return text.splitlines()[0].strip()
        return ""

    return ctx.memo("etc.hostname", load)


def sudoers_rules(ctx: FactContext) -> tuple[Sudoers | None, list[dict[str, Any]]]:
    """(parse, rule rows) of /etc/sudoers and its includes; (None, []) when sudo is absent."""

    def load() -> tuple[Sudoers | None, list[dict[str, Any]]]:
        host = _hostname(ctx)

        def is_file(path: str) -> bool:
            try:
                return ctx.transport.stat(path).is_file
            except FactUnavailable:
                return True  # let the read report why

        reader = Reader(ctx.transport.read_text, ctx.transport.list_dir, is_file, host.split(".")[0])
        parsed = parse_sudoers(reader)
        if parsed is None:
            # No /etc/sudoers: no sudo at all only if no sudo program is there either.
            binary = next((b for b in SUDO_BINARIES if _exists(ctx, b)), None)
            if binary is None:
                ctx.unknown("sudo_rules", "not_applicable",
                            "sudo (no /etc/sudoers, no " + ", ".join(SUDO_BINARIES) + ")")
            else:
                ctx.unknown("sudo_rules", "not_found", f"/etc/sudoers ({binary} is installed)")
            return None, []
        for path, code in parsed.unreadable:
            ctx.unknown("sudo_rules", code, path)
        elsewhere = sudoers_sources(ctx.read_text("/etc/nsswitch.conf") or "")
        if elsewhere:
            # sssd or LDAP may hold more rules: the files alone are not the whole picture
            ctx.unknown("sudo_rules.directory", "not_collected", elsewhere)
        return parsed, rules(parsed, host)

    return ctx.memo("sudoers", load)


def sudoers_sources(nsswitch: str) -> str:
    """Where else sudo reads rules, per the `sudoers:` line of nsswitch.conf ("sss ldap (line 12)"), or ""."""
    found = ""
    for number, raw in enumerate(nsswitch.splitlines(), 1):
        key, sep, rest = raw.split("#", 1)[0].partition(":")
        if sep and key.strip() == "sudoers":
            others = [w for w in rest.split() if w != "files" and not w.startswith("[")]
            found = f"{' '.join(others)} (/etc/nsswitch.conf:{number})" if others else ""
    return found


def _exists(ctx: FactContext, path: str) -> bool:
    try:
        return ctx.transport.exists(path)
    except FactUnavailable:
        return True  # cannot tell: assume it is there, so that nothing passes on a guess


def pam_table(ctx: FactContext) -> tuple[dict[str, Any], PamConfig]:
    return ctx.memo("pam", lambda: collect_pam(ctx))


# --- users and groups -------------------------------------------------------------------------


def password_state(field: str) -> str:
    if field == "":
        return "empty"
    if field.startswith("!") or field.startswith("*LK*"):
        return "locked"  # usermod -L / passwd -l ("!hash"), and RHEL's never-set "!!"
    if _HASH.match(field):
        return "set"
    return "none"  # "*", "x" without a shadow entry, or anything crypt() never produces


def _principal_matches(principal: str, name: str, uid: int, gids: set[int], groups: set[str]) -> bool:
    if principal == "ALL":
        return True
    if principal.startswith("%:") or principal.startswith("+"):
        return False  # non-Unix groups and netgroups cannot be resolved from files
    if principal.startswith("%#"):
        return _ID.fullmatch(principal[2:]) is not None and int(principal[2:]) in gids
    if principal.startswith("%"):
        return principal[1:] in groups
    if principal.startswith("#"):
        return _ID.fullmatch(principal[1:]) is not None and int(principal[1:]) == uid
    return principal == name


def rule_applies(row: dict[str, Any], name: str, uid: int, gids: set[int], groups: set[str]) -> bool:
    if row.get("host_match") is False:
        return False
    if not _principal_matches(str(row["principal"]), name, uid, gids, groups):
        return False
    return not any(_principal_matches(x, name, uid, gids, groups) for x in row.get("except", []))


@collector("accounts", ("users", "groups"))
def collect_accounts(ctx: FactContext) -> None:
    entries = etcfiles.passwd(ctx)
    group_entries = etcfiles.groups(ctx) or []
    if entries is None:
        return  # etcfiles recorded why under "users"
    if not entries:
        ctx.unknown("users", "no_entries", "/etc/passwd")  # a file, but not an account database
    defs = login_defs(ctx)
    uid_min = defs_int(defs, "UID_MIN")[0] or 1000
    uid_max = defs_int(defs, "UID_MAX")[0] or 60000
    today = int(ctx.now) // DAY

    shadow: dict[str, etcfiles.ShadowEntry] | None
    try:
        shadow = {}
        for s in etcfiles.parse_shadow(ctx.transport.read_text("/etc/shadow")):
            shadow.setdefault(s.name, s)
    except FactUnavailable as exc:
        shadow = None
        # A missing shadow is unknown too, unless no account points to it ("x"): passwords are then in passwd.
        if exc.code != "not_found" or any(e.password == "x" for e in entries):
            for key in ("users.password_state", "users.password_last_change", "users.password_max_days",
                        "users.enabled"):
                ctx.unknown(key, exc.code, exc.detail)

    gshadow: dict[str, etcfiles.GshadowEntry] = {}
    gshadow_unreadable = False
    try:
        for gs in etcfiles.parse_gshadow(ctx.transport.read_text("/etc/gshadow")):
            gshadow.setdefault(gs.name, gs)
    except FactUnavailable as exc:
        if exc.code != "not_found":  # no gshadow: group passwords are in /etc/group (or none)
            gshadow_unreadable = True
            for key in ("groups.password_state", "groups.group_admins"):
                ctx.unknown(key, exc.code, exc.detail)

    _, sudo_rows = sudoers_rules(ctx)
    admin_rules = [r for r in sudo_rows if grants_admin(r)]
    gid_name = {g.gid: g.name for g in reversed(group_entries)}
    member_of: dict[str, list[etcfiles.GroupEntry]] = {}
    for g in group_entries:
        for m in dict.fromkeys(g.members):
            member_of.setdefault(m, []).append(g)
    primary_of: dict[int, list[str]] = {}
    for e in entries:
        primary_of.setdefault(e.gid, []).append(e.name)

    admin_group_names = {g.name for g in group_entries if g.name in ADMIN_GROUPS or any(
        r.get("host_match") is not False and r["principal"] in (f"%{g.name}", f"%#{g.gid}") for r in admin_rules)}
    # gpasswd lets a gshadow administrator of a group add anyone, themselves included
    gshadow_admin_of: dict[str, list[str]] = {}
    for name in sorted(admin_group_names):
        for admin in gshadow[name].admins if name in gshadow else ():
            gshadow_admin_of.setdefault(admin, []).append(name)

    users: list[UserRow] = []
    for e in entries:
        interactive = etcfiles.login_shell(e.shell)
        supplementary = member_of.get(e.name, [])
        group_names = [gid_name.get(e.gid, str(e.gid))] + [g.name for g in supplementary if g.gid != e.gid]
        gids = {e.gid} | {g.gid for g in supplementary}
        row: UserRow = {"name": e.name, "id": str(e.uid), "uid": e.uid, "gid": e.gid, "home": e.home,
                        "shell": e.shell, "interactive": interactive,
                        "system": e.uid < uid_min or e.uid > uid_max, "groups": group_names, "source": e.source}
        disabled: list[str] = [] if interactive else ["no_login_shell"]
        sh = shadow.get(e.name) if shadow is not None else None
        state: str | None
        # a hash left in passwd (pwunconv, a hand-written line), locked or not, is readable by everyone
        row["password_in_passwd"] = bool(_HASH.match(e.password.lstrip("!")))
        if e.password != "x":
            state = password_state(e.password)  # a hash in passwd (or empty) wins over shadow
        elif shadow is None:
            state = None
        else:
            state = password_state(sh.hash) if sh is not None else "none"
        if sh is not None:
            row["password_last_change"] = rfc3339(sh.last_change * DAY) if sh.last_change else None
            row["password_change_required"] = sh.last_change == 0
            row["password_max_days"] = sh.max_days
            row["password_min_days"] = sh.min_days
            row["password_inactive_days"] = sh.inactive_days
            row["account_expires"] = rfc3339(sh.expire * DAY) if sh.expire else None
            # pam_unix's rules: expire > 0 and today >= expire; inactive counts after max_days
            if sh.expire and sh.expire > 0 and today >= sh.expire:
                disabled.append("account_expired")
            if (sh.last_change and sh.max_days is not None and sh.max_days >= 0 and sh.inactive_days is not None
                    and sh.inactive_days >= 0 and today - sh.last_change > sh.max_days + sh.inactive_days):
                disabled.append("password_inactive")
        elif shadow is not None:
            row["password_last_change"] = row["account_expires"] = None
            row["password_max_days"] = row["password_inactive_days"] = None
        if state is not None:
            row["password_state"] = state
            if state == "locked":
                disabled.insert(0, "password_locked")
        if state is not None or disabled:
            row["enabled"] = not disabled
        row["disabled_by"] = disabled

        via: list[str] = ["uid:0"] if e.uid == 0 else []
        via += [f"group:{g}" for g in group_names if g in ADMIN_GROUPS]
        via += [f"gshadow_admin:{g}" for g in gshadow_admin_of.get(e.name, [])]
        via += [str(r["source"]) for r in admin_rules if rule_applies(r, e.name, e.uid, gids, set(group_names))]
        row["admin"] = bool(via)
        row["admin_via"] = list(dict.fromkeys(via))
        users.append(row)

    _add_last_logins(ctx, users)
    ctx.put("users", users)

    groups: list[GroupRow] = []
    for g in group_entries:
        members = list(g.members) + [n for n in primary_of.get(g.gid, []) if n not in g.members]
        gvia = [f"name:{g.name}"] if g.name in ADMIN_GROUPS else []
        gvia += [str(r["source"]) for r in admin_rules if r.get("host_match") is not False and (
            r["principal"] == f"%{g.name}" or r["principal"] == f"%#{g.gid}")]
        grow: GroupRow = {"name": g.name, "id": str(g.gid), "gid": g.gid, "members": members, "admin": bool(gvia),
                         "admin_via": list(dict.fromkeys(gvia)), "source": g.source}
        gentry = gshadow.get(g.name)
        if gentry is not None:  # newgrp asks for the gshadow password when there is an entry
            grow["password_state"], grow["password_source"] = password_state(gentry.password), gentry.source
            grow["group_admins"] = list(gentry.admins)
        elif not gshadow and not gshadow_unreadable:
            grow["password_state"] = password_state(g.password) if g.password != "x" else "none"
            grow["password_source"], grow["group_admins"] = g.source, []
        groups.append(grow)
    ctx.put("groups", groups)


def _add_last_logins(ctx: FactContext, users: list[UserRow]) -> None:
    wanted = [(u["name"], u["uid"]) for u in users if u.get("interactive") or u["uid"] == 0]
    found = collect_last_logins(ctx, wanted)
    if not found.read:
        if found.failed:
            _path, code, detail = found.failed[0]
            ctx.unknown("users.last_login", code, detail)
        else:
            ctx.unknown("users.last_login", "not_found",
                        "/var/log/lastlog, /var/lib/lastlog/lastlog2.db, /var/lib/wtmpdb/wtmp.db, /var/log/wtmp")
        return
    for u in users:
        rec = found.by_name.get(u["name"])
        u["last_login"] = rfc3339(rec.time) if rec else None
        u["last_login_source"] = rec.source if rec else ",".join(found.read)
        if rec and rec.host:
            u["last_login_from"] = rec.host


# --- sudo rules ---------------------------------------------------------------------------------


@collector("sudoers", ("sudo_rules",))
def collect_sudoers(ctx: FactContext) -> None:
    parsed, rows = sudoers_rules(ctx)
    ctx.put("sudo_rules", rows)
    if parsed is not None and parsed.errors:
        ctx.unknown("sudo_rules.parse", "error", "; ".join(parsed.errors[:5]))


# --- PAM and password policy ----------------------------------------------------------------------


@collector("pam", ("pam",))
def collect_pam_table(ctx: FactContext) -> None:
    table, cfg = pam_table(ctx)
    if not table["services"]:
        # Not "no PAM": a root whose /usr (and /usr/lib/pam.d) is another partition looks the same.
        ctx.unknown("pam", "not_found", "/etc/pam.d, /usr/lib/pam.d")
        return
    for path, code, detail in cfg.unreadable:
        ctx.unknown("pam", code, detail or path)
    ctx.put("pam", table)


@collector("password_policy", ("password_policy",))
def collect_password_policy(ctx: FactContext) -> None:
    table, cfg = pam_table(ctx)
    policy: PasswordPolicy = build_policy(ctx, login_defs(ctx), table, cfg)
    ctx.put("password_policy", policy)
