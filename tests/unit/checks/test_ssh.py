"""SSH checks against fixture roots and hand-built snapshots."""

from __future__ import annotations

from tests.conftest import facts_of, run_check, snapshot

DEBIAN_MAIN = """\
Include /etc/ssh/sshd_config.d/*.conf
#PermitRootLogin prohibit-password
KbdInteractiveAuthentication no
UsePAM yes
PasswordAuthentication yes
"""


def _snap(make_root, main: str, **extra: str):
    files = {"etc/ssh/sshd_config": main, "usr/sbin/sshd": ""}
    files.update({f"etc/ssh/sshd_config.d/{k.replace('_', '-')}.conf": v for k, v in extra.items()})
    return facts_of(make_root(files), only={"remote_login"})


# --- ssh.permit_root_login ----------------------------------------------------------------------

def test_root_login_no_passes(make_root):
    res = run_check("ssh.permit_root_login", _snap(make_root, "PermitRootLogin no\n"))
    assert res.status == "pass"
    assert "/etc/ssh/sshd_config:1" in res.message["vi"]
    assert res.evidence["source"] == "/etc/ssh/sshd_config:1"


def test_root_login_default_is_key_only_warning(make_root):
    res = run_check("ssh.permit_root_login", _snap(make_root, DEBIAN_MAIN))
    assert res.status == "warn"
    assert res.evidence["value"] == "prohibit-password" and res.evidence["source"] == "default"
    assert "default" in res.message["en"]


def test_root_login_yes_fails_naming_the_dropin(make_root):
    snap = _snap(make_root, DEBIAN_MAIN + "PermitRootLogin no\n", **{"00_root": "PermitRootLogin yes\n"})
    res = run_check("ssh.permit_root_login", snap)
    assert res.status == "fail"
    assert res.evidence["source"] == "/etc/ssh/sshd_config.d/00-root.conf:1"
    assert "mật khẩu" in res.message["vi"]


def test_root_login_yes_with_passwords_off_still_fails(make_root):
    main = "PermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
    res = run_check("ssh.permit_root_login", _snap(make_root, main))
    assert res.status == "fail"
    assert "only with keys" in res.message["en"]


def test_match_block_reenabling_root_login_fails_with_match_line(make_root):
    snap = _snap(make_root, "PermitRootLogin no\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n")
    res = run_check("ssh.permit_root_login", snap)
    assert res.status == "fail"
    assert "Match Address 10.0.0.0/8" in res.message["en"]
    assert "/etc/ssh/sshd_config:2" in res.message["vi"]
    items = res.evidence["items"]
    assert items[0]["value"] == "no"
    assert items[1]["match_source"] == "/etc/ssh/sshd_config:2" and items[1]["source"] == "/etc/ssh/sshd_config:3"


def test_match_block_key_only_root_warns(make_root):
    snap = _snap(make_root, "PermitRootLogin no\nMatch Address 10.0.0.0/8\n  PermitRootLogin forced-commands-only\n")
    res = run_check("ssh.permit_root_login", snap)
    assert res.status == "warn"
    assert "Match Address 10.0.0.0/8" in res.message["en"]


def test_match_block_whose_users_exclude_root_cannot_let_root_in(make_root):
    # sshd -T -C user=root: "Match User backup,ad*" and "Match User *,!root" never apply to root
    main = ("PermitRootLogin no\nMatch User backup,ad*\n  PermitRootLogin yes\nMatch User *,!root\n"
            "  PermitRootLogin yes\nMatch Address 10.0.0.0/8 User *,!alice\n  PermitRootLogin prohibit-password\n")
    res = run_check("ssh.permit_root_login", _snap(make_root, main))
    assert res.status == "warn", res.message["en"]
    assert "Match Address 10.0.0.0/8 User *,!alice" in res.message["en"]
    res = run_check("ssh.permit_root_login", _snap(make_root, "PermitRootLogin no\nMatch User r?ot,!alice\n"
                                                              "  PermitRootLogin yes\n"))
    assert res.status == "fail" and "Match User r?ot,!alice" in res.message["en"]


def test_a_block_after_match_user_root_never_decides_for_root(make_root):
    # sshd -T -C user=root,addr=10.1.1.1: "no" (the first matching block wins)
    main = ("PermitRootLogin no\nMatch User root\n  PermitRootLogin no\nMatch Address 10.0.0.0/8\n"
            "  PermitRootLogin yes\n")
    res = run_check("ssh.permit_root_login", _snap(make_root, main))
    assert res.status == "pass", res.message["en"]
    main = ("PermitRootLogin no\nMatch User root Address 192.168.0.0/16\n  PermitRootLogin no\n"
            "Match Address 10.0.0.0/8\n  PermitRootLogin yes\n")  # the first block misses root from 10/8
    res = run_check("ssh.permit_root_login", _snap(make_root, main))
    assert res.status == "fail" and "Match Address 10.0.0.0/8" in res.message["en"]


def test_stricter_match_block_is_not_reported(make_root):
    snap = _snap(make_root, "PermitRootLogin no\nMatch User x\n  PermitRootLogin no\n")
    res = run_check("ssh.permit_root_login", snap)
    assert res.status == "pass" and "items" not in res.evidence


def test_no_sshd_is_not_applicable(make_root):
    snap = facts_of(make_root({"etc/hostname": "pc\n"}), only={"remote_login"})
    for cid in ("ssh.permit_root_login", "ssh.password_authentication", "ssh.permit_empty_passwords"):
        res = run_check(cid, snap)
        assert res.status == "not_applicable", cid
        assert "OpenSSH" in res.message["vi"]


def test_unreadable_config_is_unknown():
    snap = snapshot({"remote_login": {"ssh": {"present": True, "source": {}, "match_blocks": []}, "rdp": None}},
                    unknown={"remote_login.ssh": {"code": "permission_denied", "detail": "/etc/ssh/sshd_config"}})
    res = run_check("ssh.permit_root_login", snap)
    assert res.status == "unknown"
    assert "/etc/ssh/sshd_config" in res.message["vi"]


def test_unreadable_dropin_makes_check_unknown():
    ssh = {"present": True, "permit_root_login": "no", "password_authentication": "yes",
           "source": {"permit_root_login": "/etc/ssh/sshd_config:1"}, "match_blocks": []}
    snap = snapshot({"remote_login": {"ssh": ssh, "rdp": None}}, unknown={
        "remote_login.ssh.password_authentication": {"code": "permission_denied",
                                                     "detail": "/etc/ssh/sshd_config.d/10-x.conf"}})
    assert run_check("ssh.permit_root_login", snap).status == "pass"
    res = run_check("ssh.password_authentication", snap)
    assert res.status == "unknown"
    assert "10-x.conf" in res.message["en"]


# --- ssh.password_authentication ----------------------------------------------------------------

def test_password_auth_dropin_no_passes_despite_later_yes(make_root):
    snap = _snap(make_root, DEBIAN_MAIN, **{"50_cloud_init": "PasswordAuthentication no\n"})
    res = run_check("ssh.password_authentication", snap, role="server")
    assert res.status == "pass", res.message
    assert "50-cloud-init.conf:1" in res.message["en"]


def test_password_auth_yes_fails_on_server_warns_on_workstation(make_root):
    snap = _snap(make_root, DEBIAN_MAIN)
    res = run_check("ssh.password_authentication", snap, role="server")
    assert res.status == "fail"
    assert "/etc/ssh/sshd_config:5" in res.message["vi"]
    assert run_check("ssh.password_authentication", snap, role="workstation").status == "warn"
    assert run_check("ssh.password_authentication", snap, role="lab").status == "warn"
    assert run_check("ssh.password_authentication", snap, role="workstation",
                     params={"fail_roles": ["server", "workstation"]}).status == "fail"


def test_keyboard_interactive_with_pam_still_takes_passwords(make_root):
    snap = _snap(make_root, "PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes\n")
    res = run_check("ssh.password_authentication", snap, role="server")
    assert res.status == "fail"
    assert "keyboard-interactive" in res.message["en"]
    # without PAM there is nothing behind keyboard-interactive on Linux
    snap = _snap(make_root, "PasswordAuthentication no\nKbdInteractiveAuthentication yes\n")
    assert run_check("ssh.password_authentication", snap, role="server").status == "pass"


def test_authentication_methods_requiring_key_passes(make_root):
    snap = _snap(make_root, "AuthenticationMethods publickey,password\nPasswordAuthentication yes\n")
    res = run_check("ssh.password_authentication", snap, role="server")
    assert res.status == "pass"
    assert "AuthenticationMethods" in res.message["en"]


def test_match_address_enabling_passwords_warns(make_root):
    snap = _snap(make_root, "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                            "Match Address 192.168.10.0/24\n    PasswordAuthentication yes\n")
    res = run_check("ssh.password_authentication", snap, role="server")
    assert res.status == "warn"
    assert "Match Address 192.168.10.0/24" in res.message["vi"]
    assert res.evidence["items"][1]["match_source"] == "/etc/ssh/sshd_config:3"


# --- ssh.permit_empty_passwords -----------------------------------------------------------------

def test_empty_passwords_default_passes(make_root):
    res = run_check("ssh.permit_empty_passwords", _snap(make_root, DEBIAN_MAIN))
    assert res.status == "pass"
    assert "default" in res.message["en"]


def test_empty_passwords_yes_fails(make_root):
    res = run_check("ssh.permit_empty_passwords", _snap(make_root, "permitemptypasswords YES\n"))
    assert res.status == "fail"
    assert res.evidence["source"] == "/etc/ssh/sshd_config:1"


def test_empty_passwords_in_match_block_fails(make_root):
    snap = _snap(make_root, "Match User guest\n PermitEmptyPasswords yes\n")
    res = run_check("ssh.permit_empty_passwords", snap)
    assert res.status == "fail"
    assert "Match User guest" in res.message["en"]


def test_every_outcome_has_its_own_message(make_root):
    from secaudit.i18n import STATUS
    bare = {w for s in STATUS.values() for w in s.values()}
    configs = [
        DEBIAN_MAIN, "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
        "PermitRootLogin yes\n", "PermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n",
        "PermitRootLogin maybe\nPermitEmptyPasswords yes\n", "UsePAM yes\nPasswordAuthentication no\n",
        "AuthenticationMethods publickey,password\n",
        "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nMatch User a\n"
        " PermitRootLogin yes\n PasswordAuthentication yes\n PermitEmptyPasswords yes\nMatch User b\n"
        " PermitRootLogin prohibit-password\nMatch User c\n PermitRootLogin bogus\n",
        "PermitRootLogin no\nPasswordAuthentication no\nMatch Group g\n PermitRootLogin yes\n",
    ]
    for main in configs:
        snap = _snap(make_root, main)
        for cid in ("ssh.permit_root_login", "ssh.password_authentication", "ssh.permit_empty_passwords"):
            for role in ("server", "workstation"):
                res = run_check(cid, snap, role=role)
                assert res.status != "error", (cid, res.message)
                assert res.message["vi"] not in bare and res.message["en"] not in bare, (cid, main, res.status)
                assert "{" not in res.message["vi"] and "{" not in res.message["en"], res.message
