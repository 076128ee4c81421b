"""The host firewall: what the configuration starts at boot (nftables, iptables, ufw, firewalld files and
enabled units) and, on a running system, what the kernel has loaded (`nft -j list ruleset`, iptables -S).
In --root mode only the configuration is seen."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux.commands import run_short
from secaudit.facts.linux.netfilter import Chain, effective, parse_iptables, parse_nft_json, parse_nft_text
from secaudit.facts.linux.procs import process_names
from secaudit.facts.linux.sources.systemd import (
    disabled_package_unit,
    enabled_unit,
    unit_masked,
)
from secaudit.facts.linux.sysctl import GRUB_CFGS, sysctl
from secaudit.facts.model import FirewallTable
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable, NotFound

_SHELL_ASSIGN = re.compile(r"^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=")


def _kv(text: str, shell: bool = False) -> dict[str, str]:
    """KEY=VALUE lines (comments, quotes, `export`). `shell`: as sh sources the file (ufw-init does), where
    `KEY = value` is a command, not an assignment, and is not kept."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if shell and not _SHELL_ASSIGN.match(line):
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


_CONDITIONS = {"destination", "service", "port", "protocol", "icmp-block", "icmp-type", "forward-port", "source-port",
               "masquerade"}


def _accept_all_rules(root: Any, path: str) -> tuple[str | None, str | None]:
    """(IPv4, IPv6) file references of a rich rule that accepts every packet of the family
    (`<rule family="ipv4"><source address="0.0.0.0/0"/><accept/></rule>`, or one with no family and no
    condition): the zone's target never applies to that family."""
    found: dict[str, str] = {}
    for number, rule in enumerate((el for el in root if el.tag == "rule"), 1):
        children = {c.tag for c in rule}
        if "accept" not in children or children & _CONDITIONS:
            continue
        sources = [c for c in rule if c.tag == "source"]
        if any(c.get("invert") in ("true", "yes") or c.get("address") not in ("0.0.0.0/0", "::/0")
               for c in sources):
            continue
        family = rule.get("family") or ""
        for fam in ("ipv4", "ipv6"):
            if family in ("", fam):
                found.setdefault(fam, f"{path}: rich rule {number} accepts every {fam} packet")
    return found.get("ipv4"), found.get("ipv6")


def _firewalld_zone(ctx: FactContext) -> tuple[str | None, int | None, str, str | None]:
    """(default inbound, rule count, source, IPv6 default when it differs) of firewalld's default zone."""
    conf = _kv(ctx.read_text("/etc/firewalld/firewalld.conf") or "")
    zone = conf.get("DefaultZone") or "public"
    for base in ("/etc/firewalld/zones", "/usr/lib/firewalld/zones"):
        path = f"{base}/{zone}.xml"
        text = ctx.read_text(path)
        if text is None:
            continue
        try:
            root = xmltext.parse(text)
        except xmltext.ParseError:
            continue
        target = (root.get("target") or "default").upper()
        count = sum(1 for el in root if el.tag in ("service", "port", "rule", "protocol", "source-port",
                                                   "forward-port", "icmp-block"))
        inbound = {"ACCEPT": "accept", "DROP": "drop"}.get(target, "reject")
        bound = _accepting_bindings(ctx, zone) if inbound != "accept" else None
        if bound:
            return "accept", count, f"{path} (zone {zone}); {bound}", None
        rule4, rule6 = _accept_all_rules(root, path) if inbound != "accept" else (None, None)
        if rule4:
            return "accept", count, rule4, (None if rule6 else inbound)
        if rule6:
            return inbound, count, f"{path} (zone {zone}); {rule6}", "accept"
        return inbound, count, f"{path} (zone {zone})", None
    builtin = {"drop": "drop", "block": "reject", "trusted": "accept"}
    bound = _accepting_bindings(ctx, zone) if builtin.get(zone, "reject") != "accept" else None
    if bound:
        return "accept", None, f"firewalld built-in zone {zone}; {bound}", None
    return builtin.get(zone, "reject"), None, f"firewalld built-in zone {zone}", None


# Host-internal interfaces that container and VM tools put in an accepting zone (docker, libvirt, podman).
_INTERNAL_IFACES = ("lo", "docker", "br-", "virbr", "veth", "cni", "podman", "lxcbr", "lxdbr")


def _accepting_bindings(ctx: FactContext, default_zone: str) -> str | None:
    """A network interface, or every address, bound to a zone that accepts everything (trusted, or target
    ACCEPT), e.g. `firewall-cmd --permanent --zone=trusted --add-interface=eth0`: all traffic through it is
    accepted, whatever the default zone says. Host-internal bridges (docker0, virbr0) and narrower sources
    (an admin's address) are not counted. None when there is none."""
    for name in ctx.list_dir("/etc/firewalld/zones"):
        if not name.endswith(".xml") or name[:-4] == default_zone:
            continue
        path = f"/etc/firewalld/zones/{name}"
        try:
            root = xmltext.parse(ctx.read_text(path) or "")
        except xmltext.ParseError:
            continue
        target = root.get("target") or ("ACCEPT" if name == "trusted.xml" else "default")
        if target.upper() != "ACCEPT":
            continue
        bound = [f"interface {el.get('name')}" for el in root if el.tag == "interface"
                 and not str(el.get("name") or "lo").startswith(_INTERNAL_IFACES)]
        bound += [f"source {el.get('address')}" for el in root if el.tag == "source"
                  and el.get("address") in ("0.0.0.0/0", "::/0")]
        if bound:
            return f"{path}: {', '.join(bound)} in zone {name[:-4]} (target ACCEPT)"
    return None


def _ufw_accept_all(ctx: FactContext, v6: bool) -> str | None:
    """file:line of an unconditional ACCEPT in ufw's before or user input chains (`ufw allow from any`
    writes `-A ufw-user-input -j ACCEPT`): every packet is accepted there, whatever the default policy."""
    prefix = "ufw6" if v6 else "ufw"
    for name, chain in (("before", "before-input"), ("user", "user-input")):
        path = f"/etc/ufw/{name}6.rules" if v6 else f"/etc/ufw/{name}.rules"
        text = ctx.read_text(path)
        for found in parse_iptables(text or "", "ip6" if v6 else "ip", path, f"{prefix}-{chain}"):
            if found.final == "accept":
                return found.final_source
    return None


def _ufw(ctx: FactContext) -> dict[str, Any] | None:
    text = ctx.read_text("/etc/ufw/ufw.conf")
    if text is None:
        return None
    defaults = _kv(ctx.read_text("/etc/default/ufw") or "", shell=True)
    policy = defaults.get("DEFAULT_INPUT_POLICY", "DROP")
    # ufw-init passes the value as written to iptables-restore (`:INPUT %s`): only capitals load; with
    # "drop" the INPUT policy stays ACCEPT ("Bad policy name").
    inbound = {"ACCEPT": "accept", "REJECT": "reject", "DROP": "drop"}.get(policy, "accept")
    where = f'/etc/default/ufw: DEFAULT_INPUT_POLICY="{policy}"' if "DEFAULT_INPUT_POLICY" in defaults \
        else "/etc/default/ufw"
    if inbound == "accept" and policy != "ACCEPT":
        where += " (not ACCEPT, DROP or REJECT in capitals: iptables refuses it, INPUT stays ACCEPT)"
    # ufw-init sources ufw.conf and tests ENABLED and IPV6 against exactly "yes" or "YES".
    ipv6 = defaults.get("IPV6", "yes") in ("yes", "YES")
    inbound6, where6 = inbound, where
    if not ipv6:  # ufw-init then loads an IPv6 INPUT chain that drops all but loopback
        inbound6, where6 = "drop", "/etc/default/ufw: IPV6 (not yes: ufw drops IPv6)"
    accept4 = _ufw_accept_all(ctx, False)
    accept6 = _ufw_accept_all(ctx, True) if ipv6 else None
    if accept4:
        inbound, where = "accept", accept4
    if accept6:
        inbound6, where6 = "accept", accept6
    # ufw.service runs ufw-init at boot: `systemctl disable ufw` (its .wants link gone) leaves ENABLED=yes
    # with nothing loaded. A root without the unit file at all (not installed by a package) is judged on
    # ufw.conf alone.
    return {"enabled": _kv(text, shell=True).get("ENABLED", "no") in ("yes", "YES")
            and not unit_masked(ctx, "ufw.service") and not disabled_package_unit(ctx, "ufw.service"),
            "default": inbound, "default6": inbound6, "where": where, "where6": where6,
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
        v6_chains = parse_iptables(t6, "ip6", v6) if t6 is not None else []
        why = "not found" if t6 is None else "no INPUT chain"
        if v4.startswith("/etc/sysconfig/") and not enabled_unit(ctx, "ip6tables.service"):
            v6_chains, why = [], "ip6tables.service not enabled"
        if not v6_chains:  # the boot loads no IPv6 rules: ip6tables stays empty and accepts everything
            v6_chains = [Chain("ip6", "filter", "INPUT", hook="input", kind="filter", policy="accept",
                               source=f"{v6} ({why})")]
        chains += v6_chains
        out.append(("iptables", chains, enabled_unit(ctx, *units), v4))
    return out


def _kernel_ruleset(ctx: FactContext) -> tuple[list[Chain] | None, str, FactUnavailable | None]:
    """Chains loaded in the kernel: `nft -j list ruleset`, then iptables/ip6tables -S INPUT
    (legacy iptables rules are not visible to nft). (None, "", reason) when nothing answered."""
    problem: FactUnavailable | None = None
    nft_source: str | None = None
    chains: list[Chain] = []
    try:
        res = run_short(ctx, ["nft", "-j", "list", "ruleset"])
        if res.rc == 0:
            try:
                chains = parse_nft_json(res.stdout) if res.stdout.strip() else []
                nft_source = "nft -j list ruleset"
            except (ValueError, AttributeError):  # an nft without JSON support
                res = run_short(ctx, ["nft", "list", "ruleset"])
                chains, nft_source = parse_nft_text(res.stdout, "nft list ruleset"), "nft list ruleset"
            if effective(chains).has_input:
                return chains, nft_source, None
    except FactUnavailable as exc:
        problem = exc
    ipt: list[Chain] = []
    sources = []
    for tool, fam in (("iptables", "ip"), ("ip6tables", "ip6")):
        try:
            res = run_short(ctx, [tool, "-S", "INPUT"])
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


def _ipv6_off(ctx: FactContext) -> str | None:
    """Where IPv6 is turned off on every interface (then an open IPv6 default lets nothing in), or None:
    on this machine, disable_ipv6 = 1 for all and default in /proc/sys or ipv6.disable=1 in /proc/cmdline;
    from the configuration, both set to 1 by sysctl.d, or ipv6.disable=1 on a kernel line of grub.cfg."""
    info = sysctl(ctx)
    keys = ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6")
    if ctx.transport.live:
        live = info.get("live") or {}
        if all(live.get(k) == "1" for k in keys):
            return "/proc/sys/net/ipv6/conf/{all,default}/disable_ipv6 = 1"
        return "/proc/cmdline (ipv6.disable=1)" if "ipv6.disable=1" in (ctx.read_text("/proc/cmdline") or "").split() \
            else None
    configured = info.get("configured") or {}
    if all((configured.get(k) or {}).get("value") == "1" for k in keys):
        return ", ".join(str(configured[k]["source"]) for k in keys)
    for cfg in GRUB_CFGS:
        for number, line in enumerate((ctx.read_text(cfg) or "").splitlines(), 1):
            words = line.split()
            if words[:1] == ["linux"] and "ipv6.disable=1" in words:
                return f"{cfg}:{number} (ipv6.disable=1)"
    return None


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
        inbound, count, source, inbound6 = _firewalld_zone(ctx)
        return {**base, "backend": "firewalld", "active": True, "default_inbound": inbound,
                "default_inbound_ipv6": inbound6 or inbound, "rules_count": count, "source": f"{unit}; {source}",
                "default_inbound_source": source, "default_inbound_ipv6_source": source}
    if ufw is not None and ufw["enabled"]:
        return {**base, "backend": "ufw", "active": True, "default_inbound": ufw["default"],
                "default_inbound_ipv6": ufw["default6"], "rules_count": None, "source": ufw["source"],
                "default_inbound_source": ufw["where"], "default_inbound_ipv6_source": ufw["where6"]}
    for backend, chains, link, path in rulesets:
        eff = effective(chains)
        if link and eff.has_input:
            return {**base, "backend": backend, "active": eff.active, "default_inbound": eff.ipv4,
                    "default_inbound_ipv6": eff.ipv6, "rules_count": eff.rules,
                    "source": f"{path} (enabled by {link})", "default_inbound_source": eff.ipv4_source,
                    "default_inbound_ipv6_source": eff.ipv6_source}
    if configured:
        return {**base, "backend": configured[0], "active": False, "default_inbound": None,
                "rules_count": None, "source": f"{configured[0]} is configured but not enabled at boot"}
    return {**base, "backend": "none", "active": False, "default_inbound": None, "rules_count": None,
            "source": "no firewall configuration (nftables, iptables, ufw, firewalld) found"}


@collector("firewall", ("firewall",))
def collect_firewall(ctx: FactContext) -> None:
    ufw = _ufw(ctx)
    configured = _from_config(ctx, ufw)
    configured["ipv6_disabled"] = _ipv6_off(ctx)
    if not ctx.transport.live:
        ctx.put("firewall", configured)
        return
    procs = process_names(ctx) or set()
    if "firewalld" in procs and ctx.transport.exists("/etc/firewalld/firewalld.conf"):
        inbound, count, source, inbound6 = _firewalld_zone(ctx)
        ctx.put("firewall", {**configured, "backend": "firewalld", "active": True, "default_inbound": inbound,
                             "default_inbound_ipv6": inbound6 or inbound, "rules_count": count,
                             "source": f"firewalld running; {source}", "default_inbound_source": source,
                             "default_inbound_ipv6_source": source})
        return
    chains, source, problem = _kernel_ruleset(ctx)
    if chains is not None:
        eff = effective(chains)
        if eff.active:
            table: FirewallTable = {**configured, "backend": _label(chains), "active": True,
                                    "default_inbound": eff.ipv4, "default_inbound_ipv6": eff.ipv6,
                                    "rules_count": eff.rules, "source": source,
                                    "default_inbound_source": eff.ipv4_source,
                                    "default_inbound_ipv6_source": eff.ipv6_source}
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
