"""Issue 9, property-based fuzzing: the firewall and system-hygiene parsers (secaudit/facts/linux/netfilter.py,
firewall.py, apt.py, updates.py, system.py).

Every parser gets arbitrary text and mutated real samples (NUL, CR, invalid UTF-8, huge and negative
numbers, '²' that isdigit() accepts but int() refuses, long lines) and must return its normal result
or raise the error its caller handles. The collectors built on them are fuzzed as a whole too: they
may raise FactUnavailable (the registry records it as unknown), nothing else, and what they put in
the snapshot stays JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.facts.linux import apt, firewall, system, updates
from secaudit.facts.linux.apt import parse_apt_conf, parse_apt_history
from secaudit.facts.linux.netfilter import (
    Chain,
    RulesetTooLarge,
    effective,
    parse_iptables,
    parse_nft_json,
    parse_nft_text,
)
from secaudit.facts.linux.sources import timezone
from secaudit.facts.linux.sources.osrelease import parse_os_release
from secaudit.facts.linux.updates import parse_updates_available
from tests.hostile.fuzzkit import (
    FUZZ,
    FUZZ_FEW,
    MemTransport,
    collect_one,
    context,
    mutated,
    mutated_bytes,
    real_bytes,
    real_file,
    seeds,
    timed,
)
from tests.unit.facts.linux.test_firewall import (
    FIREWALLD_ZONE,
    IPT_UFW,
    NFT_DEBIAN_DEFAULT,
    NFT_DROP,
    NFT_JSON,
    NFT_JSON_DOCKER,
    RULES_V4,
    SYSCONFIG_IPTABLES,
    UFW_DEFAULT,
)
from tests.unit.facts.linux.test_system import CHRONY_SYNCED
from tests.unit.facts.linux.test_updates import HISTORY_NEW, HISTORY_OLD, UN_MODERN

NFT_COMMANDS = """\
add table ip6 f6
add chain ip6 f6 in { type filter hook input priority 0 ; policy accept ; }
insert rule ip6 f6 in position 3 tcp dport 22 accept
add rule ip6 f6 in drop
flush chain ip6 f6 in
delete table inet a
define X = { 1, 2 }
table inet t { chain c { type filter hook input priority 0; policy $X; counter packets 1 bytes 2 drop } }
"""
NFT_SAMPLES = seeds(NFT_DROP, NFT_DEBIAN_DEFAULT, NFT_COMMANDS, real_file("/etc/nftables.conf"))
IPT_SAMPLES = seeds(RULES_V4, SYSCONFIG_IPTABLES, IPT_UFW,
                    '-P INPUT ACCEPT\n-A INPUT -m comment --comment "a \\"b\\"" -j DROP\n-A INPUT\n')
APT_CONF = """\
// comment
APT::Periodic::Update-Package-Lists "1";  # trailing
/* block
*/
APT { Periodic { Unattended-Upgrade "1"; Enable "1"; }; };
#clear APT::Periodic;
#include "/etc/apt/other";
Unattended-Upgrade::Origins-Pattern { "origin=Debian"; };
"""


def _apt_conf_samples() -> tuple[str, ...]:
    import os

    found = []
    try:
        names = sorted(os.listdir("/etc/apt/apt.conf.d"))[:6]
    except OSError:
        names = []
    for name in names:
        found.append(real_file(f"/etc/apt/apt.conf.d/{name}"))
    return seeds(APT_CONF, *found)


APT_SAMPLES = _apt_conf_samples()
HISTORY_SAMPLES = seeds(HISTORY_NEW, HISTORY_OLD, real_file("/var/log/apt/history.log", 16 * 1024))
UPDATES_SAMPLES = seeds(UN_MODERN, "\n15 packages can be updated.\n7 updates are security updates.\n")


def _assert_chains(chains: Any) -> None:
    assert isinstance(chains, list)
    for c in chains:
        assert isinstance(c, Chain)
        assert all(isinstance(v, str) for v in (c.family, c.table, c.name))
        assert all(v is None or isinstance(v, str) for v in (c.hook, c.kind, c.policy, c.final))
        assert all(isinstance(r, str) for r in c.rules)
    eff = effective(chains)
    assert isinstance(eff.rules, int) and isinstance(eff.active, bool)
    firewall._label(chains)


# -- firewall rulesets --------------------------------------------------------------------------------


@FUZZ
@given(mutated(NFT_SAMPLES))
@example("table inet f { chain i { type filter hook input priority 0; policy")
@example("add rule ip")
@example("add rule inet t")
@example("chain ip x { type }" + "{" * 3000)
def test_nft_text(text: str) -> None:
    _assert_chains(parse_nft_text(text, "/etc/nftables.conf"))


@FUZZ_FEW
@given(mutated(NFT_SAMPLES), mutated(NFT_SAMPLES))
def test_nft_text_with_includes(main: str, part: str) -> None:
    files = {"/etc/nftables.conf": 'include "/etc/nftables.d/*.nft"\n' + main + '\ninclude "nftables.d/20-b.nft"\n',
             "/etc/nftables.d/10-a.nft": part, "/etc/nftables.d/20-b.nft": 'include "/etc/nftables.d/10-*"\n'}
    ctx = context(MemTransport(files))
    try:
        chains = parse_nft_text(files["/etc/nftables.conf"], "/etc/nftables.conf", ctx)
    except RulesetTooLarge:  # the mutation made a file include itself: unknown, never half-read
        return
    _assert_chains(chains)


@pytest.mark.parametrize("files", [
    {"/etc/nftables.conf": 'include "/etc/nftables.conf"\n'},
    {"/etc/nftables.conf": 'include "/etc/nftables.d/*"\n', "/etc/nftables.d/a": 'include "/etc/nftables.d/*"\n',
     "/etc/nftables.d/b": "table ip t { chain c { drop; } }\n"},
    {"/etc/nftables.conf": "define A0 = x\n" + "".join(f"define A{i} = $A{i - 1} $A{i - 1}\n" for i in range(1, 40))},
    {"/etc/nftables.conf": 'include "/etc/big"\n' * 10,
     "/etc/big": "table ip t { chain c {\n" + "drop\n" * 500_000 + "}}\n"},
])
def test_nft_ruleset_budgets(files: dict[str, str]) -> None:
    """Include loops, variables that double per level, and large files included again and again used to
    grow without bound (3.6 GB for ten includes of a 2 MiB file): now a declared error, in seconds."""
    ctx = context(MemTransport(files))
    def parse() -> None:
        with pytest.raises(RulesetTooLarge):
            parse_nft_text(files["/etc/nftables.conf"], "/etc/nftables.conf", ctx)

    assert timed(parse) < 20


def _json_values() -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                     st.sampled_from(["input", "filter", "drop", "accept", "reject", "xt", "inet", "chain"]))
    return st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                     st.dictionaries(st.sampled_from(
                                                         ["nftables", "chain", "rule", "family", "table", "name",
                                                          "hook", "type", "policy", "expr", "xt", "counter", "accept",
                                                          "drop", "comment", "match"]), kids, max_size=5)),
                        max_leaves=25)


@FUZZ
@given(st.one_of(mutated((NFT_JSON, NFT_JSON_DOCKER)),
                 _json_values().map(json.dumps),
                 _json_values().map(lambda v: json.dumps({"nftables": v})),
                 _json_values().map(lambda v: json.dumps({"nftables": [{"chain": v}, {"rule": v}]}))))
@example('{"nftables": [1, "x", null]}')
@example('{"nftables": [{"chain": {"family": ["a"], "hook": "input"}}]}')
@example('{"nftables": [{"rule": {"expr": [{"xt": 1}, 5, {}]}}]}')
@example('{"nftables": [{"rule": {"expr": {"accept": null}}}]}')
@example('{"nftables": 5}')
@example("[1]")
@example("[" * 100_000)
def test_nft_json(text: str) -> None:
    """The caller falls back to `nft list ruleset` on ValueError (nft without JSON support)."""
    try:
        chains = parse_nft_json(text)
    except ValueError:
        return
    _assert_chains(chains)


@FUZZ
@given(mutated(IPT_SAMPLES), st.sampled_from(["ip", "ip6"]))
@example(":INPUT\n-P INPUT\n-A INPUT -j\n-A INPUT -m comment --comment\n", "ip")
def test_iptables(text: str, family: str) -> None:
    _assert_chains(parse_iptables(text, family, "/etc/iptables/rules.v4"))


# -- apt ------------------------------------------------------------------------------------------------


@FUZZ
@given(mutated(APT_SAMPLES))
@example('APT::Periodic::Unattended-Upgrade "' + "9" * 5000 + '";')
@example("/* never closed\n" + "x" * 10_000)
def test_apt_conf(text: str) -> None:
    into: dict[str, tuple[str, str]] = {"apt::periodic::enable": ("1", "x:1")}
    parse_apt_conf(text, "/etc/apt/apt.conf.d/50x", into)
    for key, (value, where) in into.items():
        assert isinstance(key, str) and isinstance(value, str) and isinstance(where, str)
        updates._interval_on(value)


@FUZZ
@given(mutated(HISTORY_SAMPLES))
def test_apt_history(text: str) -> None:
    for stamp, update, where in parse_apt_history(text, "/var/log/apt/history.log"):
        assert isinstance(stamp, str) and isinstance(update, bool) and isinstance(where, str)


@FUZZ_FEW
@given(st.lists(st.one_of(st.text(max_size=20), st.sampled_from(["1", "²", "Việt", "-20261102", "9" * 300])),
                max_size=6))
@example(["²", ".²", ".Việt", "." + "9" * 5000])
def test_apt_history_file_order(suffixes: list[str]) -> None:
    files: dict[str, str | bytes] = {"/var/log/apt/history.log": ""}
    files.update({f"/var/log/apt/history.log{s}": "" for s in suffixes if "/" not in s})
    got = updates._history_files(context(MemTransport(files)), "/var/log/apt", "history.log")
    assert got[0] == "/var/log/apt/history.log"


@FUZZ
@given(mutated(UPDATES_SAMPLES))
@example("9" * 5000 + " updates can be applied immediately.\n")
@example("1 update can be applied immediately.\n" + "9" * 5000 + " of these updates are security updates.\n")
def test_updates_available(text: str) -> None:
    got = parse_updates_available(text)
    assert got is None or (len(got) == 2 and all(isinstance(n, int) and n >= 0 for n in got))


# -- whole collectors -------------------------------------------------------------------------------------

ENABLED = "/etc/systemd/system/multi-user.target.wants"
TZIF = real_bytes("/etc/localtime") or b"TZif2" + b"\0" * 40 + b"\n<+07>-7\n"
DPKG = "Package: unattended-upgrades\nStatus: install ok installed\nVersion: 2.9\n\nPackage: apt\nStatus: \n"
CRYPTTAB = ("# <target> <source> <key> <options>\ncryptroot UUID=1234 none luks,discard\n"
            "swap /dev/sda2 /dev/urandom swap\n")
PROC_STAT = "cpu  1 2 3\nbtime 1795420835\nprocesses 100\n"
OS_RELEASE = seeds('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
                   'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04.3"\n', real_file("/etc/os-release"))
DNF_LOG = "2026-11-01T09:00:01+0700 SUBDEBUG Upgraded: bash-5.1.8-6.el9.x86_64\n"
YUM_LOG = "Nov 02 10:15:33 Updated: bash-4.2.46-34.el7.x86_64\n"
AUTOMATIC = "[commands]\nupgrade_type = security\napply_updates = yes\n"


@st.composite
def system_files(draw: st.DrawFn) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "/proc/stat": draw(mutated((PROC_STAT,))),
        "/etc/os-release": draw(mutated(OS_RELEASE)),
        "/etc/crypttab": draw(mutated((CRYPTTAB,))),
        "/var/lib/update-notifier/updates-available": draw(mutated(UPDATES_SAMPLES)),
        "/var/log/apt/history.log": draw(mutated(HISTORY_SAMPLES)),
        "/etc/apt/apt.conf.d/20auto-upgrades": draw(mutated(APT_SAMPLES)),
        "/var/lib/dpkg/status": draw(mutated((DPKG,))),
        "/etc/timezone": draw(mutated(("Asia/Ho_Chi_Minh\n", "Mars/Olympus_Mons\n"))),
        "/var/log/dnf.rpm.log": draw(mutated((DNF_LOG,))),
        "/var/log/yum.log": draw(mutated((YUM_LOG,))),
        "/etc/dnf/automatic.conf": draw(mutated((AUTOMATIC,))),
        f"{ENABLED}/dnf-automatic.timer": "",
        "/proc/1/comm": "systemd\n",
        "/proc/50/comm": draw(st.sampled_from(["chronyd\n", "ntpd\n", "x\n"])),
    }
    if draw(st.booleans()):
        files["/etc/localtime"] = draw(mutated_bytes((TZIF,)))
    if draw(st.booleans()):
        files["/var/log/apt/history.log." + draw(st.sampled_from(["1", "²", "-20261102", "9" * 300, "Việt"]))] = \
            draw(mutated(HISTORY_SAMPLES))
    return files


def _commands(draw: Callable[..., Any]) -> dict[str, str | tuple[int, str, str]]:
    return {
        "chronyc -n tracking": draw(mutated((CHRONY_SYNCED,))),
        "timedatectl show -p NTPSynchronized --value": draw(mutated(("yes\n", "no\n"))),
        "nft -j list ruleset": draw(st.one_of(mutated((NFT_JSON, NFT_JSON_DOCKER)),
                                              _json_values().map(lambda v: json.dumps({"nftables": v})))),
        "nft list ruleset": draw(mutated(NFT_SAMPLES)),
        "iptables -S INPUT": draw(mutated(IPT_SAMPLES)),
        "ip6tables -S INPUT": (draw(st.sampled_from([0, 1, 4])), draw(mutated(IPT_SAMPLES)),
                               draw(st.sampled_from(["", "Permission denied (you must be root)"]))),
    }


@FUZZ_FEW
@given(system_files(), st.data(), st.booleans())
def test_system_collector(files: dict[str, str | bytes], data: st.DataObject, live: bool) -> None:
    commands = _commands(data.draw)
    collect_one(system.collect_system, MemTransport(files, commands, live=live))


@FUZZ_FEW
@given(st.data(), st.booleans())
def test_firewall_collector(data: st.DataObject, live: bool) -> None:
    draw = data.draw
    files: dict[str, str | bytes] = {
        "/etc/ufw/ufw.conf": draw(mutated(("ENABLED=yes\n", 'ENABLED="no" # x\n'))),
        "/etc/default/ufw": draw(mutated((UFW_DEFAULT,))),
        "/etc/firewalld/firewalld.conf": draw(mutated(("DefaultZone=public\n", "DefaultZone=../../x\n"))),
        "/etc/firewalld/zones/public.xml": draw(mutated((FIREWALLD_ZONE.format(target=' target="DROP"'),
                                                          '<!DOCTYPE z [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                                                          '<zone target="&b;"/>'))),
        "/etc/nftables.conf": draw(mutated(NFT_SAMPLES)),
        "/etc/iptables/rules.v4": draw(mutated(IPT_SAMPLES)),
        "/etc/iptables/rules.v6": draw(mutated(IPT_SAMPLES)),
        "/proc/1/comm": "systemd\n",
        "/proc/2/comm": draw(st.sampled_from(["firewalld\n", "kthreadd\n"])),
    }
    for unit in draw(st.lists(st.sampled_from(["firewalld.service", "nftables.service", "ufw.service",
                                                "netfilter-persistent.service"]), max_size=3)):
        files[f"{ENABLED}/{unit}"] = ""
    collect_one(firewall.collect_firewall, MemTransport(files, _commands(draw), live=live))


# -- regressions found by the fuzzers, as plain examples ---------------------------------------------------


def test_unknown_zone_name_falls_back_to_utc() -> None:
    """ZoneInfoNotFoundError is a KeyError, not a ValueError: it ended the system collector."""
    from datetime import UTC

    ctx = context(MemTransport({"/etc/timezone": "Mars/Olympus_Mons\n"}))
    assert timezone.local_zone(ctx) is UTC


@FUZZ
@given(mutated((UFW_DEFAULT, "ENABLED=yes\n", 'export A="b c" # d\nB=\'x\'\n')))
def test_shell_key_values(text: str) -> None:
    """/etc/default/ufw, ufw.conf, firewalld.conf."""
    for key, value in firewall._kv(text).items():
        assert isinstance(key, str) and isinstance(value, str)


@FUZZ
@given(mutated(OS_RELEASE))
@example('ID=debian\nVERSION_ID="' + "1." * 100_000 + '"\n')
def test_os_support_window(text: str) -> None:
    got = system.support_end(parse_os_release(text), system.os_eol_table())
    assert got["end"] is None or isinstance(got["end"], str)


def test_firewalld_zone_entity_bomb_is_refused_quickly() -> None:
    """Nested entities (billion laughs) in a zone file: expat refuses them; the built-in zone is used."""
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    zone = f'<?xml version="1.0"?><!DOCTYPE zone [{entities}]><zone target="&a9;"/>'
    ctx = context(MemTransport({"/etc/firewalld/firewalld.conf": "DefaultZone=public\n",
                                "/etc/firewalld/zones/public.xml": zone}, live=False))
    got: list[tuple[str | None, int | None, str]] = []
    assert timed(lambda: got.append(firewall._firewalld_zone(ctx))) < 2
    assert got[0][2] == "firewalld built-in zone public"


def test_nft_include_loop_makes_the_firewall_unknown() -> None:
    from secaudit.config import AgentConfig
    from secaudit.facts import collect

    files = {"/etc/nftables.conf": 'include "/etc/nftables.conf"\n',
             f"{ENABLED}/nftables.service": ""}
    snap = collect(MemTransport(files, live=False), AgentConfig(), only={"firewall"})
    assert snap.unknown["firewall"]["code"] == "too_large"


def test_apt_history_entries_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(apt, "APT_MAX_ENTRIES", 10)
    with pytest.raises(ValueError):
        parse_apt_history("Start-Date: 2026-11-10  08:00:01\n\n" * 11, "h")
