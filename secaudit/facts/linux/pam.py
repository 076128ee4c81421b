"""PAM service files: lines, `@include` (Debian), `include`/`substack` (RHEL), per-service stacks.

Syntax follows Linux-PAM: '#' starts a comment, a final backslash continues the line,
the type may be prefixed by '-' (a missing module is not logged; it still answers
"module unknown"), the control may be a bracketed `[value=action ...]`, arguments may be
bracketed to hold blanks. Files live in /etc/pam.d, with /usr/lib/pam.d as the vendor fallback.

What the stacks enforce (the password policy) is read in pam_policy.py.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from secaudit.facts.context import FactContext
from secaudit.facts.linux.continued import join_continued
from secaudit.facts.linux.pamflow import MustFail, Sub
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
    optional: bool = False  # '-type': a missing module is not logged (it still fails as "module unknown")
    path: str = field(default="", compare=False)  # the module as written: a name or an absolute path

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
        body, hashed, _ = raw.partition("#")
        body = body.rstrip()
        continued = not hashed and body.endswith("\\")  # libpam: a comment ends the line, backslash or not
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
        lines.append(PamEntry(kind, control, posixpath.basename(tok[2]), tuple(tok[3:]), source, optional,
                              path=tok[2]))
    return lines


@dataclass
class PamConfig:
    """PAM files read through the transport, parsed once each."""

    ctx: FactContext
    files: dict[str, list[Line] | None] = field(default_factory=dict)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    _modules: set[str] | None = None
    _modules_read: bool = False

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

    def resolve(self, name: str, kind: str, chain: tuple[str, ...] = ()) -> list[object]:
        """The `kind` lines of a service as libpam builds them: `include` and `@include` inlined,
        `substack` nested, and an include that cannot be opened (or loops) a line that fails."""
        out: list[object] = []
        for line in self.load(name) or []:
            if isinstance(line, PamEntry):
                if line.type == kind:
                    out.append(line)
                continue
            if line.type is not None and line.type != kind:
                continue
            if line.target in (*chain, name) or len(chain) >= MAX_DEPTH or self.load(line.target) is None:
                out.append(MustFail(line.source, line.target))
                continue
            inner = self.resolve(line.target, kind, (*chain, name))
            if line.kind == "substack":
                out.append(Sub(tuple(inner), line.source))
            else:
                out.extend(inner)
        return out

    def stack(self, name: str, types: frozenset[str] | None = None) -> list[PamEntry]:
        """The service's module lines of `types` (all when None), includes expanded, in order per type."""
        out: list[PamEntry] = []
        for kind in TYPES:
            if types is None or kind in types:
                out.extend(flatten(self.resolve(name, kind)))
        return out

    def module_present(self, entry: PamEntry) -> bool | None:
        """Whether the module file exists on the audited system; None when no module directory was found."""
        if entry.path.startswith("/"):
            try:
                return self.ctx.transport.exists(entry.path)
            except FactUnavailable:
                return None
        if not self._modules_read:
            self._modules_read = True
            found: set[str] = set()
            for d in _module_dirs(self.ctx):
                found.update(self.ctx.list_dir(d))
            self._modules = found or None
        return None if self._modules is None else entry.module in self._modules


def _module_dirs(ctx: FactContext) -> list[str]:
    dirs = ["/lib/security", "/lib64/security", "/usr/lib/security", "/usr/lib64/security"]
    for base in ("/usr/lib", "/lib"):
        dirs += [f"{base}/{n}/security" for n in ctx.list_dir(base) if "-linux-" in n]
    return dirs


def flatten(nodes: list[object] | tuple[object, ...]) -> list[PamEntry]:
    out: list[PamEntry] = []
    for node in nodes:
        if isinstance(node, Sub):
            out.extend(flatten(node.lines))
        elif isinstance(node, PamEntry):
            out.append(node)
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
            if svc not in seen[key][1]:
                seen[key][1].append(svc)
    entries = [entry_dict(e, svcs) for e, svcs in seen.values()]

    def pick(kind: str, modules: tuple[str, ...]) -> list[dict[str, object]]:
        return [entry_dict(e, svcs) for e, svcs in seen.values() if e.type == kind and e.name in modules]

    def with_nullok(kind: str) -> list[str]:
        return sorted({e.source for e, _ in seen.values()
                       if e.type == kind and e.name == "pam_unix" and ({"nullok", "nullok_secure"} & set(e.args))})

    nullok = with_nullok("auth")
    history = pick("password", HISTORY) + [entry_dict(e, s) for e, s in seen.values()
                                           if e.type == "password" and e.name == "pam_unix" and e.arg("remember")]
    table: dict[str, object] = {
        "dirs": [d for d in PAM_DIRS if ctx.transport.exists(d)],
        "services": names,
        "stacks": stacks,
        "entries": entries,
        "nullok": nullok,
        "nullok_password": with_nullok("password"),
        "quality": pick("password", QUALITY),
        "lockout": pick("auth", LOCKOUT),
        "history": history,
        "mfa": pick("auth", MFA),
        "missing_includes": sorted(set(cfg.missing) - set(names)),
    }
    return table, cfg
