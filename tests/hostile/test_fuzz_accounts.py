"""Issue 9, property-based fuzzing of the account parsers: sudoers, PAM (lines, controls, the dispatch
replay), login.defs, pwquality/passwdqc/faillock settings, passwd/shadow/group, lastlog.

Each parser gets arbitrary text and mutated real samples (the fixtures' files and this machine's own)
and must return its normal result; no exception escapes. The account collectors are fuzzed as a whole
through an in-memory system: they may raise FactUnavailable (recorded as unknown), nothing else, and
what they put in the snapshot stays JSON.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.facts.linux import accounts, etcfiles, pam, pam_policy, pamflow, sudo_rules, sudoers
from secaudit.facts.linux.logins import LASTLOG_RECORD, defs_int, parse_lastlog, parse_login_defs
from secaudit.policy import sudo
from secaudit.transport.base import FactUnavailable
from tests.hostile.fuzzkit import (
    FUZZ,
    FUZZ_FEW,
    MemTransport,
    context,
    mutated,
    mutated_bytes,
    real_bytes,
    real_file,
    seeds,
)
from tests.unit.accounts_fixtures import COMMON_AUTH, COMMON_PASSWORD, GROUP, PASSWD, shadow
from tests.unit.facts.linux.test_pam import RHEL_SYSTEM_AUTH
from tests.unit.facts.linux.test_sudoers import RHEL_SUDOERS

SUDOERS = """\
Defaults env_reset, !authenticate
Defaults:%ketoan !requiretty
Defaults!/usr/bin/apt authenticate
Host_Alias SRV = school-srv, 10.0.0.0/8 : LAB = pc*
User_Alias TEACHERS = gv1, gv2, %giaovien, #1005, !gv3
Runas_Alias DB = postgres, mysql
Cmnd_Alias SHELLS = /bin/sh, /bin/bash, sha256:aGVsbG8= /usr/bin/id
root ALL=(ALL:ALL) ALL
%sudo ALL=(ALL:ALL) ALL
TEACHERS SRV = (DB) NOPASSWD: /usr/bin/psql, PASSWD: !SHELLS : LAB = (root) sudoedit /etc/motd
gv1 ALL = (ALL, !root) ALL, (root) NOEXEC: /usr/bin/less /var/log/*
"quoted user" ALL = CWD=/tmp TIMEOUT=5 /usr/bin/tee /etc/sudoers.d/x \\
    , /bin/cp * /etc/
#includedir /etc/sudoers.d
@include sudoers.local
"""
SUDOERS_SAMPLES = seeds(SUDOERS, RHEL_SUDOERS, real_file("/etc/sudoers"))
PAM_SAMPLES = seeds(COMMON_AUTH, COMMON_PASSWORD, RHEL_SYSTEM_AUTH,
                    "auth [success=2 default=ignore new_authtok_reqd=done] pam_unix.so nullok\n"
                    "-auth optional /lib/security/pam_gnome_keyring.so [a b\\] c]\n"
                    "auth substack system-auth\n@include common-auth\nauth [default=1 ignore=ignore] pam_localuser.so\n"
                    "password requisite pam_pwquality.so retry=3 minlen=x\n",
                    real_file("/etc/pam.d/common-auth"), real_file("/etc/pam.d/common-password"),
                    real_file("/etc/pam.d/login"), real_file("/etc/pam.d/sshd"), real_file("/etc/pam.d/su"))
CONTROLS = ("required", "REQUISITE", "optional", "sufficient", "include", "substack", "[success=1 default=ignore]",
            "[default=die]", "[success=ok new_authtok_reqd=ok ignore=ignore default=bad]", "[success=1default=ignore]",
            "[ignore=reset default=2]", "[default=0]", "[success=99999999999]", "[]", "[", "success=done",
            "[auth_err=die success=done]", "[user_unknown=ignore default=1 success=3]")
MODULES = ("pam_unix.so", "pam_faillock.so", "pam_pwquality.so", "pam_deny.so", "pam_permit.so", "pam_tally2.so",
           "pam_pwhistory.so", "pam_sss.so", "pam_passwdqc.so", "pam_cracklib.so", "pam_rootok.so", "pam_x.so")
ARGS = ("preauth", "authfail", "authsucc", "deny=3", "deny=0", "deny=-1", "deny=²", "unlock_time=never",
        "unlock_time=99999999999999999999", "remember=5", "remember=x", "minlen=14", "minlen=-5", "enforcing=0",
        "enforce=none", "min=disabled,24,11,8,7", "min=,,,,", "min=9" * 50, "conf=/etc/x", "nullok", "[a b]")
LOGIN_DEFS = "# c\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS 0\nPASS_WARN_AGE\t7\nUID_MIN 1000\nUID_MAX 0x10000\n" \
             'ENCRYPT_METHOD "SHA512"\nUMASK 022\n'
SETTINGS = "# pwquality\nminlen = 14\nminclass=4\n dcredit = -1 # trailing\nenforce_for_root\nenforcing = 0\n=\n"
PASSWD_SAMPLES = seeds(PASSWD, real_file("/etc/passwd"),
                       "+::::::\n-bob\n::0:0::/:/bin/sh\nx:y:-1:99999999999999999999:g:/h:/s:extra:colons\n")
GROUP_SAMPLES = seeds(GROUP, real_file("/etc/group"), "sudo:x:27:alice,,bob, ,\n:x:0:\nbad:x:²:\n")
SHADOW_SAMPLES = seeds(shadow(), "root:!*LK*:0::::::\nalice::x:y:z:w:v:u:t:s\nbob\n", real_file("/etc/shadow"))


def _jsonable(value: Any) -> None:
    json.dumps(value)


# --- sudoers --------------------------------------------------------------------------------------


@FUZZ
@given(mutated(SUDOERS_SAMPLES), st.sampled_from(["school-srv", "", "pc07.truong.local", "*"]))
@example("a ALL=(", "h")
@example("Cmnd_Alias A = A, !A\nu ALL = A, !A", "h")
@example('"' * 501 + " ALL = ALL", "h")
@example("u ALL = (" + "(" * 3000, "h")
@example("Defaults@" + "," * 3000, "h")
@example("u ALL = sha256:" + "=" * 3000, "h")
def test_sudoers_text(text: str, host: str) -> None:
    parsed = sudoers.Sudoers()
    sudoers.parse_text(text, "/etc/sudoers", parsed)
    rows = sudo_rules.rules(parsed, host)
    _jsonable(rows)
    for row in rows:
        sudo.runs_as_root(row)
        assert isinstance(sudo.root_reasons(row), list)
    assert all(isinstance(e, str) for e in parsed.errors)


@FUZZ
@given(mutated(("sudoedit /etc/sudoers", "/usr/bin/tee /etc/sudoers.d/x", "/bin/cp * /etc/", "/bin/dd of=/etc/x",
                "/usr/bin/tar xf a -C /", "/usr/bin/su - root", "/usr/bin/python3 /opt/x.py", "/usr/bin/")))
@example("/bin/cp -t")
@example("/usr/bin/tar -C")
@example("/bin/dd of=")
@example("/usr/bin/tee " + "/" * 3000)
@example("/usr/bin/tee =")
def test_root_equivalent(command: str) -> None:
    why = sudo.root_equivalent(command)
    assert why is None or isinstance(why, str)


@FUZZ_FEW
@given(mutated(SUDOERS_SAMPLES), mutated(SUDOERS_SAMPLES),
       st.lists(st.sampled_from(["x", "a~", "b.conf", "local", "README", "..", "%h"]), max_size=4))
def test_sudoers_with_includes(main: str, part: str, names: list[str]) -> None:
    files = {"/etc/sudoers": "#includedir /etc/sudoers.d\n" + main + "\n@include /etc/sudoers\n",
             **{f"/etc/sudoers.d/{n}": part + "\n#include /etc/sudoers.d/x\n" for n in names}}
    t = MemTransport(files)
    reader = sudoers.Reader(t.read_text, t.list_dir, lambda p: p in t.files, "school-srv")
    parsed = sudoers.parse_sudoers(reader)
    assert parsed is not None
    _jsonable(sudo_rules.rules(parsed, "school-srv"))


# --- PAM ------------------------------------------------------------------------------------------


@FUZZ
@given(mutated(PAM_SAMPLES))
@example("auth")
@example("[" * 3000)
@example("auth [" + "\\" * 1001)
@example("@include")
@example("auth required pam_unix.so \\\\\n\\\n# x \\\n")
def test_pam_lines(text: str) -> None:
    for line in pam.parse_pam(text, "/etc/pam.d/x"):
        assert isinstance(line, pam.PamEntry | pam.PamInclude)
        if isinstance(line, pam.PamEntry):
            line.arg("deny")
            assert isinstance(line.name, str)


@FUZZ
@given(st.one_of(st.sampled_from(CONTROLS), mutated(CONTROLS)))
@example("[success=" + "9" * 5000 + "]")
@example("[default=ignore default=bad success=0]")
def test_pam_controls(control: str) -> None:
    table = pamflow.actions(control)
    assert set(table) == set(pamflow.RETURNS)
    for act in table.values():
        assert act in ("ignore", "ok", "done", "bad", "die", "reset") or (isinstance(act, int) and act > 0)


@st.composite
def _stacks(draw: st.DrawFn, depth: int = 0) -> list[object]:
    nodes: list[object] = []
    for i in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind == 0 and depth < 3:
            nodes.append(pamflow.Sub(tuple(draw(_stacks(depth + 1))), f"sub:{depth}:{i}"))
        elif kind == 1:
            nodes.append(pamflow.MustFail(f"x:{i}", "missing"))
        else:
            args = tuple(draw(st.lists(st.one_of(st.sampled_from(ARGS), mutated(ARGS)), max_size=3)))
            nodes.append(pam.PamEntry(draw(st.sampled_from(("auth", "password"))), draw(st.sampled_from(CONTROLS)),
                                      draw(st.sampled_from(MODULES)), args, f"/etc/pam.d/f:{depth}:{i}"))
    return nodes


@FUZZ
@given(_stacks(), st.lists(st.sampled_from((*pamflow.RETURNS, "nonsense")), min_size=1, max_size=20))
def test_pam_dispatch(nodes: list[object], answers: list[str]) -> None:
    counter = iter(range(10 ** 6))
    out = pamflow.run(nodes, lambda line: answers[next(counter) % len(answers)])
    assert isinstance(out.success, bool)
    assert all(isinstance(e, pam.PamEntry) for e in out.executed)


def _pam_system(data: st.DataObject) -> dict[str, str | bytes]:
    pick = mutated(PAM_SAMPLES)
    files: dict[str, str | bytes] = {
        "/etc/pam.d/common-auth": data.draw(pick), "/etc/pam.d/common-password": data.draw(pick),
        "/etc/pam.d/login": "@include common-auth\n" + data.draw(pick),
        "/etc/pam.d/sshd": "auth substack common-auth\nauth include sshd\n" + data.draw(pick),
        "/etc/pam.d/passwd": "password substack common-password\n" + data.draw(pick),
        "/etc/pam.d/system-auth": data.draw(pick),
        "/etc/security/faillock.conf": data.draw(mutated((SETTINGS, "deny = 4\nunlock_time = never\n"))),
        "/etc/security/pwquality.conf": data.draw(mutated((SETTINGS,))),
        "/etc/security/pwquality.conf.d/a.conf": data.draw(mutated((SETTINGS,))),
        "/etc/security/pwhistory.conf": data.draw(mutated(("remember = 5\n",))),
        "/etc/login.defs": data.draw(mutated((LOGIN_DEFS,))),
    }
    if data.draw(st.booleans()):
        files["/usr/lib/x86_64-linux-gnu/security/pam_unix.so"] = b""
    return files


@FUZZ_FEW
@given(st.data())
def test_pam_collectors(data: st.DataObject) -> None:
    ctx = context(MemTransport(_pam_system(data)))
    for fn in (accounts.collect_pam_table, accounts.collect_password_policy):
        with contextlib.suppress(FactUnavailable):
            fn(ctx)
    _jsonable(ctx.snapshot.to_dict())
    pol = ctx.snapshot.tables.get("password_policy") or {}
    for key in ("min_length", "min_classes", "history", "lockout_threshold", "lockout_minutes"):
        assert pol.get(key) is None or isinstance(pol[key], int)


# --- settings files and login.defs ----------------------------------------------------------------


@FUZZ
@given(mutated(seeds(SETTINGS, real_file("/etc/security/pwquality.conf"), real_file("/etc/security/faillock.conf"))))
def test_settings(text: str) -> None:
    got = pam_policy.parse_settings(text, "/etc/security/pwquality.conf")
    assert all(isinstance(k, str) and isinstance(v, tuple) for k, v in got.items())


@FUZZ
@given(mutated((SETTINGS,)), st.lists(st.one_of(st.sampled_from(ARGS), mutated(ARGS)), max_size=4),
       st.sampled_from(("pam_pwquality.so", "pam_cracklib.so", "pam_passwdqc.so")))
@example("", ["min=²,²,²,²,²"], "pam_passwdqc.so")
@example("minlen = ²\ndcredit = -²\n", ["minclass=٣"], "pam_pwquality.so")
def test_quality_settings(conf: str, args: list[str], module: str) -> None:
    ctx = context(MemTransport({"/etc/security/pwquality.conf": conf}))
    entry = pam.PamEntry("password", "requisite", module, tuple(args), "/etc/pam.d/x:1")
    got = pam_policy._quality_settings(ctx, entry)
    for key in ("min_length", "min_classes"):
        assert got["pol"].get(key) is None or isinstance(got["pol"][key], int)


@FUZZ
@given(mutated(seeds(LOGIN_DEFS, real_file("/etc/login.defs"))))
@example("PASS_MAX_DAYS 0x" + "f" * 5000)
@example('UID_MIN "')
def test_login_defs(text: str) -> None:
    defs = parse_login_defs(text, "/etc/login.defs")
    for key in ("PASS_MAX_DAYS", "UID_MIN", "UID_MAX", "PASS_MIN_DAYS"):
        value, _ = defs_int(defs, key)
        assert value is None or isinstance(value, int)


# --- passwd, shadow, group, lastlog ----------------------------------------------------------------


@FUZZ
@given(mutated(PASSWD_SAMPLES))
@example("root:x:" + "9" * 5000 + ":0::/:/bin/sh")
def test_passwd(text: str) -> None:
    for e in etcfiles.parse_passwd(text):
        assert isinstance(e.uid, int) and isinstance(e.gid, int)


@FUZZ
@given(mutated(GROUP_SAMPLES))
def test_group(text: str) -> None:
    for g in etcfiles.parse_group(text):
        assert isinstance(g.gid, int) and all(isinstance(m, str) for m in g.members)


@FUZZ
@given(mutated(SHADOW_SAMPLES))
def test_shadow(text: str) -> None:
    for s in etcfiles.parse_shadow(text):
        assert accounts.password_state(s.hash) in ("set", "empty", "locked", "none")


@FUZZ
@given(mutated_bytes(seeds(*(x for x in [real_bytes("/var/log/lastlog", 64 * LASTLOG_RECORD)] if x))
                     or (b"\0" * LASTLOG_RECORD * 3,)),
       st.lists(st.integers(-5, 200), max_size=5))
def test_lastlog(data: bytes, uids: list[int]) -> None:
    for rec in parse_lastlog(data, uids).values():
        assert isinstance(rec.time, int) and isinstance(rec.host, str)


@FUZZ_FEW
@given(st.data())
def test_account_collectors(data: st.DataObject) -> None:
    files: dict[str, str | bytes] = {
        "/etc/passwd": data.draw(mutated(PASSWD_SAMPLES)), "/etc/group": data.draw(mutated(GROUP_SAMPLES)),
        "/etc/shadow": data.draw(mutated(SHADOW_SAMPLES)), "/etc/sudoers": data.draw(mutated(SUDOERS_SAMPLES)),
        "/etc/sudoers.d/x": data.draw(mutated(SUDOERS_SAMPLES)), "/etc/hostname": data.draw(mutated(("srv\n",))),
        "/etc/login.defs": data.draw(mutated((LOGIN_DEFS,))),
        "/var/log/lastlog": data.draw(mutated_bytes((b"\0" * LASTLOG_RECORD * 3,))),
        "/var/log/wtmp": data.draw(st.binary(max_size=800)),
        **_pam_system(data),
    }
    ctx = context(MemTransport(files))
    for fn in (accounts.collect_accounts, accounts.collect_sudoers, accounts.collect_pam_table,
               accounts.collect_password_policy):
        with contextlib.suppress(FactUnavailable):
            fn(ctx)
    _jsonable(ctx.snapshot.to_dict())


NUMBERS = ("²", "٣", "１", "-1", "-0", "9" * 5000, "0x10", "", "1e9", "nan", "+5", "1_000", "99999999999999999999")


def test_nasty_numbers_everywhere_a_number_is_read() -> None:
    """Every numeric field the account collectors read, given numbers that str.isdigit() accepts
    and int() refuses, huge ones, signs and hex: still a snapshot, never an exception."""
    for n in NUMBERS:
        files: dict[str, str | bytes] = {
            "/etc/passwd": f"root:x:0:0::/root:/bin/bash\nbob:x:{n}:{n}::/home/bob:/bin/bash\n",
            "/etc/group": f"root:x:0:\nsudo:x:{n}:bob\n",
            "/etc/shadow": f"root:*:{n}:{n}:{n}:{n}:{n}:{n}:\nbob:$6$x$y:{n}:0:{n}:7:{n}:{n}:\n",
            "/etc/sudoers": f"#{n} ALL=(ALL) NOPASSWD: ALL\n%#{n} ALL=(#{n}) ALL\n",
            "/etc/login.defs": f"PASS_MAX_DAYS {n}\nUID_MIN {n}\nUID_MAX {n}\n",
            "/etc/security/faillock.conf": f"deny = {n}\nunlock_time = {n}\nfail_interval = {n}\n",
            "/etc/security/pwquality.conf": f"minlen = {n}\ndcredit = {n}\nminclass = {n}\nenforcing = {n}\n",
            "/etc/security/pwhistory.conf": f"remember = {n}\n",
            "/etc/pam.d/common-auth": f"auth required pam_faillock.so preauth deny={n}\n"
                                      f"auth [success={n} default=ignore] pam_unix.so\n"
                                      f"auth required pam_tally2.so deny={n} unlock_time={n}\n"
                                      "auth [default=die] pam_faillock.so authfail\n",
            "/etc/pam.d/common-password": f"password requisite pam_passwdqc.so min={n},{n},{n},{n},{n}\n"
                                          f"password requisite pam_cracklib.so minlen={n} ucredit={n}\n"
                                          f"password required pam_pwhistory.so remember={n}\n"
                                          f"password [success=1 default=ignore] pam_unix.so remember={n} minlen={n}\n",
            "/etc/pam.d/login": "@include common-auth\n", "/etc/pam.d/sshd": "@include common-auth\n",
            "/etc/pam.d/passwd": "@include common-password\n",
            "/var/log/lastlog": b"\0" * LASTLOG_RECORD,
        }
        ctx = context(MemTransport(files))
        for fn in (accounts.collect_accounts, accounts.collect_sudoers, accounts.collect_pam_table,
                   accounts.collect_password_policy):
            fn(ctx)
        _jsonable(ctx.snapshot.to_dict())
