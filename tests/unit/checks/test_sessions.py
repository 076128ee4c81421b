"""Remote-session checks: SSH idle timeout, tries, login grace time and algorithms against fixture roots (sshd_config
with drop-ins and Match blocks); Remote Desktop limits from hand-built snapshots and the Windows recordings."""

from __future__ import annotations

import pytest

from secaudit.checks.sessions import algorithms, channel_session_timeout
from secaudit.facts.linux.remote_login import convtime
from tests.conftest import facts_of, run_check, snapshot

DEBIAN_MAIN = "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n"
HARDENED = "ClientAliveInterval 5m\nClientAliveCountMax 1\nMaxAuthTries 3\nLoginGraceTime 1m\n"


def _snap(make_root, main: str, **dropins: str):
    files = {"etc/ssh/sshd_config": main, "usr/sbin/sshd": ""}
    files.update({f"etc/ssh/sshd_config.d/{k}.conf": v for k, v in dropins.items()})
    return facts_of(make_root(files), only={"remote_login"})


@pytest.mark.parametrize("text, seconds", [("90", 90), ("5m", 300), ("1h30m", 5400), ("1M", 60), ("2w", 1209600),
                                           ("0", 0), ("5x", None), ("", None), ("m", None)])
def test_convtime_reads_sshd_time_syntax(text, seconds):
    assert convtime(text) == seconds


def test_stock_debian_fails_idle_and_warns_tries_and_grace(make_root):
    res = run_check("ssh.session_limits", _snap(make_root, DEBIAN_MAIN))
    assert res.status == "fail"
    text = res.message["en"]
    assert "never close when idle" in text and "ClientAliveInterval 0 (default)" in text
    items = res.evidence["items"]
    assert [i.get("MaxAuthTries") for i in items if "MaxAuthTries" in i] == [6]
    assert [i.get("LoginGraceTime") for i in items if "LoginGraceTime" in i] == [120]


def test_hardened_dropin_passes_and_wins_over_later_lines(make_root):
    snap = _snap(make_root, DEBIAN_MAIN + "ClientAliveInterval 0\nMaxAuthTries 10\n", **{"00-secaudit": HARDENED})
    res = run_check("ssh.session_limits", snap)
    assert res.status == "pass", res.message
    assert "300 s" in res.message["en"] and "/etc/ssh/sshd_config.d/00-secaudit.conf:1" in res.message["en"]


def test_idle_product_over_limit_warns(make_root):
    snap = _snap(make_root, "ClientAliveInterval 300\nClientAliveCountMax 3\nMaxAuthTries 3\nLoginGraceTime 30\n")
    res = run_check("ssh.session_limits", snap)
    assert res.status == "warn" and "900 s" in res.message["en"]
    assert run_check("ssh.session_limits", snap, params={"max_idle_seconds": 900}).status == "pass"


def test_count_max_zero_disables_the_timeout(make_root):
    snap = _snap(make_root, "ClientAliveInterval 60\nClientAliveCountMax 0\nMaxAuthTries 3\nLoginGraceTime 30\n")
    assert run_check("ssh.session_limits", snap).status == "fail"


def test_channel_timeout_session_counts_as_idle_limit(make_root):
    snap = _snap(make_root, "ChannelTimeout agent-connection=1h session=4m\nMaxAuthTries 3\nLoginGraceTime 30\n")
    res = run_check("ssh.session_limits", snap)
    assert res.status == "pass" and "240 s" in res.message["en"]
    assert channel_session_timeout(["*=10m"]) == 600 and channel_session_timeout(["none"]) is None
    assert channel_session_timeout(["session=0"]) is None


def test_match_block_loosening_idle_is_reported(make_root):
    main = HARDENED + "Match User backup\n  ClientAliveInterval 0\n"
    res = run_check("ssh.session_limits", _snap(make_root, main))
    assert res.status == "fail"
    assert 'Match User backup' in res.message["en"] and "/etc/ssh/sshd_config:5" in res.message["en"]


def test_many_tries_fail_and_bad_values_are_unknown(make_root):
    res = run_check("ssh.session_limits", _snap(make_root, HARDENED.replace("MaxAuthTries 3", "MaxAuthTries 20")))
    assert res.status == "fail" and "20 tries" in res.message["en"]
    res = run_check("ssh.session_limits", _snap(make_root, HARDENED.replace("1m", "soon")))
    assert res.status == "unknown"


def test_unreadable_dropin_is_unknown_not_default():
    ssh = {"present": True, "client_alive_interval": 300, "client_alive_count_max": 1, "max_auth_tries": 3,
           "login_grace_time": 30, "channel_timeout": ["none"], "source": {}, "match_blocks": []}
    snap = snapshot({"remote_login": {"ssh": ssh, "rdp": None}}, unknown={
        "remote_login.ssh.client_alive_interval": {"code": "permission_denied",
                                                   "detail": "/etc/ssh/sshd_config.d/10-x.conf"}})
    res = run_check("ssh.session_limits", snap)
    assert res.status == "unknown" and "10-x.conf" in res.message["en"]


def test_no_sshd_is_not_applicable(make_root):
    snap = facts_of(make_root({"etc/hostname": "pc\n"}), only={"remote_login"})
    assert run_check("ssh.session_limits", snap).status == "not_applicable"
    assert run_check("ssh.crypto", snap).status == "not_applicable"


# --- ssh.crypto -----------------------------------------------------------------------------------------

def test_default_algorithms_pass(make_root):
    res = run_check("ssh.crypto", _snap(make_root, DEBIAN_MAIN))
    assert res.status == "pass" and "default list" in res.message["en"]


def test_appended_cbc_cipher_in_dropin_fails(make_root):
    snap = _snap(make_root, DEBIAN_MAIN + "Ciphers aes256-ctr\n", **{"50-legacy": "Ciphers +aes128-cbc,3des-cbc\n"})
    res = run_check("ssh.crypto", snap)
    assert res.status == "fail"
    assert "aes128-cbc, 3des-cbc" in res.message["en"] and "50-legacy.conf:1" in res.message["en"]


def test_replacing_lists_and_wildcards():
    assert algorithms("ciphers", "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com") == ([], [])
    assert algorithms("ciphers", "-*-cbc") == ([], [])
    assert algorithms("macs", "^hmac-md5") == (["hmac-md5"], [])
    assert algorithms("ciphers", "aes*")[0] == ["aes128-cbc", "aes192-cbc", "aes256-cbc"]
    assert algorithms("kex_algorithms", "+diffie-hellman-group14-sha1") == (["diffie-hellman-group14-sha1"], [])
    assert algorithms("kex_algorithms", "curve25519-sha256,frobnicate") == ([], ["frobnicate"])


def test_unrecognised_algorithm_is_unknown(make_root):
    res = run_check("ssh.crypto", _snap(make_root, "MACs hmac-sha2-512,hmac-whirlpool\n"))
    assert res.status == "unknown" and "hmac-whirlpool" in res.message["en"]


# --- windows.rdp_session ----------------------------------------------------------------------------------

def _rdp(**kw):
    rdp = {"enabled": True, "nla": True, "port": 3389, "security_layer": "tls", "source": "RDP-Tcp",
           "policy_security_layer": None, "min_encryption_level": None, "max_idle_seconds": None,
           "max_disconnected_seconds": None, "policy_source": "Terminal Services (absent)"}
    rdp.update(kw)
    return snapshot({"remote_login": {"ssh": None, "rdp": rdp}})


def test_rdp_without_policy_fails_idle_and_warns_disconnected():
    res = run_check("windows.rdp_session", _rdp())
    assert res.status == "fail" and "MaxIdleTime not set" in res.message["en"]
    items = res.evidence["items"]
    assert items[1]["max_disconnected_seconds"] is None and items[2]["security_layer"] == "tls"


def test_rdp_with_limits_and_tls_passes():
    res = run_check("windows.rdp_session", _rdp(max_idle_seconds=300, max_disconnected_seconds=3600,
                                                  policy_security_layer="tls", min_encryption_level=3))
    assert res.status == "pass", res.message


def test_rdp_security_layer_and_low_encryption():
    ok = {"max_idle_seconds": 300, "max_disconnected_seconds": 3600}
    assert run_check("windows.rdp_session", _rdp(security_layer="rdp", **ok)).status == "fail"
    assert run_check("windows.rdp_session", _rdp(min_encryption_level=1, **ok)).status == "fail"
    assert run_check("windows.rdp_session", _rdp(security_layer="negotiate", **ok)).status == "warn"
    # the policy's layer wins over RDP-Tcp's
    assert run_check("windows.rdp_session", _rdp(security_layer="rdp", policy_security_layer="tls",
                                                 **ok)).status == "pass"
    assert run_check("windows.rdp_session", _rdp(max_idle_seconds=3600, max_disconnected_seconds=60)).status \
        == "warn"


def test_rdp_off_not_applicable_and_failed_policy_probe_unknown():
    assert run_check("windows.rdp_session", _rdp(enabled=False)).status == "not_applicable"
    snap = _rdp(policy_source=None)
    snap.unknown["remote_login.rdp.policy_source"] = {"code": "command_failed",
                                                      "detail": "probe rdp_policy: Access denied"}
    res = run_check("windows.rdp_session", snap)
    assert res.status == "unknown" and "Access denied" in res.message["en"]
