"""Issue 9, class 5: no check passes without positive evidence.

A `--root` that is no system (an empty directory, an empty etc/, a data disk), a system missing the file a
check reads, a PAM setting that lives only in an unrelated service, a NOPASSWD rule that is root in
disguise: each must come out unknown or failing, never `pass`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secaudit import playbook as pb
from secaudit.checks.engine import run_checks
from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.pipeline import check_catalog
from tests.conftest import facts_of, run_check
from tests.unit.accounts_fixtures import ACCOUNT_COLLECTORS, COMMON_AUTH, system

OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
NOT_A_SYSTEM: dict[str, dict[str, Any]] = {
    "empty": {},
    "empty_etc": {"etc/.keep": ""},
    "data_disk": {"photos/2026/lop-10a.jpg": b"\xff\xd8\xff\xe0", "docs/ke-hoach.docx": b"PK\x03\x04",
                  "lost+found/.keep": "", "backup/db-2026-11-01.sql.gz": b"\x1f\x8b\x08\x00",
                  "home/alice/.bashrc": "alias ll='ls -l'\n"},
    # /etc/passwd as a directory or a FIFO is no account database either
    "passwd_dir": {"etc/passwd/.keep": ""},
}


def build(make_root: Callable[..., Path], files: dict[str, Any]) -> Path:
    root = make_root(files)
    root.mkdir(parents=True, exist_ok=True)  # an empty root has no file to create it
    return root


def evaluate(snap: Snapshot, config: AgentConfig | None = None) -> dict[str, tuple[str, str]]:
    """check id -> (status, English message) for every check of every shipped playbook."""
    out: dict[str, tuple[str, str]] = {}
    for path in pb.list_shipped():
        book = pb.load(path, check_catalog())
        ids = list(dict.fromkeys(c for req in book.evaluated_requirements() for c in req.checks))
        for cid, res in run_checks(snap, ids, book, config or AgentConfig()).items():
            out[cid] = (res.status, res.message["en"])
    return out


# --- a root that is no system -------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(NOT_A_SYSTEM))
def test_no_check_passes_on_a_root_that_is_no_system(make_root: Callable[..., Path], variant: str) -> None:
    snap = facts_of(build(make_root, NOT_A_SYSTEM[variant]))
    host = snap.table("host")
    assert host["looks_like_system"] is False and host["system_markers"] == []
    results = evaluate(snap)
    assert len(results) >= 30
    for cid, (status, message) in results.items():
        assert status == "unknown", (variant, cid, status, message)
        assert "does not look like an installed operating system" in message, (cid, message)


@pytest.mark.parametrize("role", ["server", "workstation", "lab"])
def test_a_configured_role_does_not_hide_it(make_root: Callable[..., Path], role: str) -> None:
    config = AgentConfig()
    config.role = role
    results = evaluate(facts_of(build(make_root, {})), config)
    assert {s for s, _ in results.values()} == {"unknown"}, role


def test_a_fifo_as_passwd_is_no_marker(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "etc").mkdir(parents=True)
    os.mkfifo(root / "etc" / "passwd")
    snap = facts_of(root)
    assert snap.table("host")["looks_like_system"] is False
    assert all(s == "unknown" for s, _ in evaluate(snap).values())


@pytest.mark.parametrize("marker", ["etc/passwd", "etc/os-release", "usr/lib/os-release"])
def test_any_marker_makes_it_a_system(make_root: Callable[..., Path], marker: str) -> None:
    snap = facts_of(make_root({marker: "root:x:0:0::/root:/bin/sh\n" if "passwd" in marker else OS_RELEASE}),
                    only={"host"})
    assert snap.table("host")["looks_like_system"] is True
    assert snap.table("host")["system_markers"] == ["/" + marker]


def test_checks_themselves_need_evidence_on_a_bare_os_release(make_root: Callable[..., Path]) -> None:
    """The engine's blanket rule aside: a root with only os-release (so it passes the marker test)
    still gets no pass from any check that reads anything but os-release."""
    snap = facts_of(make_root({"etc/os-release": OS_RELEASE}))
    assert snap.table("host")["looks_like_system"] is True
    passed = {cid for cid, (status, _) in evaluate(snap).items() if status == "pass"}
    assert passed <= {"system.os_supported"}, passed  # what os-release itself proves


def test_checks_themselves_need_evidence_when_the_marker_test_is_fooled(make_root: Callable[..., Path]) -> None:
    """Every check against an empty root with the blanket rule switched off: each must be unknown,
    failing, not applicable or a warning on its own."""
    snap = facts_of(build(make_root, {}))
    snap.tables["host"]["looks_like_system"] = True
    results = evaluate(snap)
    passed = {cid: msg for cid, (status, msg) in results.items() if status == "pass"}
    assert passed == {}, passed
    for cid in ("accounts.uid0_duplicates", "accounts.admin_members", "accounts.empty_passwords",
                "accounts.password_quality", "accounts.lockout", "accounts.pam_nullok", "files.sensitive_modes"):
        assert results[cid][0] == "unknown", (cid, results[cid])
    assert results["accounts.sudo_nopasswd"][0] in ("unknown", "not_applicable")


def test_an_evaluated_snapshot_that_is_no_system_stays_unknown() -> None:
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", mode="replay",
                    tables={"host": {"looks_like_system": False, "system_markers": [],
                                     "system_markers_checked": ["/etc/passwd"]},
                            "users": [{"name": "root", "uid": 0}]})
    assert {s for s, _ in evaluate(snap).values()} == {"unknown"}


def _sa(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_STATE_DIR": str(tmp / "state")}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp)


@pytest.mark.parametrize("lang, words", [("en", "does not look like an installed operating system"),
                                         ("vi", "không giống một hệ điều hành đã cài đặt")])
def test_audit_of_an_empty_root_warns_writes_the_report_and_exits_2(tmp_path: Path, lang: str, words: str) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    out = tmp_path / "r.json"
    proc = _sa("audit", "--root", str(root), "--format", "json", "-o", str(out), "--no-sign", "--lang", lang,
               tmp=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert words in proc.stderr and str(root) in proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["pass"] == 0 and report["summary"]["unknown"] == len(report["requirements"])
    assert all(f["evidence"].get("reason_code") == "not_a_system" for f in report["findings"])
    assert all(words in f["message"][lang] for f in report["findings"])


@pytest.mark.parametrize("fmt, needle", [("md", "does not look like an installed operating system"),
                                         ("html", "does not look like an installed operating system"),
                                         ("text", "does not look like an installed operating system")])
def test_every_rendering_says_why(tmp_path: Path, fmt: str, needle: str) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    out = tmp_path / f"r.{fmt}"
    proc = _sa("audit", "--root", str(root), "--format", fmt, "-o", str(out), "--no-sign", "--lang", "en",
               "--verbose", tmp=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert needle in " ".join(out.read_text(encoding="utf-8").split())


def test_facts_then_evaluate_of_an_empty_root_exit_2(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    snap = tmp_path / "snap.json"
    proc = _sa("facts", "--root", str(root), "-o", str(snap), "--lang", "en", tmp=tmp_path)
    assert proc.returncode == 2 and "WARNING" in proc.stderr and snap.is_file()
    proc = _sa("evaluate", "--facts", str(snap), "--format", "json", "-o", str(tmp_path / "r.json"), "--lang", "en",
               tmp=tmp_path)
    assert proc.returncode == 2 and "WARNING" in proc.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["pass"] == 0


# --- a system missing the file a check reads ---------------------------------------------------


def accounts(make_root: Callable[..., Path], overrides: dict[str, Any]) -> Snapshot:
    return facts_of(make_root(system(overrides)), only=ACCOUNT_COLLECTORS | {"file_modes"})


def test_passwd_without_shadow_passes_no_password_check(make_root: Callable[..., Path]) -> None:
    snap = accounts(make_root, {"etc/shadow": None})
    assert snap.unknown["users.password_state"]["code"] == "not_found"
    for cid in ("accounts.empty_passwords", "accounts.password_max_age", "files.sensitive_modes"):
        assert run_check(cid, snap).status == "unknown", cid
    assert run_check("accounts.uid0_duplicates", snap).status == "pass"  # passwd itself is evidence


def test_passwd_that_is_no_account_database(make_root: Callable[..., Path]) -> None:
    snap = accounts(make_root, {"etc/passwd": "this is not a passwd file\n"})
    assert snap.unknown["users"]["code"] == "no_entries"
    snap = accounts(make_root, {"etc/passwd": "alice:x:1000:1000::/home/alice:/bin/bash\n"})
    res = run_check("accounts.uid0_duplicates", snap)
    assert res.status == "unknown" and "no root account" in res.message["en"]


def test_missing_group_file_is_unknown(make_root: Callable[..., Path]) -> None:
    snap = accounts(make_root, {"etc/group": None})
    assert snap.unknown["groups"]["code"] == "not_found"


def test_sudo_installed_without_sudoers_is_unknown(make_root: Callable[..., Path]) -> None:
    snap = accounts(make_root, {"etc/sudoers": None, "usr/bin/sudo": ("#!fake\n", 0o755)})
    for cid in ("accounts.sudo_nopasswd", "accounts.admin_members"):
        res = run_check(cid, snap)
        assert res.status in ("unknown", "warn"), (cid, res.status)  # alice is admin through %sudo: warn
        assert res.status != "pass"
    assert run_check("accounts.sudo_nopasswd", snap).status == "unknown"


def test_no_sudo_at_all_is_not_applicable(make_root: Callable[..., Path]) -> None:
    snap = accounts(make_root, {"etc/sudoers": None})
    assert run_check("accounts.sudo_nopasswd", snap).status == "not_applicable"


def test_unparseable_sudoers_line_is_no_evidence(make_root: Callable[..., Path]) -> None:
    sudoers = "root ALL=(ALL:ALL) ALL\nbob ALL NOPASSWD /bin/sh\n"  # not sudoers syntax: who knows what it grants
    snap = accounts(make_root, {"etc/sudoers": (sudoers, 0o440), "etc/group": "root:x:0:\nsudo:x:27:\n"})
    for cid in ("accounts.sudo_nopasswd", "accounts.admin_members", "accounts.admin_count"):
        assert run_check(cid, snap).status == "unknown", cid


@pytest.mark.parametrize("line, unseen", [("sudoers: files sss", True), ("sudoers:\tldap files # rules in LDAP", True),
                                          ("sudoers: files", False), ("# sudoers: sss", False)])
def test_sudo_rules_kept_in_a_directory_are_no_evidence(make_root: Callable[..., Path], line: str,
                                                        unseen: bool) -> None:
    group = "root:x:0:\nsudo:x:27:\nalice:x:1000:\nbob:x:1001:\n"  # nobody in %sudo: admin checks would pass
    snap = accounts(make_root, {"etc/nsswitch.conf": f"passwd: files\n{line}\n", "etc/group": group})
    for cid in ("accounts.sudo_nopasswd", "accounts.admin_members", "accounts.admin_count"):
        res = run_check(cid, snap)
        assert res.status == ("unknown" if unseen else "pass"), (cid, line, res.status)
        if unseen:
            assert "/etc/nsswitch.conf:2" in res.message["en"]


# --- PAM: the stacks that matter, run as libpam runs them --------------------------------------

GOOD_PASSWORD = ("password requisite pam_pwquality.so retry=3\n"
                 "password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n"
                 "password requisite pam_deny.so\npassword required pam_permit.so\n")
PLAIN_PASSWORD = ("password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
                  "password requisite pam_deny.so\npassword required pam_permit.so\n")
STRONG = "minlen = 14\nminclass = 4\n"
FAILLOCK = ("auth requisite pam_faillock.so preauth\n"
            "auth [success=1 default=ignore] pam_unix.so\n"
            "auth [default=die] pam_faillock.so authfail\n"
            "auth sufficient pam_faillock.so authsucc\n"
            "auth requisite pam_deny.so\nauth required pam_permit.so\n")
FAILLOCK_CONF = "deny = 5\nunlock_time = 900\n"


def quality(make_root: Callable[..., Path], overrides: dict[str, Any]) -> Any:
    files = {"etc/security/pwquality.conf": STRONG, **overrides}
    return run_check("accounts.password_quality", accounts(make_root, files))


def lockout(make_root: Callable[..., Path], overrides: dict[str, Any]) -> Any:
    files = {"etc/security/faillock.conf": FAILLOCK_CONF, **overrides}
    return run_check("accounts.lockout", accounts(make_root, files))


def test_quality_baseline_passes(make_root: Callable[..., Path]) -> None:
    assert quality(make_root, {"etc/pam.d/common-password": GOOD_PASSWORD}).status == "pass"


@pytest.mark.parametrize("service", ["cups", "ppp", "vsftpd"])
def test_quality_only_in_an_unrelated_service_fails(make_root: Callable[..., Path], service: str) -> None:
    res = quality(make_root, {"etc/pam.d/common-password": PLAIN_PASSWORD,
                              f"etc/pam.d/{service}": "@include common-auth\n" + GOOD_PASSWORD})
    assert res.status == "fail" and res.message["en"].startswith("Neither pam_pwquality")


@pytest.mark.parametrize("password, key", [
    # pam_unix `sufficient` first: it sets the password and ends the stack before pwquality runs
    ("password sufficient pam_unix.so\npassword requisite pam_pwquality.so\npassword required pam_deny.so\n",
     "never runs"),
    # a success jump over the quality line
    ("password [success=2 default=ignore] pam_unix.so\npassword requisite pam_pwquality.so\n"
     "password requisite pam_deny.so\npassword required pam_permit.so\n", "never runs"),
    # optional: a failing pwquality is ignored
    ("password optional pam_pwquality.so\n" + PLAIN_PASSWORD, "does not reject"),
    # [default=ignore] on the quality line: its failure is ignored as well
    ("password [success=ok default=ignore] pam_pwquality.so\n" + PLAIN_PASSWORD, "does not reject"),
    # enforcing = 0 in the module's arguments
    ("password requisite pam_pwquality.so enforcing=0\n" + PLAIN_PASSWORD, "does not reject"),
])
def test_quality_that_never_rejects_fails(make_root: Callable[..., Path], password: str, key: str) -> None:
    res = quality(make_root, {"etc/pam.d/common-password": password})
    assert res.status == "fail" and key in res.message["en"], res.message["en"]


def test_quality_in_passwd_itself_or_a_substack_counts(make_root: Callable[..., Path]) -> None:
    res = quality(make_root, {"etc/pam.d/common-password": PLAIN_PASSWORD,
                              "etc/pam.d/passwd": GOOD_PASSWORD})
    assert res.status == "pass", res.message
    # `done` inside a substack ends only the substack: the parent's pwquality still runs after it
    sub = "password sufficient pam_permit.so\n"
    res = quality(make_root, {"etc/pam.d/common-password": PLAIN_PASSWORD, "etc/pam.d/extra": sub,
                              "etc/pam.d/passwd": "password substack extra\n" + GOOD_PASSWORD})
    assert res.status == "pass", res.message
    # ... while the same line included (not substacked) ends the whole stack before pwquality
    res = quality(make_root, {"etc/pam.d/common-password": PLAIN_PASSWORD, "etc/pam.d/extra": sub,
                              "etc/pam.d/passwd": "password include extra\n" + GOOD_PASSWORD})
    assert res.status == "fail"


def test_quality_optional_module_that_is_not_installed(make_root: Callable[..., Path]) -> None:
    """A '-' line whose module is not installed still runs and answers "module unknown" ('-' only
    silences the log): on an optional line that is ignored, so nothing checks the new password."""
    modules = {"usr/lib/x86_64-linux-gnu/security/pam_unix.so": "", "usr/lib/x86_64-linux-gnu/security/pam_deny.so": "",
               "usr/lib/x86_64-linux-gnu/security/pam_permit.so": ""}
    optional = "-password optional pam_pwquality.so\n" + PLAIN_PASSWORD
    res = quality(make_root, {"etc/pam.d/common-password": optional, **modules})
    assert res.status == "fail"
    installed = {**modules, "usr/lib/x86_64-linux-gnu/security/pam_pwquality.so": ""}
    res = quality(make_root, {"etc/pam.d/common-password": GOOD_PASSWORD.replace("password requisite",
                                                                                   "-password requisite", 1),
                              **installed})
    assert res.status == "pass"


def test_missing_include_target_fails_not_passes(make_root: Callable[..., Path]) -> None:
    res = quality(make_root, {"etc/pam.d/common-password": None})
    assert res.status in ("fail", "unknown")


def test_no_password_stack_at_all_is_unknown(make_root: Callable[..., Path]) -> None:
    res = quality(make_root, {"etc/pam.d/common-password": None, "etc/pam.d/passwd": None,
                              "etc/pam.d/cups": GOOD_PASSWORD})
    assert res.status == "unknown"


def test_lockout_baseline_passes(make_root: Callable[..., Path]) -> None:
    assert lockout(make_root, {"etc/pam.d/common-auth": FAILLOCK}).status == "pass"


@pytest.mark.parametrize("service", ["cups", "vsftpd", "ppp"])
def test_lockout_only_in_an_unrelated_service_fails(make_root: Callable[..., Path], service: str) -> None:
    res = lockout(make_root, {f"etc/pam.d/{service}": FAILLOCK})
    assert res.status == "fail" and res.message["en"].startswith("Neither pam_faillock")


def test_lockout_in_login_but_not_sshd_fails(make_root: Callable[..., Path]) -> None:
    res = lockout(make_root, {"etc/pam.d/login": FAILLOCK})
    assert res.status == "fail"
    assert "sshd" in json.dumps(res.evidence["lockout_services"])


@pytest.mark.parametrize("auth, key", [
    # no preauth (nor authsucc, which checks the tally too): a locked account logs in with the right password
    ("auth sufficient pam_unix.so\nauth required pam_faillock.so authfail\nauth required pam_deny.so\n",
     "still logs in"),
    # pam_faillock without a mode is `preauth`: nothing is ever counted
    (FAILLOCK.replace("pam_faillock.so authfail", "pam_faillock.so"), "never reaches a counting"),
    # authfail placed after pam_deny: a wrong password ends the stack first
    ("auth requisite pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so\n"
     "auth requisite pam_deny.so\nauth [default=die] pam_faillock.so authfail\nauth required pam_permit.so\n",
     "never reaches a counting"),
    # authfail only on an optional line that a failed pam_unix skips: [default=1]
    ("auth requisite pam_faillock.so preauth\nauth [success=2 default=1] pam_unix.so\n"
     "auth [default=die] pam_faillock.so authfail\nauth requisite pam_deny.so\nauth required pam_permit.so\n",
     "never reaches a counting"),
])
def test_lockout_that_does_not_stop_guessing_fails(make_root: Callable[..., Path], auth: str, key: str) -> None:
    res = lockout(make_root, {"etc/pam.d/common-auth": auth})
    assert res.status == "fail" and key in res.message["en"], res.message["en"]


def test_nullok_judged_only_where_it_matters(make_root: Callable[..., Path]) -> None:
    clean = COMMON_AUTH.replace(" nullok", "")
    snap = accounts(make_root, {"etc/pam.d/common-auth": clean,
                                "etc/pam.d/cups": "auth required pam_unix.so nullok\n"})
    res = run_check("accounts.pam_nullok", snap)
    assert res.status == "pass" and res.evidence["unrelated_services"] == ["/etc/pam.d/cups:1"]
    snap = accounts(make_root, {"etc/pam.d/common-auth": clean,
                                "etc/pam.d/su": "auth sufficient pam_rootok.so\nauth required pam_unix.so nullok\n"})
    res = run_check("accounts.pam_nullok", snap)
    assert res.status == "fail" and "su" in res.evidence["services"]


# --- sudo: NOPASSWD rules that are root in disguise -----------------------------------------------


@pytest.mark.parametrize("command", [
    "sudoedit /etc/sudoers", "sudoedit", "sudoedit /etc/*", "/usr/bin/tee /etc/sudoers.d/x", "/usr/bin/tee",
    "/bin/cp * /etc/", "/bin/cp /tmp/x /etc/shadow", "/usr/bin/vi /var/www/index.html", "/bin/nano /tmp/x",
    "/usr/bin/vim", "/bin/chmod", "/bin/chown root\\:root /etc/passwd", "/bin/dd", "/bin/dd of=/etc/shadow",
    "/bin/bash", "/bin/su", "/usr/bin/env", "/usr/bin/python3", "ALL", "/usr/bin/sed -i * /etc/passwd",
    "/usr/bin/install -m 0440 /tmp/x /etc/sudoers.d/x", "/usr/bin/tar xf /tmp/x.tar -C /",
    "/usr/bin/apt-get", "/usr/bin/systemctl", "/usr/bin/passwd", "/usr/bin/nice /bin/sh",
    "/usr/bin/less /var/log/syslog",
])
def test_root_equivalent_nopasswd_rules_fail(make_root: Callable[..., Path], command: str) -> None:
    sudoers = f"root ALL=(ALL:ALL) ALL\nbob ALL=(root) NOPASSWD: {command}\n"
    snap = accounts(make_root, {"etc/sudoers": (sudoers, 0o440)})
    assert "sudo_rules.parse" not in snap.unknown, snap.unknown.get("sudo_rules.parse")
    res = run_check("accounts.sudo_nopasswd", snap)
    assert res.status == "fail", (command, res.status, res.evidence)
    assert res.evidence["broad"][0]["root_equivalent"]
    admins = run_check("accounts.admin_members", snap)
    assert "bob" in json.dumps(admins.evidence["admins"]), command


@pytest.mark.parametrize("command", [
    "/usr/bin/systemctl restart nginx", "sudoedit /etc/nginx/sites-available/truong", "/usr/bin/tee /var/log/x.log",
    "/bin/cp /srv/a /srv/b", "/usr/bin/python3 /opt/backup.py", '/usr/bin/passwd ""',
    "/usr/bin/tar czf /backup/etc.tgz /etc",
])
def test_narrow_nopasswd_rules_only_warn(make_root: Callable[..., Path], command: str) -> None:
    sudoers = f"root ALL=(ALL:ALL) ALL\nbob ALL=(root) NOPASSWD: {command}\n"
    res = run_check("accounts.sudo_nopasswd", accounts(make_root, {"etc/sudoers": (sudoers, 0o440)}))
    assert res.status == "warn", (command, res.evidence)


@pytest.mark.parametrize("field, is_root", [(" 0", True), ("+0", True), ("-0", True), ("00", True),
                                             ("4294967296", False), ("-1", False), ("0x0", False),
                                             ("٠", False), ("0_0", False), ("0 ", False)])
def test_uid_fields_read_as_glibc_reads_them(make_root: Callable[..., Path], field: str, is_root: bool) -> None:
    """glibc's strtou32 takes leading blanks and a sign, saturates instead of wrapping, and refuses
    anything but ASCII digits up to the colon: the audit must see the same UID 0 the system does."""
    passwd = "root:x:0:0:root:/root:/bin/bash\n" + f"evil:x:{field}:0::/root:/bin/bash\n"
    res = run_check("accounts.uid0_duplicates", accounts(make_root, {"etc/passwd": passwd}))
    assert res.status == ("fail" if is_root else "pass"), (field, res.status)
