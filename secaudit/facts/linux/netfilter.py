"""nftables and iptables rulesets: the input chains, their policies and final verdicts, and what they leave
open by default. Parsers only; facts/linux/firewall.py decides where the rules come from.

nftables text is read as nft reads it (comments, continuations, `define`, `include` with globs, `flush`
and the `add`/`insert` command forms), streamed under budgets: past one the ruleset is refused
(RulesetTooLarge), never half-read.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.transport.base import TooLarge as FactTooLarge


@dataclass
class Chain:
    family: str  # ip | ip6 | inet | ...
    table: str
    name: str
    hook: str | None = None
    kind: str | None = None  # filter | nat | route
    policy: str | None = None  # accept | drop
    rules: list[str] = field(default_factory=list)
    final: str | None = None  # accept | drop | reject: the first unconditional verdict (later rules never run)
    source: str = ""
    final_source: str = ""  # file:line (or command) of the rule that gives `final`

    def add_rule(self, text: str, verdict: str | None, where: str, first: bool = False) -> None:
        """Append (or, `first`, insert at the head) a rule; an unconditional verdict ends the chain for
        every packet that reaches it, so the first one decides what no earlier rule matched."""
        if first:
            self.rules.insert(0, text)
            if verdict is not None:
                self.final, self.final_source = verdict, where
            return
        self.rules.append(text)
        if self.final is None and verdict is not None:
            self.final, self.final_source = verdict, where

    def clear_rules(self) -> None:
        self.rules.clear()
        self.final, self.final_source = None, ""


_FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
_NFT_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\n|[{};]|[^\s{};"]+')
# Budgets of one ruleset, includes and all: past one, the firewall is unknown, never half-read.
NFT_MAX_FILES = 50  # included files (nft itself stops at 16 levels of nesting)
NFT_MAX_TOKENS = 4_000_000  # about what one 4 MiB file can hold; a few seconds of parsing
NFT_MAX_CHARS = 32 << 20  # text of the statements, variables expanded


_ANY4, _ANY6 = ("0.0.0.0/0",), ("::/0", "::0/0")
_ANY_ADDRESS = {("ip", "saddr"): _ANY4, ("ip", "daddr"): _ANY4, ("ip6", "saddr"): _ANY6, ("ip6", "daddr"): _ANY6}


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
        if len(w) >= 3 and (w[0], w[1]) in _ANY_ADDRESS and w[2] in _ANY_ADDRESS[(w[0], w[1])]:
            w = w[3:]  # `ip saddr 0.0.0.0/0` matches every packet of its family
        elif w[0] == "counter":
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
        self.refused: tuple[str, str] | None = None  # (file:line, why) of an error that makes nft load nothing

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
        if self.refused is not None:  # nothing loaded: no chain filters, everything is accepted
            where, why = self.refused
            return [Chain("inet", "filter", "input", hook="input", kind="filter", policy="accept",
                          source=f"{where}: nft refuses the ruleset ({why}), nothing loaded")]
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
            return self._include(_unquote(stmt[1]), where)
        if top == "chain" and isinstance(obj, Chain):
            self._chain_statement(obj, stmt, where)
            return []
        if top is None:
            self._command(stmt, where)
        return []

    def _refuse(self, where: str, why: str) -> None:
        """nft -f loads a file all or nothing: one error and none of the ruleset is loaded. Only files are
        judged (ctx given); `nft list ruleset` output is what the kernel holds."""
        if self.ctx is not None and self.refused is None:
            self.refused = (where, why)

    def _chain_statement(self, chain: Chain, stmt: list[str], where: str) -> None:
        if stmt[0] == "type":
            if len(stmt) >= 2:
                chain.kind = stmt[1]
            if "hook" in stmt and stmt.index("hook") + 1 < len(stmt):
                chain.hook = stmt[stmt.index("hook") + 1]
            if "policy" in stmt and stmt.index("policy") + 1 < len(stmt):
                self._refuse(where, "policy without ';' after the type statement")
                chain.policy = stmt[stmt.index("policy") + 1].lower()
        elif stmt[0] == "policy" and len(stmt) >= 2:
            if stmt[1] not in ("accept", "drop") and not stmt[1].startswith("$"):
                self._refuse(where, f"policy {stmt[1]}: nft knows only accept and drop, in lower case")
            chain.policy = stmt[1].lower()
        elif stmt[0] in ("comment", "devices", "device", "flags"):
            return
        else:
            wrong = [w for w in stmt if w.lower() in ("accept", "drop", "reject") and w != w.lower()]
            if wrong:
                self._refuse(where, f"{wrong[0]}: nft verdicts are lower case")
            chain.add_rule(" ".join(stmt), _nft_final(stmt), where)

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
                    chain.clear_rules()
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
            chain.add_rule(" ".join(body), _nft_final(body), where, first=verb == "insert")

    def _include(self, pattern: str, where: str) -> list[Iterator[tuple[str, str]]]:
        """The files an `include` reads: a relative name is looked for in /etc (nft's default include path);
        a glob may match nothing, but a plain name that does not exist is an error and nft loads nothing."""
        if self.ctx is None:
            return []
        if not pattern.startswith("/"):
            pattern = posixpath.join("/etc", pattern)
        directory, base = posixpath.split(pattern)
        glob = any(c in base for c in "*?[")
        names = [n for n in self.ctx.list_dir(directory) if fnmatch.fnmatch(n, base)] if glob else [base]
        if not glob and not self.ctx.transport.exists(pattern):
            self._refuse(where, f"include {pattern}: file not found")
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
            kinds = [_json_kind(e) for e in exprs if isinstance(e, dict) and e]
            last = kinds[-1] if kinds else None
            plain = all(k in ("counter", "log", "comment") for k in kinds[:-1])
            handle = r.get("handle")
            chain.add_rule(json.dumps(exprs, sort_keys=True),
                           last if plain and last in ("accept", "drop", "reject") else None,
                           f"{source} (rule handle {handle})" if isinstance(handle, int) else source)
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


_IPT_ANY = {"0.0.0.0/0", "::/0", "::0/0"}


def _ipt_verdict(words: list[str]) -> str | None:
    """The verdict of an `-A CHAIN` rule's words (after the chain name) that matches every packet: only
    `-j VERDICT` with a comment, counters, `--reject-with` or a source/destination of every address."""
    rest: list[str] = []
    j = 0
    while j < len(words):
        w = words[j]
        if w in ("-m", "--match") and j + 1 < len(words) and words[j + 1] == "comment":
            j += 2
        elif w in ("--comment", "--reject-with", "-c", "--set-counters") and j + 1 < len(words):
            j += 2 + (w in ("-c", "--set-counters"))
        elif w in ("-s", "--source", "-d", "--destination") and j + 1 < len(words) and words[j + 1] in _IPT_ANY:
            j += 2
        else:
            rest.append(w)
            j += 1
    if len(rest) == 2 and rest[0] in ("-j", "--jump") and rest[1].lower() in ("accept", "drop", "reject"):
        return rest[1].lower()
    return None


def restore_refusal(text: str) -> tuple[int, str] | None:
    """(line, reason) where iptables-restore stops on the filter table of a rules file, loading none of it:
    a built-in chain's policy not ACCEPT or DROP as written (`:INPUT drop` is a "Bad policy name"), a verdict
    target in the wrong case that no chain of that name answers (`-j accept`), or a table left without
    COMMIT. None when the file would load."""
    table: str | None = None
    declared: set[str] = set()
    opened = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            if table is not None:
                return opened, "COMMIT expected"
            table, opened, declared = line[1:].strip(), number, set()
        elif line == "COMMIT":
            table = None
        elif table == "filter" and line.startswith(":"):
            parts = line[1:].split()
            if parts:
                declared.add(parts[0])
            if len(parts) >= 2 and parts[0] in ("INPUT", "FORWARD", "OUTPUT") and parts[1] not in ("ACCEPT", "DROP"):
                return number, f"bad policy name {parts[1]}"
        elif table == "filter" and line.startswith(("-P ", "-A ", "-I ")):
            words = line.split()
            for j, w in enumerate(words[:-1]):
                target = words[j + 1]
                if w in ("-j", "--jump") and target.upper() in ("ACCEPT", "DROP", "REJECT") \
                        and target != target.upper() and target not in declared:
                    return number, f"unknown target {target}"
    if table is not None:
        return opened, "COMMIT expected"
    return None


def parse_iptables(text: str, family: str, source: str, chain_name: str = "INPUT") -> list[Chain]:
    """`iptables -S INPUT` or iptables-save/rules.v4 text: the INPUT chain (or `chain_name`) of the filter
    table. `-P`/`:CHAIN` policies; the first rule that matches every packet decides for the rest."""
    chain = Chain(family, "filter", chain_name, hook="input", kind="filter", source=source)
    refused = restore_refusal(text) if source.startswith("/") and "*filter" in text else None
    if refused is not None:  # nothing of the file is loaded: the chain stays empty, accepting everything
        chain.policy = "accept"
        chain.source = f"{source}:{refused[0]}: iptables-restore refuses the file ({refused[1]}), nothing loaded"
        return [chain]
    table = "filter"
    seen = False
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if table != "filter" or not line or line.startswith("#"):
            continue
        where = f"{source}:{number}" if source.startswith("/") else source
        if line.startswith(f":{chain_name} ") or line.startswith(f"-P {chain_name} "):
            parts = line.split()
            if len(parts) > (1 if line.startswith(":") else 2):
                chain.policy = parts[1 if line.startswith(":") else 2].lower()
                chain.source = where
            seen = True
        elif line.startswith(f"-A {chain_name} ") or line == f"-A {chain_name}":
            seen = True
            try:
                words = shlex.split(line)[2:]
            except ValueError:
                words = line.split()[2:]
            chain.add_rule(" ".join(words), _ipt_verdict(words), where)
    return [chain] if seen else []


@dataclass
class Effective:
    ipv4: str | None
    ipv6: str | None
    rules: int
    has_input: bool
    ipv4_source: str = ""  # where the IPv4 default is decided: a rule's or a policy's file:line
    ipv6_source: str = ""

    @property
    def active(self) -> bool:
        return self.has_input and (self.rules > 0 or "drop" in (self.ipv4, self.ipv6)
                                   or "reject" in (self.ipv4, self.ipv6))


def _default_of(chain: Chain) -> tuple[str, str]:
    """(verdict, where) for what a chain does with a packet no conditional rule took: its first
    unconditional rule (an early `accept` makes every later rule and the policy useless), else its
    policy (accept when it has none)."""
    if chain.final:
        return chain.final, f"{chain.final_source} ({chain.family} {chain.table} {chain.name})"
    return chain.policy or "accept", f"{chain.source} ({chain.family} {chain.table} {chain.name} policy)"


def effective(chains: list[Chain]) -> Effective:
    """Default inbound verdict per IP family. A packet must pass every input base chain, so the
    strictest chain wins; a chain's default is its first unconditional rule, else its policy."""
    inputs = [c for c in chains if c.hook == "input" and (c.kind in (None, "filter"))
              and c.family in ("ip", "ip6", "inet")]
    if not inputs:
        return Effective(None, None, 0, False)

    def verdict(fams: tuple[str, ...]) -> tuple[str, str]:
        defaults = [_default_of(c) for c in inputs if c.family in fams]
        for v in ("drop", "reject"):
            for d, where in defaults:
                if d == v:
                    return v, where
        if not defaults:
            return "accept", f"no {'IPv6' if fams[0] == 'ip6' else 'IPv4'} input chain"
        return "accept", "; ".join(where for _, where in defaults)

    (v4, s4), (v6, s6) = verdict(("ip", "inet")), verdict(("ip6", "inet"))
    return Effective(v4, v6, sum(len(c.rules) for c in inputs), True, s4, s6)
