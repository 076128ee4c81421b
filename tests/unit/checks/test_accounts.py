"""Each accounts.* check against fixture roots: a passing and a failing system, plus edge cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts.linux.logins import LASTLOG_RECORD, pack_lastlog
from secaudit.facts.linux.utmp import USER_PROCESS, pack_record
from tests.conftest import facts_of, run_check, snapshot
from tests.unit.accounts_fixtures import (
    ACCOUNT_COLLECTORS,
    COMMON_AUTH,
    GROUP,
    HASH,
    PASSWD,
    days_ago,
    replay,
    shadow,
    system,
    today,
)

GOOD_AUTH = ("auth requisite pam_faillock.so preauth\n"
             "auth [success=1 default=ignore] pam_unix.so\n"
             "auth [default=die] pam_faillock.so authfail\n"
             "auth sufficient pam_faillock.so authsucc\n"
             "auth requisite pam_deny.so\n"
             "auth required pam_permit.so\n")
GOOD_PASSWORD = ("password requisite pam_pwquality.so retry=3\n"
                 "password required pam_pwhistory.so remember=5 use_authtok\n"
                 "password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n"
                 "password requisite pam_deny.so\npassword required pam_permit.so\n")


def snap_of(make_root: Any, overrides: dict[str, Any] | None = None, config: AgentConfig | None = None) -> Any:
    return facts_of(make_root(system(overrides)), config=config, only=ACCOUNT_COLLECTORS)


def logged_in(days: dict[int, int]) -> bytes:
    """A lastlog file with uid -> days since last login."""
    data = bytearray((max(days) + 1) * LASTLOG_RECORD)
    for uid, d in days.items():
        data[uid * LASTLOG_RECORD:(uid + 1) * LASTLOG_RECORD] = pack_lastlog(days_ago(d), "pts/0", "")
    return bytes(data)


# --- uid0_duplicates ---------------------------------------------------------------------------------


def test_uid0_only_root_passes(make_root) -> None:
    assert run_check("accounts.uid0_duplicates", snap_of(make_root)).status == "pass"


def test_uid0_duplicate_fails_with_source(make_root) -> None:
    passwd = PASSWD + "toor:x:0:0::/root:/bin/sh\n"
    res = run_check("accounts.uid0_duplicates", snap_of(make_root, {"etc/passwd": passwd}))
    assert res.status == "fail"
    assert res.evidence["accounts"] == [{"name": "toor", "uid": 0, "source": "/etc/passwd:7"}]
    assert "toor (/etc/passwd:7)" in res.message["vi"] and "toor" in res.message["en"]


# --- admin_members / admin_count -------------------------------------------------------------------


def test_admins_undeclared_warn_lists_them(make_root) -> None:
    res = run_check("accounts.admin_members", snap_of(make_root))
    assert res.status == "warn"
    assert "alice (group:sudo, /etc/sudoers:3)" in res.message["vi"]
    assert "approved_admins" in res.message["en"]
    assert [a["name"] for a in res.evidence["admins"]] == ["alice"]  # root is excluded


def test_admins_all_approved_pass(make_root) -> None:
    cfg = AgentConfig(approved_admins=["alice"])
    assert run_check("accounts.admin_members", snap_of(make_root), config=cfg).status == "pass"
    # also settable as a check parameter
    res = run_check("accounts.admin_members", snap_of(make_root), params={"approved_admins": ["alice"]})
    assert res.status == "pass"


def test_unapproved_admin_via_sudoers_d_fails(make_root) -> None:
    files = {"etc/sudoers.d/90-bob": "bob ALL=(ALL) ALL\n",
             "etc/sudoers.d/91-netgroup": "+itstaff ALL=(root) /bin/bash\n"}
    res = run_check("accounts.admin_members", snap_of(make_root, files), config=AgentConfig(approved_admins=["alice"]))
    assert res.status == "fail"
    assert res.evidence["unapproved"] == ["bob", "+itstaff"]
    assert "/etc/sudoers.d/90-bob:1" in res.message["vi"]


def test_no_admins_besides_root_passes(make_root) -> None:
    group = GROUP.replace("sudo:x:27:alice", "sudo:x:27:")
    assert run_check("accounts.admin_members", snap_of(make_root, {"etc/group": group})).status == "pass"


def test_unreadable_sudoers_still_fails_on_group_admins_else_unknown() -> None:
    snap = replay(system(), denied=["/etc/sudoers"])
    res = run_check("accounts.admin_members", snap, config=AgentConfig(approved_admins=["bob"]))
    assert res.status == "fail" and res.evidence["sudoers_unreadable"] == "/etc/sudoers"
    assert "/etc/sudoers" in res.message["vi"]
    res = run_check("accounts.admin_members", snap, config=AgentConfig(approved_admins=["alice"]))
    assert res.status == "unknown"
    assert run_check("accounts.admin_count", snap).status == "unknown"


def test_admin_count(make_root) -> None:
    assert run_check("accounts.admin_count", snap_of(make_root)).status == "pass"
    passwd = PASSWD + "".join(f"gv{i}:x:{1010 + i}:{1010 + i}::/home/gv{i}:/bin/bash\n" for i in range(4))
    group = GROUP.replace("sudo:x:27:alice", "sudo:x:27:alice,gv0,gv1") + "wheel:x:10:gv2\n"
    snap = snap_of(make_root, {"etc/passwd": passwd, "etc/group": group})
    res = run_check("accounts.admin_count", snap)
    assert res.status == "warn" and res.evidence["max_admins"] == 3
    assert "4" in res.message["vi"]
    assert run_check("accounts.admin_count", snap, params={"max_admins": 5}).status == "pass"


def test_admin_count_counts_extra_uid0_accounts(make_root) -> None:
    # toor has uid 0, in the system range: still an administrator, counted.
    passwd = PASSWD + "toor:x:0:0::/root:/bin/sh\n" + "".join(
        f"gv{i}:x:{1010 + i}:{1010 + i}::/home/gv{i}:/bin/bash\n" for i in range(2))
    group = GROUP.replace("sudo:x:27:alice", "sudo:x:27:alice,gv0,gv1")
    res = run_check("accounts.admin_count", snap_of(make_root, {"etc/passwd": passwd, "etc/group": group}))
    assert res.status == "warn" and "toor" in res.message["vi"] and "4" in res.message["en"]
    assert any(a["name"] == "toor" and a["uid"] == 0 for a in res.evidence["admins"])


def test_docker_lxd_and_disk_members_hold_admin_rights(make_root) -> None:
    # a member of docker runs a container with / mounted; lxd the same; disk reads and writes the raw devices
    group = GROUP + "docker:x:998:bob\nlxd:x:997:\ndisk:x:6:\n"
    snap = snap_of(make_root, {"etc/group": group})
    res = run_check("accounts.admin_members", snap)
    assert any(a["name"] == "bob" and "group:docker" in a["via"] for a in res.evidence["admins"]), res.evidence
    assert "bob (group:docker)" in res.message["en"]
    bob = next(u for u in snap.table("users") if u["name"] == "bob")
    assert bob["admin"] and "group:docker" in bob["admin_via"]


def test_admin_group_password_and_gshadow_administrators(make_root) -> None:
    gshadow = ("root:*::\nsudo:" + HASH + "::alice\nadm:*:bob:\nalice:!::\nbob:!::\n"
               "wheel:*:bob:\n")  # wheel: a gshadow administrator of an admin group
    group = GROUP + "wheel:x:10:\nadm:x:4:\n"
    snap = snap_of(make_root, {"etc/gshadow": (gshadow, 0o640), "etc/group": group})
    sudo = next(g for g in snap.table("groups") if g["name"] == "sudo")
    assert sudo["password_state"] == "set" and sudo["password_source"] == "/etc/gshadow:2"
    res = run_check("accounts.admin_members", snap)
    assert res.status == "fail"
    assert "sudo (/etc/gshadow:2)" in res.message["en"] and "sudo (/etc/gshadow:2)" in res.message["vi"]
    assert HASH not in str(res.evidence) and HASH not in str(snap.tables)
    bob = next(u for u in snap.table("users") if u["name"] == "bob")
    assert bob["admin_via"] == ["gshadow_admin:wheel"]  # not adm: not an admin group
    # a locked or empty group password lets no non-member in: no finding
    snap = snap_of(make_root, {"etc/gshadow": ("root:*::\nsudo:!::alice\nalice:::\nbob:!::\n", 0o640)})
    assert run_check("accounts.admin_members", snap).status == "warn"


# --- shadowed_passwords --------------------------------------------------------------------------


def test_hash_left_in_passwd_fails_and_names_the_line(make_root) -> None:
    assert run_check("accounts.shadowed_passwords", snap_of(make_root)).status == "pass"
    passwd = PASSWD + f"legacy:{HASH}:1002:1002::/home/legacy:/bin/bash\nold:!{HASH}:1003:1003::/x:/bin/sh\n"
    res = run_check("accounts.shadowed_passwords", snap_of(make_root, {"etc/passwd": passwd}))
    assert res.status == "fail"
    assert [a["name"] for a in res.evidence["accounts"]] == ["legacy", "old"]
    assert "/etc/passwd:7" in res.message["en"] and "/etc/passwd:7" in res.message["vi"]
    assert HASH not in str(res.evidence) and HASH not in res.message["en"]


# --- sudo_nopasswd ------------------------------------------------------------------------------------


def test_sudo_with_passwords_passes(make_root) -> None:
    assert run_check("accounts.sudo_nopasswd", snap_of(make_root)).status == "pass"


def test_nopasswd_all_fails_and_narrow_warns(make_root) -> None:
    res = run_check("accounts.sudo_nopasswd",
                    snap_of(make_root, {"etc/sudoers.d/ops": "bob ALL=(ALL) NOPASSWD: /usr/bin/apt, /bin/sh\n"}))
    assert res.status == "fail" and res.evidence["broad"][0]["source"] == "/etc/sudoers.d/ops:1"
    res = run_check("accounts.sudo_nopasswd",
                    snap_of(make_root, {"etc/sudoers.d/ops": "bob ALL=NOPASSWD: /usr/bin/systemctl restart nginx\n"}))
    assert res.status == "warn" and "/etc/sudoers.d/ops:1" in res.message["en"]


def test_nopasswd_through_defaults_and_other_hosts(make_root) -> None:
    res = run_check("accounts.sudo_nopasswd",
                    snap_of(make_root, {"etc/sudoers.d/x": "Defaults:%sudo !authenticate\n"}))
    assert res.status == "fail"
    assert res.evidence["broad"][0]["nopasswd_source"] == "/etc/sudoers.d/x:1"
    res = run_check("accounts.sudo_nopasswd",
                    snap_of(make_root, {"etc/sudoers.d/x": "bob other-host = NOPASSWD: ALL\n"}))
    assert res.status == "pass"  # the rule does not select this host


def test_a_later_rule_asking_a_password_overrides_nopasswd(make_root) -> None:
    # sudo applies the last rule that matches: alice (in sudo) and bob get their password asked.
    sudoers = ("Defaults env_reset\nalice ALL=(ALL) NOPASSWD: ALL\nbob ALL=(ALL) NOPASSWD: /bin/sh, PASSWD: ALL\n"
               "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
    res = run_check("accounts.sudo_nopasswd", snap_of(make_root, {"etc/sudoers": (sudoers, 0o440)}))
    assert res.status == "pass", res.message["en"]
    assert {(o["principal"], o["overridden_by"]) for o in res.evidence["overridden"]} == {
        ("alice", "/etc/sudoers:5"), ("bob", "/etc/sudoers:3")}


def test_nopasswd_after_the_password_rule_or_beyond_its_reach_still_fails(make_root) -> None:
    # planted after %sudo (the usual sudoers.d drop-in): it wins
    res = run_check("accounts.sudo_nopasswd",
                    snap_of(make_root, {"etc/sudoers.d/90-x": ("alice ALL=(ALL) NOPASSWD: ALL\n", 0o440)}))
    assert res.status == "fail" and res.evidence["broad"][0]["source"] == "/etc/sudoers.d/90-x:1"
    # bob is not in sudo; a later rule for other commands, other run-as users or another host changes nothing
    sudoers = ("bob ALL=(ALL:ALL) NOPASSWD: ALL\nalice ALL=(ALL) NOPASSWD: ALL\nalice ALL=(ALL) ALL, !/bin/su\n"
               "root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\nbob ALL=(ALL) ALL\n")
    res = run_check("accounts.sudo_nopasswd", snap_of(make_root, {"etc/sudoers": (sudoers, 0o440)}))
    assert res.status == "fail"
    assert {r["principal"] for r in res.evidence["broad"]} == {"bob"}  # (ALL) does not cover bob's -g ALL
    assert [o["principal"] for o in res.evidence["overridden"]] == ["alice"]
    # a bound "Defaults:alice !authenticate" may keep the later rule from asking her: no override
    sudoers = ("alice ALL=(ALL) NOPASSWD: ALL\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n"
               "Defaults:alice !authenticate\n")
    res = run_check("accounts.sudo_nopasswd", snap_of(make_root, {"etc/sudoers": (sudoers, 0o440)}))
    assert res.status == "fail" and "overridden" not in res.evidence


def test_sudo_nopasswd_unknown_when_unreadable() -> None:
    res = run_check("accounts.sudo_nopasswd", replay(system(), denied=["/etc/sudoers"]))
    assert res.status == "unknown" and "/etc/sudoers" in res.message["en"]


# --- empty_passwords / pam_nullok --------------------------------------------------------------------


def test_empty_passwords(make_root) -> None:
    assert run_check("accounts.empty_passwords", snap_of(make_root)).status == "pass"
    bad = shadow({"bob": f"bob::{today() - 3}:0:99999:7:::"})
    res = run_check("accounts.empty_passwords", snap_of(make_root, {"etc/shadow": (bad, 0o640)}))
    assert res.status == "fail" and res.evidence["accounts"] == [{"name": "bob", "source": "/etc/passwd:6"}]


def test_empty_password_on_nologin_account_is_not_a_finding(make_root) -> None:
    bad = shadow({"daemon": "daemon::19000:0:99999:7:::"})
    assert run_check("accounts.empty_passwords", snap_of(make_root, {"etc/shadow": (bad, 0o640)})).status == "pass"


def test_empty_passwords_unknown_without_shadow() -> None:
    res = run_check("accounts.empty_passwords", replay(system(), denied=["/etc/shadow"]))
    assert res.status == "unknown"
    assert res.evidence["fact"] == "users.password_state" and res.evidence["reason_code"] == "permission_denied"


def test_pam_nullok(make_root) -> None:
    res = run_check("accounts.pam_nullok", snap_of(make_root))
    assert res.status == "fail" and res.evidence["lines"] == ["/etc/pam.d/common-auth:2"]
    assert "sshd" in res.evidence["services"]
    fixed = snap_of(make_root, {"etc/pam.d/common-auth": COMMON_AUTH.replace(" nullok", "")})
    assert run_check("accounts.pam_nullok", fixed).status == "pass"


def test_pam_nullok_on_a_password_line_fails(make_root) -> None:
    no_auth = COMMON_AUTH.replace(" nullok", "")
    password = "password [success=1 default=ignore] pam_unix.so obscure nullok yescrypt\n" \
               "password requisite pam_deny.so\npassword required pam_permit.so\n"
    res = run_check("accounts.pam_nullok", snap_of(make_root, {"etc/pam.d/common-auth": no_auth,
                                                               "etc/pam.d/common-password": password}))
    assert res.status == "fail" and res.key == "fail_password"
    assert res.evidence["password_lines"] == ["/etc/pam.d/common-password:1"] and res.evidence["lines"] == []
    assert {"passwd", "sshd"} <= set(res.evidence["services"])
    assert "/etc/pam.d/common-password:1" in res.message["vi"]
    res = run_check("accounts.pam_nullok", snap_of(make_root, {"etc/pam.d/common-password": password}))
    assert res.key == "fail_both"
    # A password line of an unrelated service (cups) is not judged.
    res = run_check("accounts.pam_nullok", snap_of(make_root, {
        "etc/pam.d/common-auth": no_auth, "etc/pam.d/cups": "password required pam_unix.so nullok\n"}))
    assert res.status == "pass" and res.evidence["unrelated_services"] == ["/etc/pam.d/cups:1"]


def test_pam_checks_unknown_without_pam_config(make_root) -> None:
    # No /etc/pam.d is not "no PAM": /usr (and /usr/lib/pam.d) may be another partition.
    files = {k: v for k, v in system().items() if "pam.d" not in k}
    snap = facts_of(make_root(files), only=ACCOUNT_COLLECTORS)
    for cid in ("accounts.pam_nullok", "accounts.password_quality", "accounts.lockout"):
        assert run_check(cid, snap).status == "unknown", cid


# --- generic_names -----------------------------------------------------------------------------------


def _with_users(extra_passwd: str, extra_group: str = "") -> dict[str, Any]:
    lines = {}
    for line in extra_passwd.splitlines():
        name = line.split(":")[0]
        lines[name] = f"{name}:{HASH}:{today() - 3}:0:99999:7:::"
    return {"etc/passwd": PASSWD + extra_passwd, "etc/group": GROUP + extra_group,
            "etc/shadow": (shadow(lines), 0o640)}


def test_generic_names(make_root) -> None:
    assert run_check("accounts.generic_names", snap_of(make_root)).status == "pass"
    files = _with_users("giaovien:x:1002:1002::/home/giaovien:/bin/bash\n"
                        "phongmay07:x:1003:1003::/home/p:/bin/bash\n"
                        "ketoan:x:1004:1004::/home/k:/usr/sbin/nologin\n")
    res = run_check("accounts.generic_names", snap_of(make_root, files))
    assert res.status == "warn"
    assert [a["name"] for a in res.evidence["accounts"]] == ["giaovien", "phongmay07"]  # ketoan cannot log in
    res = run_check("accounts.generic_names", snap_of(make_root, files),
                    config=AgentConfig(approved_shared_accounts=["giaovien", "phongmay07"]))
    assert res.status == "pass"


def test_generic_name_with_admin_rights_fails(make_root) -> None:
    files = _with_users("admin:x:1002:1002::/home/admin:/bin/bash\n")
    files["etc/group"] = files["etc/group"].replace("sudo:x:27:alice", "sudo:x:27:alice,admin")
    res = run_check("accounts.generic_names", snap_of(make_root, files))
    assert res.status == "fail" and "admin (/etc/passwd:7)" in res.message["vi"]


# --- inactive --------------------------------------------------------------------------------------------


def test_inactive_recent_logins_pass(make_root) -> None:
    snap = snap_of(make_root, {"var/log/lastlog": logged_in({1000: 2, 1001: 10})})
    res = run_check("accounts.inactive", snap)
    assert res.status == "pass", res.message


def test_inactive_over_45_days_fails_and_30_warns(make_root) -> None:
    snap = snap_of(make_root, {"var/log/lastlog": logged_in({1000: 60, 1001: 2})})
    res = run_check("accounts.inactive", snap)
    assert res.status == "fail" and res.evidence["inactive"][0]["name"] == "alice"
    assert "alice (60 ngày)" in res.message["vi"] and "alice (60 days)" in res.message["en"]
    snap = snap_of(make_root, {"var/log/lastlog": logged_in({1000: 35, 1001: 2})})
    assert run_check("accounts.inactive", snap).status == "warn"
    assert run_check("accounts.inactive", snap, params={"warn_days": 40}).status == "pass"


def test_never_logged_in_with_old_password_fails(make_root) -> None:
    snap = snap_of(make_root, {"etc/shadow": (shadow(changed=100), 0o640),
                               "var/log/wtmp": pack_record(USER_PROCESS, "alice", "pts/0", "", days_ago(1))})
    res = run_check("accounts.inactive", snap)
    assert res.status == "fail"
    assert [i["name"] for i in res.evidence["inactive"]] == ["bob"]
    assert res.evidence["inactive"][0]["never_logged_in"] is True


def test_inactive_never_logged_in_is_not_said_to_be_used(make_root) -> None:
    # alice logged in yesterday; bob never did, his password was set 10 days ago.
    snap = snap_of(make_root, {"var/log/wtmp": pack_record(USER_PROCESS, "alice", "pts/0", "", days_ago(1))})
    res = run_check("accounts.inactive", snap)
    assert res.status == "pass" and res.key == "pass_some_never"
    assert "bob (10)" in res.message["en"] and "never logged in" in res.message["en"]
    assert "chưa" in res.message["vi"] and res.evidence["never_logged_in"][0]["name"] == "bob"
    res = run_check("accounts.inactive", snap_of(make_root, {"var/log/wtmp": b""}))
    assert res.key == "pass_never" and "used" not in res.message["en"]


def test_inactive_unknown_without_login_records(make_root) -> None:
    res = run_check("accounts.inactive", snap_of(make_root, {"var/log/wtmp": None}))
    assert res.status == "unknown" and res.evidence["fact"] == "users.last_login"


# --- password_quality ------------------------------------------------------------------------------------


def test_password_quality_levels(make_root) -> None:
    strong = {"etc/pam.d/common-password": GOOD_PASSWORD,
              "etc/security/pwquality.conf": "minlen = 14\nminclass = 4\n"}
    res = run_check("accounts.password_quality", snap_of(make_root, strong))
    assert res.status == "pass" and "14" in res.message["vi"]
    medium = {**strong, "etc/security/pwquality.conf": "minlen = 10\n"}
    assert run_check("accounts.password_quality", snap_of(make_root, medium)).status == "warn"
    res = run_check("accounts.password_quality", snap_of(make_root, medium), params={"mfa_declared": True})
    assert res.status == "pass"
    weak = {**strong, "etc/pam.d/common-password": GOOD_PASSWORD.replace("retry=3", "retry=3 minlen=6")}
    weak["etc/security/pwquality.conf"] = ""
    res = run_check("accounts.password_quality", snap_of(make_root, weak))
    assert res.status == "fail" and res.evidence["sources"]["min_length"] == "/etc/pam.d/common-password:1"


def test_password_quality_without_module_fails(make_root) -> None:
    no_module = "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
    res = run_check("accounts.password_quality", snap_of(make_root, {"etc/pam.d/common-password": no_module}))
    assert res.status == "fail" and "pam_pwquality" in res.message["en"]


# --- password_max_age ---------------------------------------------------------------------------------


GOOD_DEFS = "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nUID_MIN 1000\n"


def test_password_max_age(make_root) -> None:
    good = shadow({"alice": f"alice:{HASH}:{today() - 20}:1:60:7:::",
                   "bob": f"bob:{HASH}:{today() - 20}:1:180:7:::"})
    res = run_check("accounts.password_max_age",
                    snap_of(make_root, {"etc/shadow": (good, 0o640), "etc/login.defs": GOOD_DEFS}))
    assert res.status == "pass" and res.evidence["policy"]["max_days"] == 90
    stale_admin = shadow({"alice": f"alice:{HASH}:{today() - 90}:1:60:7:::",
                          "bob": f"bob:{HASH}:{today() - 20}:1:180:7:::"})
    res = run_check("accounts.password_max_age",
                    snap_of(make_root, {"etc/shadow": (stale_admin, 0o640), "etc/login.defs": GOOD_DEFS}))
    assert res.status == "fail" and res.evidence["admins"][0]["name"] == "alice"
    assert "90" in res.message["vi"]
    never = shadow({"alice": f"alice:{HASH}:{today() - 20}:1:60:7:::"})  # bob keeps 99999
    res = run_check("accounts.password_max_age",
                    snap_of(make_root, {"etc/shadow": (never, 0o640), "etc/login.defs": GOOD_DEFS}))
    assert res.status == "warn" and res.evidence["users"][0]["name"] == "bob"


def test_password_max_age_judges_login_defs_itself(make_root) -> None:
    # Every account has a lifetime, but PASS_MAX_DAYS 99999 is what each new account will get.
    good = shadow({"alice": f"alice:{HASH}:{today() - 20}:1:60:7:::",
                   "bob": f"bob:{HASH}:{today() - 20}:1:180:7:::"})
    res = run_check("accounts.password_max_age", snap_of(make_root, {"etc/shadow": (good, 0o640)}))
    assert res.status == "fail" and res.key == "fail_policy"
    assert res.evidence["policy"]["source"] == "/etc/login.defs:2" and res.evidence["policy"]["max_days"] is None
    assert "không giới hạn" in res.message["vi"] and "/etc/login.defs:2" in res.message["en"]
    # No account has a password yet: the default still fails.
    locked = shadow({"alice": f"alice:!:{today() - 20}:0:99999:7:::", "bob": f"bob:!:{today() - 20}:0:99999:7:::"})
    res = run_check("accounts.password_max_age", snap_of(make_root, {"etc/shadow": (locked, 0o640)}))
    assert res.status == "fail" and res.key == "fail_policy"
    assert run_check("accounts.password_max_age", snap_of(make_root, {
        "etc/shadow": (locked, 0o640), "etc/login.defs": GOOD_DEFS})).status == "pass"
    # Absent, -1 or over the limit fail; a stricter plan limit is a param.
    for defs in ("UID_MIN 1000\n", "PASS_MAX_DAYS -1\n", "# PASS_MAX_DAYS 60\nPASS_MAX_DAYS 365\n"):
        res = run_check("accounts.password_max_age", snap_of(make_root, {"etc/shadow": (locked, 0o640),
                                                                         "etc/login.defs": defs}))
        assert res.status == "fail" and res.key == "fail_policy", defs
    res = run_check("accounts.password_max_age", snap_of(make_root, {"etc/shadow": (locked, 0o640),
                                                                     "etc/login.defs": GOOD_DEFS}),
                    params={"policy_max_days": 60})
    assert res.status == "fail" and "60" in res.message["vi"]
    # Admin and policy both wrong: one message names both.
    stale_admin = shadow({"alice": f"alice:{HASH}:{today() - 90}:1:60:7:::"})
    res = run_check("accounts.password_max_age", snap_of(make_root, {"etc/shadow": (stale_admin, 0o640)}))
    assert res.key == "fail_and_policy" and "alice" in res.message["en"]
    # Users without a lifetime and the policy: both named.
    res = run_check("accounts.password_max_age", snap_of(make_root))
    assert res.key in ("fail_and_policy", "fail_policy_users")


def test_password_max_age_unknown_when_login_defs_unreadable() -> None:
    good = shadow({"alice": f"alice:{HASH}:{today() - 20}:1:60:7:::",
                   "bob": f"bob:{HASH}:{today() - 20}:1:180:7:::"})
    snap = replay(system({"etc/shadow": (good, 0o640)}), denied=["/etc/login.defs"])
    res = run_check("accounts.password_max_age", snap)
    assert res.status == "unknown" and res.key == "unknown_policy"


def test_password_max_age_falls_back_to_login_defs(make_root) -> None:
    fields = shadow({"alice": f"alice:{HASH}:{today() - 20}:1::7:::", "bob": f"bob:{HASH}:{today() - 20}:1::7:::"})
    defs = "PASS_MAX_DAYS 45\nUID_MIN 1000\n"
    snap = snap_of(make_root, {"etc/shadow": (fields, 0o640), "etc/login.defs": defs})
    assert run_check("accounts.password_max_age", snap).status == "pass"


def test_password_max_age_unknown_without_shadow() -> None:
    assert run_check("accounts.password_max_age", replay(system(), denied=["/etc/shadow"])).status == "unknown"


# --- lockout ----------------------------------------------------------------------------------------------


def _lockout(make_root: Any, conf: str, auth: str = GOOD_AUTH) -> Any:
    return snap_of(make_root, {"etc/pam.d/common-auth": auth, "etc/security/faillock.conf": conf})


def test_lockout_pass_and_server_threshold(make_root) -> None:
    snap = _lockout(make_root, "deny = 5\nunlock_time = 900\n")
    res = run_check("accounts.lockout", snap, role="server")
    assert res.status == "pass" and res.evidence["sources"]["lockout_threshold"] == "/etc/security/faillock.conf:1"
    snap = _lockout(make_root, "deny = 8\nunlock_time = 900\n")
    assert run_check("accounts.lockout", snap, role="workstation").status == "pass"
    assert run_check("accounts.lockout", snap, role="server").status == "warn"


def test_lockout_failures(make_root) -> None:
    assert run_check("accounts.lockout", snap_of(make_root)).status == "fail"  # no module at all
    res = run_check("accounts.lockout", _lockout(make_root, "deny = 0\n"))
    assert res.status == "fail" and "deny = 0" in res.message["en"]
    assert run_check("accounts.lockout", _lockout(make_root, "deny = 20\nunlock_time = 900\n")).status == "fail"
    preauth_only = GOOD_AUTH.replace("auth [default=die] pam_faillock.so authfail\n", "")
    res = run_check("accounts.lockout", _lockout(make_root, "deny = 5\n", preauth_only))
    assert res.status == "fail" and "authfail" in res.message["en"]


def test_lockout_short_unlock_time_warns(make_root) -> None:
    snap = _lockout(make_root, "deny = 5\n")  # pam_faillock's default unlock_time is 600 s
    res = run_check("accounts.lockout", snap)
    assert res.status == "warn" and "10" in res.message["vi"]
    assert run_check("accounts.lockout", snap, params={"min_lockout_minutes": 0}).status == "pass"


def test_real_machine_collects_without_errors(tmp_path: Path) -> None:
    from secaudit.facts import collect
    from secaudit.transport.local import LocalTransport

    snap = collect(LocalTransport(), AgentConfig(), only=ACCOUNT_COLLECTORS)
    errors = {k: v for k, v in snap.unknown.items() if v["code"] == "error" and k != "sudo_rules.parse"}
    assert errors == {}
    assert any(u["name"] == "root" and u["uid"] == 0 for u in snap.table("users"))


def test_messages_render_fully_in_both_languages(make_root) -> None:
    from secaudit.checks import load_checks

    ids = sorted(c for c in load_checks() if c.startswith("accounts."))
    assert len(ids) == 12
    snaps = [snap_of(make_root), replay(system(), denied=["/etc/sudoers", "/etc/shadow"]),
             snap_of(make_root, {"etc/pam.d/common-auth": GOOD_AUTH, "etc/security/faillock.conf": "deny=4\n",
                                 "var/log/lastlog": logged_in({1000: 1, 1001: 33})})]
    for snap in snaps:
        for cid in ids:
            res = run_check(cid, snap)
            assert res.status != "error", (cid, res.message)
            for lang in ("vi", "en"):
                assert "{" not in res.message[lang], (cid, lang, res.message[lang])


def _windows_accounts(name: str = "win11-healthy.json", enabled: bool = False) -> Any:
    import json

    from secaudit.facts import collect
    from secaudit.transport.replay import ReplayTransport

    rec = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "windows" / name).read_text("utf-8"))
    if enabled:  # the built-in Administrator (RID 500) turned on
        users = json.loads(rec["probes"]["local_users"]["stdout"])
        for u in users:
            if str(u["SID"]["Value"] if isinstance(u["SID"], dict) else u["SID"]).endswith("-500"):
                u["Enabled"] = True
        rec["probes"]["local_users"]["stdout"] = json.dumps(users)
    return collect(ReplayTransport(rec), AgentConfig(), only={"accounts"})


def test_windows_disabled_builtin_administrator_is_evidence_not_a_finding() -> None:
    res = run_check("accounts.admin_members", _windows_accounts())
    assert res.status == "warn" and "quantri" in res.message["en"] and "Administrator" not in res.message["en"]
    assert res.evidence["disabled_not_counted"] == ["Administrator"]
    assert "Administrator" in [a["name"] for a in res.evidence["admins"]]
    res = run_check("accounts.admin_members", _windows_accounts(), AgentConfig(approved_admins=["quantri"]))
    assert res.status == "pass" and res.message["en"].startswith("All 1 administrator")
    res = run_check("accounts.admin_members", _windows_accounts(enabled=True), AgentConfig(approved_admins=["quantri"]))
    assert res.status == "fail" and "Administrator" in res.message["en"]


def test_linux_locked_admin_still_counts(make_root) -> None:
    """On Linux a locked password is no lock-out (an SSH key still logs in): the account keeps counting."""
    snap = snapshot({"users": [{"name": "tam", "uid": 1001, "admin": True, "admin_via": ["group:sudo"], "groups": [],
                                "system": False, "enabled": False, "source": "/etc/passwd"}],
                     "groups": [], "sudo_rules": []})
    snap.family = "linux"
    res = run_check("accounts.admin_members", snap)
    assert res.status == "warn" and "tam" in res.message["en"] and "disabled_not_counted" not in res.evidence
