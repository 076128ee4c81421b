"""Firewall and system facts: real configuration syntax through --root, recorded command output
through replay."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.apt import parse_apt_conf, parse_apt_history
from secaudit.facts.linux.netfilter import effective, parse_iptables, parse_nft_json, parse_nft_text
from secaudit.facts.linux.updates import parse_updates_available
from secaudit.transport.replay import ReplayTransport, command_key
from tests.conftest import facts_of, need_tool


def _link(root: Path, rel: str, target: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def _fw(root: Path) -> dict:
    return facts_of(root, only={"firewall"}).table("firewall")


def _sys(root: Path):
    return facts_of(root, only={"system"})


# == nftables ========================================================================================

NFT_DROP = """\
#!/usr/sbin/nft -f
# School server firewall
flush ruleset

define SSH_PORT = 22
define LAN = 192.168.1.0/24

table inet filter {
	set allowed_tcp {
		type inet_service
		flags interval
		elements = { 80, 443,
					8080-8090 }
	}

	chain input {
		type filter hook input priority filter; policy drop;   # default deny
		ct state established,related accept
		ct state invalid drop
		iif "lo" accept
		ip saddr $LAN tcp dport $SSH_PORT accept comment "ssh from LAN; admins only"
		tcp dport @allowed_tcp accept
		meta l4proto { icmp, ipv6-icmp } \\
			accept
		counter log prefix "nft drop: " level info
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
"""

# Debian's shipped /etc/nftables.conf: an input chain that accepts everything.
NFT_DEBIAN_DEFAULT = """\
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
"""


def test_nft_text_parser_handles_sets_defines_comments_and_continuations():
    chains = parse_nft_text(NFT_DROP, "/etc/nftables.conf")
    inp = next(c for c in chains if c.name == "input")
    assert (inp.family, inp.table, inp.hook, inp.kind, inp.policy) == ("inet", "filter", "input", "filter", "drop")
    assert len(inp.rules) == 7
    assert "192.168.1.0/24" in inp.rules[3] and "tcp dport 22" in inp.rules[3]
    assert inp.rules[5] == "meta l4proto { icmp, ipv6-icmp } accept"
    assert inp.final is None  # the last rule only counts and logs
    assert inp.source == "/etc/nftables.conf:16"
    eff = effective(chains)
    assert (eff.ipv4, eff.ipv6, eff.rules, eff.active) == ("drop", "drop", 7, True)


def test_nft_final_unconditional_reject_beats_accept_policy_and_strictest_chain_wins():
    text = """
table ip filter {
    chain INPUT { type filter hook input priority 0; policy accept;
        iifname lo accept; tcp dport { 22, 80 } accept
        counter packets 10 bytes 600 reject with icmp type admin-prohibited
    }
}
table ip6 raw6 { chain pre { type filter hook prerouting priority -300; policy accept; }; }
add table ip6 f6
add chain ip6 f6 in { type filter hook input priority 0 ; policy accept ; }
add rule ip6 f6 in tcp dport 22 accept
add rule ip6 f6 in drop
table inet nat { chain input { type nat hook input priority 100; policy accept; }; }
"""
    chains = parse_nft_text(text, "t")
    eff = effective(chains)
    assert (eff.ipv4, eff.ipv6) == ("reject", "drop")
    assert eff.rules == 5
    # an unconditional accept at the end opens a drop-policy chain
    opened = parse_nft_text("table inet f { chain i { type filter hook input priority 0; policy drop;\n"
                            "tcp dport 22 accept\ncounter accept comment \"temp\"\n}\n}", "t")
    assert effective(opened).ipv4 == "accept"


def test_nft_flush_ruleset_and_delete_table():
    text = ("table inet old { chain i { type filter hook input priority 0; policy drop; }; }\n"
            "flush ruleset\n"
            "table inet a { chain i { type filter hook input priority 0; policy drop; }; }\n"
            "delete table inet a\n")
    assert effective(parse_nft_text(text, "t")).has_input is False


def test_nftables_conf_enabled_with_includes(make_root):
    root = make_root({
        "etc/nftables.conf": 'flush ruleset\ninclude "/etc/nftables.d/*.nft"\n',
        "etc/nftables.d/10-base.nft": "table inet filter {\n  chain input {\n"
                                      "    type filter hook input priority filter + 10 ; policy drop ;\n"
                                      "    tcp dport 22 accept\n  }\n}\n",
        "etc/nftables.d/README": "table inet x { chain i { type filter hook input priority 0; policy accept; } }",
    })
    _link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = _fw(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("nftables", True, "drop", 1)
    assert "/etc/nftables.conf" in fw["source"] and "sysinit.target.wants" in fw["source"]


def test_nftables_conf_not_enabled_is_inactive(make_root):
    root = make_root({"etc/nftables.conf": NFT_DROP})
    fw = _fw(root)
    assert (fw["backend"], fw["active"]) == ("nftables", False)
    assert fw["configured"] == ["nftables"]


def test_debian_default_nftables_conf_filters_nothing(make_root):
    root = make_root({"etc/nftables.conf": NFT_DEBIAN_DEFAULT})
    _link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = _fw(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("nftables", False, "accept")


# == iptables ========================================================================================

RULES_V4 = """\
# Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov  2 10:00:00 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "SSH quản trị" -j ACCEPT
COMMIT
"""
# RHEL 7 iptables-services default: ACCEPT policy, closed by a final REJECT rule.
SYSCONFIG_IPTABLES = """\
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -m comment --comment "default deny" -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
COMMIT
"""


def test_iptables_save_parser_reads_only_the_filter_table():
    [chain] = parse_iptables(RULES_V4, "ip", "/etc/iptables/rules.v4")
    assert (chain.policy, len(chain.rules), chain.final) == ("drop", 3, None)
    [rhel] = parse_iptables(SYSCONFIG_IPTABLES, "ip", "x")
    assert (rhel.policy, rhel.final) == ("accept", "reject")
    assert effective([rhel]).ipv4 == "reject"
    assert parse_iptables("*nat\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "ip", "x") == []


def test_iptables_persistent_enabled(make_root):
    root = make_root({"etc/iptables/rules.v4": RULES_V4,
                      "etc/iptables/rules.v6": "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"})
    _link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
          "/lib/systemd/system/netfilter-persistent.service")
    fw = _fw(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["default_inbound_ipv6"]) == \
        ("iptables", True, "drop", "accept")


def test_rhel_iptables_service(make_root):
    root = make_root({"etc/sysconfig/iptables": SYSCONFIG_IPTABLES})
    _link(root, "etc/systemd/system/basic.target.wants/iptables.service", "/usr/lib/systemd/system/iptables.service")
    fw = _fw(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("iptables", True, "reject", 5)
    assert fw["default_inbound_ipv6"] is None  # no ip6tables file: not known


# == ufw and firewalld ================================================================================

UFW_DEFAULT = """\
# /etc/default/ufw
#

# Set to yes to apply rules to support IPv6 (no means only IPv6 on loopback
# accepted). You will need to 'disable' and then 'enable' the firewall for
# the changes to take affect.
IPV6=yes

# Set the default input policy to ACCEPT, DROP, or REJECT. Please note that if
# you change this you will most likely want to adjust your rules.
DEFAULT_INPUT_POLICY="DROP"
DEFAULT_OUTPUT_POLICY="ACCEPT"
"""


@pytest.mark.parametrize("enabled,active", [("yes", True), ("no", False)])
def test_ufw_config(make_root, enabled, active):
    conf = f"# /etc/ufw/ufw.conf\n#\n\n# Set to yes to start on boot.\nENABLED={enabled}\nLOGLEVEL=low\n"
    root = make_root({"etc/ufw/ufw.conf": conf,
                      "etc/default/ufw": UFW_DEFAULT})
    fw = _fw(root)
    assert (fw["backend"], fw["active"]) == ("ufw", active)
    if active:
        assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("drop", "drop")


def test_ufw_masked_is_not_active(make_root):
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=yes\n", "etc/default/ufw": UFW_DEFAULT})
    _link(root, "etc/systemd/system/ufw.service", "/dev/null")
    assert _fw(root)["active"] is False


def test_ufw_reject_policy(make_root):
    root = make_root({"etc/ufw/ufw.conf": 'ENABLED="yes"\n',
                      "etc/default/ufw": 'IPV6=no\nDEFAULT_INPUT_POLICY="REJECT"\n'})
    fw = _fw(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("reject", None)


FIREWALLD_ZONE = """<?xml version="1.0" encoding="utf-8"?>
<zone{target}>
  <short>Public</short>
  <description>For use in public areas.</description>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <port port="8080" protocol="tcp"/>
  <forward/>
</zone>
"""


@pytest.mark.parametrize("target,expected", [("", "reject"), (' target="DROP"', "drop"),
                                             (' target="ACCEPT"', "accept"), (' target="%%REJECT%%"', "reject")])
def test_firewalld_zone_target(make_root, target, expected):
    root = make_root({"etc/firewalld/firewalld.conf": "# firewalld config\nDefaultZone=public\nIPv6_rpfilter=yes\n",
                      "usr/lib/firewalld/zones/public.xml": FIREWALLD_ZONE.format(target="")})
    if target:
        (root / "etc/firewalld/zones").mkdir(parents=True)
        (root / "etc/firewalld/zones/public.xml").write_text(FIREWALLD_ZONE.format(target=target))
    _link(root, "etc/systemd/system/multi-user.target.wants/firewalld.service",
          "/usr/lib/systemd/system/firewalld.service")
    fw = _fw(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == \
        ("firewalld", True, expected, 3)


def test_firewalld_installed_but_disabled(make_root):
    root = make_root({"etc/firewalld/firewalld.conf": "DefaultZone=public\n"})
    fw = _fw(root)
    assert (fw["backend"], fw["active"]) == ("firewalld", False)


def test_no_firewall_at_all(make_root):
    fw = _fw(make_root({"etc/hostname": "pc\n"}))
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("none", False, None)


# == live kernel rules (recorded) ====================================================================

NFT_JSON = json.dumps({"nftables": [
    {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "filter", "handle": 1}},
    {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1, "type": "filter",
               "hook": "input", "prio": 0, "policy": "drop"}},
    {"chain": {"family": "inet", "table": "filter", "name": "forward", "handle": 2, "type": "filter",
               "hook": "forward", "prio": 0, "policy": "drop"}},
    {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 4, "expr": [
        {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
        {"accept": None}]}},
    {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 5, "expr": [
        {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}},
        {"counter": {"packets": 3, "bytes": 180}}, {"accept": None}]}},
]})
# Docker on iptables-nft: an INPUT chain exists but filters nothing.
NFT_JSON_DOCKER = json.dumps({"nftables": [
    {"table": {"family": "ip", "name": "filter", "handle": 3}},
    {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter",
               "hook": "input", "prio": 0, "policy": "accept"}},
    {"chain": {"family": "ip", "table": "filter", "name": "DOCKER", "handle": 5}},
    {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER", "handle": 9, "expr": [{"drop": None}]}},
]})
IPT_UFW = """-P INPUT DROP
-A INPUT -j ufw-before-logging-input
-A INPUT -j ufw-before-input
-A INPUT -j ufw-after-input
-A INPUT -j ufw-after-logging-input
-A INPUT -j ufw-reject-input
-A INPUT -j ufw-track-input
"""
DENIED_NFT = {"rc": 1, "stdout": "", "stderr": "Error: cache initialization failed: Operation not permitted\n"}
DENIED_IPT = {"rc": 4, "stdout": "", "stderr": "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: "
                                             "Permission denied (you must be root)\n"}


def _replay(files: dict[str, str], commands: dict[str, dict], only: set[str]):
    rec = {"schema": "secaudit.recording/v1", "files": files,
           "commands": {command_key(k.split()): v for k, v in commands.items()}}
    return collect(ReplayTransport(rec), AgentConfig(), only=only)


def test_nft_json_parser():
    chains = parse_nft_json(NFT_JSON)
    eff = effective(chains)
    assert (eff.ipv4, eff.ipv6, eff.rules, eff.active) == ("drop", "drop", 2, True)
    assert effective(parse_nft_json(NFT_JSON_DOCKER)).active is False


def test_live_nft_ruleset():
    snap = _replay({}, {"nft -j list ruleset": {"rc": 0, "stdout": NFT_JSON, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["source"]) == \
        ("nftables", True, "drop", "nft -j list ruleset")


def test_live_docker_only_rules_are_not_a_firewall():
    snap = _replay({}, {"nft -j list ruleset": {"rc": 0, "stdout": NFT_JSON_DOCKER, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("none", False, "accept")
    assert "accept-all" in fw["source"]


def test_live_empty_ruleset_with_ufw_installed_but_off():
    empty = json.dumps({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]})
    snap = _replay({"/etc/ufw/ufw.conf": "ENABLED=no\n"},
                   {"nft -j list ruleset": {"rc": 0, "stdout": empty, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("ufw", False, "accept")
    assert fw["source"] == "nft -j list ruleset: no input filter chain loaded"
    assert "firewall" not in snap.unknown


def test_live_ufw_seen_through_iptables():
    snap = _replay({"/etc/ufw/ufw.conf": "ENABLED=yes\n", "/etc/default/ufw": UFW_DEFAULT},
                   {"iptables -S INPUT": {"rc": 0, "stdout": IPT_UFW, "stderr": ""},
                    "ip6tables -S INPUT": {"rc": 0, "stdout": IPT_UFW.replace("ufw-", "ufw6-"), "stderr": ""}},
                   {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["default_inbound_ipv6"]) == \
        ("ufw", True, "drop", "drop")
    assert fw["rules_count"] == 12


def test_live_non_root_is_unknown_with_run_as_root():
    snap = _replay({"/etc/nftables.conf": NFT_DROP},
                   {"nft -j list ruleset": DENIED_NFT, "iptables -S INPUT": DENIED_IPT,
                    "ip6tables -S INPUT": DENIED_IPT}, {"firewall"})
    assert snap.unknown["firewall"]["code"] == "permission_denied"
    assert "nft" in snap.unknown["firewall"]["detail"]


def test_live_non_root_with_ufw_enabled_trusts_the_config():
    snap = _replay({"/etc/ufw/ufw.conf": "ENABLED=yes\n", "/etc/default/ufw": UFW_DEFAULT},
                   {"nft -j list ruleset": DENIED_NFT, "iptables -S INPUT": DENIED_IPT}, {"firewall"})
    assert "firewall" not in snap.unknown
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("ufw", True, "drop")


def test_live_firewalld_running():
    files = {"/etc/firewalld/firewalld.conf": "DefaultZone=home\n", "/proc/1/comm": "systemd\n",
             "/proc/733/comm": "firewalld\n",
             "/etc/firewalld/zones/home.xml": '<?xml version="1.0"?><zone><service name="ssh"/></zone>'}
    fw = _replay(files, {}, {"firewall"}).table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("firewalld", True, "reject", 1)
    assert "zone home" in fw["source"]


# == time synchronisation ============================================================================

CHRONY_SYNCED = """Reference ID    : A9FEA97B (169.254.169.123)
Stratum         : 4
Ref time (UTC)  : Mon Nov 23 09:10:11 2026
System time     : 0.000012345 seconds slow of NTP time
Last offset     : -0.000001234 seconds
RMS offset      : 0.000023456 seconds
Frequency       : 12.345 ppm fast
Residual freq   : -0.001 ppm
Skew            : 0.012 ppm
Root delay      : 0.000345678 seconds
Root dispersion : 0.000456789 seconds
Update interval : 64.2 seconds
Leap status     : Normal
"""


@pytest.mark.parametrize("link,service", [
    ("etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", "timesyncd"),
    ("etc/systemd/system/multi-user.target.wants/chrony.service", "chrony"),
    ("etc/systemd/system/multi-user.target.wants/chronyd.service", "chrony"),
    ("etc/systemd/system/multi-user.target.wants/ntpsec.service", "ntpd"),
    (None, "none"),
])
def test_time_sync_service_from_enabled_units(make_root, link, service):
    root = make_root({"etc/hostname": "pc\n"})
    if link:
        _link(root, link, "/lib/systemd/system/" + link.rsplit("/", 1)[1])
    snap = _sys(root)
    assert snap.table("system")["time_sync_service"] == service
    assert snap.table("system")["time_synced"] is None
    assert snap.table("system")["time_sync_running"] is None  # not observable offline
    assert snap.unknown["system.time_synced"]["code"] == "not_applicable"


def test_live_chrony_tracking():
    files = {"/proc/50/comm": "chronyd\n", "/etc/hostname": "srv\n"}
    cmd = {"chronyc -n tracking": {"rc": 0, "stdout": CHRONY_SYNCED, "stderr": ""}}
    sysinfo = _replay(files, cmd, {"system"}).table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_synced"]) == ("chrony", True)
    assert "Leap status Normal" in sysinfo["time_sync_source"]
    cmd = {"chronyc -n tracking": {"rc": 0, "stdout": CHRONY_SYNCED.replace("Normal", "Not synchronised"),
                                   "stderr": ""}}
    assert _replay(files, cmd, {"system"}).table("system")["time_synced"] is False


def test_live_timesyncd_flag_file_and_timedatectl():
    files = {"/proc/40/comm": "systemd-timesyn\n", "/run/systemd/timesync/synchronized": ""}
    sysinfo = _replay(files, {}, {"system"}).table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_synced"], sysinfo["time_sync_running"]) == \
        ("timesyncd", True, True)
    files = {"/proc/40/comm": "systemd-timesyn\n"}
    cmd = {"timedatectl show -p NTPSynchronized --value": {"rc": 0, "stdout": "no\n", "stderr": ""}}
    sysinfo = _replay(files, cmd, {"system"}).table("system")
    assert (sysinfo["time_synced"], sysinfo["time_sync_source"]) == (False, "timedatectl NTPSynchronized=no")


def test_live_boot_time():
    snap = _replay({"/proc/stat": "cpu  1 2 3\nbtime 1795420835\nprocesses 100\n"}, {}, {"system"})
    assert snap.table("system")["boot_time"] == "2026-11-23T08:00:35Z"


# == apt configuration and automatic updates =========================================================

def test_apt_conf_syntax():
    conf: dict[str, tuple[str, str]] = {}
    parse_apt_conf("""
// comment with "quotes" and { braces }
APT::Periodic::Update-Package-Lists "1";  # trailing hash comment
/* a block comment
   APT::Periodic::Unattended-Upgrade "1";
*/
APT {
  Periodic {
    Unattended-Upgrade "0";
    Download-Upgradeable-Packages "1";
  };
};
Acquire::http::Proxy "http://proxy.school.edu.vn:3128/"; // the // inside quotes stays
Unattended-Upgrade::Origins-Pattern { "origin=Debian,codename=${distro_codename},label=Debian-Security"; };
apt::periodic::AutocleanInterval 7;
""", "/etc/apt/apt.conf.d/x", conf)
    assert conf["apt::periodic::update-package-lists"] == ("1", "/etc/apt/apt.conf.d/x:3")
    assert conf["apt::periodic::unattended-upgrade"][0] == "0"
    assert conf["apt::periodic::download-upgradeable-packages"][0] == "1"
    assert conf["acquire::http::proxy"][0] == "http://proxy.school.edu.vn:3128/"
    assert conf["apt::periodic::autocleaninterval"][0] == "7"
    assert not any(k.startswith("unattended-upgrade::origins-pattern::") for k in conf)


def test_apt_conf_clear_directive():
    conf: dict[str, tuple[str, str]] = {}
    parse_apt_conf('APT::Periodic::Unattended-Upgrade "1";\n', "a", conf)
    parse_apt_conf("#clear APT::Periodic;\n", "b", conf)
    assert "apt::periodic::unattended-upgrade" not in conf


DPKG_STATUS = """Package: unattended-upgrades
Status: install ok installed
Priority: optional
Architecture: all
Version: 2.9.1+nmu3

Package: apt
Status: install ok installed
Version: 2.6.1
"""


def _apt_root(make_root, files: dict[str, str], dpkg: str = DPKG_STATUS):
    return make_root({"var/lib/dpkg/status": dpkg, "etc/apt/apt.conf.d/70debconf": 'DPkg::Pre-Install-Pkgs {"x";};\n',
                      **files})


def test_auto_updates_debian_20auto_upgrades(make_root):
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades":
                                 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n'})
    sysinfo = _sys(root).table("system")
    assert sysinfo["auto_updates"] is True
    assert "/etc/apt/apt.conf.d/20auto-upgrades:2" in sysinfo["auto_updates_source"]


def test_auto_updates_later_file_overrides_and_ignored_names(make_root):
    root = _apt_root(make_root, {
        "etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n',
        "etc/apt/apt.conf.d/99-school-off": 'APT { Periodic { Unattended-Upgrade "0"; }; };\n',
        "etc/apt/apt.conf.d/99zz.dpkg-old": 'APT::Periodic::Unattended-Upgrade "1";\n',
        "etc/apt/apt.conf.d/99zz~": 'APT::Periodic::Unattended-Upgrade "1";\n',
    })
    sysinfo = _sys(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "setting_off")
    assert "99-school-off:1" in sysinfo["auto_updates_source"]
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "0";\n',
                                 "etc/apt/apt.conf": 'APT::Periodic::Unattended-Upgrade "always";\n'})
    assert _sys(root).table("system")["auto_updates"] is True  # apt.conf is read last


def test_auto_updates_needs_the_package_and_periodic_enable(make_root):
    files = {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n'}
    removed = DPKG_STATUS.replace("install ok installed\nPriority", "deinstall ok config-files\nPriority")
    sysinfo = _sys(_apt_root(make_root, files, removed)).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "package_missing")
    files["etc/apt/apt.conf.d/10periodic"] = 'APT::Periodic::Enable "0";\n'
    sysinfo = _sys(_apt_root(make_root, files)).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "periodic_disabled")
    assert sysinfo["auto_updates_source"] == '/etc/apt/apt.conf.d/10periodic:1: APT::Periodic::Enable "0"'


def test_auto_updates_not_configured_and_masked_timer(make_root):
    sysinfo = _sys(_apt_root(make_root, {})).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "not_set")
    root = _apt_root(make_root, {"etc/apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "1";\n'})
    _link(root, "etc/systemd/system/apt-daily-upgrade.timer", "/dev/null")
    sysinfo = _sys(root).table("system")
    assert (sysinfo["auto_updates"], sysinfo["auto_updates_reason"]) == (False, "timer_masked")


def test_auto_updates_dnf_automatic(make_root):
    root = make_root({"etc/dnf/dnf.conf": "[main]\ngpgcheck=1\n",
                      "etc/dnf/automatic.conf": "[commands]\n# upgrade_type = default\nupgrade_type = security\n"
                                                "apply_updates = yes\n[emitters]\nemit_via = stdio\n"})
    _link(root, "etc/systemd/system/timers.target.wants/dnf-automatic.timer",
          "/usr/lib/systemd/system/dnf-automatic.timer")
    sysinfo = _sys(root).table("system")
    assert sysinfo["auto_updates"] is True and "apply_updates = yes" in sysinfo["auto_updates_source"]
    (root / "etc/dnf/automatic.conf").write_text("[commands]\napply_updates = no\n")
    assert _sys(root).table("system")["auto_updates_reason"] == "apply_off"
    (root / "etc/systemd/system/timers.target.wants/dnf-automatic.timer").unlink()
    assert _sys(root).table("system")["auto_updates_reason"] == "no_timer"


def test_auto_updates_unknown_without_package_manager(make_root):
    snap = _sys(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["auto_updates"] is None
    assert snap.unknown["system.auto_updates"]["code"] == "not_applicable"


# == last update and pending updates ==================================================================

HISTORY_NEW = """
Start-Date: 2026-11-10  08:00:01
Commandline: apt-get install -y vim
Requested-By: thao (1000)
Install: vim:amd64 (2:9.0.1378-2)
Upgrade: vim-common:amd64 (2:9.0.1378-1, 2:9.0.1378-2)
End-Date: 2026-11-10  08:00:05

Start-Date: 2026-11-12  09:00:00
Commandline: apt-get -o Dpkg::Options::=--force-confold install nano
Install: nano:amd64 (7.2-1)
End-Date: 2026-11-12  09:00:02
"""
HISTORY_OLD = """
Start-Date: 2026-10-01  06:00:10
Upgrade: openssl:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2), libssl3:amd64 (3.0.15-1~deb12u1, 3.0.17-1~deb12u2)
End-Date: 2026-10-01  06:01:40

Start-Date: 2026-11-02  10:15:30
Commandline: apt upgrade
Requested-By: admin (1000)
Upgrade: bash:amd64 (5.2.15-2+b2, 5.2.15-2+b7)
End-Date: 2026-11-02  10:15:33

Start-Date: 2026-11-03  11:00:00
Commandline: apt full-upgrade
Upgrade: tzdata:amd64 (2024a-0+deb12u1, 2025b-0+deb12u1)
"""


def test_apt_history_entries():
    entries = parse_apt_history(HISTORY_OLD, "h")
    assert entries == [("2026-10-01 06:01:40", True, "h:4"), ("2026-11-02 10:15:33", True, "h:10"),
                       ("2026-11-03 11:00:00", True, "h:12")]  # interrupted run: Start-Date
    assert [e[1] for e in parse_apt_history(HISTORY_NEW, "h")] == [False, False]


def test_last_update_from_rotated_gzip_in_local_time(make_root):
    zone = Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    if not zone.exists():
        pytest.skip("tzdata is not installed")
    root = make_root({"var/log/apt/history.log": HISTORY_NEW,
                      "var/log/apt/history.log.1.gz": gzip.compress(HISTORY_OLD.encode()),
                      "var/log/apt/history.log.2.gz": gzip.compress(b"Start-Date: 2026-12-31  00:00:00\n"
                                                                    b"Upgrade: x (1, 2)\nEnd-Date: 2026-12-31  "
                                                                    b"00:00:01\n"),
                      "var/log/apt/eipp.log.xz": b"\xfd7zXZ",
                      "usr/share/zoneinfo/Asia/Ho_Chi_Minh": zone.read_bytes()})
    _link(root, "etc/localtime", "/usr/share/zoneinfo/Asia/Ho_Chi_Minh")
    sysinfo = _sys(root).table("system")
    # 2026-11-03 11:00:00 +07 (an interrupted full-upgrade), newest in the newest file with upgrades
    assert sysinfo["last_update_time"] == "2026-11-03T04:00:00Z"
    assert sysinfo["last_update_source"].startswith("/var/log/apt/history.log.1.gz:")


def test_last_update_timezone_file_fallback_and_no_upgrade_logged(make_root):
    if not Path("/usr/share/zoneinfo/Asia/Ho_Chi_Minh").exists():
        pytest.skip("tzdata is not installed")
    root = make_root({"var/log/apt/history.log": HISTORY_NEW, "etc/timezone": "Asia/Ho_Chi_Minh\n"})
    sysinfo = _sys(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-10T01:00:05Z"  # oldest entry: no upgrade since
    assert "no upgrade logged" in sysinfo["last_update_source"]


def test_last_update_dnf_and_dpkg_mtime(make_root):
    log = ("2026-11-01T09:00:00+0700 SUBDEBUG Upgrade: bash-5.1.8-9.el9.x86_64\n"
           "2026-11-01T09:00:01+0700 SUBDEBUG Upgraded: bash-5.1.8-6.el9.x86_64\n"
           "2026-11-05T09:00:00+0700 SUBDEBUG Installed: vim-enhanced-8.2.2637-21.el9.x86_64\n")
    root = make_root({"var/log/dnf.rpm.log": log, "var/log/dnf.rpm.log-20261025": "2026-10-20T00:00:00+0000 "
                      "SUBDEBUG Upgrade: a-1\n"})
    sysinfo = _sys(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-01T02:00:01Z"
    root = make_root({"var/lib/dpkg/status": DPKG_STATUS})
    os.utime(root / "var/lib/dpkg/status", (1793520000, 1793520000))
    sysinfo = _sys(root).table("system")
    assert sysinfo["last_update_time"] == "2026-11-01T08:00:00Z"
    assert "approximate" in sysinfo["last_update_source"]


def test_last_update_unknown_without_history(make_root):
    snap = _sys(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["last_update_time"] is None
    assert snap.unknown["system.last_update_time"]["code"] == "not_found"


UN_MODERN = """
Expanded Security Maintenance for Applications is not enabled.

12 updates can be applied immediately.
5 of these updates are standard security updates.
To see these additional updates run: apt list --upgradable

3 additional security updates can be applied with ESM Apps.
Learn more about enabling ESM Apps service at https://ubuntu.com/esm

"""


@pytest.mark.parametrize("text,expected", [
    (UN_MODERN, (12, 5)),
    ("\n15 packages can be updated.\n7 updates are security updates.\n\n", (15, 7)),
    ("1 update can be applied immediately.\n1 of these updates is a standard security update.\n", (1, 1)),
    ("0 updates can be applied immediately.\n", (0, 0)),
    ("\n4 gói có thể được cập nhật.\n", None),
    ("", None),
])
def test_updates_available_text(text, expected):
    assert parse_updates_available(text) == expected


def test_pending_updates_on_ubuntu_and_not_cheap_elsewhere(make_root):
    root = make_root({"var/lib/update-notifier/updates-available": UN_MODERN})
    sysinfo = _sys(root).table("system")
    assert sysinfo["pending_security_updates"] == 5
    assert "12 updates, 5 security" in sysinfo["pending_updates_source"]
    snap = _sys(make_root({"etc/hostname": "x\n"}))
    assert snap.table("system")["pending_security_updates"] is None
    assert snap.unknown["system.pending_security_updates"]["code"] == "not_applicable"


def test_reboot_required_live():
    files = {"/var/lib/dpkg/status": DPKG_STATUS, "/run/reboot-required": "*** System restart required ***\n",
             "/run/reboot-required.pkgs": "linux-image-6.1.0-27-amd64\nlibc6\nlibc6\n"}
    sysinfo = _replay(files, {}, {"system"}).table("system")
    assert sysinfo["reboot_required"] is True
    assert sysinfo["reboot_required_pkgs"] == ["libc6", "linux-image-6.1.0-27-amd64"]


# == OS support window and disk encryption ===========================================================

def _os(make_root, text: str) -> dict:
    return _sys(make_root({"etc/os-release": text})).table("system")


@pytest.mark.parametrize("text,end", [
    ('PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nID=debian\nVERSION_ID="10"\n', "2024-06-30"),
    ('ID=debian\nVERSION_ID="12"\n', "2028-06-30"),
    ('NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n', "2027-04-01"),
    ('NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n', "2029-05-31"),
    ('NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nVERSION_ID="7"\n', "2024-06-30"),
    ('NAME="CentOS Stream"\nID="centos"\nVERSION_ID="9"\n', "2027-05-31"),
    ('NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n', "2032-05-31"),
    ('NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="8.10"\n', "2029-05-31"),
    ('NAME="Linux Mint"\nID=linuxmint\nVERSION_ID="21.3"\nID_LIKE="ubuntu debian"\n', "2027-04-01"),
    ('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n', "2026-04-01"),
    ('ID=raspbian\nVERSION_ID="11"\n', "2026-08-31"),
    ('NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.6"\n', "2026-04-30"),
])
def test_os_support_end_from_table(make_root, text, end):
    sysinfo = _os(make_root, text)
    assert sysinfo["os_support_end"] == end
    assert sysinfo["os_eol_table"] == "2026-11"


def test_os_rolling_and_unknown(make_root):
    assert _os(make_root, 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n')["os_rolling"] is True
    snap = _sys(make_root({"etc/os-release": 'NAME="Slackware"\nID=slackware\nVERSION_ID=15.0\n'}))
    assert snap.table("system")["os_support_end"] is None
    assert "slackware 15.0" in snap.unknown["system.os_support_end"]["detail"]
    snap = _sys(make_root({"usr/lib/os-release": 'ID=debian\nVERSION_ID="13"\n'}))
    assert snap.table("system")["os_support_end"] == "2030-06-30"


def test_crypttab(make_root):
    root = make_root({"etc/crypttab": "# <target name> <source device> <key file> <options>\n"
                                      "sda3_crypt UUID=0f1e2d3c-aaaa-bbbb-cccc-111122223333 none luks,discard\n"
                                      "\n  # swap\n"
                                      "cswap /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64,size=256,plain\n"})
    enc = _sys(root).table("system")["disk_encryption"]
    assert [(e["name"], e["kind"], e["source"]) for e in enc] == [
        ("sda3_crypt", "luks", "/etc/crypttab:2"), ("cswap", "plain", "/etc/crypttab:5")]


def test_live_dm_crypt_devices():
    files = {"/sys/block/dm-0/dm/uuid": "CRYPT-LUKS2-0f1e2d3caaaabbbbcccc111122223333-sda3_crypt\n",
             "/sys/block/dm-0/dm/name": "sda3_crypt\n",
             "/sys/block/dm-1/dm/uuid": "LVM-abcdef\n", "/sys/block/sda/size": "100\n"}
    enc = _replay(files, {}, {"system"}).table("system")["disk_encryption"]
    assert enc == [{"name": "sda3_crypt", "device": "/dev/dm-0", "kind": "luks2",
                    "source": "/sys/block/dm-0/dm/uuid", "active": True}]


def test_this_machine_collects_within_budget():
    import time

    from secaudit.transport.local import LocalTransport

    started = time.monotonic()
    snap = collect(LocalTransport(), AgentConfig(), only={"firewall", "system", "listening_ports"})
    assert time.monotonic() - started < 2.0
    assert snap.table("system")["os_id"]
    assert snap.table("firewall")["backend"] in ("nftables", "iptables", "ufw", "firewalld", "none") \
        or "firewall" in snap.unknown


# == real nft/iptables in a private network namespace ================================================

# `nft -j list ruleset` recorded after `iptables-restore` of SYSCONFIG_IPTABLES (iptables-nft 1.8.9):
# the REJECT target and the comment match are shown as `xt` statements.
NFT_JSON_IPTABLES_NFT = json.dumps({"nftables": [
    {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
    {"table": {"family": "ip", "name": "filter", "handle": 1}},
    {"chain": {"family": "ip", "table": "filter", "name": "INPUT", "handle": 1, "type": "filter", "hook": "input",
               "prio": 0, "policy": "accept"}},
    {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": 4, "expr": [
        {"xt": {"type": "match", "name": "conntrack"}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": None}]}},
    {"rule": {"family": "ip", "table": "filter", "chain": "INPUT", "handle": 6, "expr": [
        {"xt": {"type": "match", "name": "comment"}}, {"counter": {"packets": 0, "bytes": 0}},
        {"xt": {"type": "target", "name": "REJECT"}}]}},
]})


def test_iptables_nft_json_reject_target():
    chains = parse_nft_json(NFT_JSON_IPTABLES_NFT)
    assert effective(chains).ipv4 == "reject"
    assert chains[0].final == "reject"


def _netns(script: str) -> str:
    """Run `script` in a new, empty network namespace (the host's rules are never touched)."""
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    need_tool("unshare")
    res = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


_COLLECT = ("{py} -c 'import json; from secaudit.facts import collect; from secaudit.config import AgentConfig;"
            " from secaudit.transport.local import LocalTransport;"
            " s = collect(LocalTransport(), AgentConfig(), only={{\"firewall\"}});"
            " print(json.dumps([s.table(\"firewall\"), s.unknown]))'")


def _collect_in_netns(setup: str) -> tuple[dict, dict]:
    import sys

    cmd = _COLLECT.format(py=sys.executable)
    out = _netns(f"{setup} && cd {Path(__file__).resolve().parents[2]} && {cmd}" if setup else
                 f"cd {Path(__file__).resolve().parents[2]} && {cmd}")
    table, unknown = json.loads(out.strip().splitlines()[-1])
    return table, unknown


@pytest.mark.parametrize("name", ["NFT_DROP", "NFT_DEBIAN_DEFAULT"])
def test_nft_fixtures_are_valid_nft_syntax(tmp_path, name):
    need_tool("nft")
    path = tmp_path / "rules.nft"
    path.write_text(globals()[name])
    _netns(f"nft -c -f {path}")


def test_real_nft_ruleset_is_read(tmp_path):
    need_tool("nft")
    conf = tmp_path / "rules.nft"
    conf.write_text(NFT_DROP)
    fw, unknown = _collect_in_netns(f"nft -f {conf}")
    assert "firewall" not in unknown
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["default_inbound_ipv6"], fw["rules_count"]) == \
        ("nftables", True, "drop", "drop", 7)
    assert fw["source"] == "nft -j list ruleset"


def test_real_iptables_rules_are_read(tmp_path):
    need_tool("nft")
    need_tool("iptables-restore")
    rules = tmp_path / "iptables"
    rules.write_text(SYSCONFIG_IPTABLES)
    fw, _ = _collect_in_netns(f"iptables-restore < {rules}")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("iptables", True, "reject", 5)
    assert fw["default_inbound_ipv6"] == "accept"  # nothing filters IPv6


def test_real_empty_ruleset_is_no_firewall():
    need_tool("nft")
    fw, unknown = _collect_in_netns("")
    assert fw["active"] is False and "firewall" not in unknown


def test_live_enabled_time_service_that_is_not_running():
    files = {"/proc/1/comm": "systemd\n",
             "/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service": "[Unit]\n"}
    cmd = {"timedatectl show -p NTPSynchronized --value": {"rc": 1, "stdout": "", "stderr": "Failed to connect to bus"}}
    snap = _replay(files, cmd, {"system"})
    sysinfo = snap.table("system")
    assert (sysinfo["time_sync_service"], sysinfo["time_sync_running"], sysinfo["time_synced"]) == \
        ("timesyncd", False, None)
    assert snap.unknown["system.time_synced"]["code"] == "command_failed"
