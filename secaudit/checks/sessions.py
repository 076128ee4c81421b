"""Remote administration sessions (VN-ACC-11): SSH idle timeout, failed tries and login grace time, SSH
algorithms no weaker than OpenSSH's defaults; Remote Desktop session time limits and encryption.

SSH values are those sshd uses (first value wins, Include where it stands); Match blocks that set a keyword
are judged as if each were the only one matching, and reported when they are weaker than the global value.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.linux.remote_login import convtime  # sshd's time syntax: pure parsing
from secaudit.facts.model import Snapshot
from secaudit.status import Status

KEYWORD = {
    "client_alive_interval": "ClientAliveInterval", "client_alive_count_max": "ClientAliveCountMax",
    "channel_timeout": "ChannelTimeout", "max_auth_tries": "MaxAuthTries", "login_grace_time": "LoginGraceTime",
    "ciphers": "Ciphers", "macs": "MACs", "kex_algorithms": "KexAlgorithms",
}
_RANK = {"pass": 0, "warn": 1, "unknown": 2, "fail": 3}

# OpenSSH 9.x: the algorithms sshd offers by default, and those it still knows (or knew) that are weaker.
DEFAULTS: dict[str, tuple[str, ...]] = {
    "ciphers": ("chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
                "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"),
    "macs": ("umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
             "hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com",
             "umac-128@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"),
    "kex_algorithms": ("mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
                       "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
                       "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
                       "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
                       "diffie-hellman-group14-sha256"),
}
WEAK: dict[str, tuple[str, ...]] = {
    "ciphers": ("3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "rijndael-cbc@lysator.liu.se",
                "blowfish-cbc", "cast128-cbc", "arcfour", "arcfour128", "arcfour256", "none"),
    "macs": ("hmac-md5", "hmac-md5-96", "hmac-sha1-96", "hmac-ripemd160", "hmac-ripemd160@openssh.com",
             "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com", "hmac-sha1-96-etm@openssh.com",
             "hmac-ripemd160-etm@openssh.com"),
    "kex_algorithms": ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
                       "diffie-hellman-group-exchange-sha1"),
}


def _ssh(snap: Snapshot) -> dict[str, Any] | None:
    ssh = snap.table("remote_login").get("ssh")
    return ssh if isinstance(ssh, dict) and ssh.get("present") else None


def _unknown(snap: Snapshot, *names: str) -> Outcome | None:
    """A setting that an unreadable included file might have set first, or an unreadable configuration."""
    whole = snap.unknown.get("remote_login.ssh")
    for name in names:
        why = snap.unknown.get(f"remote_login.ssh.{name}") or whole
        if why is not None:
            return Outcome("unknown", "unreadable", {"setting": KEYWORD[name], "file": why["detail"]},
                           {"setting": KEYWORD[name], "reason_code": why["code"], "detail": why["detail"]})
    return None


def _contexts(ssh: dict[str, Any], names: tuple[str, ...]) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """(None, global values), then (block, values with the block's own) for each Match block setting one of names."""
    base = {k: ssh.get(k) for k in KEYWORD}
    out: list[tuple[dict[str, Any] | None, dict[str, Any]]] = [(None, base)]
    for block in ssh.get("match_blocks", []):
        settings = block.get("settings", {})
        if any(n in settings for n in names):
            out.append((block, {**base, **{k: v for k, v in settings.items() if k in KEYWORD}}))
    return out


def _source(ssh: dict[str, Any], block: dict[str, Any] | None, name: str) -> str:
    if block is not None and name in block.get("settings", {}):
        return str(block.get("sources", {}).get(name, block["source"]))
    return str(ssh.get("source", {}).get(name, "default"))


def _where(block: dict[str, Any] | None) -> dict[str, Any]:
    return {} if block is None else {"match": block["criteria"], "match_source": block["source"]}


def channel_session_timeout(pairs: list[str] | None) -> int | None:
    """Seconds after which ChannelTimeout closes an idle interactive session (None: never)."""
    for pair in pairs or []:
        if not isinstance(pair, str):
            continue
        if pair.lower() == "none":
            return None
        kind, _, interval = pair.partition("=")
        if any(fnmatchcase("session", p) for p in kind.split(",")):
            seconds = convtime(interval)
            return seconds or None
    return None


def _idle(values: dict[str, Any], limit: int) -> tuple[Status, str, dict[str, Any]]:
    interval, count = values.get("client_alive_interval"), values.get("client_alive_count_max")
    channel = channel_session_timeout(values.get("channel_timeout"))
    if not isinstance(interval, int) or not isinstance(count, int):
        return "unknown", "idle_bad_value", {"interval": interval, "count": count}
    alive = interval * count if interval > 0 and count > 0 else None
    seconds = min(s for s in (channel, alive) if s is not None) if (channel or alive) else None
    args = {"interval": interval, "count": count, "seconds": seconds, "limit": limit,
            "channel_timeout": " ".join(str(v) for v in values.get("channel_timeout") or ["none"])}
    if seconds is None:
        return "fail", "idle_none", args
    return ("pass", "idle_pass", args) if seconds <= limit else ("warn", "idle_long", args)


def _tries(values: dict[str, Any], warn_above: int, fail_above: int) -> tuple[Status, str, dict[str, Any]]:
    tries = values.get("max_auth_tries")
    args = {"tries": tries, "limit": warn_above}
    if not isinstance(tries, int):
        return "unknown", "tries_bad_value", args
    if tries > fail_above:
        return "fail", "tries_many", {**args, "limit": fail_above}
    return ("warn", "tries_above", args) if tries > warn_above else ("pass", "tries_pass", args)


def _grace(values: dict[str, Any], limit: int) -> tuple[Status, str, dict[str, Any]]:
    grace = values.get("login_grace_time")
    args = {"seconds": grace, "limit": limit}
    if not isinstance(grace, int):
        return "unknown", "grace_bad_value", args
    if grace == 0:
        return "warn", "grace_none", args
    return ("warn", "grace_long", args) if grace > limit else ("pass", "grace_pass", args)


@check("ssh.session_limits")
def session_limits(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    ssh = _ssh(snap)
    if ssh is None:
        return Outcome("not_applicable", "absent", {}, {"present": False})
    outcomes: list[Outcome] = []
    parts: tuple[tuple[tuple[str, ...], Callable[[dict[str, Any]], tuple[Status, str, dict[str, Any]]]], ...] = (
        (("client_alive_interval", "client_alive_count_max", "channel_timeout"),
         lambda v: _idle(v, int(p["max_idle_seconds"]))),
        (("max_auth_tries",), lambda v: _tries(v, int(p["max_auth_tries"]), int(p["fail_auth_tries_above"]))),
        (("login_grace_time",), lambda v: _grace(v, int(p["max_login_grace_seconds"]))),
    )
    for names, judge in parts:
        unknown = _unknown(snap, *names)
        if unknown is not None:
            outcomes.append(unknown)
            continue
        base_status: Status = "pass"
        for block, values in _contexts(ssh, names):
            status, key, args = judge(values)
            if block is None:
                base_status = status
            elif _RANK[status] <= _RANK[base_status]:
                continue  # no weaker than the global value
            sources = "; ".join(f"{KEYWORD[n]} {_shown(values.get(n))} ({_source(ssh, block, n)})" for n in names)
            args = {**args, "sources": sources}
            if block is not None:
                key = "match_weaker"
                args.update(criteria=block["criteria"], match_source=block["source"])
            evidence = {KEYWORD[n]: values.get(n) for n in names}
            outcomes.append(Outcome(status, key, args, {**evidence, "sources": sources, **_where(block)}))
    return outcomes


def _shown(value: Any) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def algorithms(kind: str, spec: str | None) -> tuple[list[str], list[str]]:
    """(weak algorithms `spec` enables beyond OpenSSH's defaults, names it does not recognise). `spec` is the
    value as written: null (the default list), "-x,y" (removed from it), "+x,y" (appended), "^x,y" (put first)
    or a list replacing it; wildcards (*, ?) and !negations as sshd accepts them."""
    if spec is None or spec.startswith("-"):
        return [], []
    names = spec[1:] if spec[:1] in "+^" else spec
    known = DEFAULTS[kind] + WEAK[kind]
    weak: list[str] = []
    unknown: list[str] = []
    for name in (n.strip().lower() for n in names.split(",")):
        if not name or name.startswith("!"):
            continue
        matched = [k for k in known if fnmatchcase(k, name)]
        if not matched:
            unknown.append(name)
        weak.extend(m for m in matched if m in WEAK[kind] and m not in weak)
    return weak, unknown


@check("ssh.crypto")
def crypto(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    ssh = _ssh(snap)
    if ssh is None:
        return Outcome("not_applicable", "absent", {}, {"present": False})
    outcomes: list[Outcome] = []
    for kind in ("ciphers", "macs", "kex_algorithms"):
        unknown = _unknown(snap, kind)
        if unknown is not None:
            outcomes.append(unknown)
            continue
        spec = ssh.get(kind)
        source = _source(ssh, None, kind)
        weak, strange = algorithms(kind, spec)
        evidence = {"setting": KEYWORD[kind], "value": spec, "source": source}
        args = {"setting": KEYWORD[kind], "value": spec or "", "source": source}
        if weak:
            outcomes.append(Outcome("fail", "weak", {**args, "weak": ", ".join(weak)}, {**evidence, "weak": weak}))
        elif strange:
            outcomes.append(Outcome("unknown", "unrecognised", {**args, "names": ", ".join(strange)},
                                    {**evidence, "unrecognised": strange}))
        elif spec is None:
            outcomes.append(Outcome("pass", "default", args, evidence))
        else:
            outcomes.append(Outcome("pass", "pass", args, evidence))
    return outcomes


# --- Remote Desktop ----------------------------------------------------------------------------------

@check("windows.rdp_session")
def rdp_session(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome | list[Outcome]:
    rdp = snap.table("remote_login").get("rdp")
    if not isinstance(rdp, dict):
        why = snap.unknown.get("remote_login.rdp") or snap.unknown.get("remote_login")
        if why is not None:
            return Outcome("unknown", "rdp_unreadable", {"detail": why["detail"]}, dict(why))
        return Outcome("not_applicable", "rdp_off", {}, {})
    if rdp.get("enabled") is False:
        return Outcome("not_applicable", "rdp_off", {}, {"enabled": False, "source": rdp.get("source")})
    if rdp.get("enabled") is None:
        return Outcome("unknown", "rdp_unreadable", {"detail": rdp.get("source", "")}, {"enabled": None})
    policy_why = snap.unknown.get("remote_login.rdp.policy_source")
    if policy_why is not None or rdp.get("policy_source") is None:
        detail = policy_why["detail"] if policy_why else "rdp_policy"
        return Outcome("unknown", "policy_unreadable", {"detail": detail}, {"detail": detail})
    source = str(rdp.get("policy_source"))
    limit = int(p["max_idle_seconds"])
    outcomes: list[Outcome] = []
    idle = rdp.get("max_idle_seconds")
    ev = {"max_idle_seconds": idle, "limit": limit, "source": source}
    if not idle:
        outcomes.append(Outcome("fail", "rdp_idle_none", {"source": source}, ev))
    elif idle > limit:
        outcomes.append(Outcome("warn", "rdp_idle_long", {"seconds": idle, "limit": limit, "source": source}, ev))
    else:
        outcomes.append(Outcome("pass", "rdp_idle_pass", {"seconds": idle, "limit": limit, "source": source}, ev))
    gone = rdp.get("max_disconnected_seconds")
    ev = {"max_disconnected_seconds": gone, "source": source}
    if not gone:
        outcomes.append(Outcome("warn", "rdp_disconnected_none", {"source": source}, ev))
    else:
        outcomes.append(Outcome("pass", "rdp_disconnected_pass", {"seconds": gone, "source": source}, ev))
    layer = rdp.get("policy_security_layer") or rdp.get("security_layer")
    level = rdp.get("min_encryption_level")
    layer_source = source if rdp.get("policy_security_layer") else str(rdp.get("source"))
    ev = {"security_layer": layer, "min_encryption_level": level, "source": layer_source}
    args = {"layer": layer or "?", "level": level if level is not None else "-", "source": layer_source}
    if layer == "rdp" or level == 1:
        outcomes.append(Outcome("fail", "rdp_weak_encryption", args, ev))
    elif layer == "negotiate":
        outcomes.append(Outcome("warn", "rdp_negotiate", args, ev))
    elif layer == "tls":
        outcomes.append(Outcome("pass", "rdp_tls", args, ev))
    else:
        outcomes.append(Outcome("unknown", "rdp_layer_unknown", args, ev))
    return outcomes
