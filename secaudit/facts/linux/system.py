"""Host firewall and system hygiene: time sync, updates, OS support window, disk encryption.

Files are read first; the few commands (nft, iptables, chronyc, timedatectl) get 3 s.
In --root mode only configuration and enabled units are seen (what would run at boot).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from secaudit import limits
from secaudit.facts.context import FactContext
from secaudit.facts.linux.host import parse_btime
from secaudit.facts.linux.procs import process_names
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.osrelease import os_release
from secaudit.facts.linux.sources.systemd import enabled_unit, unit_masked
from secaudit.facts.linux.sources.timezone import local_zone
from secaudit.facts.model import FirewallTable, SystemTable
from secaudit.facts.registry import collector
from secaudit.fsutil import TooLarge, gunzip_capped
from secaudit.timefmt import rfc3339
from secaudit.transport.base import CommandFailed, CommandResult, FactUnavailable, NotFound, PermissionDenied
from secaudit.transport.base import TooLarge as FactTooLarge

CMD_TIMEOUT = 3.0


# == shared helpers =================================================================================

def _run(ctx: FactContext, argv: list[str]) -> CommandResult:
    """Run with the short timeout; a refusal to a non-root user becomes PermissionDenied."""
    res = ctx.transport.run(argv, timeout=CMD_TIMEOUT)
    err = res.stderr.lower()
    if res.rc != 0 and any(s in err for s in ("permission denied", "operation not permitted", "must be root")):
        raise PermissionDenied(" ".join(argv))
    return res


def _kv(text: str) -> dict[str, str]:
    """Shell-style KEY=VALUE lines (comments, quotes, `export`)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        out[key] = value
    return out


# == firewall ======================================================================================

@dataclass
class Chain:
    family: str  # ip | ip6 | inet | ...
    table: str
    name: str
    hook: str | None = None
    kind: str | None = None  # filter | nat | route
    policy: str | None = None  # accept | drop
    rules: list[str] = field(default_factory=list)
    final: str | None = None  # accept | drop | reject: an unconditional verdict as the last rule
    source: str = ""


_FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
_NFT_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\n|[{};]|[^\s{};"]+')
# Budgets of one ruleset, includes and all: past one, the firewall is unknown, never half-read.
NFT_MAX_FILES = 50  # included files (nft itself stops at 16 levels of nesting)
NFT_MAX_TOKENS = 4_000_000  # about what one 4 MiB file can hold; a few seconds of parsing
NFT_MAX_CHARS = 32 << 20  # text of the statements, variables expanded


class RulesetTooLarge(FactTooLarge):
    """An nftables ruleset past a budget (the caller records the firewall as unknown)."""


def _unquote(word: str) -> str:
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] == '"' else word


def _nft_final(words: list[str]) -> str | None:
    """The verdict of an unconditional rule such as `counter drop` or `reject with icmpx type
    admin-prohibited`; None when the rule has a match."""
    w = list(words)
    if len(w) >= 2 and w[-2] == "comment":
        w = w[:-2]
    while w:
        if w[0] == "counter":
            w = w[1:]
            while len(w) >= 2 and w[0] in ("packets", "bytes"):
                w = w[2:]
        elif w[0] == "log":
            w = w[1:]
            while len(w) >= 2 and w[0] in ("prefix", "level", "group", "snaplen", "queue-threshold", "flags"):
                w = w[2:]
        else:
            break
    if w in (["drop"], ["accept"]):
        return w[0]
    if w and w[0] == "reject" and (len(w) == 1 or w[1] == "with"):
        return "reject"
    return None


class _NftParser:
    """`nft list ruleset` output and nftables.conf files: tables, base chains, policies, rules.

    Handles comments, line continuations, `;` and newlines as separators, anonymous sets in
    rules, `define`d variables, `include` (globs), `flush ruleset`, and the command forms
    `add table|chain|rule`."""

    def __init__(self, ctx: FactContext | None) -> None:
        self.ctx = ctx
        self.chains: dict[tuple[str, str, str], Chain] = {}
        self.defines: dict[str, str] = {}
        self.files = 0  # included files read
        self.tokens = 0
        self.chars = 0  # text put into statements, `define`s expanded

    def parse(self, text: str, source: str) -> list[Chain]:
        # Tokens are streamed, an included file's ahead of the rest of its includer: memory stays
        # the size of one statement, however many files are included.
        stack: list[Iterator[tuple[str, str]]] = [self._tokens(text, source)]
        frames: list[tuple[str, Any]] = []
        stmt: list[str] = []
        origin = source
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                continue
            tok, where = item
            self.tokens += 1
            if self.tokens > NFT_MAX_TOKENS:
                raise RulesetTooLarge(f"{source}: nftables ruleset of more than {NFT_MAX_TOKENS} words")
            top = frames[-1][0] if frames else None
            if tok == "{":
                if top in ("chain", "anon"):
                    frames.append(("anon", None))
                    stmt.append("{")
                else:
                    frames.append(self._open(stmt, top, frames[-1][1] if frames else None, where))
                    stmt = []
            elif tok == "}":
                if top == "anon":
                    frames.pop()
                    stmt.append("}")
                    continue
                stack.extend(self._flush(stmt, frames, origin))
                stmt = []
                if frames:
                    frames.pop()
            elif tok in (";", "\n"):
                if top == "anon":
                    continue
                stack.extend(self._flush(stmt, frames, origin))
                stmt = []
            else:
                if not stmt:
                    origin = where
                word = self.defines.get(tok[1:], tok) if tok.startswith("$") else tok
                self.chars += len(word)
                if self.chars > NFT_MAX_CHARS:  # a `define` of two earlier ones doubles at each level
                    raise RulesetTooLarge(f"{source}: nftables ruleset of more than {NFT_MAX_CHARS >> 20} MiB once "
                                   "variables are expanded")
                stmt.append(word)
        self._flush(stmt, frames, origin)  # every file ends with a newline: normally nothing is left
        return list(self.chains.values())

    @staticmethod
    def _tokens(text: str, source: str) -> Iterator[tuple[str, str]]:
        text = re.sub(r"\\\n", " ", text)
        line = 1
        where = f"{source}:1"
        for m in _NFT_TOKEN.finditer(text):
            tok = m.group(0)
            if tok == "\n":
                yield tok, where
                line += 1
                where = f"{source}:{line}"
            elif not tok.startswith("#"):
                yield tok, where
        yield "\n", where

    def _chain(self, family: str, table: str, name: str, where: str) -> Chain:
        key = (family, table, name)
        if key not in self.chains:
            self.chains[key] = Chain(family, table, name, source=where)
        return self.chains[key]

    @staticmethod
    def _family_name(words: list[str]) -> tuple[str, list[str]]:
        if words and words[0] in _FAMILIES:
            return words[0], [_unquote(w) for w in words[1:]]
        return "ip", [_unquote(w) for w in words]

    def _open(self, header: list[str], top: str | None, parent: Any, where: str) -> tuple[str, Any]:
        words = header[1:] if header[:1] in (["add"], ["create"]) else list(header)
        if not words:
            return ("other", None)
        if top is None and words[0] == "table":
            family, rest = self._family_name(words[1:])
            return ("table", (family, rest[0] if rest else ""))
        if top is None and words[0] == "chain":
            family, rest = self._family_name(words[1:])
            if len(rest) >= 2:
                return ("chain", self._chain(family, rest[0], rest[1], where))
        if top == "table" and words[0] == "chain" and len(words) >= 2:
            family, table = parent
            return ("chain", self._chain(family, table, _unquote(words[1]), where))
        return ("other", None)

    def _flush(self, stmt: list[str], frames: list[tuple[str, Any]],
               where: str) -> list[Iterator[tuple[str, str]]]:
        """Apply a statement; returns the tokens of included files, to be read next."""
        if not stmt:
            return []
        top, obj = frames[-1] if frames else (None, None)
        if stmt[0] == "define" and len(stmt) >= 4 and stmt[2] == "=":
            self.defines[stmt[1]] = " ".join(stmt[3:])
            return []
        if stmt[0] == "include" and len(stmt) >= 2:
            return self._include(_unquote(stmt[1]))
        if top == "chain" and isinstance(obj, Chain):
            self._chain_statement(obj, stmt)
            return []
        if top is None:
            self._command(stmt, where)
        return []

    @staticmethod
    def _chain_statement(chain: Chain, stmt: list[str]) -> None:
        if stmt[0] == "type":
            if len(stmt) >= 2:
                chain.kind = stmt[1]
            if "hook" in stmt and stmt.index("hook") + 1 < len(stmt):
                chain.hook = stmt[stmt.index("hook") + 1]
            if "policy" in stmt and stmt.index("policy") + 1 < len(stmt):
                chain.policy = stmt[stmt.index("policy") + 1].lower()
        elif stmt[0] == "policy" and len(stmt) >= 2:
            chain.policy = stmt[1].lower()
        elif stmt[0] in ("comment", "devices", "device", "flags"):
            return
        else:
            chain.rules.append(" ".join(stmt))
            chain.final = _nft_final(stmt)

    def _command(self, stmt: list[str], where: str) -> None:
        verb, rest = stmt[0], stmt[1:]
        if verb == "flush" and rest[:1] == ["ruleset"]:
            self.chains.clear()
        elif verb in ("delete", "destroy") and rest[:1] == ["table"]:
            family, names = self._family_name(rest[1:])
            for key in [k for k in self.chains if k[0] == family and names and k[1] == names[0]]:
                del self.chains[key]
        elif verb == "flush" and rest[:1] in (["table"], ["chain"]):
            family, names = self._family_name(rest[1:])
            for key, chain in self.chains.items():
                if key[0] == family and names and key[1] == names[0] and (
                        rest[0] == "table" or (len(names) > 1 and key[2] == names[1])):
                    chain.rules.clear()
                    chain.final = None
        elif verb in ("add", "insert", "create") and rest[:1] in (["rule"], ["chain"]):
            family, names = self._family_name(rest[1:])
            if len(names) < 2:
                return
            if rest[0] == "chain":
                self._chain(family, names[0], names[1], where)
                return
            chain = self._chain(family, names[0], names[1], where)
            body = rest[1:][(1 if rest[1] in _FAMILIES else 0) + 2:]
            if body[:1] in (["position"], ["handle"], ["index"]):
                body = body[2:]
            if verb == "insert":
                chain.rules.insert(0, " ".join(body))
            else:
                chain.rules.append(" ".join(body))
                chain.final = _nft_final(body)

    def _include(self, pattern: str) -> list[Iterator[tuple[str, str]]]:
        if self.ctx is None:
            return []
        if not pattern.startswith("/"):
            pattern = posixpath.join("/etc", pattern)
        directory, base = posixpath.split(pattern)
        names = [n for n in self.ctx.list_dir(directory) if fnmatch.fnmatch(n, base)] \
            if any(c in base for c in "*?[") else [base]
        ctx = self.ctx

        def files() -> Iterator[tuple[str, str]]:  # each file read when its turn comes
            for name in sorted(names):
                path = posixpath.join(directory, name)
                self.files += 1
                if self.files > NFT_MAX_FILES:  # a file that includes itself, or each other
                    raise RulesetTooLarge(f"{path}: more than {NFT_MAX_FILES} nftables files included")
                text = ctx.read_text(path)
                if text is not None:
                    yield from self._tokens(text, path)

        return [files()]


def parse_nft_text(text: str, source: str, ctx: FactContext | None = None) -> list[Chain]:
    return _NftParser(ctx).parse(text, source)


def parse_nft_json(text: str, source: str = "nft -j list ruleset") -> list[Chain]:
    """`nft -j list ruleset`. ValueError when the text is not JSON or not a ruleset (the caller then
    asks for the text form); objects of an unexpected shape inside are skipped."""
    import json

    if len(text) > NFT_MAX_CHARS // 2:  # as objects, JSON takes tens of times its size; the text form streams
        raise ValueError("nft JSON output too large")
    try:
        data = json.loads(text)
        items = data.get("nftables", []) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ValueError("not an nft JSON ruleset")
        return _nft_json_chains(items, source)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _str_or(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _nft_json_chains(items: list[Any], source: str) -> list[Chain]:
    import json

    chains: dict[tuple[str, str, str], Chain] = {}
    for obj in items:
        c = obj.get("chain") if isinstance(obj, dict) else None
        r = obj.get("rule") if isinstance(obj, dict) else None
        if isinstance(c, dict):
            key = (_str_or(c.get("family"), "ip"), _str_or(c.get("table"), ""), _str_or(c.get("name"), ""))
            hook = _str_or(c.get("hook"), "") or None
            chains[key] = Chain(*key, hook=hook, kind=_str_or(c.get("type"), "") or None,
                                policy=(_str_or(c.get("policy"), "") or None) if hook else None, source=source)
        elif isinstance(r, dict):
            key = (_str_or(r.get("family"), "ip"), _str_or(r.get("table"), ""), _str_or(r.get("chain"), ""))
            chain = chains.setdefault(key, Chain(*key, source=source))
            exprs = r.get("expr")
            exprs = exprs if isinstance(exprs, list) else []
            chain.rules.append(json.dumps(exprs, sort_keys=True))
            kinds = [_json_kind(e) for e in exprs if isinstance(e, dict) and e]
            last = kinds[-1] if kinds else None
            plain = all(k in ("counter", "log", "comment") for k in kinds[:-1])
            chain.final = last if plain and last in ("accept", "drop", "reject") else None
    return list(chains.values())


def _json_kind(expr: dict[str, Any]) -> str:
    """The statement kind; iptables-nft rules show untranslated parts as `xt` (e.g. the REJECT
    target and the comment match)."""
    kind = next(iter(expr))
    if kind == "xt" and isinstance(expr["xt"], dict):
        xt = expr["xt"]
        if xt.get("type") == "target" and str(xt.get("name", "")).lower() in ("reject", "drop", "accept"):
            return str(xt["name"]).lower()
        if xt.get("type") == "match" and xt.get("name") == "comment":
            return "comment"
    return kind


def parse_iptables(text: str, family: str, source: str) -> list[Chain]:
    """`iptables -S INPUT` or iptables-save/rules.v4 text: the INPUT chain of the filter table."""
    chain = Chain(family, "filter", "INPUT", hook="input", kind="filter", source=source)
    table = "filter"
    seen = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if table != "filter" or not line or line.startswith("#"):
            continue
        if line.startswith(":INPUT ") or line.startswith("-P INPUT "):
            chain.policy = line.split()[1 if line.startswith(":") else 2].lower()
            seen = True
        elif line.startswith("-A INPUT ") or line == "-A INPUT":
            seen = True
            try:
                words = shlex.split(line)[2:]
            except ValueError:
                words = line.split()[2:]
            chain.rules.append(" ".join(words))
            if "-m" in words and "comment" in words:
                at = words.index("--comment") if "--comment" in words else -1
                if at > 0:
                    words = [w for j, w in enumerate(words) if j not in (at - 2, at - 1, at, at + 1)]
            verdict = words[1].lower() if len(words) >= 2 and words[0] == "-j" else None
            extra = words[2:]
            if verdict in ("accept", "drop", "reject") and all(
                    w.startswith("--reject-with") or (j > 0 and extra[j - 1] == "--reject-with")
                    for j, w in enumerate(extra)):
                chain.final = verdict
            else:
                chain.final = None
    return [chain] if seen else []


@dataclass
class Effective:
    ipv4: str | None
    ipv6: str | None
    rules: int
    has_input: bool

    @property
    def active(self) -> bool:
        return self.has_input and (self.rules > 0 or "drop" in (self.ipv4, self.ipv6)
                                   or "reject" in (self.ipv4, self.ipv6))


def effective(chains: list[Chain]) -> Effective:
    """Default inbound verdict per IP family. A packet must pass every input base chain, so the
    strictest chain wins; a chain's default is its unconditional last rule, else its policy."""
    inputs = [c for c in chains if c.hook == "input" and (c.kind in (None, "filter"))
              and c.family in ("ip", "ip6", "inet")]
    if not inputs:
        return Effective(None, None, 0, False)

    def verdict(fams: tuple[str, ...]) -> str:
        defaults = [c.final or c.policy or "accept" for c in inputs if c.family in fams]
        for v in ("drop", "reject"):
            if v in defaults:
                return v
        return "accept"

    return Effective(verdict(("ip", "inet")), verdict(("ip6", "inet")), sum(len(c.rules) for c in inputs), True)


def _firewalld_zone(ctx: FactContext) -> tuple[str | None, int | None, str]:
    """(default inbound, rule count, source) of firewalld's default zone."""
    conf = _kv(ctx.read_text("/etc/firewalld/firewalld.conf") or "")
    zone = conf.get("DefaultZone") or "public"
    for base in ("/etc/firewalld/zones", "/usr/lib/firewalld/zones"):
        path = f"{base}/{zone}.xml"
        text = ctx.read_text(path)
        if text is None:
            continue
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            continue
        target = (root.get("target") or "default").upper()
        count = sum(1 for el in root if el.tag in ("service", "port", "rule", "protocol", "source-port",
                                                   "forward-port", "icmp-block"))
        return ({"ACCEPT": "accept", "DROP": "drop"}.get(target, "reject"), count, f"{path} (zone {zone})")
    builtin = {"drop": "drop", "block": "reject", "trusted": "accept"}
    return builtin.get(zone, "reject"), None, f"firewalld built-in zone {zone}"


def _ufw(ctx: FactContext) -> dict[str, Any] | None:
    text = ctx.read_text("/etc/ufw/ufw.conf")
    if text is None:
        return None
    defaults = _kv(ctx.read_text("/etc/default/ufw") or "")
    policy = defaults.get("DEFAULT_INPUT_POLICY", "DROP").upper()
    inbound = {"ACCEPT": "accept", "REJECT": "reject"}.get(policy, "drop")
    return {"enabled": _kv(text).get("ENABLED", "no").lower() == "yes" and not unit_masked(ctx, "ufw.service"),
            "default": inbound, "ipv6": defaults.get("IPV6", "yes").lower() == "yes",
            "source": "/etc/ufw/ufw.conf, /etc/default/ufw"}


def _config_rulesets(ctx: FactContext) -> list[tuple[str, list[Chain], str | None, str]]:
    """(backend, chains, enabling unit link, config source) for nftables and iptables files."""
    out: list[tuple[str, list[Chain], str | None, str]] = []
    for path in ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf"):
        text = ctx.read_text(path, unknown_key="firewall.config")
        if text is not None:
            out.append(("nftables", parse_nft_text(text, path, ctx), enabled_unit(ctx, "nftables.service"), path))
            break
    for v4, v6, units in (("/etc/iptables/rules.v4", "/etc/iptables/rules.v6",
                           ("netfilter-persistent.service", "iptables-persistent.service")),
                          ("/etc/sysconfig/iptables", "/etc/sysconfig/ip6tables", ("iptables.service",))):
        t4 = ctx.read_text(v4, unknown_key="firewall.config")
        if t4 is None:
            continue
        chains = parse_iptables(t4, "ip", v4)
        t6 = ctx.read_text(v6)
        chains += parse_iptables(t6, "ip6", v6) if t6 is not None else []
        out.append(("iptables", chains, enabled_unit(ctx, *units), v4))
    return out


def _kernel_ruleset(ctx: FactContext) -> tuple[list[Chain] | None, str, FactUnavailable | None]:
    """Chains loaded in the kernel: `nft -j list ruleset`, then iptables/ip6tables -S INPUT
    (legacy iptables rules are not visible to nft). (None, "", reason) when nothing answered."""
    problem: FactUnavailable | None = None
    nft_source: str | None = None
    chains: list[Chain] = []
    try:
        res = _run(ctx, ["nft", "-j", "list", "ruleset"])
        if res.rc == 0:
            try:
                chains = parse_nft_json(res.stdout) if res.stdout.strip() else []
                nft_source = "nft -j list ruleset"
            except (ValueError, AttributeError):  # an nft without JSON support
                res = _run(ctx, ["nft", "list", "ruleset"])
                chains, nft_source = parse_nft_text(res.stdout, "nft list ruleset"), "nft list ruleset"
            if effective(chains).has_input:
                return chains, nft_source, None
    except FactUnavailable as exc:
        problem = exc
    ipt: list[Chain] = []
    sources = []
    for tool, fam in (("iptables", "ip"), ("ip6tables", "ip6")):
        try:
            res = _run(ctx, [tool, "-S", "INPUT"])
        except FactUnavailable as exc:
            if problem is None or problem.code == "not_found":
                problem = exc
            continue
        if res.rc == 0:
            ipt += parse_iptables(res.stdout, fam, f"{tool} -S INPUT")
            sources.append(f"{tool} -S INPUT")
    if sources:
        return ipt, ", ".join(sources), None
    if nft_source is not None:  # nft answered: an empty or input-less ruleset
        return chains, nft_source, None
    if problem is not None and problem.code != "not_found":
        return None, "", problem
    return None, "", problem or NotFound("nft, iptables")


def _label(chains: list[Chain]) -> str:
    names = {c.name for c in chains}
    jumps = " ".join(r for c in chains for r in c.rules)
    if any(n.startswith(("ufw-", "ufw6-")) for n in names) or re.search(r"\bufw6?-", jumps):
        return "ufw"
    if any(c.table == "firewalld" for c in chains):
        return "firewalld"
    inputs = [c for c in chains if c.hook == "input"]
    if inputs and all(c.name == "INPUT" and c.table == "filter" for c in inputs):
        return "iptables"
    return "nftables"


def _from_config(ctx: FactContext, ufw: dict[str, Any] | None) -> FirewallTable:
    """What the configuration starts at boot (the only view in --root mode)."""
    configured: list[str] = []
    firewalld_conf = ctx.transport.exists("/etc/firewalld/firewalld.conf")
    if firewalld_conf:
        configured.append("firewalld")
    if ufw is not None:
        configured.append("ufw")
    rulesets = _config_rulesets(ctx)
    configured += [b for b, *_ in rulesets if b not in configured]
    base: FirewallTable = {"profiles": [], "configured": configured, "default_inbound_ipv6": None}
    unit = enabled_unit(ctx, "firewalld.service") if firewalld_conf else None
    if unit:
        inbound, count, source = _firewalld_zone(ctx)
        return {**base, "backend": "firewalld", "active": True, "default_inbound": inbound,
                "default_inbound_ipv6": inbound, "rules_count": count, "source": f"{unit}; {source}"}
    if ufw is not None and ufw["enabled"]:
        return {**base, "backend": "ufw", "active": True, "default_inbound": ufw["default"],
                "default_inbound_ipv6": ufw["default"] if ufw["ipv6"] else None, "rules_count": None,
                "source": ufw["source"]}
    for backend, chains, link, path in rulesets:
        eff = effective(chains)
        if link and eff.has_input:
            return {**base, "backend": backend, "active": eff.active, "default_inbound": eff.ipv4,
                    "default_inbound_ipv6": eff.ipv6 if backend == "nftables" or any(
                        c.family == "ip6" for c in chains) else None,
                    "rules_count": eff.rules, "source": f"{path} (enabled by {link})"}
    if configured:
        return {**base, "backend": configured[0], "active": False, "default_inbound": None,
                "rules_count": None, "source": f"{configured[0]} is configured but not enabled at boot"}
    return {**base, "backend": "none", "active": False, "default_inbound": None, "rules_count": None,
            "source": "no firewall configuration (nftables, iptables, ufw, firewalld) found"}


@collector("firewall", ("firewall",))
def collect_firewall(ctx: FactContext) -> None:
    ufw = _ufw(ctx)
    configured = _from_config(ctx, ufw)
    if not ctx.transport.live:
        ctx.put("firewall", configured)
        return
    procs = process_names(ctx) or set()
    if "firewalld" in procs and ctx.transport.exists("/etc/firewalld/firewalld.conf"):
        inbound, count, source = _firewalld_zone(ctx)
        ctx.put("firewall", {**configured, "backend": "firewalld", "active": True, "default_inbound": inbound,
                             "default_inbound_ipv6": inbound, "rules_count": count,
                             "source": f"firewalld running; {source}"})
        return
    chains, source, problem = _kernel_ruleset(ctx)
    if chains is not None:
        eff = effective(chains)
        if eff.active:
            table: FirewallTable = {**configured, "backend": _label(chains), "active": True,
                                    "default_inbound": eff.ipv4, "default_inbound_ipv6": eff.ipv6,
                                    "rules_count": eff.rules, "source": source}
        else:
            # Nothing filters inbound traffic (an empty ruleset, or e.g. Docker's accept-all INPUT chain).
            names = configured.get("configured") or []
            what = "an accept-all input chain" if eff.has_input else "no input filter chain"
            table = {**configured, "backend": names[0] if names else "none", "active": False,
                     "default_inbound": "accept", "default_inbound_ipv6": "accept", "rules_count": eff.rules,
                     "source": f"{source}: {what} loaded"}
        ctx.put("firewall", table)
        return
    if problem is not None and problem.code == "not_found":
        # Neither nft nor iptables is installed: nothing can have loaded rules but a configured tool.
        ctx.put("firewall", {**configured, "source": f"{configured['source']} (nft/iptables not installed)"})
        return
    if ufw is not None and ufw["enabled"]:
        ctx.put("firewall", {**configured, "source": configured["source"] + " (kernel rules not readable)"})
        return
    ctx.put("firewall", configured)  # what the configuration says, kept for the reader
    why = problem or FactUnavailable("nft list ruleset, iptables -S")
    ctx.unknown("firewall", why.code, "nft list ruleset, iptables -S" if why.code == "permission_denied"
                else why.detail)


# == apt configuration ==============================================================================

_APT_NAME = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def apt_conf_files(ctx: FactContext) -> list[str]:
    """The files apt reads, in order: /etc/apt/apt.conf.d/* (sorted; names of letters, digits,
    _ - : . and either no extension or .conf), then /etc/apt/apt.conf."""
    out = []
    for name in ctx.list_dir("/etc/apt/apt.conf.d"):
        if name.startswith(".") or not _APT_NAME.match(name) or name.endswith("."):
            continue
        if "." in name and name.rsplit(".", 1)[1] != "conf":
            continue
        out.append(f"/etc/apt/apt.conf.d/{name}")
    return [*out, "/etc/apt/apt.conf"]


_APT_TOKEN = re.compile(r'"[^"]*"|[{};]|[^\s{};"]+')


def _strip_apt_comments(text: str) -> list[tuple[int, str]]:
    """Lines without // and # comments (but #clear / #include stay) and /* */ blocks."""
    out: list[tuple[int, str]] = []
    in_block = False
    for lineno, line in enumerate(text.splitlines(), 1):
        buf: list[str] = []
        i, quoted = 0, False
        while i < len(line):
            ch = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block = False
                    i += 2
                else:
                    i += 1
                continue
            if ch == '"':
                quoted = not quoted
            elif not quoted:
                if line.startswith("/*", i):
                    in_block = True
                    i += 2
                    continue
                if line.startswith("//", i):
                    break
                if ch == "#" and not line.startswith(("#clear", "#include"), i):
                    break
            buf.append(ch)
            i += 1
        out.append((lineno, "".join(buf)))
    return out


def parse_apt_conf(text: str, source: str, into: dict[str, tuple[str, str]]) -> None:
    """Apply one apt.conf file to `into` (lower-case key -> (value, file:line)). Scopes nest with
    `Tag { ... };`, values are `Tag "value";`, keys are case-insensitive, later values win.

    Linear in the file: each scope's key prefix is built once, keys longer than APT_MAX_KEY are not
    kept (the keys looked up are short), and `#clear` is applied once at the end of the file."""
    scope: list[tuple[str, str | None]] = []  # (name, key prefix of the scope; None: too long to keep)
    words: list[tuple[str, int]] = []
    state = _AptFile(source, into)
    for lineno, line in _strip_apt_comments(text):
        for tok in _APT_TOKEN.findall(line):
            if tok == "{":
                name = words[0][0].strip('"') if words else ""
                parent = scope[-1][1] if scope else ""
                scope.append((name, _apt_join(parent, name)))
                words = []
            elif tok == "}":
                words = []
                if scope:
                    scope.pop()
            elif tok == ";":
                state.statement(words, scope)
                words = []
            else:
                words.append((tok, lineno))
    if words:
        state.statement(words, scope)
    state.apply_clears()


APT_MAX_KEY = 1024


def _apt_join(prefix: str | None, name: str) -> str | None:
    """`prefix::name` (an empty name adds nothing), or None when it would pass APT_MAX_KEY."""
    if prefix is None or len(prefix) + len(name) + 2 > APT_MAX_KEY:
        return None
    return (f"{prefix}::{name}" if prefix else name) if name else prefix


class _AptFile:
    def __init__(self, source: str, into: dict[str, tuple[str, str]]) -> None:
        self.source, self.into = source, into
        self.step = 0
        self.set_at: dict[str, int] = {}  # key -> step of its last value in this file
        self.cleared: dict[str, int] = {}  # #clear prefix -> step of its last #clear

    def statement(self, words: list[tuple[str, int]], scope: list[tuple[str, str | None]]) -> None:
        if not words:
            return
        self.step += 1
        first, lineno = words[0]
        prefix = scope[-1][1] if scope else ""
        if first == "#clear":
            if any(not name for name, _ in scope):
                return  # inside an anonymous scope the prefix has an empty part: it matches no key
            for w, _ in words[1:]:
                key = _apt_join(prefix, w.strip('"'))
                if key is not None:
                    self.cleared[key.lower()] = self.step
            return
        if first == "#include" or len(words) < 2 or first.startswith('"'):
            return  # includes are rare in apt.conf.d; list items have no key
        key = _apt_join(prefix, first)
        if key is not None:
            key = key.lower()
            self.into[key] = (words[1][0].strip('"'), f"{self.source}:{lineno}")
            self.set_at[key] = self.step

    def apply_clears(self) -> None:
        """Drop every key set before a later #clear of itself or of a prefix ending at a `::`."""
        if not self.cleared:
            return
        for key in list(self.into):
            born = self.set_at.get(key, 0)
            ends = [len(key)]
            at = key.find("::")
            while at >= 0:
                ends.append(at)
                at = key.find("::", at + 1)
            if any(self.cleared.get(key[:end], -1) > born for end in ends):
                del self.into[key]


def apt_config(ctx: FactContext) -> dict[str, tuple[str, str]]:
    def compute() -> dict[str, tuple[str, str]]:
        conf: dict[str, tuple[str, str]] = {}
        for path in apt_conf_files(ctx):
            text = ctx.read_text(path, unknown_key="system.auto_updates")
            if text is not None:
                parse_apt_conf(text, path, conf)
        return conf

    return ctx.memo("system.apt_config", compute)


def _interval_on(value: str) -> bool:
    """APT::Periodic intervals: "0" or "" is off; "1", "7", "always", "1d", "12h" are on."""
    v = value.strip().lower()
    if v == "always":
        return True
    m = re.fullmatch(r"([0-9]+)\s*[smhd]?", v)
    return bool(m and m.group(1).lstrip("0"))  # not int(): a 5000-digit value must not raise


def _auto_updates(ctx: FactContext) -> tuple[bool | None, str | None, str | None]:
    """(enabled, source, reason). Reasons: enabled, not_set, setting_off, periodic_disabled,
    package_missing, timer_masked, no_timer, apply_off, unreadable."""
    if ctx.transport.exists("/var/lib/dpkg/status") or ctx.transport.exists("/etc/apt"):
        conf = apt_config(ctx)
        enable = conf.get("apt::periodic::enable")
        if enable is not None and enable[0].strip() == "0":
            return False, f'{enable[1]}: APT::Periodic::Enable "0"', "periodic_disabled"
        setting = conf.get("apt::periodic::unattended-upgrade")
        if setting is None:
            return False, "APT::Periodic::Unattended-Upgrade", "not_set"
        source = f'{setting[1]}: APT::Periodic::Unattended-Upgrade "{setting[0]}"'
        if not _interval_on(setting[0]):
            return False, source, "setting_off"
        if dpkg.is_installed(ctx, "unattended-upgrades") is False:
            return False, "/var/lib/dpkg/status: unattended-upgrades", "package_missing"
        if unit_masked(ctx, "apt-daily-upgrade.timer"):
            return False, "/etc/systemd/system/apt-daily-upgrade.timer -> /dev/null", "timer_masked"
        return True, source, "enabled"
    if ctx.transport.exists("/etc/dnf") or ctx.transport.exists("/etc/yum.conf"):
        link = enabled_unit(ctx, "dnf-automatic-install.timer")
        if link:
            return True, link, "enabled"
        link = enabled_unit(ctx, "dnf-automatic.timer", "dnf5-automatic.timer")
        conf_path = "/etc/dnf/automatic.conf"
        if link is None:
            link = enabled_unit(ctx, "yum-cron.service")
            conf_path = "/etc/yum/yum-cron.conf"
        if link is None:
            return False, "dnf-automatic.timer, yum-cron.service", "no_timer"
        import configparser

        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(ctx.read_text(conf_path) or "")
        except configparser.Error:
            return None, conf_path, "unreadable"
        apply = parser.get("commands", "apply_updates", fallback="no").strip().lower()
        on = apply in ("yes", "true", "1", "on")
        return on, f"{link}; {conf_path}: apply_updates = {apply}", "enabled" if on else "apply_off"
    return None, None, None


# == package history ================================================================================

_APT_NON_UPDATE = {"install", "reinstall", "remove", "purge", "autoremove", "autopurge", "build-dep",
                   "markauto", "unmarkauto"}


def _is_update_run(commandline: str | None) -> bool:
    """An entry that upgraded packages counts as an update run unless it was a plain
    `apt install/remove ...` that merely pulled a newer dependency. Entries without a
    Commandline come from unattended-upgrades; aptdaemon/PackageKit entries are GUI updaters."""
    if commandline is None:
        return True
    words = commandline.split()
    if "--only-upgrade" in words:
        return True
    verb, skip = "", False
    for w in words[1:]:
        if skip:
            skip = False
        elif w in ("-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release"):
            skip = True  # the option's value follows
        elif not w.startswith("-"):
            verb = w
            break
    return verb not in _APT_NON_UPDATE


APT_MAX_ENTRIES = 200_000  # a year of hourly runs is 9,000; a 64 MiB log of 15-byte entries is millions


def parse_apt_history(text: str, source: str) -> list[tuple[str, bool, str]]:
    """Entries of apt's history.log as (local end time 'YYYY-MM-DD HH:MM:SS', update run?, file:line).
    Entries are separated by blank lines; an interrupted one has no End-Date (Start-Date is used).
    ValueError past APT_MAX_ENTRIES."""
    out: list[tuple[str, bool, str]] = []
    start: str | None = None
    end: str | None = None
    commandline: str | None = None
    upgraded = False
    line_at = 0
    for lineno, line in enumerate([*text.splitlines(), ""], 1):
        if not line.strip():
            stamp = end or start
            if stamp:
                out.append((" ".join(stamp.split()), upgraded and _is_update_run(commandline),
                            f"{source}:{line_at}"))
                if len(out) > APT_MAX_ENTRIES:
                    raise ValueError(f"{source}: more than {APT_MAX_ENTRIES} entries")
            start = end = commandline = None
            upgraded = False
            continue
        key, _, value = line.partition(":")
        if key == "Start-Date":
            start, line_at = value.strip(), lineno
        elif key == "End-Date":
            end, line_at = value.strip(), lineno
        elif key == "Commandline":
            commandline = value.strip()
        elif key == "Upgrade":
            upgraded = True
    return out


def _history_files(ctx: FactContext, directory: str, base: str) -> list[str]:
    """history.log, history.log.1, history.log.2.gz, ... newest first (also -YYYYMMDD suffixes)."""
    def order(name: str) -> tuple[int, str]:
        rest = name[len(base):].removesuffix(".gz")
        if rest == "":
            return (0, "")
        if rest.startswith(".") and rest[1:].isascii() and rest[1:].isdigit() and len(rest) < 12:
            return (int(rest[1:]), "")
        return (1, "~" + "".join(chr(0x10FFFF - ord(c)) for c in rest))  # dates: newest first

    names = [n for n in ctx.list_dir(directory) if n == base or n.startswith(base + ".")
             or n.startswith(base + "-")]
    return [f"{directory}/{n}" for n in sorted(names, key=order)]


def _read_log(ctx: FactContext, path: str) -> str | None:
    try:
        raw = ctx.transport.read_bytes(path, cap=limits.LOG_FILE)
        if path.endswith(".gz"):
            raw = gunzip_capped(raw, limits.LOG_FILE)
    except (FactUnavailable, TooLarge, OSError, EOFError, zlib.error):
        return None
    return raw.decode("utf-8", errors="replace")


def _to_utc(local: str, zone: tzinfo) -> str | None:
    try:
        return _utc_text(datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone))
    except ValueError:
        return None


def _utc_text(dt: datetime) -> str | None:
    """RFC 3339 UTC of an aware time from a log, or None when it has no such time (year 1 at
    +07:00 is year 0 in UTC; a damaged zone gives offsets datetime refuses)."""
    try:
        return rfc3339(dt.timestamp())
    except (ValueError, OverflowError, OSError):
        return None


def _dnf_time(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:  # month 13, hour 25...
        return None


def _last_update(ctx: FactContext) -> tuple[str | None, str | None]:
    files = _history_files(ctx, "/var/log/apt", "history.log")
    if files:
        zone = None
        oldest: tuple[str, str] | None = None
        for path in files:
            text = _read_log(ctx, path)
            if text is None:
                continue
            try:
                entries = parse_apt_history(text, path)
            except ValueError:
                continue  # not a log apt wrote: as if unreadable (an older file may still tell)
            ups = [e for e in entries if e[1]]
            zone = zone or local_zone(ctx)
            if ups:
                stamp, _, where = max(ups)
                return _to_utc(stamp, zone), f"{where} (newest apt upgrade)"
            if entries:
                stamp, _, where = min(entries)
                oldest = (stamp, where) if oldest is None or stamp < oldest[0] else oldest
        if oldest is not None and zone is not None:
            return _to_utc(oldest[0], zone), f"{oldest[1]} (no upgrade logged; oldest apt history entry)"
    files = _history_files(ctx, "/var/log", "dnf.rpm.log")
    for path in files:
        text = _read_log(ctx, path) or ""
        stamps = re.findall(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{4}))\s+\S+\s+Upgraded?:", text, re.M)
        parsed = [t for t in map(_dnf_time, stamps) if t is not None]
        newest = _utc_text(max(parsed)) if parsed else None
        if newest:
            return newest, f"{path} (newest dnf upgrade)"
    text = _read_log(ctx, "/var/log/yum.log")
    if text:
        found = _yum_last(ctx, text)
        if found:
            return found, "/var/log/yum.log (newest yum update)"
    for path in ("/var/lib/dpkg/status", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages"):
        try:
            st = ctx.transport.stat(path)
        except FactUnavailable:
            continue
        return rfc3339(st.mtime), f"mtime of {path} (approximate: last package change of any kind)"
    return None, None


def _yum_last(ctx: FactContext, text: str) -> str | None:
    """yum.log lines 'Nov 02 10:15:33 Updated: pkg' carry no year: take it from the file's mtime."""
    try:
        mtime = datetime.fromtimestamp(ctx.transport.stat("/var/log/yum.log").mtime, UTC)
    except (FactUnavailable, ValueError, OverflowError, OSError):  # an image can carry any mtime
        return None
    zone = local_zone(ctx)
    newest: datetime | None = None
    for m in re.finditer(r"^([A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}) Updated: ", text, re.M):
        try:
            dt = datetime.strptime(f"{mtime.year} {m.group(1)}", "%Y %b %d %H:%M:%S").replace(tzinfo=zone)
            if dt > mtime.replace(tzinfo=UTC):
                dt = dt.replace(year=dt.year - 1)
            newest = dt if newest is None or dt > newest else newest
        except (ValueError, OverflowError):  # 30 Feb; a year before 1; a damaged zone's offsets
            continue
    return _utc_text(newest) if newest else None


_UN_TOTAL = re.compile(r"^([0-9]{1,9}) (?:updates? can be applied immediately|packages? can be updated)", re.M)
_UN_SECURITY = re.compile(
    r"^([0-9]{1,9}) (?:of these updates (?:is a|are) (?:standard )?security updates?"
    r"|updates? (?:is a|are) security updates?"
    r"|of these updates? (?:is|are) (?:a )?(?:standard )?security updates?)", re.M)


def parse_updates_available(text: str) -> tuple[int, int] | None:
    """(updates, security updates) from Ubuntu's update-notifier text, or None if unrecognised.
    ESM updates that need an Ubuntu Pro subscription are not counted."""
    total = _UN_TOTAL.search(text)
    if total is None:
        return None
    sec = _UN_SECURITY.search(text)
    return int(total.group(1)), int(sec.group(1)) if sec else 0


# == OS support window ==============================================================================

@cache
def os_eol_table() -> dict[str, Any]:
    """The shipped end-of-life table (data, not code: secaudit/data/os_eol.yaml)."""
    from secaudit.resources import load_data

    data: dict[str, Any] = load_data("os_eol.yaml")
    return data


def support_end(rel: dict[str, str], table: dict[str, Any]) -> dict[str, Any]:
    """{key, end, note, rolling} for an os-release mapping; end None when the OS is not listed."""
    os_id = rel.get("ID", "").strip().lower()
    version = rel.get("VERSION_ID", "").strip()
    os_id = (table.get("aliases") or {}).get(os_id, os_id)
    if os_id == "centos" and "stream" in rel.get("NAME", "").lower():
        os_id = "centos-stream"
    if os_id in (table.get("rolling") or []):
        return {"key": os_id, "end": None, "note": "rolling release", "rolling": True}
    releases = (table.get("releases") or {}).get(os_id) or {}
    parts = version.split(".", 4)[:4]  # the table has at most major.minor.patch; a million dots is hostile
    for n in range(len(parts), 0, -1):
        entry = releases.get(".".join(parts[:n]))
        if entry is not None:
            end = entry["end"] if isinstance(entry, dict) else entry
            note = entry.get("note") if isinstance(entry, dict) else None
            return {"key": f"{os_id} {'.'.join(parts[:n])}", "end": str(end), "note": note, "rolling": False}
    return {"key": f"{os_id} {version}".strip(), "end": None, "note": None, "rolling": False}


# == collectors =====================================================================================

_TIME_UNITS = (
    ("chrony", ("chrony.service", "chronyd.service"), ("chronyd",)),
    ("ntpd", ("ntp.service", "ntpd.service", "ntpsec.service"), ("ntpd",)),
    ("openntpd", ("openntpd.service",), ()),
    ("timesyncd", ("systemd-timesyncd.service",), ("systemd-timesyn",)),
)


def _time_service(ctx: FactContext) -> tuple[str, str | None, bool | None]:
    """(service, where it was seen, running?); running is None without a running system."""
    procs = process_names(ctx)
    for name, _, comms in _TIME_UNITS:
        for comm in comms:
            if procs is not None and comm in procs:
                if name == "ntpd" and ctx.transport.exists("/etc/openntpd/ntpd.conf"):
                    return "openntpd", "running process ntpd (OpenNTPD)", True
                return name, f"running process {comm}", True
    for name, units, _ in _TIME_UNITS:
        link = enabled_unit(ctx, *units)
        if link:
            return name, link, None if procs is None else False
    return "none", None, None if procs is None else False


def _time_synced(ctx: FactContext, service: str) -> tuple[bool | None, str | None]:
    if ctx.transport.exists("/run/systemd/timesync/synchronized"):
        return True, "/run/systemd/timesync/synchronized"
    problem: FactUnavailable | None = None
    if service == "chrony":
        try:
            res = _run(ctx, ["chronyc", "-n", "tracking"])
            m = re.search(r"^Leap status\s*:\s*(.+)$", res.stdout, re.M)
            if res.rc == 0 and m:
                return m.group(1).strip().lower() == "normal", f"chronyc -n tracking: Leap status {m.group(1).strip()}"
        except FactUnavailable as exc:
            problem = exc
    try:
        res = _run(ctx, ["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        value = res.stdout.strip().lower()
        if res.rc == 0 and value in ("yes", "no"):
            return value == "yes", f"timedatectl NTPSynchronized={value}"
        problem = problem or CommandFailed(f"timedatectl: {res.stderr.strip()[:160] or 'no answer'}")
    except FactUnavailable as exc:
        problem = problem or exc
    detail = problem.detail if problem else "no clock synchronisation status available"
    ctx.unknown("system.time_synced", problem.code if problem else "not_found", detail)
    return None, None


def _disk_encryption(ctx: FactContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    text = ctx.read_text("/etc/crypttab", unknown_key="system.disk_encryption")
    for lineno, line in enumerate((text or "").splitlines(), 1):
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        opts = fields[3].split(",") if len(fields) > 3 else []
        kind = next((k for k in ("luks", "plain", "tcrypt", "bitlk") if k in opts), "luks")
        out.append({"name": fields[0], "device": fields[1], "kind": kind, "source": f"/etc/crypttab:{lineno}"})
    if ctx.transport.live:
        for dev in ctx.list_dir("/sys/block"):
            uuid = ctx.read_text(f"/sys/block/{dev}/dm/uuid")
            if not uuid or not uuid.startswith("CRYPT-"):
                continue
            name = (ctx.read_text(f"/sys/block/{dev}/dm/name") or dev).strip()
            out.append({"name": name, "device": f"/dev/{dev}", "kind": uuid.split("-")[1].lower(),
                        "source": f"/sys/block/{dev}/dm/uuid", "active": True})
    return out


@collector("system", ("system",))
def collect_system(ctx: FactContext) -> None:
    live = ctx.transport.live
    table: SystemTable = {}
    # Boot time.
    table["boot_time"] = None
    if live:
        btime = parse_btime(ctx.read_text("/proc/stat", unknown_key="system.boot_time") or "")
        table["boot_time"] = rfc3339(btime) if btime else None
    else:
        ctx.unknown("system.boot_time", "not_applicable", "no running system in --root mode")
    # Time synchronisation.
    service, service_source, running = _time_service(ctx)
    table["time_sync_service"], table["time_sync_service_source"] = service, service_source
    table["time_sync_running"] = running
    if live:
        table["time_synced"], table["time_sync_source"] = _time_synced(ctx, service)
    else:
        table["time_synced"], table["time_sync_source"] = None, None
        ctx.unknown("system.time_synced", "not_applicable", "the clock is only observable on a running system")
    # Updates.
    table["auto_updates"], table["auto_updates_source"], table["auto_updates_reason"] = _auto_updates(ctx)
    if table["auto_updates"] is None and table["auto_updates_source"] is None:
        ctx.unknown("system.auto_updates", "not_applicable", "no apt or dnf/yum package manager found")
    table["last_update_time"], table["last_update_source"] = _last_update(ctx)
    if table["last_update_time"] is None:
        ctx.unknown("system.last_update_time", "not_found", "package history (/var/log/apt/history.log*, "
                    "/var/log/dnf.rpm.log*, /var/log/yum.log)")
    _pending(ctx, table)
    # OS support window.
    rel = os_release(ctx).keys
    eol = support_end(rel, os_eol_table())
    compiled = str(os_eol_table().get("compiled", ""))
    table.update({"os_id": rel.get("ID", ""), "os_version": rel.get("VERSION_ID", ""),
                  "os_support_end": eol["end"], "os_support_note": eol["note"], "os_eol_table": compiled,
                  "os_rolling": eol["rolling"]})
    if eol["end"] is None and not eol["rolling"]:
        what = eol["key"] or "the operating system (no /etc/os-release)"
        ctx.unknown("system.os_support_end", "not_found",
                    f"{what} in the shipped end-of-life table (compiled {compiled})")
    table["disk_encryption"] = _disk_encryption(ctx)
    ctx.put("system", table)


def _pending(ctx: FactContext, table: SystemTable) -> None:
    table["pending_security_updates"], table["pending_updates_source"] = None, None
    path = "/var/lib/update-notifier/updates-available"
    text = ctx.read_text(path)
    if text is not None:
        counts = parse_updates_available(text)
        if counts is not None:
            try:
                asof = rfc3339(ctx.transport.stat(path).mtime)
            except FactUnavailable:
                asof = "?"
            table["pending_security_updates"] = counts[1]
            table["pending_updates_source"] = f"{path} ({counts[0]} updates, {counts[1]} security; as of {asof})"
        else:
            ctx.unknown("system.pending_security_updates", "error", f"{path}: text not recognised")
    else:
        ctx.unknown("system.pending_security_updates", "not_applicable", "not cheap to determine on this system")
    table["reboot_required"], table["reboot_required_pkgs"] = None, []
    if ctx.transport.live and ctx.transport.exists("/var/lib/dpkg/status"):
        flag = ctx.transport.exists("/run/reboot-required") or ctx.transport.exists("/var/run/reboot-required")
        table["reboot_required"] = flag
        if flag:
            pkgs = ctx.read_text("/run/reboot-required.pkgs") or ctx.read_text("/var/run/reboot-required.pkgs") or ""
            table["reboot_required_pkgs"] = sorted({p.strip() for p in pkgs.splitlines() if p.strip()})

