"""sshd_config parsing: first value wins, Include where it stands, Match blocks, real syntax."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.sshd_config import argv_split, parse_sshd_config, split_line
from secaudit.transport.local import RootTransport
from secaudit.transport.paths import expand_glob
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of, need_tool

DEBIAN_MAIN = """\
# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#PermitRootLogin prohibit-password
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem\tsftp\t/usr/lib/openssh/sftp-server
PasswordAuthentication yes
"""


def ssh_of(root) -> dict:
    snap = facts_of(root, only={"remote_login"})
    return snap.table("remote_login")["ssh"], snap


def test_debian_dropin_wins_over_later_main_file_line(make_root):
    root = make_root({
        "etc/ssh/sshd_config": DEBIAN_MAIN,
        "etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication no\n",
        "usr/sbin/sshd": "",
    })
    ssh, snap = ssh_of(root)
    assert ssh["present"] is True
    assert ssh["password_authentication"] == "no"
    assert ssh["source"]["password_authentication"] == "/etc/ssh/sshd_config.d/50-cloud-init.conf:1"
    assert ssh["kbd_interactive_authentication"] == "no"
    assert ssh["source"]["kbd_interactive_authentication"] == "/etc/ssh/sshd_config:8"
    assert ssh["use_pam"] == "yes"
    # commented-out lines are ignored: compiled-in defaults apply
    assert ssh["permit_root_login"] == "prohibit-password"
    assert ssh["source"]["permit_root_login"] == "default"
    assert ssh["port"] == 22 and ssh["source"]["port"] == "default"
    assert ssh["max_auth_tries"] == 6 and ssh["source"]["max_auth_tries"] == "default"
    assert ssh["files"] == ["/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/50-cloud-init.conf"]
    assert snap.unknown == {}


def test_dropins_are_read_in_lexical_order(make_root):
    root = make_root({
        "etc/ssh/sshd_config": "Include sshd_config.d/*.conf\nPermitRootLogin yes\n",
        "etc/ssh/sshd_config.d/20-b.conf": "PermitRootLogin no\n",
        "etc/ssh/sshd_config.d/10-a.conf": "PermitRootLogin prohibit-password\n",
        "etc/ssh/sshd_config.d/.hidden.conf": "PermitRootLogin forced-commands-only\n",
        "etc/ssh/sshd_config.d/30-c.conf.disabled": "PermitRootLogin no\n",
    })
    ssh, _ = ssh_of(root)
    # relative Include is under /etc/ssh; dot-files and non-matching names are skipped
    assert ssh["permit_root_login"] == "prohibit-password"
    assert ssh["source"]["permit_root_login"] == "/etc/ssh/sshd_config.d/10-a.conf:1"
    assert ssh["files"][1:] == ["/etc/ssh/sshd_config.d/10-a.conf", "/etc/ssh/sshd_config.d/20-b.conf"]


def test_keywords_case_insensitive_equals_tabs_quotes_and_comments(make_root):
    root = make_root({"etc/ssh/sshd_config": (
        "   # indented comment\n"
        "\n"
        "permitrootlogin\t\tNO   # trailing comment\n"
        "PASSWORDAUTHENTICATION=no\n"
        "PermitEmptyPasswords = \"no\"\n"
        "MaxAuthTries\t3\r\n"
        "ChallengeResponseAuthentication no\n"
        "KbdInteractiveAuthentication yes\n"
        "Port 2222\n"
        "Port 22\n"
        "FrobnicateEverything yes\n"
        "AuthenticationMethods publickey,password publickey,keyboard-interactive\n"
    )})
    ssh, _ = ssh_of(root)
    assert ssh["permit_root_login"] == "no"
    assert ssh["password_authentication"] == "no"
    assert ssh["permit_empty_passwords"] == "no"
    assert ssh["max_auth_tries"] == 3
    # ChallengeResponseAuthentication is an alias: the first of the two wins
    assert ssh["kbd_interactive_authentication"] == "no"
    assert ssh["source"]["kbd_interactive_authentication"] == "/etc/ssh/sshd_config:7"
    assert ssh["ports"] == [2222, 22] and ssh["port"] == 2222
    assert ssh["authentication_methods"] == ["publickey,password", "publickey,keyboard-interactive"]


def test_match_blocks_do_not_change_global_values_but_are_reported(make_root):
    root = make_root({"etc/ssh/sshd_config": (
        "PermitRootLogin no\n"
        "Match User backup\n"
        "    PermitRootLogin yes\n"
        "    PasswordAuthentication no\n"
        "Match Address 10.0.0.0/8,192.168.1.0/24\n"
        "\tPasswordAuthentication yes\n"
        "\tPasswordAuthentication no\n"
        "Match all\n"
        "PasswordAuthentication no\n"
        "Match Group sftponly\n"
        "ForceCommand internal-sftp\n"
    )})
    ssh, _ = ssh_of(root)
    assert ssh["permit_root_login"] == "no"
    # after "Match all" the setting applies to every connection
    assert ssh["password_authentication"] == "no"
    assert ssh["source"]["password_authentication"] == "/etc/ssh/sshd_config:9"
    blocks = ssh["match_blocks"]
    assert [b["criteria"] for b in blocks] == ["User backup", "Address 10.0.0.0/8,192.168.1.0/24",
                                               "Group sftponly"]
    assert blocks[0]["source"] == "/etc/ssh/sshd_config:2"
    assert blocks[0]["settings"] == {"permit_root_login": "yes", "password_authentication": "no"}
    assert blocks[0]["sources"]["permit_root_login"] == "/etc/ssh/sshd_config:3"
    # first value wins inside a block too
    assert blocks[1]["settings"] == {"password_authentication": "yes"}
    assert blocks[2]["settings"] == {}


def test_include_inside_match_belongs_to_the_block(make_root):
    root = make_root({
        "etc/ssh/sshd_config": (
            "Match Address 10.0.0.0/8\n"
            "  Include /etc/ssh/lan.d/*.conf\n"
            "  PermitRootLogin prohibit-password\n"
            "Match all\n"
            "PermitRootLogin no\n"
        ),
        "etc/ssh/lan.d/a.conf": "PasswordAuthentication yes\nMatch User alice\nPermitRootLogin yes\nMatch all\n"
                                "PermitRootLogin forced-commands-only\n",
    })
    ssh, _ = ssh_of(root)
    assert ssh["permit_root_login"] == "no"
    assert ssh["password_authentication"] == "yes" and ssh["source"]["password_authentication"] == "default"
    lan, nested = ssh["match_blocks"]
    assert lan["criteria"] == "Address 10.0.0.0/8"
    assert lan["settings"]["password_authentication"] == "yes"
    assert lan["sources"]["password_authentication"] == "/etc/ssh/lan.d/a.conf:1"
    # "Match all" inside the included file returns to the including block, and the block
    # continues after the Include line
    assert lan["settings"]["permit_root_login"] == "forced-commands-only"
    assert nested["criteria"] == "Address 10.0.0.0/8 User alice"
    assert nested["settings"] == {"permit_root_login": "yes"}


def test_match_in_included_file_ends_with_that_file(make_root):
    root = make_root({
        "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
        "etc/ssh/sshd_config.d/10-sftp.conf": "Match Group sftp\n  PermitRootLogin yes\n",
    })
    ssh, _ = ssh_of(root)
    assert ssh["permit_root_login"] == "no"
    assert ssh["source"]["permit_root_login"] == "/etc/ssh/sshd_config:2"
    assert ssh["match_blocks"][0]["settings"] == {"permit_root_login": "yes"}


def test_include_of_nonexistent_glob_and_file_is_skipped(make_root):
    root = make_root({"etc/ssh/sshd_config": (
        "Include /etc/ssh/sshd_config.d/*.conf\n"
        "Include /etc/ssh/missing.conf /nonexistent/*/x.conf\n"
        "PasswordAuthentication no\n"
    )})
    ssh, snap = ssh_of(root)
    assert ssh["password_authentication"] == "no"
    assert ssh["files"] == ["/etc/ssh/sshd_config"]
    assert snap.unknown == {}


def test_include_of_a_directory_reads_nothing_and_decides(make_root):
    root = make_root({
        "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d\nPermitRootLogin no\n",
        "etc/ssh/sshd_config.d/50-cloud.conf": "PermitRootLogin yes\n",  # not read: the Include names the dir
    })
    ssh, snap = ssh_of(root)
    assert ssh["permit_root_login"] == "no" and ssh["source"]["permit_root_login"] == "/etc/ssh/sshd_config:2"
    assert not any(k.startswith("remote_login") for k in snap.unknown)
    assert any("is a directory" in e for e in ssh["errors"])


def test_recursive_include_stops(make_root):
    root = make_root({"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\nPort 2200\n"})
    ssh, _ = ssh_of(root)
    assert ssh["port"] == 2200
    assert any("too many recursive includes" in e for e in ssh["errors"])


def test_missing_config_and_binary_means_not_present(make_root):
    root = make_root({"etc/hostname": "pc01\n"})
    ssh, snap = ssh_of(root)
    assert ssh["present"] is False
    assert "remote_login" not in snap.unknown


def test_binary_without_config_uses_defaults(make_root):
    root = make_root({"usr/sbin/sshd": ""})
    ssh, _ = ssh_of(root)
    assert ssh["present"] is True and ssh["binary"] == "/usr/sbin/sshd"
    assert ssh["permit_root_login"] == "prohibit-password"
    assert ssh["password_authentication"] == "yes"
    assert set(ssh["source"].values()) == {"default"}


def test_unreadable_main_config_is_unknown():
    t = ReplayTransport({"files": {"/usr/sbin/sshd": ""}, "stats": {"/etc/ssh/sshd_config": {"mode": 0o100600}},
                         "denied": ["/etc/ssh/sshd_config"]})
    from secaudit.config import AgentConfig
    from secaudit.facts import collect
    snap = collect(t, AgentConfig(), only={"remote_login"})
    assert snap.unknown["remote_login.ssh"]["code"] == "permission_denied"
    assert snap.table("remote_login")["ssh"]["present"] is True


def test_unreadable_dropin_makes_undecided_settings_unknown(make_root):
    root = make_root({
        "etc/ssh/sshd_config": "PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n"
                               "PasswordAuthentication no\n",
        "etc/ssh/sshd_config.d/10-secret.conf": ("PasswordAuthentication yes\n", 0o000),
    })
    if os.access(root / "etc/ssh/sshd_config.d/10-secret.conf", os.R_OK):
        pytest.skip("this user reads files whatever their mode (root); covered by the replay tests")
    _ssh, snap = ssh_of(root)
    assert "remote_login.ssh.permit_root_login" not in snap.unknown  # decided before the include
    assert snap.unknown["remote_login.ssh.password_authentication"]["code"] == "permission_denied"
    assert "10-secret.conf" in snap.unknown["remote_login.ssh.password_authentication"]["detail"]


def test_unreadable_dropin_via_replay():
    t = ReplayTransport({"files": {
        "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
        "/etc/ssh/sshd_config.d/10-x.conf": "PermitRootLogin yes\n"},
        "denied": ["/etc/ssh/sshd_config.d/10-x.conf"]})
    cfg = parse_sshd_config(t)
    assert [u.path for u in cfg.unreadable] == ["/etc/ssh/sshd_config.d/10-x.conf"]
    assert cfg.unreadable[0].included_from == "/etc/ssh/sshd_config:1"
    assert cfg.unreadable[0].position == 0


def test_split_line_like_sshd():
    assert split_line("  Port 22") == ("port", ["22"])
    assert split_line("Port=22") == ("port", ["22"])
    assert split_line("Port = 22") == ("port", ["22"])
    assert split_line("Banner \"/etc/issue net\"") == ("banner", ["/etc/issue net"])
    assert split_line("AllowUsers 'a b' c#d # comment") == ("allowusers", ["a b", "c#d"])
    assert split_line("# PermitRootLogin yes") is None
    assert split_line("   ") is None
    with pytest.raises(ValueError, match="missing argument"):
        split_line("PermitRootLogin")
    with pytest.raises(ValueError, match="invalid quotes"):
        split_line('PermitRootLogin "yes')
    assert argv_split(r"a\ b c\"d") == ["a b", 'c"d']


def test_bad_lines_are_reported_not_applied(make_root):
    root = make_root({"etc/ssh/sshd_config": 'PermitRootLogin "yes\nPermitRootLogin\nPermitRootLogin no\n'})
    ssh, _ = ssh_of(root)
    assert ssh["permit_root_login"] == "no"
    assert ssh["errors"] == ["/etc/ssh/sshd_config:1: invalid quotes", "/etc/ssh/sshd_config:2: missing argument"]


def test_glob_in_directory_component(make_root):
    root = make_root({"etc/ssh/a.d/x.conf": "", "etc/ssh/b.d/y.conf": "", "etc/ssh/b.d/z.txt": ""})
    t = RootTransport(str(root))
    assert expand_glob(t, "/etc/ssh/*.d/*.conf") == ["/etc/ssh/a.d/x.conf", "/etc/ssh/b.d/y.conf"]
    assert expand_glob(t, "/etc/ssh/[ab].d/?.conf") == ["/etc/ssh/a.d/x.conf", "/etc/ssh/b.d/y.conf"]


def test_unreadable_dropin_unknown_fields_via_collector():
    from secaudit.config import AgentConfig
    from secaudit.facts import collect
    t = ReplayTransport({"files": {
        "/etc/ssh/sshd_config": "PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n"
                                "PasswordAuthentication no\nMatch User x\nInclude /etc/ssh/x.d/*\n",
        "/etc/ssh/sshd_config.d/10-x.conf": "PasswordAuthentication yes\n",
        "/etc/ssh/x.d/a": "PermitRootLogin yes\n"},
        "denied": ["/etc/ssh/sshd_config.d/10-x.conf", "/etc/ssh/x.d/a"]})
    snap = collect(t, AgentConfig(), only={"remote_login"})
    assert "remote_login.ssh.permit_root_login" not in snap.unknown
    assert snap.unknown["remote_login.ssh.password_authentication"]["code"] == "permission_denied"
    ssh = snap.table("remote_login")["ssh"]
    # the unreadable file inside the Match block only leaves that block incomplete
    assert any("/etc/ssh/x.d/a" in e for e in ssh["errors"])


# --- cross-check against the real sshd -T ---------------------------------------------------------

CROSS_CASES = [
    # (files relative to the case dir, {connection spec for -C: criteria of the blocks it matches})
    ({"main": "Include {d}/d/*.conf\nPermitRootLogin yes\nPasswordAuthentication yes # trailing\n"
              "Match User backup\n   PermitRootLogin forced-commands-only\n   Include {d}/inner.conf\n"
              "Match all\nMaxAuthTries 3\n",
      "d/10.conf": "PasswordAuthentication=no\n",
      "d/20.conf": "PermitRootLogin no\n",
      "inner.conf": "PasswordAuthentication yes\nMatch Address 10.0.0.0/8\nPermitEmptyPasswords yes\n"},
     {"user=backup,host=h,addr=192.168.1.1": ["User backup"],
      "user=backup,host=h,addr=10.1.2.3": ["User backup", "User backup Address 10.0.0.0/8"],
      "user=alice,host=h,addr=10.1.2.3": []}),
    ({"main": "\tCHALLENGERESPONSEAUTHENTICATION no\nKbdInteractiveAuthentication yes\n"
              "usepam \"yes\"\n  PermitRootLogin = prohibit-password\n"
              "AuthenticationMethods publickey,password publickey\n"
              "Port 2222\nPort 22\nMatch Group staff Address 192.168.0.0/16\n\tPasswordAuthentication no\n"
              "\tPermitRootLogin no\n"},
     {"user=root,host=h,addr=192.168.5.5": []}),
    # session limits (issue 14): sshd's time syntax, the first value winning over a later one, Match blocks
    ({"main": "Include {d}/d/*.conf\nClientAliveInterval 10m\nClientAliveCountMax 2\nLoginGraceTime 1m30s\n"
              "MaxAuthTries 5\nMatch User lab\n  ClientAliveInterval 0\n  MaxAuthTries 2\n",
      "d/00-secaudit.conf": "ClientAliveInterval 4m\n"},
     {"user=lab,host=h,addr=10.0.0.1": ["User lab"], "user=gv,host=h,addr=10.0.0.1": []}),
    # Include of a directory (no *.conf): sshd reads it as an empty file, the drop-ins inside are not read
    ({"main": "Include {d}/d\nPermitRootLogin no\n", "d/50-cloud.conf": "PermitRootLogin yes\n"},
     {"user=root,host=h,addr=10.0.0.1": []}),
]


def _sshd_t(sshd: str, main: Path, key: Path, spec: str | None) -> dict[str, str]:
    argv = [sshd, "-T", "-f", str(main), "-h", str(key)] + (["-C", spec] if spec else [])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    values: dict[str, str] = {}
    for line in out.stdout.splitlines():
        k, _, v = line.partition(" ")
        values.setdefault(k, v)
    return values


def _norm(value: object) -> str:
    text = " ".join(value) if isinstance(value, list) else str(value)
    return "prohibit-password" if text == "without-password" else text


@pytest.mark.parametrize("files,connections", CROSS_CASES)
def test_parser_agrees_with_real_sshd(tmp_path, files, connections):
    sshd = need_tool("sshd")
    try:
        os.makedirs("/run/sshd", exist_ok=True)  # sshd -T insists on its privilege separation dir
    except PermissionError:
        pytest.skip("/run/sshd is missing and cannot be created by this user")
    key = tmp_path / "hostkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=20)
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text.replace("{d}", str(tmp_path)))
    from secaudit.facts.linux.remote_login import ssh_facts
    from secaudit.transport.local import LocalTransport
    facts = ssh_facts(parse_sshd_config(LocalTransport(), str(tmp_path / "main")))
    fields = {"permitrootlogin": "permit_root_login", "passwordauthentication": "password_authentication",
              "permitemptypasswords": "permit_empty_passwords", "usepam": "use_pam",
              "kbdinteractiveauthentication": "kbd_interactive_authentication",
              "maxauthtries": "max_auth_tries", "authenticationmethods": "authentication_methods",
              "clientaliveinterval": "client_alive_interval", "clientalivecountmax": "client_alive_count_max",
              "logingracetime": "login_grace_time"}
    real = _sshd_t(sshd, tmp_path / "main", key, None)
    for keyword, name in fields.items():
        assert _norm(facts[name]) == _norm(real[keyword]), keyword
    assert [int(p) for p in [v for k, v in _all_ports(sshd, tmp_path / "main", key)]] == facts["ports"]
    for spec, matched in connections.items():
        real = _sshd_t(sshd, tmp_path / "main", key, spec)
        expected = {n: facts[n] for n in fields.values()}
        overlay: dict[str, object] = {}
        for block in facts["match_blocks"]:
            if block["criteria"] in matched:  # matching blocks in file order, first value wins
                overlay = {**block["settings"], **overlay}
        expected.update(overlay)
        for keyword, name in fields.items():
            assert _norm(expected[name]) == _norm(real[keyword]), (spec, keyword)


def _all_ports(sshd: str, main: Path, key: Path) -> list[tuple[str, str]]:
    out = subprocess.run([sshd, "-T", "-f", str(main), "-h", str(key)], capture_output=True, text=True,
                         timeout=20).stdout
    return [(k, v) for k, _, v in (line.partition(" ") for line in out.splitlines()) if k == "port"]


def test_this_machines_sshd_config_agrees_with_sshd(tmp_path):
    """The installed OpenSSH server's own configuration, parsed and compared with `sshd -T`."""
    sshd = need_tool("sshd")
    if not os.access("/etc/ssh/sshd_config", os.R_OK):
        pytest.skip("/etc/ssh/sshd_config is missing or unreadable here")
    try:
        os.makedirs("/run/sshd", exist_ok=True)
    except PermissionError:
        pytest.skip("/run/sshd is missing and cannot be created by this user")
    key = tmp_path / "hostkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=20)
    from secaudit.transport.local import LocalTransport
    snap = collect(LocalTransport(), AgentConfig(), only={"remote_login"})
    if any(k.startswith("remote_login") for k in snap.unknown):
        pytest.skip(f"part of the configuration is unreadable: {snap.unknown}")
    ssh = snap.table("remote_login")["ssh"]
    real = _sshd_t(sshd, Path("/etc/ssh/sshd_config"), key, None)
    for keyword, name in (("permitrootlogin", "permit_root_login"), ("passwordauthentication",
                          "password_authentication"), ("permitemptypasswords", "permit_empty_passwords"),
                          ("kbdinteractiveauthentication", "kbd_interactive_authentication"),
                          ("usepam", "use_pam"), ("maxauthtries", "max_auth_tries"),
                          ("clientaliveinterval", "client_alive_interval"),
                          ("clientalivecountmax", "client_alive_count_max"), ("logingracetime", "login_grace_time")):
        assert _norm(ssh[name]) == _norm(real[keyword]), keyword
