"""The password policy PAM enforces, read from the stacks that matter, run as libpam runs them (pamflow):
password quality and history on the `passwd` service, lockout on `login` and `sshd` (the shared
common-*/system-auth/password-auth stacks when those are absent), never on unrelated services; with the
settings of the modules (pwquality.conf, faillock.conf, pwhistory.conf, module arguments).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.pam import LOCKOUT, MFA, QUALITY, PamConfig, PamEntry, flatten
from secaudit.facts.linux.pamflow import run

# --- module settings ---------------------------------------------------------------------------

_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII only: str.isdigit() also accepts '²', which int() refuses
PWQUALITY_CONF = "/etc/security/pwquality.conf"
FAILLOCK_CONF = "/etc/security/faillock.conf"
PWHISTORY_CONF = "/etc/security/pwhistory.conf"
Settings = dict[str, tuple[str, str]]  # key -> (value, "file:line" or "module default")


def parse_settings(text: str, path: str, fold: bool = False) -> Settings:
    """`key = value` or bare `flag` lines, '#' comments anywhere (libpwquality/faillock style).
    `fold`: names are case-insensitive (libpwquality compares them with strcasecmp; faillock does not)."""
    out: Settings = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        out[key.lower() if fold else key] = (value.strip() if sep else "", f"{path}:{number}")
    return out


def _read_settings(ctx: FactContext, paths: list[str], fold: bool = False) -> Settings:
    def load(path: str) -> Settings:
        text = ctx.read_text(path, unknown_key="password_policy")
        return {} if text is None else parse_settings(text, path, fold)

    merged: Settings = {}
    for path in paths:
        merged.update(ctx.memo(f"pam.settings:{path}:{fold}", partial(load, path)))
    return merged


def _with_args(settings: Settings, entry: PamEntry, fold: bool = False) -> Settings:
    """Module arguments override the configuration file."""
    merged = dict(settings)
    for arg in entry.args:
        key, sep, value = str(arg).partition("=")
        merged[key.lower() if fold else key] = (value if sep else "", entry.source)
    return merged


def _int(settings: Settings, key: str, default: int | None) -> tuple[int | None, str | None]:
    if key not in settings:
        return default, None
    value, source = settings[key]
    try:
        return int(value), source
    except ValueError:
        return default, source


def _quality_settings(ctx: FactContext, e: PamEntry) -> dict[str, Any]:
    """What one quality module line demands: lengths, classes, whether it rejects at all."""
    module = e.name
    pol: dict[str, Any] = {"quality_module": module}
    src: dict[str, str] = {"quality_module": e.source}
    if module == "pam_passwdqc":
        settings = _with_args({}, e)
        raw, min_src = settings.get("min", ("disabled,24,11,8,7", f"{e.source} (pam_passwdqc default)"))
        values = raw.split(",")
        best: tuple[int, int] | None = None  # (length, classes) of the weakest password accepted
        for classes, index in ((1, 0), (2, 1), (3, 3), (4, 4)):
            if index < len(values) and _NUMBER.fullmatch(values[index].strip()):
                length = int(values[index])
                if best is None or length < best[0]:
                    best = (length, classes)
        pol["min_length"] = pol["min_length_configured"] = best[0] if best else None
        pol["min_classes"] = best[1] if best else None
        src["min_length"] = src["min_classes"] = min_src
        pol["rejects"] = settings.get("enforce", ("everyone", ""))[0] != "none"
        return {"pol": pol, "src": src}
    if module == "pam_pwquality":
        # libpwquality reads pwquality.conf.d/*.conf first (strcmp order), then pwquality.conf, whose
        # values therefore win; setting names are case-insensitive, in the files and the arguments.
        conf_d = "/etc/security/pwquality.conf.d"
        names = sorted(ctx.list_dir(conf_d), key=lambda n: n.encode("utf-8", "surrogateescape"))
        extra = [f"{conf_d}/{n}" for n in names if n.endswith(".conf")]
        settings = _with_args(_read_settings(ctx, [*extra, PWQUALITY_CONF], fold=True), e, fold=True)
        defaults = {"minlen": 8, "credit": 0}  # libpwquality defaults
    else:  # pam_cracklib reads only its arguments
        settings = _with_args({}, e)
        defaults = {"minlen": 9, "credit": 1}
    minlen, where = _int(settings, "minlen", defaults["minlen"])
    minlen = max(minlen or 0, 6)  # both modules refuse values below 6
    src["min_length"] = where or f"{e.source} ({module} default)"
    credits: list[int] = []
    for cls in ("dcredit", "ucredit", "lcredit", "ocredit"):
        value, csrc = _int(settings, cls, defaults["credit"])
        credits.append(value or 0)
        if csrc and (value or 0) < 0:
            src.setdefault("min_classes", csrc)
    minclass, msrc = _int(settings, "minclass", 0)
    if msrc:
        src["min_classes"] = msrc
    pol["min_length_configured"] = minlen
    # Positive credits let a password with those classes be that much shorter.
    pol["min_length"] = max(1, minlen - sum(c for c in credits if c > 0))
    pol["min_classes"] = max(minclass or 0, sum(1 for c in credits if c < 0))
    enforcing, esrc = _int(settings, "enforcing", 1)
    pol["rejects"] = enforcing != 0
    if esrc:
        src["quality_enforcing"] = esrc
    return {"pol": pol, "src": src}


def _remember(ctx: FactContext, e: PamEntry) -> tuple[int | None, str | None]:
    if e.name == "pam_pwhistory":
        conf = _read_settings(ctx, [PWHISTORY_CONF]) if ctx.transport.exists(PWHISTORY_CONF) else {}
        value, where = _int(_with_args(conf, e), "remember", 10)
        return value, where or f"{e.source} (pam_pwhistory default)"
    if e.name == "pam_unix" and e.arg("remember"):
        return _int(_with_args({}, e), "remember", None)
    return None, None


def _faillock_settings(ctx: FactContext, lines: list[PamEntry]) -> Settings:
    """faillock.conf (or each line's conf=), then the lines' own arguments in stack order."""
    conf = FAILLOCK_CONF
    for e in lines:
        conf = e.arg("conf") or conf
    settings = _read_settings(ctx, [conf])
    for e in lines:
        settings = _with_args(settings, e)
    return settings


def _faillock_mode(e: PamEntry) -> str:
    mode = "preauth"  # pam_faillock's default action when none is given
    for a in e.args:
        if a in ("preauth", "authfail", "authsucc"):
            mode = a
    return mode


# --- what a login or a password change goes through ---------------------------------------------

QUALITY_SERVICES = ("passwd",)
LOCKOUT_SERVICES = ("login", "sshd")
QUALITY_FALLBACK = ("common-password", "system-auth", "password-auth")
LOCKOUT_FALLBACK = ("common-auth", "system-auth", "password-auth")
# How modules answer in the attempts imagined below; anything else answers "ignore".
LOCAL_PASSWORD = frozenset({"pam_unix", "pam_unix2", "pam_pwdb", "pam_unix_auth", "pam_unix_passwd"})
DIRECTORY = frozenset({"pam_sss", "pam_ldap", "pam_krb5", "pam_winbind", "pam_radius_auth", "pam_systemd_home",
                       "pam_userdb", "pam_pwdfile"})  # the attacked account is a local one: "user unknown"
ALWAYS_FAIL = frozenset({"pam_deny", "pam_rootok", "pam_fprintd", "pam_ssh_agent_auth", "pam_p11", "pam_pkcs11",
                         "pam_howdy", "pam_wheel"})  # what an attacker from the network does not pass
ALWAYS_OK = frozenset({"pam_permit", "pam_env", "pam_faildelay", "pam_nologin", "pam_securetty", "pam_succeed_if",
                       "pam_usertype", "pam_localuser", "pam_group", "pam_cap", "pam_shells", "pam_access",
                       "pam_time", "pam_limits", "pam_listfile", "pam_motd", "pam_mail", "pam_lastlog",
                       "pam_loginuid", "pam_keyinit", "pam_selinux", "pam_systemd", "pam_umask", "pam_warn",
                       "pam_echo", "pam_issue", *MFA})  # a second factor is assumed passed: lockout must not rely on it


def entry_points(names: list[str], primary: tuple[str, ...], fallback: tuple[str, ...]) -> list[str]:
    present = [s for s in primary if s in names]
    return present or [s for s in fallback if s in names]


def _answer(cfg: PamConfig, e: PamEntry, code: str) -> str:
    return "module_unknown" if cfg.module_present(e) is False else code


def _password_returns(cfg: PamConfig, rejects: dict[str, bool], remember: dict[str, int],
                      failing: PamEntry | None, scenario: str) -> Any:
    """Module answers when changing a password: `failing` is the one check the new password fails
    ("weak": a quality module; "reuse": a history check); every other module lets it through."""

    def returns(node: object) -> str:
        assert isinstance(node, PamEntry)
        name, code = node.name, "ignore"
        if name in QUALITY:
            code = "authtok_err" if scenario == "weak" and node == failing and rejects.get(node.source) else "success"
        elif name == "pam_pwhistory" or name in LOCAL_PASSWORD:
            code = ("authtok_err" if scenario == "reuse" and node == failing and remember.get(node.source, 0) > 0
                    else "success")
        elif name == "pam_deny":
            code = "authtok_err"
        elif name in DIRECTORY:
            code = "user_unknown"
        elif name in ALWAYS_OK - set(MFA):
            code = "success"
        return _answer(cfg, node, code)

    return returns


def _auth_returns(cfg: PamConfig, deny: dict[str, int], scenario: str) -> Any:
    """Module answers for a local account: "wrong" password (not locked yet), "locked" account with
    the right password, "right" password on an unlocked account."""

    def returns(node: object) -> str:
        assert isinstance(node, PamEntry)
        name, code = node.name, "ignore"
        if name == "pam_faillock":
            mode = _faillock_mode(node)
            if scenario == "locked" and deny.get(node.source, 0) > 0:
                code = "auth_err"
            else:
                code = "ignore" if mode == "authfail" else "success"  # authfail records, then answers ignore
        elif name in ("pam_tally2", "pam_tally"):
            code = "auth_err" if scenario == "locked" and deny.get(node.source, 0) > 0 else "success"
        elif name in LOCAL_PASSWORD:
            code = "auth_err" if scenario == "wrong" else "success"
        elif name in DIRECTORY:
            code = "user_unknown"
        elif name in ALWAYS_FAIL:
            code = "auth_err"
        elif name in ALWAYS_OK:
            code = "success"
        return _answer(cfg, node, code)

    return returns


def _quality_of(ctx: FactContext, cfg: PamConfig, svc: str) -> dict[str, Any]:
    nodes = cfg.resolve(svc, "password")
    lines = flatten(nodes)
    quality = [e for e in lines if e.name in QUALITY]
    settings = {e.source: _quality_settings(ctx, e) for e in quality}
    rejects = {src: bool(s["pol"].get("rejects")) for src, s in settings.items()}
    remember = {e.source: (_remember(ctx, e)[0] or 0) for e in lines if e.name in ("pam_pwhistory", "pam_unix")}
    strong = run(nodes, _password_returns(cfg, rejects, remember, None, "strong"))
    reached = [e for e in quality if e in strong.executed]
    effective = [e for e in reached if not run(nodes, _password_returns(cfg, rejects, remember, e, "weak")).success]
    out: dict[str, Any] = {"service": svc, "changes_succeed": strong.success}
    if effective and strong.success:
        # Every effective module must be passed: the strictest one sets the bar.
        chosen = max(effective, key=lambda e: (settings[e.source]["pol"].get("min_length") or 0,
                                               settings[e.source]["pol"].get("min_classes") or 0))
        out.update(enforcing=True, reason=None)
    elif quality:
        chosen = (reached or quality)[0]
        out.update(enforcing=None if reached and not strong.success else False,
                   reason="not_reached" if not reached else ("stack_fails" if not strong.success else "not_enforcing"))
    else:
        chosen = None
        out.update(enforcing=None, reason="none")
    if chosen is not None:
        pol, src = settings[chosen.source]["pol"], settings[chosen.source]["src"]
        out.update({k: v for k, v in pol.items() if k != "rejects"}, sources=dict(src))
    else:
        unix = next((e for e in lines if e.name == "pam_unix" and e in strong.executed), None)
        out.update(quality_module=None, min_classes=None, sources={})
        if unix is None:
            out.update(min_length=None, min_length_configured=None)
        else:
            minlen, where = _int(_with_args({}, unix), "minlen", 6)
            out.update(min_length=minlen, min_length_configured=minlen)
            out["sources"]["min_length"] = where or f"{unix.source} (pam_unix default)"
    hist = [e for e in lines if e.source in remember and remember[e.source] > 0 and e in strong.executed]
    kept = [e for e in hist if not run(nodes, _password_returns(cfg, rejects, remember, e, "reuse")).success]
    if kept and strong.success:
        best = max(kept, key=lambda e: remember[e.source])
        out["history"] = remember[best.source]
        out["sources"]["history"] = _remember(ctx, best)[1] or best.source
    else:
        out["history"] = None
    return out


def _lockout_of(ctx: FactContext, cfg: PamConfig, svc: str) -> dict[str, Any]:
    nodes = cfg.resolve(svc, "auth")
    lines = flatten(nodes)
    faillock = [e for e in lines if e.name == "pam_faillock"]
    tally = [e for e in lines if e.name in ("pam_tally2", "pam_tally")]
    settings = _faillock_settings(ctx, faillock) if faillock else {}
    deny: dict[str, int] = {}
    for e in faillock:
        deny[e.source] = _int(_faillock_settings(ctx, [e]), "deny", 3)[0] or 0
    for e in tally:
        deny[e.source] = _int(_with_args({}, e), "deny", 0)[0] or 0
    wrong = run(nodes, _auth_returns(cfg, deny, "wrong"))
    locked = run(nodes, _auth_returns(cfg, deny, "locked"))
    right = run(nodes, _auth_returns(cfg, deny, "right"))
    counting: PamEntry | None = None
    for line in wrong.executed:  # a failure is counted by an authfail (or tally) line; authsucc wipes the count
        assert isinstance(line, PamEntry)
        mode = _faillock_mode(line) if line.name == "pam_faillock" else ""
        if line.name in ("pam_tally2", "pam_tally") or mode == "authfail":
            counting = line
        elif mode == "authsucc":
            counting = None
    out: dict[str, Any] = {"service": svc, "lockout_module": None, "lockout_threshold": None,
                           "lockout_minutes": None, "lockout_permanent": False, "lockout_window_minutes": None,
                           "counted": counting is not None, "blocks": not locked.success,
                           "logins_succeed": right.success, "sources": {}}
    present = [e for e in lines if e.name in LOCKOUT]
    entry = counting or next((e for e in present if e in wrong.executed), None) or (present[0] if present else None)
    if entry is None:
        out["reason"] = "none"
        return out
    module = entry.name
    out["lockout_module"] = module
    out["sources"]["lockout_module"] = entry.source
    if counting is None:
        out["reason"] = "not_counted"
        return out
    out["reason"] = None if out["blocks"] else "not_blocking"
    if module == "pam_faillock":
        ran = [e for e in faillock if e in wrong.executed or e in locked.executed]
        settings = _faillock_settings(ctx, ran or [entry])
        threshold, dsrc = _int(settings, "deny", 3)
        unlock_raw = settings.get("unlock_time", ("600", ""))
        window, wsrc = _int(settings, "fail_interval", 900)
    else:  # pam_tally2 / pam_tally: never lock unless deny= is given; no unlock_time: admin unlocks
        settings = _with_args({}, entry)
        threshold, dsrc = _int(settings, "deny", 0)
        unlock_raw = settings.get("unlock_time", ("never", ""))
        window, wsrc = None, None
    out["lockout_threshold"] = threshold
    out["sources"]["lockout_threshold"] = dsrc or f"{entry.source} ({module} default)"
    value = unlock_raw[0].strip().lower()
    if value in ("never", "0"):
        out["lockout_permanent"] = True
    elif _NUMBER.fullmatch(value):
        out["lockout_minutes"] = int(value) // 60
    if unlock_raw[1]:
        out["sources"]["lockout_minutes"] = unlock_raw[1]
    out["lockout_window_minutes"] = window // 60 if window is not None else None
    if wsrc:
        out["sources"]["lockout_window_minutes"] = wsrc
    if not threshold or threshold < 0:
        out["reason"] = "zero"  # deny = 0: failures are counted, nobody is ever locked
    return out


def _quality_rank(q: dict[str, Any]) -> tuple[int, int, int]:
    """Lower is weaker: no module, then a module that rejects nothing, then shorter passwords."""
    if not q.get("quality_module"):
        return (0, 0, 0)
    if q.get("enforcing") is not True:
        return (1, 0, 0)
    return (2, q.get("min_length") or 0, q.get("min_classes") or 0)


def _lockout_rank(lk: dict[str, Any]) -> tuple[int, int, int]:
    """Lower is weaker: no module, failures not counted, never locking, locked accounts still let in."""
    reason = lk.get("reason")
    if reason is not None:
        return ({"none": 0, "not_counted": 1, "zero": 2, "not_blocking": 3}.get(str(reason), 0), 0, 0)
    threshold = lk.get("lockout_threshold") or 0
    minutes = 10 ** 9 if lk.get("lockout_permanent") else (lk.get("lockout_minutes") or 0)
    return (4, -threshold, minutes)


def build_policy(ctx: FactContext, defs: Settings, pam: dict[str, Any], cfg: PamConfig | None = None) -> Any:
    """The `password_policy` table from login.defs, module configuration files and PAM arguments.
    Each value is the weakest over the services that matter; `quality_services` and
    `lockout_services` keep what each of them does."""
    from secaudit.facts.linux.logins import defs_int

    pol: dict[str, Any] = {}
    src: dict[str, str] = {}
    for key, name in (("PASS_MAX_DAYS", "max_age_days"), ("PASS_MIN_DAYS", "min_age_days"),
                      ("PASS_WARN_AGE", "warn_age_days")):
        value, where = defs_int(defs, key)
        pol[name] = value
        if where:
            src[name] = where
    pol["uid_min"] = defs_int(defs, "UID_MIN")[0] or 1000
    pol["uid_max"] = defs_int(defs, "UID_MAX")[0] or 60000
    pol.update(min_length=None, min_length_configured=None, min_classes=None, quality_module=None,
               quality_enforcing=None, history=None, lockout_module=None, lockout_threshold=None,
               lockout_minutes=None, lockout_permanent=False, lockout_window_minutes=None)
    names = list(pam.get("services") or [])
    if names and cfg is not None:
        qsvcs = entry_points(names, QUALITY_SERVICES, QUALITY_FALLBACK)
        quality = [_quality_of(ctx, cfg, s) for s in qsvcs]
        pol["quality_services"] = [{k: v for k, v in q.items() if k != "sources"} for q in quality]
        if quality:
            weakest = min(quality, key=_quality_rank)
            for key in ("min_length", "min_length_configured", "min_classes", "quality_module"):
                pol[key] = weakest.get(key)
            pol["quality_enforcing"] = weakest.get("enforcing")
            pol["quality_reason"] = weakest.get("reason")
            pol["quality_service"] = weakest["service"]
            src.update({k: v for k, v in weakest["sources"].items() if k != "history"})
            histories = [q.get("history") for q in quality]
            pol["history"] = None if None in histories else min(h for h in histories if h is not None)
            if pol["history"] is not None:
                src["history"] = next(q["sources"]["history"] for q in quality if q["history"] == pol["history"])
        else:
            pol["quality_reason"] = "no_stack"
        lsvcs = entry_points(names, LOCKOUT_SERVICES, LOCKOUT_FALLBACK)
        lockouts = [_lockout_of(ctx, cfg, s) for s in lsvcs]
        pol["lockout_services"] = [{k: v for k, v in lk.items() if k != "sources"} for lk in lockouts]
        if lockouts:
            weakest = min(lockouts, key=_lockout_rank)
            for key in ("lockout_module", "lockout_threshold", "lockout_minutes", "lockout_permanent",
                        "lockout_window_minutes"):
                pol[key] = weakest.get(key)
            pol["lockout_reason"] = weakest.get("reason")
            pol["lockout_service"] = weakest["service"]
            if weakest.get("reason") in ("not_counted", "not_blocking"):
                pol["lockout_incomplete"] = True
            src.update(weakest["sources"])
        else:
            pol["lockout_reason"] = "no_stack"
    pol["sources"] = src
    pol["source"] = sorted(set(src.values()))
    return pol
