"""Firewall facts: real nftables/iptables/ufw/firewalld configuration through --root, recorded kernel
rulesets through replay, and real rules in a private network namespace."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from secaudit.facts.linux.netfilter import effective, parse_iptables, parse_nft_json, parse_nft_text
from tests.conftest import facts_of, need_tool, run_check
from tests.unit.facts.linux.helpers import firewall_of, make_link, replay

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
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("nftables", True, "drop", 1)
    assert "/etc/nftables.conf" in fw["source"] and "sysinit.target.wants" in fw["source"]


def test_nftables_conf_not_enabled_is_inactive(make_root):
    root = make_root({"etc/nftables.conf": NFT_DROP})
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"]) == ("nftables", False)
    assert fw["configured"] == ["nftables"]


def test_debian_default_nftables_conf_filters_nothing(make_root):
    root = make_root({"etc/nftables.conf": NFT_DEBIAN_DEFAULT})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
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
    make_link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
          "/lib/systemd/system/netfilter-persistent.service")
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["default_inbound_ipv6"]) == \
        ("iptables", True, "drop", "accept")


def test_rhel_iptables_service(make_root):
    root = make_root({"etc/sysconfig/iptables": SYSCONFIG_IPTABLES})
    make_link(root, "etc/systemd/system/basic.target.wants/iptables.service",
              "/usr/lib/systemd/system/iptables.service")
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("iptables", True, "reject", 5)
    # no ip6tables file (and no ip6tables.service): nothing loads IPv6 rules, so IPv6 accepts everything
    assert fw["default_inbound_ipv6"] == "accept"
    assert fw["default_inbound_ipv6_source"].startswith("/etc/sysconfig/ip6tables (")


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
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"]) == ("ufw", active)
    if active:
        assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("drop", "drop")


def test_ufw_masked_is_not_active(make_root):
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=yes\n", "etc/default/ufw": UFW_DEFAULT})
    make_link(root, "etc/systemd/system/ufw.service", "/dev/null")
    assert firewall_of(root)["active"] is False


def test_ufw_service_disabled_loads_nothing(make_root):
    """Planted: `systemctl disable ufw` with ENABLED=yes left in ufw.conf: nothing runs ufw-init at boot."""
    files = {"etc/ufw/ufw.conf": "ENABLED=yes\n", "etc/default/ufw": UFW_DEFAULT,
             "lib/systemd/system/ufw.service": "[Unit]\nDescription=Uncomplicated firewall\n"}
    root = make_root(files)
    assert firewall_of(root)["active"] is False
    make_link(root, "etc/systemd/system/multi-user.target.wants/ufw.service", "/lib/systemd/system/ufw.service")
    assert firewall_of(root)["active"] is True


def test_ufw_reject_policy(make_root):
    root = make_root({"etc/ufw/ufw.conf": 'ENABLED="yes"\n',
                      "etc/default/ufw": 'IPV6=no\nDEFAULT_INPUT_POLICY="REJECT"\n'})
    fw = firewall_of(root)
    # IPV6 not yes: ufw-init loads an IPv6 INPUT chain that drops everything but loopback
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("reject", "drop")


@pytest.mark.parametrize("value", ["Yes", "true", "1", "on"])
def test_ufw_enabled_only_yes_or_upper_yes(make_root, value):
    """ufw-init tests `[ "$ENABLED" = "yes" ] || [ "$ENABLED" = "YES" ]` on the sourced file."""
    root = make_root({"etc/ufw/ufw.conf": f"ENABLED={value}\n", "etc/default/ufw": UFW_DEFAULT})
    assert firewall_of(root)["active"] is False
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=YES\nLOGLEVEL=low\n", "etc/default/ufw": UFW_DEFAULT})
    assert firewall_of(root)["active"] is True


@pytest.mark.parametrize(("conf", "defaults", "active", "inbound"), [
    ("ENABLED = yes\n", UFW_DEFAULT, False, None),  # a command to sh, not an assignment
    ("ENABLED=yes\n", UFW_DEFAULT.replace('DEFAULT_INPUT_POLICY="DROP"', 'DEFAULT_INPUT_POLICY="drop"'), True,
     "accept"),
    ("ENABLED=yes\n", UFW_DEFAULT.replace('DEFAULT_INPUT_POLICY="DROP"', "DEFAULT_INPUT_POLICY=REJECT # chặn"),
     True, "reject"),
])
def test_ufw_files_as_ufw_init_sources_them(make_root, conf, defaults, active, inbound):
    root = make_root({"etc/ufw/ufw.conf": conf, "etc/default/ufw": defaults})
    fw = firewall_of(root)
    assert fw["active"] is active
    if inbound:
        assert fw["default_inbound"] == inbound
    if inbound == "accept":
        assert 'DEFAULT_INPUT_POLICY="drop" (not ACCEPT, DROP or REJECT' in fw["default_inbound_source"]


UFW_USER_ALLOW_ANY = """\
*filter
:ufw-user-input - [0:0]
### RULES ###

### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport 22 -j ACCEPT

### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -j ACCEPT

### END RULES ###
COMMIT
"""


def test_ufw_allow_from_any_opens_everything(make_root):
    """`ufw allow from any` writes an unconditional ACCEPT into ufw-user-input: the DROP policy never applies."""
    root = make_root({"etc/ufw/ufw.conf": "ENABLED=yes\n", "etc/default/ufw": UFW_DEFAULT,
                      "etc/ufw/user.rules": UFW_USER_ALLOW_ANY,
                      "etc/ufw/user6.rules": UFW_USER_ALLOW_ANY.replace("0.0.0.0/0", "::/0").replace("ufw-", "ufw6-")
                      .replace("-A ufw6-user-input -j ACCEPT", "")})
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_source"]) == ("accept", "/etc/ufw/user.rules:9")
    assert fw["default_inbound_ipv6"] == "drop"


def test_iptables_early_accept_makes_the_drop_policy_useless(make_root):
    rules = ("*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
             "-A INPUT -i lo -j ACCEPT\n-A INPUT -m comment --comment \"tam thoi\" -j ACCEPT\n"
             "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n")
    root = make_root({"etc/iptables/rules.v4": rules,
                      "etc/iptables/rules.v6": "*filter\n:INPUT DROP [0:0]\n-A INPUT -s ::/0 -j ACCEPT\nCOMMIT\n"})
    make_link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
              "/lib/systemd/system/netfilter-persistent.service")
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("accept", "accept")
    assert fw["default_inbound_source"].startswith("/etc/iptables/rules.v4:6 ")
    assert fw["default_inbound_ipv6_source"].startswith("/etc/iptables/rules.v6:3 ")


@pytest.mark.parametrize(("rules", "line", "why"), [
    ("*filter\n:INPUT drop [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n", 2, "bad policy name drop"),
    ("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j accept\nCOMMIT\n", 3, "unknown target accept"),
    ("# no COMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n", 2, "COMMIT expected"),
])
def test_iptables_rules_file_that_iptables_restore_refuses_loads_nothing(make_root, rules, line, why):
    """Checked with iptables-restore in a private network namespace: each of these leaves INPUT empty with
    policy ACCEPT (the firewall filters nothing), though the file reads as a DROP policy."""
    root = make_root({"etc/iptables/rules.v4": rules,
                      "etc/iptables/rules.v6": "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"})
    make_link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
              "/lib/systemd/system/netfilter-persistent.service")
    snap = facts_of(root, only={"firewall"})
    fw = dict(snap.table("firewall"))
    assert fw["default_inbound"] == "accept"
    assert fw["default_inbound_source"].startswith(f"/etc/iptables/rules.v4:{line}: iptables-restore refuses")
    assert why in fw["default_inbound_source"]
    result = run_check("system.firewall", snap)
    assert result.status in ("warn", "fail") and f"rules.v4:{line}" in result.message["vi"]


def test_iptables_restore_agrees_on_refused_files(tmp_path):
    import shutil
    import subprocess

    from secaudit.facts.linux.netfilter import restore_refusal

    if shutil.which("iptables-restore") is None or shutil.which("unshare") is None:
        pytest.skip("iptables-restore or unshare is not installed")
    cases = {"ok": "*filter\n:INPUT DROP [0:0]\n:ufw-x - [0:0]\n-A INPUT -j ufw-x\n-A INPUT -j ACCEPT\nCOMMIT\n",
             "policy": "*filter\n:INPUT drop [0:0]\nCOMMIT\n", "target": "*filter\n-A INPUT -j Drop\nCOMMIT\n",
             "commit": "*filter\n:INPUT DROP [0:0]\n", "nat": "*nat\n:PREROUTING ACCEPT [0:0]\n*filter\nCOMMIT\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        done = subprocess.run(["unshare", "-rn", "iptables-restore", str(tmp_path / name)],  # a private netns
                              capture_output=True, text=True, timeout=30, check=False)
        if "Operation not permitted" in done.stderr or "unshare:" in done.stderr:
            pytest.skip(f"namespaces not available: {done.stderr.strip()[:200]}")
        assert (done.returncode == 0) == (restore_refusal(text) is None), (name, done.stderr)


@pytest.mark.parametrize(("files", "where"), [
    ({"etc/sysctl.d/90-noipv6.conf": "net.ipv6.conf.all.disable_ipv6 = 1\nnet.ipv6.conf.default.disable_ipv6=1\n"},
     "/etc/sysctl.d/90-noipv6.conf:1, /etc/sysctl.d/90-noipv6.conf:2"),
    ({"boot/grub/grub.cfg": "menuentry 'Debian' {\n\tlinux\t/vmlinuz root=UUID=x ro quiet ipv6.disable=1\n}\n"},
     "/boot/grub/grub.cfg:2 (ipv6.disable=1)"),
    ({"etc/sysctl.d/90-noipv6.conf": "net.ipv6.conf.all.disable_ipv6 = 1\n"}, None),  # new interfaces get IPv6
])
def test_ipv4_only_rules_with_ipv6_turned_off(make_root, files, where):
    """The correct configuration of a host without IPv6: rules.v4 only is not an open IPv6."""
    root = make_root({"etc/iptables/rules.v4": RULES_V4, **files})
    make_link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
              "/lib/systemd/system/netfilter-persistent.service")
    snap = facts_of(root, only={"firewall"})
    assert snap.table("firewall")["ipv6_disabled"] == where
    assert run_check("system.firewall", snap).status == ("pass" if where else "warn")


def test_iptables_rules_v4_without_rules_v6_leaves_ipv6_open(make_root):
    root = make_root({"etc/iptables/rules.v4": RULES_V4})
    make_link(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service",
              "/lib/systemd/system/netfilter-persistent.service")
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("drop", "accept")
    assert fw["default_inbound_ipv6_source"].startswith("/etc/iptables/rules.v6 (not found)")


def test_nft_early_accept_in_an_included_file(make_root):
    root = make_root({"etc/nftables.conf": 'flush ruleset\ninclude "/etc/nftables.d/*.nft"\n',
                      "etc/nftables.d/10-input.nft": (
                          "table inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n"
                          "    ct state established,related accept\n    counter accept comment \"tam thoi\"\n"
                          "    tcp dport 22 accept\n    counter drop\n  }\n}\n"),
                      "etc/nftables.d/20-v4.nft": ("table ip extra {\n  chain input {\n"
                                                   "    type filter hook input priority 10; policy accept;\n"
                                                   "    ip saddr 0.0.0.0/0 accept\n  }\n}\n")})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("accept", "accept")
    assert fw["default_inbound_ipv6_source"] == "/etc/nftables.d/10-input.nft:5 (inet filter input)"
    assert "/etc/nftables.d/20-v4.nft:4 (ip extra input)" in fw["default_inbound_source"]


NFT_REFUSED = {
    "policy_case": ("type filter hook input priority 0; policy DROP;", "policy DROP"),
    "no_semicolon": ("type filter hook input priority 0 policy drop;", "policy without ';'"),
    "verdict_case": ("type filter hook input priority filter; policy drop;\n  tcp dport 22 ACCEPT", "ACCEPT"),
}


@pytest.mark.parametrize("case", sorted(NFT_REFUSED))
def test_nft_file_that_nft_refuses_loads_nothing(make_root, case):
    body, why = NFT_REFUSED[case]
    root = make_root({"etc/nftables.conf": f"flush ruleset\ntable inet f {{\n chain input {{\n  {body}\n }}\n}}\n"})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
    assert (fw["active"], fw["default_inbound"]) == (False, "accept")
    assert fw["default_inbound_source"].startswith("/etc/nftables.conf:") and why in fw["default_inbound_source"]


def test_nft_include_of_a_missing_file_loads_nothing(make_root):
    """Planted: nftables.conf includes a file that was renamed; nft stops (File not found). A glob that matches
    nothing is no error, and a relative name is looked for in /etc."""
    rules = "table inet f {\n chain input {\n  type filter hook input priority 0; policy drop;\n }\n}\n"
    root = make_root({"etc/nftables.conf": 'flush ruleset\ninclude "/etc/nftables.d/input.nft"\n',
                      "etc/nftables.d/input.nft.bak": rules})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
    assert (fw["active"], fw["default_inbound"]) == (False, "accept")
    assert fw["default_inbound_source"].startswith("/etc/nftables.conf:2: nft refuses the ruleset (include")
    root = make_root({"etc/nftables.conf": 'include "nftables.d/input.nft"\ninclude "/etc/nft.d/*.nft"\n',
                      "etc/nftables.d/input.nft": rules})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    assert firewall_of(root)["default_inbound"] == "drop"


def test_nft_check_agrees_on_refused_files(tmp_path):
    """`nft -c -f` (in a private network namespace) refuses exactly the files read as refused here."""
    import shutil
    import subprocess

    if shutil.which("nft") is None or shutil.which("unshare") is None:
        pytest.skip("nft or unshare is not installed")
    good = ("type filter hook input priority filter\n  policy drop\n  ip saddr 0.0.0.0/0 tcp dport 22 accept "
            'comment "ACCEPT ssh"\n  log prefix "DROP: " drop')
    for name, body in {**{k: v[0] for k, v in NFT_REFUSED.items()}, "good": good}.items():
        text = f"flush ruleset\ntable inet f {{\n chain input {{\n  {body}\n }}\n}}\n"
        (tmp_path / name).write_text(text)
        done = subprocess.run(["unshare", "-rn", "nft", "-c", "-f", str(tmp_path / name)], capture_output=True,
                              text=True, timeout=30, check=False)
        if "unshare:" in done.stderr or "Operation not permitted" in done.stderr:
            pytest.skip(f"namespaces not available: {done.stderr.strip()[:200]}")
        refused = "nft refuses" in parse_nft_text(text, str(tmp_path / name), _NoIncludes())[0].source
        assert (done.returncode != 0) == refused, (name, done.stderr)


class _NoIncludes:
    """A stand-in context for parsing a file without includes (the parser judges files only with one)."""

    def list_dir(self, path: str) -> list[str]:
        return []

    def read_text(self, path: str) -> None:
        return None


def test_nft_conditional_accepts_then_drop_is_closed(make_root):
    """The correct configuration in odd syntax: policy on its own line, sets, continuation, a final drop."""
    root = make_root({"etc/nftables.conf": (
        "#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n\tchain input {\n"
        "\t\ttype filter hook input priority filter\n\t\tpolicy accept\n\t\tiif lo accept\n"
        "\t\tip saddr 192.168.1.0/24 tcp dport { 22, 80 } \\\n\t\t\taccept\n"
        "\t\tip6 saddr ::/0 tcp dport 443 accept\n\t\tcounter reject with icmpx type admin-prohibited\n"
        "\t\taccept\n\t}\n}\n")})
    make_link(root, "etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("reject", "reject")


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
    make_link(root, "etc/systemd/system/multi-user.target.wants/firewalld.service",
          "/usr/lib/systemd/system/firewalld.service")
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == \
        ("firewalld", True, expected, 3)


@pytest.mark.parametrize(("trusted", "expected"), [
    ('<zone target="ACCEPT">\n  <short>Trusted</short>\n  <interface name="eth0"/>\n</zone>\n', "accept"),
    ('<zone>\n  <source address="0.0.0.0/0"/>\n</zone>\n', "accept"),  # trusted.xml: ACCEPT built in
    ('<zone target="ACCEPT">\n  <interface name="docker0"/>\n  <source address="10.0.0.5/32"/>\n</zone>\n',
     "reject"),
    ('<zone target="ACCEPT">\n  <short>Trusted</short>\n</zone>\n', "reject"),
])
def test_firewalld_interface_in_the_trusted_zone(make_root, trusted, expected):
    """Planted: `firewall-cmd --permanent --zone=trusted --add-interface=eth0`: the public zone's reject no
    longer applies to anything arriving on eth0."""
    root = make_root({"etc/firewalld/firewalld.conf": "DefaultZone=public\n",
                      "usr/lib/firewalld/zones/public.xml": FIREWALLD_ZONE.format(target=""),
                      "etc/firewalld/zones/trusted.xml": '<?xml version="1.0" encoding="utf-8"?>\n' + trusted})
    make_link(root, "etc/systemd/system/multi-user.target.wants/firewalld.service",
              "/usr/lib/systemd/system/firewalld.service")
    fw = firewall_of(root)
    assert fw["default_inbound"] == expected
    if expected == "accept":
        assert "/etc/firewalld/zones/trusted.xml: " in fw["default_inbound_source"]


@pytest.mark.parametrize(("rule", "v4", "v6"), [
    ('<rule family="ipv4">\n    <source address="0.0.0.0/0"/>\n    <accept/>\n  </rule>', "accept", "reject"),
    ("<rule>\n    <log prefix=\"all\"/>\n    <accept/>\n  </rule>", "accept", "accept"),
    ('<rule family="ipv6">\n    <accept/>\n  </rule>', "reject", "accept"),
    ('<rule family="ipv4">\n    <source address="192.168.1.0/24"/>\n    <accept/>\n  </rule>', "reject", "reject"),
    ('<rule family="ipv4">\n    <service name="ssh"/>\n    <accept/>\n  </rule>', "reject", "reject"),
])
def test_firewalld_rich_rule_accepting_everything(make_root, rule, v4, v6):
    """Planted: `firewall-cmd --permanent --add-rich-rule='rule family=ipv4 source address=0.0.0.0/0 accept'`."""
    zone = FIREWALLD_ZONE.format(target="").replace("  <forward/>\n", f"  {rule}\n  <forward/>\n")
    root = make_root({"etc/firewalld/firewalld.conf": "DefaultZone=public\n",
                      "etc/firewalld/zones/public.xml": zone})
    make_link(root, "etc/systemd/system/multi-user.target.wants/firewalld.service",
              "/usr/lib/systemd/system/firewalld.service")
    fw = firewall_of(root)
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == (v4, v6)
    if "accept" in (v4, v6):
        assert "/etc/firewalld/zones/public.xml: rich rule 1 accepts every" in fw["default_inbound_source"]


def test_firewalld_installed_but_disabled(make_root):
    root = make_root({"etc/firewalld/firewalld.conf": "DefaultZone=public\n"})
    fw = firewall_of(root)
    assert (fw["backend"], fw["active"]) == ("firewalld", False)


def test_no_firewall_at_all(make_root):
    fw = firewall_of(make_root({"etc/hostname": "pc\n"}))
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




def test_nft_json_parser():
    chains = parse_nft_json(NFT_JSON)
    eff = effective(chains)
    assert (eff.ipv4, eff.ipv6, eff.rules, eff.active) == ("drop", "drop", 2, True)
    assert effective(parse_nft_json(NFT_JSON_DOCKER)).active is False


def test_live_nft_ruleset():
    snap = replay({}, {"nft -j list ruleset": {"rc": 0, "stdout": NFT_JSON, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["source"]) == \
        ("nftables", True, "drop", "nft -j list ruleset")


def test_live_docker_only_rules_are_not_a_firewall():
    snap = replay({}, {"nft -j list ruleset": {"rc": 0, "stdout": NFT_JSON_DOCKER, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("none", False, "accept")
    assert "accept-all" in fw["source"]


def test_live_empty_ruleset_with_ufw_installed_but_off():
    empty = json.dumps({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]})
    snap = replay({"/etc/ufw/ufw.conf": "ENABLED=no\n"},
                   {"nft -j list ruleset": {"rc": 0, "stdout": empty, "stderr": ""}}, {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("ufw", False, "accept")
    assert fw["source"] == "nft -j list ruleset: no input filter chain loaded"
    assert "firewall" not in snap.unknown


def test_live_ufw_seen_through_iptables():
    snap = replay({"/etc/ufw/ufw.conf": "ENABLED=yes\n", "/etc/default/ufw": UFW_DEFAULT},
                   {"iptables -S INPUT": {"rc": 0, "stdout": IPT_UFW, "stderr": ""},
                    "ip6tables -S INPUT": {"rc": 0, "stdout": IPT_UFW.replace("ufw-", "ufw6-"), "stderr": ""}},
                   {"firewall"})
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["default_inbound_ipv6"]) == \
        ("ufw", True, "drop", "drop")
    assert fw["rules_count"] == 12


def test_live_non_root_is_unknown_with_run_as_root():
    snap = replay({"/etc/nftables.conf": NFT_DROP},
                   {"nft -j list ruleset": DENIED_NFT, "iptables -S INPUT": DENIED_IPT,
                    "ip6tables -S INPUT": DENIED_IPT}, {"firewall"})
    assert snap.unknown["firewall"]["code"] == "permission_denied"
    assert "nft" in snap.unknown["firewall"]["detail"]


def test_live_non_root_with_ufw_enabled_trusts_the_config():
    snap = replay({"/etc/ufw/ufw.conf": "ENABLED=yes\n", "/etc/default/ufw": UFW_DEFAULT},
                   {"nft -j list ruleset": DENIED_NFT, "iptables -S INPUT": DENIED_IPT}, {"firewall"})
    assert "firewall" not in snap.unknown
    fw = snap.table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"]) == ("ufw", True, "drop")


def test_live_firewalld_running():
    files = {"/etc/firewalld/firewalld.conf": "DefaultZone=home\n", "/proc/1/comm": "systemd\n",
             "/proc/733/comm": "firewalld\n",
             "/etc/firewalld/zones/home.xml": '<?xml version="1.0"?><zone><service name="ssh"/></zone>'}
    fw = replay(files, {}, {"firewall"}).table("firewall")
    assert (fw["backend"], fw["active"], fw["default_inbound"], fw["rules_count"]) == ("firewalld", True, "reject", 1)
    assert "zone home" in fw["source"]


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
    out = _netns(f"{setup} && cd {Path(__file__).resolve().parents[4]} && {cmd}" if setup else
                 f"cd {Path(__file__).resolve().parents[4]} && {cmd}")
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


@pytest.mark.parametrize(("files", "status"), [
    ({"/proc/cmdline": "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet ipv6.disable=1\n"}, "pass"),
    ({"/proc/sys/net/ipv6/conf/all/disable_ipv6": "1\n", "/proc/sys/net/ipv6/conf/default/disable_ipv6": "1\n"},
     "pass"),
    ({"/proc/cmdline": "BOOT_IMAGE=/vmlinuz ro quiet\n", "/proc/sys/net/ipv6/conf/all/disable_ipv6": "0\n"}, "warn"),
])
def test_live_ipv4_rules_only_on_a_host_without_ipv6(files, status):
    snap = replay(files, {"nft -j list ruleset": {"rc": 0, "stdout": '{"nftables": []}', "stderr": ""},
                          "iptables -S INPUT": {"rc": 0, "stdout": "-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n",
                                                "stderr": ""},
                          "ip6tables -S INPUT": {"rc": 0, "stdout": "-P INPUT ACCEPT\n", "stderr": ""}},
                  {"firewall"})
    fw = snap.table("firewall")
    assert (fw["default_inbound"], fw["default_inbound_ipv6"]) == ("drop", "accept")
    assert run_check("system.firewall", snap).status == status
