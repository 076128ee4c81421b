"""Accounts and permissions (VN-ACC-01..09): who is admin, passwords, PAM, lockout, idle accounts."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.policy.sudo import PARAM_DEFAULTS, root_reasons_with, runs_as_root
from secaudit.timefmt import parse_rfc3339_or_none

NEVER = 99999  # shadow/login.defs "no maximum password age"


def _time(value: str | None) -> datetime | None:
    return parse_rfc3339_or_none(value)


def _days_since(value: str | None, env: Env) -> int | None:
    when = _time(value)
    return None if when is None else (env.now - when).days


def _sudo_unreadable(snap: Snapshot) -> str | None:
    """A sudoers file that could not be read; sudo not being installed at all is not a gap."""
    why = snap.why_unknown("sudo_rules")
    return why["detail"] if why and why["code"] != "not_applicable" else None


def _sudo_gap(snap: Snapshot) -> tuple[str, dict[str, str]] | None:
    """Rules the files do not show: sudoers lines the parser could not read, or rules kept in sssd/LDAP
    (nsswitch.conf). Either may grant anything, so nothing passes while they are unseen."""
    why = snap.unknown.get("sudo_rules.parse")
    if why:
        return "unknown_parse", {"lines": why["detail"]}
    why = snap.unknown.get("sudo_rules.directory")
    if why:
        return "unknown_directory", {"sources": why["detail"]}
    return None


def _root_reasons(rule: dict[str, Any], p: dict[str, Any]) -> list[str]:
    """Why a sudo rule amounts to root (empty: it does not), with the check's command lists."""
    return root_reasons_with(rule, p)


def _admins(snap: Snapshot, p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Everyone holding admin rights, root excluded: flagged users, members of admin groups,
    and sudoers principals that name no local account (netgroups, directory users)."""
    admin_groups = set(p.get("admin_groups", ()))
    users = snap.table("users")
    out: dict[str, dict[str, Any]] = {}
    for u in users:
        via = list(u.get("admin_via", []))
        via += [f"group:{g}" for g in u.get("groups", []) if g in admin_groups and f"group:{g}" not in via]
        if (u.get("admin") or via) and u["name"] != "root":
            uid = u.get("uid") if "uid" in u else None  # a Linux column: Windows accounts have a SID
            out[u["name"]] = {"name": u["name"], "uid": uid, "via": via, "system": bool(u.get("system")),
                              "enabled": u.get("enabled"), "source": u.get("source")}
    names = {u["name"] for u in users}
    groups = {g["name"] for g in snap.table("groups")}
    sudo_rules = snap.table("sudo_rules")  # Linux only: uids and gids resolve its #uid and %#gid principals
    uids = {str(u.get("uid")) for u in users} if sudo_rules else set()
    gids = {str(g.get("gid", g.get("id"))) for g in snap.table("groups")} if sudo_rules else set()
    for rule in sudo_rules:
        if rule.get("host_match") is False or not runs_as_root(rule):
            continue
        if not _root_reasons(rule, p):
            continue
        principal, kind = str(rule["principal"]), rule.get("principal_kind")
        unresolved = (kind in ("netgroup", "nonunix_group")
                      or (kind == "user" and principal not in names and principal != "root")
                      or (kind == "uid" and principal[1:] not in uids)
                      or (kind == "group" and principal[1:] not in groups)
                      or (kind == "gid" and principal[2:] not in gids))
        if unresolved:
            entry = out.setdefault(principal, {"name": principal, "uid": None, "via": [], "system": False,
                                               "enabled": None, "source": rule.get("source")})
            entry["via"].append(str(rule.get("source")))
    return out


def _label(a: dict[str, Any]) -> str:
    return f"{a['name']} ({', '.join(a['via'])})" if a["via"] else a["name"]


@check("accounts.uid0_duplicates")
def uid0_duplicates(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    users = snap.table("users")
    extra = [u for u in users if u.get("uid") == 0 and u["name"] != "root"]
    if extra:
        return Outcome("fail", "fail", {"accounts": [f"{u['name']} ({u.get('source')})" for u in extra]},
                       {"accounts": [{"name": u["name"], "uid": 0, "source": u.get("source")} for u in extra]})
    if not any(u.get("uid") == 0 and u["name"] == "root" for u in users):
        # Every Linux passwd has root at UID 0: without it this is not the system's account database.
        return Outcome("unknown", "unknown_no_root", {"n": len(users)}, {"accounts": len(users)})
    return Outcome("pass", "pass", {}, {"uid0": [u["name"] for u in users if u.get("uid") == 0]})


@check("accounts.shadowed_passwords")
def shadowed_passwords(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    users = snap.table("users")
    if not users:
        return Outcome("unknown", "unknown", {}, {})
    bad = [u for u in users if u.get("password_in_passwd")]
    if bad:
        return Outcome("fail", "fail", {"accounts": [f"{u['name']} ({u.get('source')})" for u in bad]},
                       {"accounts": [{"name": u["name"], "source": u.get("source")} for u in bad]})
    return Outcome("pass", "pass", {}, {"checked": len(users)})


@check("accounts.admin_members", defaults=PARAM_DEFAULTS)
def admin_members(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    outcome = _admin_members(snap, p, env)
    if env.family == "windows":  # group passwords are a Unix notion (gshadow)
        return outcome
    # newgrp lets anyone who knows an admin group's password into it: a shared secret, no one approved
    admin_groups = set(p.get("admin_groups", ()))
    with_password = [g for g in snap.table("groups") if (g.get("admin") or g["name"] in admin_groups)
                     and g.get("password_state") == "set"]
    if not with_password:
        return outcome
    named = [f"{g['name']} ({g.get('password_source')})" for g in with_password]
    return [Outcome("fail", "group_password", {"groups": named},
                    {"group_passwords": [{"group": g["name"], "source": g.get("password_source")}
                                         for g in with_password]}), outcome]


def _admin_members(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    admins = _admins(snap, p)
    approved = set(env.config.approved_admins) | set(p.get("approved_admins") or [])
    unreadable = _sudo_unreadable(snap)
    partial = "_partial" if unreadable else ""
    evidence: dict[str, Any] = {"admins": list(admins.values()), "approved": sorted(approved)}
    if env.family == "windows":  # a disabled Windows account cannot log on (the built-in Administrator, RID 500,
        # usually): in the evidence, not a finding. Linux keeps it: a locked password still lets an SSH key in.
        disabled = sorted(n for n, a in admins.items() if a.get("enabled") is False)
        if disabled:
            evidence["disabled_not_counted"] = disabled
            admins = {n: a for n, a in admins.items() if n not in disabled}
    if unreadable:
        evidence["sudoers_unreadable"] = unreadable
    # Windows: SIDs of deleted accounts still in Administrators (read through ADSI): no one approved them.
    orphaned = [str(sid) for g in snap.table("groups") if g.get("admin") for sid in g.get("unresolved_members") or []]
    if orphaned:
        evidence["unresolved_members"] = orphaned
    if approved:
        bad = [a for n, a in admins.items() if n not in approved]
        if bad:
            evidence["unapproved"] = [a["name"] for a in bad]
            return Outcome("fail", "fail" + partial, {"accounts": [_label(a) for a in bad], "path": unreadable},
                           evidence)
    elif admins:
        return Outcome("warn", "undeclared" + partial, {"accounts": [_label(a) for a in admins.values()],
                                                         "path": unreadable}, evidence)
    if unreadable:
        return Outcome("unknown", "unknown", {"path": unreadable}, evidence)
    gap = _sudo_gap(snap)
    if gap:
        return Outcome("unknown", gap[0], gap[1], {**evidence, "sudoers_unseen": gap[1]})
    if orphaned:
        return Outcome("warn", "orphaned", {"sids": orphaned}, evidence)
    if not admins:
        return Outcome("pass", "win_pass_none" if env.family == "windows" else "pass_none", {}, evidence)
    return Outcome("pass", "pass", {"n": len(admins), "accounts": sorted(admins)}, evidence)


@check("accounts.admin_count", defaults=PARAM_DEFAULTS)
def admin_count(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    # An extra UID-0 account is an administrator whatever its uid range makes it look like (a "system" account).
    humans = [a for a in _admins(snap, p).values() if a.get("enabled") is not False
              and (not a["system"] or a.get("uid") == 0)]
    limit = int(p["max_admins"])
    names = [a["name"] for a in humans]
    evidence: dict[str, Any] = {"admins": humans, "max_admins": limit}
    if len(humans) > limit:
        return Outcome("warn", "warn", {"n": len(humans), "max": limit, "accounts": names}, evidence)
    unreadable = _sudo_unreadable(snap)
    if unreadable:
        return Outcome("unknown", "unknown", {"n": len(humans), "path": unreadable}, evidence)
    gap = _sudo_gap(snap)
    if gap:
        return Outcome("unknown", gap[0], {"n": len(humans), **gap[1]}, {**evidence, "sudoers_unseen": gap[1]})
    return Outcome("pass", "pass" if humans else "pass_none", {"n": len(humans), "max": limit, "accounts": names},
                   evidence)


def _principal_users(snap: Snapshot) -> Any:
    """principal -> the local account names it grants (None: not only local accounts, or unknown)."""
    users = snap.table("users")
    by_group = {g["name"]: set(g.get("members", [])) for g in snap.table("groups")}
    by_gid = {str(g.get("gid")): set(g.get("members", [])) for g in snap.table("groups")}

    def names(principal: str) -> set[str] | None:
        if principal.startswith("%#"):
            return by_gid.get(principal[2:])
        if principal.startswith("%"):
            return by_group.get(principal[1:])
        if principal.startswith("#"):
            found = {u["name"] for u in users if str(u.get("uid")) == principal[1:]}
            return found or None
        if principal == "ALL" or principal.startswith("+"):
            return None
        return {principal}

    return names


def _covers(items: list[str], wanted: list[str]) -> bool:
    return not any(i.startswith("!") for i in items) and ("ALL" in items or set(wanted) <= set(items))


def _overridden_by(rules: list[dict[str, Any]], index: int, names: Any) -> str | None:
    """The later rule that takes every command of rule `index` back to asking a password: sudo applies
    the last rule that matches (user, host, run-as, command), so `alice ALL=(ALL) NOPASSWD: ALL` followed
    by `%sudo ALL=(ALL:ALL) ALL` with alice in sudo asks alice for her password."""
    rule = rules[index]
    runas_users, runas_groups = list(rule.get("runas_users") or []), list(rule.get("runas_groups") or [])
    if not runas_users:
        return None
    wanted = names(str(rule["principal"]))
    if wanted is not None:
        wanted = set(wanted)
    for later in rules[index + 1:]:
        if later.get("nopasswd") or later.get("host_match") is not True or later.get("authenticate_off_elsewhere"):
            continue
        commands = [str(c) for c in later.get("commands", [])]
        if "ALL" not in commands or any(c.startswith("!") for c in commands):
            continue
        if not _covers(list(later.get("runas_users") or []), runas_users):
            continue
        if runas_groups and not _covers(list(later.get("runas_groups") or []), runas_groups):
            continue
        excepted = set(later.get("except") or [])
        if later["principal"] == rule["principal"] and not excepted:
            return str(later["source"])
        if later["principal"] == "ALL" and (not excepted or (wanted and not wanted & excepted)):
            return str(later["source"])
        if wanted is None:  # ALL, a netgroup or an unknown group: only the same principal covers it
            continue
        granted = names(str(later["principal"]))
        if granted and wanted <= granted - excepted:
            return str(later["source"])
    return None


@check("accounts.sudo_nopasswd", defaults=PARAM_DEFAULTS)
def sudo_nopasswd(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    broad: list[dict[str, Any]] = []
    narrow: list[dict[str, Any]] = []
    overridden: list[dict[str, Any]] = []
    rules = snap.table("sudo_rules")
    names = _principal_users(snap)
    for index, rule in enumerate(rules):
        if not rule.get("nopasswd") or rule.get("host_match") is False or rule.get("principal") == "root":
            continue
        item = {k: rule.get(k) for k in ("principal", "runas", "commands", "source", "nopasswd_source")
                if rule.get(k) is not None}
        later = _overridden_by(rules, index, names)
        if later is not None:
            overridden.append({**item, "overridden_by": later})
            continue
        reasons = _root_reasons(rule, p)
        if reasons:
            item["root_equivalent"] = reasons
        (broad if reasons else narrow).append(item)

    def text(items: list[dict[str, Any]]) -> list[str]:
        return [f"{r['principal']} → {', '.join(r['commands'])} ({r['source']})" for r in items]

    evidence: dict[str, Any] = {"broad": broad, "narrow": narrow}
    if overridden:
        evidence["overridden"] = overridden
    if broad:
        return Outcome("fail", "fail", {"rules": text(broad)}, evidence)
    if narrow:
        return Outcome("warn", "warn", {"rules": text(narrow)}, evidence)
    unreadable = _sudo_unreadable(snap)
    if unreadable:
        return Outcome("unknown", "unknown", {"path": unreadable}, {"sudoers_unreadable": unreadable})
    gap = _sudo_gap(snap)
    if gap:
        return Outcome("unknown", gap[0], gap[1], {"sudoers_unseen": gap[1]})
    return Outcome("pass", "pass", {}, {"rules": len(snap.table("sudo_rules")),
                                        **({"overridden": overridden} if overridden else {})})


@check("accounts.empty_passwords")
def empty_passwords(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    users = snap.table("users")
    bad = [u for u in users if u.get("password_state") == "empty" and u.get("enabled") is not False]
    # Windows: PasswordRequired false lets the account be given an empty password (VN-ACC-04 fails it too).
    bad += [u for u in users if u.get("password_state") == "not_required" and u.get("enabled") is not False]
    if bad:
        key = "fail" if bad[0].get("password_state") == "empty" else "not_required"
        return Outcome("fail", key, {"accounts": [f"{u['name']} ({u.get('source')})" for u in bad]},
                       {"accounts": [{"name": u["name"], "source": u.get("source")} for u in bad]})
    unsure = [u["name"] for u in users if not u.get("password_state") and u.get("enabled") is not False]
    if unsure:
        return Outcome("unknown", "unknown", {"accounts": unsure}, {"state_unknown": unsure})
    return Outcome("pass", "pass", {}, {"checked": len(users)})


@check("accounts.pam_nullok")
def pam_nullok(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    """nullok matters where people log in or gain rights (login, sshd, su, sudo, display managers and the
    shared stacks they include), not in an unrelated service such as cups or ppp."""
    pam = snap.table("pam")
    wanted = set(p.get("services") or ())
    found: dict[str, list[str]] = {"auth": pam.get("nullok", []), "password": pam.get("nullok_password", [])}
    hits: dict[str, list[str]] = {}
    services: set[str] = set()
    elsewhere: list[str] = []
    for kind, candidates in found.items():
        used_by = {str(e.get("source")): set(e.get("services", [])) for e in pam.get("entries", [])
                   if e.get("type") == kind}
        hits[kind] = [ln for ln in candidates if used_by.get(ln, set()) & wanted]
        elsewhere += [ln for ln in candidates if ln not in hits[kind]]
        services |= {s for ln in hits[kind] for s in used_by.get(ln, set()) & wanted}
    if hits["auth"] or hits["password"]:
        key = "fail" if not hits["password"] else ("fail_password" if not hits["auth"] else "fail_both")
        return Outcome("fail", key, {"lines": hits["auth"], "password_lines": hits["password"],
                                     "services": sorted(services)},
                       {"lines": hits["auth"], "password_lines": hits["password"], "services": sorted(services),
                        "unrelated_services": elsewhere})
    if not set(pam.get("services", [])) & wanted:
        return Outcome("unknown", "unknown_no_stack", {"services": sorted(wanted)}, {"services": pam.get("services")})
    return Outcome("pass", "pass", {}, {"services": sorted(set(pam.get("services", [])) & wanted),
                                        "unrelated_services": elsewhere})


@check("accounts.generic_names")
def generic_names(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    patterns = [re.compile(x, re.IGNORECASE) for x in p["patterns"]]
    approved = {a.lower() for a in [*env.config.approved_shared_accounts, *(p.get("approved") or [])]}
    sure: list[dict[str, Any]] = []
    maybe: list[dict[str, Any]] = []
    admins: list[dict[str, Any]] = []
    for u in snap.table("users"):
        name = u["name"]
        if not u.get("interactive") or u.get("enabled") is False or name.lower() in approved:
            continue
        if not any(rx.fullmatch(name) for rx in patterns):
            continue
        item = {"name": name, "admin": bool(u.get("admin")), "enabled": u.get("enabled"), "source": u.get("source")}
        if u.get("admin"):
            admins.append(item)
        elif u.get("enabled") is None:
            maybe.append(item)
        else:
            sure.append(item)
    evidence = {"admins": admins, "accounts": sure, "enabled_unknown": maybe}
    if admins:
        return Outcome("fail", "fail", {"admins": [f"{a['name']} ({a['source']})" for a in admins]}, evidence)
    if sure:
        return Outcome("warn", "warn", {"accounts": [f"{a['name']} ({a['source']})" for a in sure + maybe]},
                       evidence)
    if maybe:
        return Outcome("unknown", "unknown", {"accounts": [a["name"] for a in maybe]}, evidence)
    return Outcome("pass", "pass", {}, evidence)


@check("accounts.inactive")
def inactive(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    max_days, warn_days = int(p["max_days"]), int(p["warn_days"])
    failed: list[dict[str, Any]] = []
    warned: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    recent: list[dict[str, Any]] = []
    checked = 0
    for u in snap.table("users"):
        if u.get("system") or not u.get("interactive") or u.get("enabled") is False:
            continue
        checked += 1
        item: dict[str, Any] = {"name": u["name"], "last_login": u.get("last_login"),
                                "last_login_source": u.get("last_login_source"), "source": u.get("source")}
        if u.get("last_login"):
            age = _days_since(u["last_login"], env)
            item["idle_days"] = age
        elif "password_last_change" in u and u.get("password_last_change"):
            age = _days_since(u["password_last_change"], env)
            item.update(never_logged_in=True, password_last_change=u["password_last_change"], idle_days=age)
        else:
            item["never_logged_in"] = True
            unknown.append(item)
            continue
        if age is not None and age > max_days:
            failed.append(item)
        elif age is not None and age > warn_days:
            warned.append(item)
        else:
            recent.append(item)

    def labels(items: list[dict[str, Any]], lang: str) -> list[str]:
        out = []
        for i in items:
            if i.get("never_logged_in"):
                out.append(f"{i['name']} (chưa từng đăng nhập, mật khẩu đặt {i.get('idle_days')} ngày trước)"
                           if lang == "vi" else
                           f"{i['name']} (never logged in, password set {i.get('idle_days')} days ago)")
            else:
                out.append(f"{i['name']} ({i.get('idle_days')} ngày)" if lang == "vi"
                           else f"{i['name']} ({i.get('idle_days')} days)")
        return out

    never = [i for i in recent if i.get("never_logged_in")]
    args = {"max_days": max_days, "warn_days": warn_days, "n": checked, "used": checked - len(never),
            "never": [f"{i['name']} ({i.get('idle_days')})" for i in never]}
    evidence = {"inactive": failed, "idle": warned, "unknown": unknown, "never_logged_in": never}
    if failed:
        return Outcome("fail", "fail", {**args, "accounts_vi": labels(failed, "vi"),
                                        "accounts_en": labels(failed, "en")}, evidence)
    if warned:
        return Outcome("warn", "warn", {**args, "accounts_vi": labels(warned, "vi"),
                                        "accounts_en": labels(warned, "en")}, evidence)
    if unknown:
        return Outcome("unknown", "unknown", {**args, "accounts": [i["name"] for i in unknown]}, evidence)
    key = ("pass_never" if len(never) == checked else "pass_some_never") if never else "pass"
    return Outcome("pass", key if checked else "pass_none", args, evidence)


@check("accounts.password_quality")
def password_quality(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    pol = snap.table("password_policy")
    want_len, warn_len, want_classes = int(p["min_length_pass"]), int(p["min_length_warn"]), int(p["min_classes"])
    length = pol.get("min_length")
    classes = pol.get("min_classes") or 0
    module = pol.get("quality_module")
    args = {"min_length": length, "min_classes": classes, "module": module, "want_length": want_len,
            "want_classes": want_classes, "warn_length": warn_len}
    evidence = {k: pol.get(k) for k in ("min_length", "min_length_configured", "min_classes", "quality_module",
                                          "quality_enforcing", "quality_reason", "quality_service",
                                          "quality_services", "sources") if k in pol}
    reason = pol.get("quality_reason")
    args["service"] = pol.get("quality_service") or "passwd"
    if reason == "no_stack":
        return Outcome("unknown", "unknown_no_stack", args, evidence)
    if not module:
        return Outcome("fail", "fail_none", args, evidence)
    if reason == "not_reached":
        return Outcome("fail", "fail_not_reached", args, evidence)
    if reason == "stack_fails":
        return Outcome("unknown", "unknown_stack_fails", args, evidence)
    if pol.get("quality_enforcing") is False:
        return Outcome("fail", "fail_not_enforcing", args, evidence)
    if length is None or length < warn_len:
        return Outcome("fail", "fail_short", args, evidence)
    if length >= want_len and classes >= want_classes:
        return Outcome("pass", "pass", args, evidence)
    if p.get("mfa_declared"):
        return Outcome("pass", "pass_mfa", args, evidence)
    return Outcome("warn", "warn", args, evidence)


def _max_age(u: dict[str, Any], default: int | None) -> int | None:
    value = u.get("password_max_days")
    if value is None:
        value = default
    return None if value is None or value < 0 or value >= NEVER else int(value)


def _policy_max_age(snap: Snapshot, limit: int) -> tuple[str, dict[str, Any]]:
    """The default every new account gets (login.defs PASS_MAX_DAYS; Windows MaximumPasswordAge), judged
    itself: "ok", "bad" (absent, 99999, -1 or over the limit: useradd then sets no maximum) or "unknown"."""
    pol = snap.table("password_policy")
    value = pol.get("max_age_days")
    where = (pol.get("sources") or {}).get("max_age_days")
    item: dict[str, Any] = {"max_days": value, "source": where, "limit": limit}
    if value is None and not where:
        why = snap.why_unknown("password_policy.login_defs") or snap.why_unknown("password_policy.max_age_days")
        if why or "uid_min" not in pol:  # login.defs unread, or a Windows policy whose value was not read
            item["unknown"] = why["detail"] if why else "not_read"
            return "unknown", item
        item["source"] = "/etc/login.defs (PASS_MAX_DAYS absent)"
    days = None if value is None or value < 0 or value >= NEVER else int(value)
    item["max_days"] = days
    return ("ok" if days is not None and days <= limit else "bad"), item


@check("accounts.password_max_age")
def password_max_age(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    admin_max, user_max = int(p["admin_max_days"]), int(p["user_max_days"])
    default = snap.table("password_policy").get("max_age_days")
    policy_state, policy = _policy_max_age(snap, int(p.get("policy_max_days") or user_max))
    admin_bad: list[dict[str, Any]] = []
    user_bad: list[dict[str, Any]] = []
    checked = 0
    for u in snap.table("users"):
        if u.get("password_state") != "set" or u.get("enabled") is False:
            continue
        is_admin = bool(u.get("admin"))
        if not is_admin and (u.get("system") or not u.get("interactive")):
            continue
        checked += 1
        max_age = _max_age(u, default)
        changed = 0 if u.get("password_change_required") else _days_since(u.get("password_last_change"), env)
        item = {"name": u["name"], "admin": is_admin, "max_days": max_age, "changed_days_ago": changed,
                "source": u.get("source")}
        if is_admin:
            if max_age is None or max_age > admin_max or changed is None or changed > admin_max:
                admin_bad.append(item)
        elif max_age is None or max_age > user_max:
            user_bad.append(item)

    def labels(items: list[dict[str, Any]], lang: str) -> list[str]:
        out = []
        for i in items:
            limit = i["max_days"] if i["max_days"] is not None else ("không đặt" if lang == "vi" else "none")
            changed = i["changed_days_ago"] if i["changed_days_ago"] is not None else "?"
            out.append(f"{i['name']} (thời hạn: {limit}; đổi lần cuối {changed} ngày trước)" if lang == "vi"
                       else f"{i['name']} (max age: {limit}; last changed {changed} days ago)")
        return out

    never_vi, never_en = "không giới hạn", "no limit"
    args = {"admin_max": admin_max, "user_max": user_max, "n": checked, "policy_limit": policy["limit"],
            "policy_source": policy.get("source"),
            "policy_vi": f"{policy['max_days']} ngày" if policy["max_days"] is not None else never_vi,
            "policy_en": f"{policy['max_days']} days" if policy["max_days"] is not None else never_en}
    evidence = {"admins": admin_bad, "users": user_bad, "login_defs_max_days": default, "policy": policy}
    bad_policy = policy_state == "bad"
    if admin_bad:
        key = "fail_and_policy" if bad_policy else "fail"
        return Outcome("fail", key, {**args, "accounts_vi": labels(admin_bad, "vi"),
                                     "accounts_en": labels(admin_bad, "en")}, evidence)
    if bad_policy:
        key = "fail_policy_users" if user_bad else "fail_policy"
        return Outcome("fail", key, {**args, "accounts_vi": labels(user_bad, "vi"),
                                     "accounts_en": labels(user_bad, "en")}, evidence)
    if user_bad:
        return Outcome("warn", "warn", {**args, "accounts_vi": labels(user_bad, "vi"),
                                        "accounts_en": labels(user_bad, "en")}, evidence)
    if policy_state == "unknown":
        return Outcome("unknown", "unknown_policy", args, evidence)
    return Outcome("pass", "pass" if checked else "pass_none", args, evidence)


@check("accounts.lockout")
def lockout(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    pol = snap.table("password_policy")
    limit, server_limit = int(p["max_threshold"]), int(p["server_max_threshold"])
    min_minutes = int(p.get("min_lockout_minutes") or 0)
    threshold = pol.get("lockout_threshold")
    module = pol.get("lockout_module")
    minutes = pol.get("lockout_minutes")
    args = {"threshold": threshold, "module": module, "max": limit, "server_max": server_limit,
            "minutes": minutes, "min_minutes": min_minutes}
    evidence = {k: pol.get(k) for k in ("lockout_module", "lockout_threshold", "lockout_minutes",
                                          "lockout_permanent", "lockout_window_minutes", "lockout_reason",
                                          "lockout_service", "lockout_services", "sources") if k in pol}
    reason = pol.get("lockout_reason")
    args["service"] = pol.get("lockout_service") or "login"
    if reason == "no_stack":
        return Outcome("unknown", "unknown_no_stack", args, evidence)
    if not module:
        return Outcome("fail", "fail_none", args, evidence)
    if reason == "not_blocking":
        return Outcome("fail", "fail_not_blocking", args, evidence)
    if pol.get("lockout_incomplete") or reason == "not_counted":
        return Outcome("fail", "fail_incomplete", args, evidence)
    if not threshold:
        return Outcome("fail", "fail_zero", args, evidence)
    if threshold > limit:
        return Outcome("fail", "fail_high", args, evidence)
    if env.role == "server" and threshold > server_limit:
        return Outcome("warn", "warn_server", args, evidence)
    if min_minutes and not pol.get("lockout_permanent") and minutes is not None and minutes < min_minutes:
        return Outcome("warn", "warn_short", args, evidence)
    return Outcome("pass", "pass", args, evidence)
