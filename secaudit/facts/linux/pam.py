"""PAM service files: lines, `@include` (Debian), `include`/`substack` (RHEL), per-service stacks.

Syntax follows Linux-PAM: '#' starts a comment, a final backslash continues the line,
the type may be prefixed by '-' (skip silently if the module is missing), the control
may be a bracketed `[value=action ...]`, arguments may be bracketed to hold blanks.
Files live in /etc/pam.d, with /usr/lib/pam.d as the vendor fallback.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.continued import join_continued
from secaudit.transport.base import FactUnavailable

PAM_DIRS = ("/etc/pam.d", "/usr/lib/pam.d")
TYPES = ("auth", "account", "password", "session")
MAX_DEPTH = 16
_LEFTOVERS = ("~", ".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-bak", ".rpmsave", ".rpmnew", ".rpmorig",
              ".bak", ".orig", ".swp", ".ucf-old", ".ucf-dist", ".pam-old")


@dataclass(frozen=True)
class PamEntry:
    type: str
    control: str
    module: str  # basename, e.g. "pam_unix.so"
    args: tuple[str, ...]
    source: str
    optional: bool = False  # '-type': ignored when the module is missing

    @property
    def name(self) -> str:
        """Module name without directory and ".so": "pam_unix"."""
        return self.module[:-3] if self.module.endswith(".so") else self.module

    def arg(self, key: str) -> str | None:
        """Value of `key=value` (last wins), "" for a bare flag, None if absent."""
        found: str | None = None
        for a in self.args:
            if a == key:
                found = ""
            elif a.startswith(key + "="):
                found = a[len(key) + 1:]
        return found


@dataclass(frozen=True)
class PamInclude:
    type: str | None  # None for "@include": every type
    kind: str  # "@include" | "include" | "substack"
    target: str
    source: str


Line = PamEntry | PamInclude


def _tokens(line: str) -> list[str]:
    """Split on blanks, keeping '[...]' groups (with '\\]' escapes) as one token."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in " \t":
            i += 1
            continue
        start = i
        if line[i] == "[":
            i += 1
            while i < n and line[i] != "]":
                i += 2 if line[i] == "\\" and i + 1 < n else 1
            i = min(i + 1, n)
            # a bracketed group may run into a following word, e.g. "[a b]c" stays one token
            while i < n and line[i] not in " \t":
                i += 1
        else:
            while i < n and line[i] not in " \t":
                i += 1
        out.append(line[start:i])
    return out


def logical_lines(text: str) -> list[tuple[int, str]]:
    return join_continued(_physical(text))


def _physical(text: str) -> Iterator[tuple[int, str, bool]]:
    for number, raw in enumerate(text.splitlines(), 1):
        body = raw.split("#", 1)[0].rstrip()
        continued = body.endswith("\\")
        yield number, body[:-1] if continued else body, continued


def parse_pam(text: str, path: str) -> list[Line]:
    lines: list[Line] = []
    for number, line in logical_lines(text):
        source = f"{path}:{number}"
        tok = _tokens(line)
        if tok[0] == "@include":
            if len(tok) > 1:
                lines.append(PamInclude(None, "@include", tok[1], source))
            continue
        if len(tok) < 3:
            continue
        kind = tok[0].lower()
        optional = kind.startswith("-")
        kind = kind.lstrip("-")
        if kind not in TYPES:
            continue
        control = tok[1]
        if control.lower() in ("include", "substack"):
            lines.append(PamInclude(kind, control.lower(), tok[2], source))
            continue
        lines.append(PamEntry(kind, control, posixpath.basename(tok[2]), tuple(tok[3:]), source, optional))
    return lines


@dataclass
class PamConfig:
    """PAM files read through the transport, parsed once each."""

    ctx: FactContext
    files: dict[str, list[Line] | None] = field(default_factory=dict)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def services(self) -> list[str]:
        """Service names; editor and package-manager leftovers are never used by PAM."""
        names: set[str] = set()
        for d in PAM_DIRS:
            names.update(n for n in self.ctx.list_dir(d) if not n.startswith(".") and not n.endswith(_LEFTOVERS))
        return sorted(names)

    def load(self, name: str) -> list[Line] | None:
        if name in self.files:
            return self.files[name]
        candidates = [name] if name.startswith("/") else [posixpath.join(d, name) for d in PAM_DIRS]
        result: list[Line] | None = None
        for path in candidates:
            try:
                if self.ctx.transport.stat(path).is_dir:
                    continue
                result = parse_pam(self.ctx.transport.read_text(path), path)
                break
            except FactUnavailable as exc:
                if exc.code != "not_found":
                    self.unreadable.append((path, exc.code, exc.detail))
                    break
        else:
            self.missing.append(name)
        self.files[name] = result
        return result

    def stack(self, name: str, types: frozenset[str] | None = None, chain: tuple[str, ...] = ()) -> list[PamEntry]:
        """The service's lines of `types` (all when None) with includes expanded in place."""
        if name in chain or len(chain) > MAX_DEPTH:
            return []
        out: list[PamEntry] = []
        for line in self.load(name) or []:
            if isinstance(line, PamInclude):
                if line.type is None:
                    out.extend(self.stack(line.target, types, (*chain, name)))
                elif types is None or line.type in types:
                    out.extend(self.stack(line.target, frozenset({line.type}), (*chain, name)))
            elif types is None or line.type in types:
                out.append(line)
        return out


QUALITY = ("pam_pwquality", "pam_cracklib", "pam_passwdqc")
LOCKOUT = ("pam_faillock", "pam_tally2", "pam_tally")
HISTORY = ("pam_pwhistory",)
MFA = ("pam_google_authenticator", "pam_oath", "pam_u2f", "pam_duo", "pam_yubico", "pam_totp", "pam_oauth2_device")


def entry_dict(e: PamEntry, services: list[str]) -> dict[str, object]:
    return {"type": e.type, "control": e.control, "module": e.module, "args": list(e.args),
            "optional": e.optional, "source": e.source, "services": services}


def collect_pam(ctx: FactContext) -> tuple[dict[str, object], PamConfig]:
    """The `pam` table: auth and password lines of every service, and what they contain."""
    cfg = PamConfig(ctx)
    names = cfg.services()
    seen: dict[tuple[str, str], tuple[PamEntry, list[str]]] = {}
    stacks: dict[str, dict[str, list[str]]] = {}
    for svc in names:
        lines = cfg.stack(svc, frozenset({"auth", "password"}))
        stacks[svc] = {t: [e.module for e in lines if e.type == t] for t in ("auth", "password")
                       if any(e.type == t for e in lines)}
        for e in lines:
            key = (e.source, e.type)
            if key not in seen:
                seen[key] = (e, [])
            seen[key][1].append(svc)
    entries = [entry_dict(e, svcs) for e, svcs in seen.values()]

    def pick(kind: str, modules: tuple[str, ...]) -> list[dict[str, object]]:
        return [entry_dict(e, svcs) for e, svcs in seen.values() if e.type == kind and e.name in modules]

    nullok = sorted({e.source for e, _ in seen.values()
                     if e.type == "auth" and e.name == "pam_unix" and ({"nullok", "nullok_secure"} & set(e.args))})
    history = pick("password", HISTORY) + [entry_dict(e, s) for e, s in seen.values()
                                           if e.type == "password" and e.name == "pam_unix" and e.arg("remember")]
    table: dict[str, object] = {
        "dirs": [d for d in PAM_DIRS if ctx.transport.exists(d)],
        "services": names,
        "stacks": stacks,
        "entries": entries,
        "nullok": nullok,
        "quality": pick("password", QUALITY),
        "lockout": pick("auth", LOCKOUT),
        "history": history,
        "mfa": pick("auth", MFA),
        "missing_includes": sorted(set(cfg.missing) - set(names)),
    }
    return table, cfg


# --- module settings and the password policy they make ----------------------------------------

PWQUALITY_CONF = "/etc/security/pwquality.conf"
FAILLOCK_CONF = "/etc/security/faillock.conf"
PWHISTORY_CONF = "/etc/security/pwhistory.conf"
Settings = dict[str, tuple[str, str]]  # key -> (value, "file:line" or "module default")
_PREFER_PASSWORD = ("passwd", "common-password", "system-auth", "password-auth")
_PREFER_AUTH = ("login", "sshd", "common-auth", "system-auth", "password-auth", "gdm-password", "lightdm", "sddm")


def parse_settings(text: str, path: str) -> Settings:
    """`key = value` or bare `flag` lines, '#' comments anywhere (libpwquality/faillock style)."""
    out: Settings = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        out[key.strip()] = (value.strip() if sep else "", f"{path}:{number}")
    return out


def _read_settings(ctx: FactContext, paths: list[str]) -> Settings:
    merged: Settings = {}
    for path in paths:
        text = ctx.read_text(path, unknown_key="password_policy")
        if text is not None:
            merged.update(parse_settings(text, path))
    return merged


def _with_args(settings: Settings, entry: dict[str, Any]) -> Settings:
    """Module arguments override the configuration file."""
    merged = dict(settings)
    for arg in entry.get("args", []):
        key, sep, value = str(arg).partition("=")
        merged[key] = (value if sep else "", str(entry["source"]))
    return merged


def _int(settings: Settings, key: str, default: int | None) -> tuple[int | None, str | None]:
    if key not in settings:
        return default, None
    value, source = settings[key]
    try:
        return int(value), source
    except ValueError:
        return default, source


def _choose(entries: list[dict[str, Any]], prefer: tuple[str, ...]) -> dict[str, Any] | None:
    for svc in prefer:
        for e in entries:
            if svc in e.get("services", []):
                return e
    return entries[0] if entries else None


def _enforcing_control(control: str) -> bool:
    control = control.lower()
    if control.startswith("["):
        return "default=ignore" not in control
    return control in ("required", "requisite")


def _quality(ctx: FactContext, pol: dict[str, Any], src: dict[str, str], pam: dict[str, Any]) -> None:
    entry = _choose([e for e in pam.get("quality", []) if e["type"] == "password"], _PREFER_PASSWORD)
    if entry is None:
        pol.update(quality_module=None, quality_enforcing=None, min_classes=None)
        unix = _choose([e for e in pam.get("entries", []) if e["type"] == "password"
                        and str(e["module"]).startswith("pam_unix")], _PREFER_PASSWORD)
        if unix is None:
            pol.update(min_length=None, min_length_configured=None)
            return
        minlen, where = _int(_with_args({}, unix), "minlen", 6)
        pol.update(min_length=minlen, min_length_configured=minlen)
        src["min_length"] = where or f"{unix['source']} (pam_unix default)"
        return
    module = str(entry["module"]).removesuffix(".so")
    pol["quality_module"] = module
    control_ok = _enforcing_control(str(entry["control"]))
    if module == "pam_passwdqc":
        _passwdqc(pol, src, entry, control_ok)
        return
    if module == "pam_pwquality":
        conf_d = "/etc/security/pwquality.conf.d"
        extra = [f"{conf_d}/{n}" for n in sorted(ctx.list_dir(conf_d)) if n.endswith(".conf")]
        settings = _with_args(_read_settings(ctx, [PWQUALITY_CONF, *extra]), entry)
        defaults = {"minlen": 8, "credit": 0}  # libpwquality defaults
    else:  # pam_cracklib reads only its arguments
        settings = _with_args({}, entry)
        defaults = {"minlen": 9, "credit": 1}
    minlen, where = _int(settings, "minlen", defaults["minlen"])
    minlen = max(minlen or 0, 6)  # both modules refuse values below 6
    src["min_length"] = where or f"{entry['source']} ({module} default)"
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
    pol["quality_enforcing"] = control_ok and enforcing != 0
    if esrc:
        src["quality_enforcing"] = esrc
    src["quality_module"] = str(entry["source"])


def _passwdqc(pol: dict[str, Any], src: dict[str, str], entry: dict[str, Any], control_ok: bool) -> None:
    settings = _with_args({}, entry)
    raw, where = settings.get("min", ("disabled,24,11,8,7", f"{entry['source']} (pam_passwdqc default)"))
    values = raw.split(",")
    best: tuple[int, int] | None = None  # (length, classes) of the weakest password accepted
    for classes, index in ((1, 0), (2, 1), (3, 3), (4, 4)):
        if index < len(values) and values[index].strip().isdigit():
            length = int(values[index])
            if best is None or length < best[0]:
                best = (length, classes)
    pol["min_length"] = pol["min_length_configured"] = best[0] if best else None
    pol["min_classes"] = best[1] if best else None
    src["min_length"] = src["min_classes"] = where
    enforce = settings.get("enforce", ("everyone", ""))[0]
    pol["quality_enforcing"] = control_ok and enforce != "none"
    src["quality_module"] = str(entry["source"])


def _lockout(ctx: FactContext, pol: dict[str, Any], src: dict[str, str], pam: dict[str, Any]) -> None:
    entries = [e for e in pam.get("lockout", []) if e["type"] == "auth"]
    entry = _choose(entries, _PREFER_AUTH)
    pol.update(lockout_module=None, lockout_threshold=None, lockout_minutes=None, lockout_permanent=False,
               lockout_window_minutes=None)
    if entry is None:
        return
    module = str(entry["module"]).removesuffix(".so")
    pol["lockout_module"] = module
    src["lockout_module"] = str(entry["source"])
    if module == "pam_faillock":
        same = [e for e in entries if str(e["module"]).startswith("pam_faillock")
                and set(e.get("services", [])) & set(entry.get("services", []))]
        # Failures are counted only by an "authfail" line; "preauth" alone just checks the tally.
        if not any("authfail" in e["args"] or not ({"preauth", "authsucc"} & set(e["args"])) for e in same):
            pol["lockout_incomplete"] = True
            return
        conf = FAILLOCK_CONF
        for e in same:
            for a in e["args"]:
                if str(a).startswith("conf="):
                    conf = str(a)[5:]
        settings = _read_settings(ctx, [conf])
        for e in same:
            settings = _with_args(settings, e)
        deny, dsrc = _int(settings, "deny", 3)
        unlock_raw = settings.get("unlock_time", ("600", ""))
        window, wsrc = _int(settings, "fail_interval", 900)
    else:  # pam_tally2 / pam_tally: never lock unless deny= is given; no unlock_time: admin unlocks
        settings = _with_args({}, entry)
        deny, dsrc = _int(settings, "deny", 0)
        unlock_raw = settings.get("unlock_time", ("never", ""))
        window, wsrc = None, None
    pol["lockout_threshold"] = deny
    src["lockout_threshold"] = dsrc or f"{entry['source']} ({module} default)"
    value = unlock_raw[0].strip().lower()
    if value in ("never", "0"):
        pol["lockout_permanent"] = True
    elif value.isdigit():
        pol["lockout_minutes"] = int(value) // 60
    if unlock_raw[1]:
        src["lockout_minutes"] = unlock_raw[1]
    pol["lockout_window_minutes"] = window // 60 if window is not None else None
    if wsrc:
        src["lockout_window_minutes"] = wsrc


def _history(ctx: FactContext, pol: dict[str, Any], src: dict[str, str], pam: dict[str, Any]) -> None:
    best: tuple[int, str] | None = None
    for e in pam.get("history", []):
        if str(e["module"]).startswith("pam_pwhistory"):
            conf = _read_settings(ctx, [PWHISTORY_CONF]) if ctx.transport.exists(PWHISTORY_CONF) else {}
            value, where = _int(_with_args(conf, e), "remember", 10)
            where = where or f"{e['source']} (pam_pwhistory default)"
        else:
            value, where = _int(_with_args({}, e), "remember", None)
        if value is not None and where and (best is None or value > best[0]):
            best = (value, where)
    pol["history"] = best[0] if best else None
    if best:
        src["history"] = best[1]


def build_policy(ctx: FactContext, defs: Settings, pam: dict[str, Any]) -> Any:
    """The `password_policy` table from login.defs, module configuration files and PAM arguments."""
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
    if pam.get("services"):
        _quality(ctx, pol, src, pam)
        _lockout(ctx, pol, src, pam)
        _history(ctx, pol, src, pam)
    else:
        pol.update(min_length=None, min_classes=None, quality_module=None, history=None, lockout_module=None,
                   lockout_threshold=None, lockout_minutes=None)
    pol["sources"] = src
    pol["source"] = sorted(set(src.values()))
    return pol
