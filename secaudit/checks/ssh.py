"""OpenSSH server settings: root login, password login, empty passwords.

Each check looks at the global value (connections matched by no Match block) and at every
Match block that sets the keyword, since a block applies its own value to the connections it
matches. A block is judged as if it were the only one matching; for PermitRootLogin, a block whose
`User` criteria cannot accept the name root (`Match User backup`, `Match User *,!root`) is left out,
and so is every block after one that all of root's connections match (`Match User root`): sshd takes
the first value among the blocks that match.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.status import Status

KEYWORD = {
    "permit_root_login": "PermitRootLogin",
    "password_authentication": "PasswordAuthentication",
    "permit_empty_passwords": "PermitEmptyPasswords",
    "kbd_interactive_authentication": "KbdInteractiveAuthentication",
    "use_pam": "UsePAM",
    "authentication_methods": "AuthenticationMethods",
}
_RANK = {"pass": 0, "warn": 1, "unknown": 2, "fail": 3}
PASSWORD_METHODS = {"password", "keyboard-interactive"}


def _ssh(snap: Snapshot) -> dict[str, Any] | None:
    ssh = snap.table("remote_login").get("ssh")
    return ssh if isinstance(ssh, dict) else None


def _absent(ssh: dict[str, Any] | None) -> Outcome | None:
    if ssh is None or not ssh.get("present"):
        return Outcome("not_applicable", "absent", {}, {"present": False})
    return None


def _field_unknown(snap: Snapshot, ssh: dict[str, Any], *names: str) -> Outcome | None:
    """A setting that an unreadable included file might have set first."""
    for name in names:
        why = snap.unknown.get(f"remote_login.ssh.{name}")
        if why is not None:
            return Outcome("unknown", "unreadable_include",
                           {"setting": KEYWORD.get(name, name), "file": why["detail"]},
                           {"setting": KEYWORD.get(name, name), "reason_code": why["code"],
                            "detail": why["detail"], "files": ssh.get("files", [])})
    return None


def _contexts(ssh: dict[str, Any], name: str) -> list[tuple[dict[str, Any] | None, dict[str, Any], str]]:
    """(block or None, effective values, source of `name`) for the global section and each
    Match block that sets `name`."""
    base = {k: ssh.get(k) for k in KEYWORD}
    out: list[tuple[dict[str, Any] | None, dict[str, Any], str]] = [
        (None, base, ssh.get("source", {}).get(name, "default"))]
    for block in ssh.get("match_blocks", []):
        settings = block.get("settings", {})
        if name in settings:
            out.append((block, {**base, **settings}, block.get("sources", {}).get(name, block["source"])))
    return out


def password_login(values: dict[str, Any]) -> tuple[bool, str]:
    """Whether a password alone can log in, and why: 'password', 'kbd' (keyboard-interactive
    through PAM), 'second_factor' (AuthenticationMethods demands another method too) or 'off'."""
    via = ""
    if values.get("password_authentication") == "yes":
        via = "password"
    elif values.get("kbd_interactive_authentication") == "yes" and values.get("use_pam") == "yes":
        via = "kbd"
    if not via:
        return False, "off"
    methods = values.get("authentication_methods") or ["any"]
    if methods != ["any"]:
        alone = any(all(m.split(":", 1)[0] in PASSWORD_METHODS for m in chain.split(","))
                    for chain in methods)
        if not alone:
            return False, "second_factor"
    return True, via


def user_may_match(criteria: str, user: str) -> bool:
    """Whether a Match block can apply to `user`: every `User` criterion's pattern list (sshd's
    match_pattern_list: `*` and `?` wildcards, a matching `!pattern` refuses) must accept the name."""
    words = criteria.split()
    for keyword, value in zip(words[::2], words[1::2], strict=False):
        if keyword.lower() != "user":
            continue
        accepted = False
        for pattern in value.split(","):
            negated = pattern.startswith("!")
            if fnmatch.fnmatchcase(user, (pattern[1:] if negated else pattern).replace("[", "[[]")):
                if negated:
                    return False
                accepted = True
        if not accepted:
            return False
    return True


def _always_matches_root(criteria: str) -> bool:
    """A block of `User` criteria only, each accepting root: every connection as root matches it, so
    its PermitRootLogin wins over any later block's (sshd takes the first value among matching blocks)."""
    words = criteria.split()
    if not words or len(words) % 2 or any(k.lower() != "user" for k in words[::2]):
        return False
    return user_may_match(criteria, "root")


def _block_evidence(block: dict[str, Any] | None) -> dict[str, Any]:
    return {} if block is None else {"match": block["criteria"], "match_source": block["source"]}


# --- PermitRootLogin --------------------------------------------------------------------------

def _root_status(value: str | None) -> Status:
    if value == "no":
        return "pass"
    if value in ("prohibit-password", "without-password", "forced-commands-only"):
        return "warn"
    if value == "yes":
        return "fail"
    return "unknown"


@check("ssh.permit_root_login")
def permit_root_login(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    ssh = _ssh(snap)
    absent = _absent(ssh)
    if absent or ssh is None:
        return absent or Outcome("not_applicable", "absent")
    unknown = _field_unknown(snap, ssh, "permit_root_login")
    if unknown:
        return unknown
    outcomes: list[Outcome] = []
    contexts = _contexts(ssh, "permit_root_login")
    base_status = _root_status(contexts[0][1]["permit_root_login"])
    decided_by: str | None = None  # a block every root connection matches: later blocks never decide
    for block, values, source in contexts:
        value = values["permit_root_login"]
        status = _root_status(value)
        if block is not None and decided_by is not None:
            continue
        if block is not None and _always_matches_root(block["criteria"]):
            decided_by = block["source"]
        if block is not None and _RANK[status] <= _RANK[base_status]:
            continue  # a block no weaker than the global value changes nothing worth reporting
        if block is not None and not user_may_match(block["criteria"], "root"):
            continue  # "Match User backup": root's connections never get this value
        if status == "fail":
            key = "fail" if password_login(values)[0] else "fail_keys_only"
        else:
            key = {"pass": "pass", "warn": "warn", "unknown": "bad_value"}[status]
        if block is not None:
            key = f"match_{key}"
        args = {"value": value, "source": source, **({"criteria": block["criteria"],
                                                       "match_source": block["source"]} if block else {})}
        outcomes.append(Outcome(status, key, args, {"setting": "PermitRootLogin", "value": value,
                                                    "source": source, **_block_evidence(block)}))
    return outcomes


# --- PasswordAuthentication -------------------------------------------------------------------

def _password_sources(ssh: dict[str, Any], block: dict[str, Any] | None, via: str) -> str:
    names = ["password_authentication"] if via == "password" else [
        "password_authentication", "kbd_interactive_authentication", "use_pam"]
    if via == "second_factor":
        names = ["authentication_methods"]
    parts = []
    for name in names:
        in_block = name in (block or {}).get("settings", {})
        value = (block or {})["settings"][name] if in_block else ssh.get(name)
        src = block["sources"].get(name) if in_block and block else ssh.get("source", {}).get(name, "default")
        shown = " ".join(value) if isinstance(value, list) else value
        parts.append(f"{KEYWORD[name]} {shown} ({src})")
    return "; ".join(parts)


@check("ssh.password_authentication")
def password_authentication(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    ssh = _ssh(snap)
    absent = _absent(ssh)
    if absent or ssh is None:
        return absent or Outcome("not_applicable", "absent")
    unknown = _field_unknown(snap, ssh, "password_authentication", "kbd_interactive_authentication",
                             "use_pam", "authentication_methods")
    if unknown:
        return unknown
    on_status: Status = "fail" if env.role in p.get("fail_roles", ["server"]) else "warn"
    base = {k: ssh.get(k) for k in KEYWORD}
    base_on, base_via = password_login(base)
    outcomes: list[Outcome] = []
    args: dict[str, Any] = {"sources": _password_sources(ssh, None, base_via)}
    evidence: dict[str, Any] = {k: base[k] for k in KEYWORD if k != "permit_root_login"}
    evidence["sources"] = args["sources"]
    if base_on:
        outcomes.append(Outcome(on_status, f"on_{base_via}", args, {**evidence, "role": env.role}))
    else:
        outcomes.append(Outcome("pass", "pass" if base_via == "off" else "pass_second_factor", args, evidence))
    if not base_on:
        for block in ssh.get("match_blocks", []):
            settings = block.get("settings", {})
            if not any(k in settings for k in KEYWORD):
                continue
            on, via = password_login({**base, **settings})
            if on:
                src = _password_sources(ssh, block, via)
                outcomes.append(Outcome("warn", "match_on", {"criteria": block["criteria"],
                                                             "match_source": block["source"], "sources": src},
                                        {"sources": src, **_block_evidence(block)}))
    return outcomes


# --- PermitEmptyPasswords ---------------------------------------------------------------------

@check("ssh.permit_empty_passwords")
def permit_empty_passwords(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    ssh = _ssh(snap)
    absent = _absent(ssh)
    if absent or ssh is None:
        return absent or Outcome("not_applicable", "absent")
    unknown = _field_unknown(snap, ssh, "permit_empty_passwords")
    if unknown:
        return unknown
    outcomes: list[Outcome] = []
    for block, values, source in _contexts(ssh, "permit_empty_passwords"):
        value = values["permit_empty_passwords"]
        evidence = {"setting": "PermitEmptyPasswords", "value": value, "source": source,
                    **_block_evidence(block)}
        if value == "no":
            if block is None:
                outcomes.append(Outcome("pass", "pass", {"source": source}, evidence))
            continue
        key = "fail" if block is None else "match_fail"
        outcomes.append(Outcome("fail", key, {"value": value, "source": source,
                                              **({"criteria": block["criteria"],
                                                  "match_source": block["source"]} if block else {})},
                                evidence))
    return outcomes
