from __future__ import annotations

from typing import Any

from secaudit.facts.linux.sudo_rules import rules
from secaudit.facts.linux.sudoers import (
    Sudoers,
    include_dir_files,
    logical_lines,
    parse_text,
)
from tests.conftest import facts_of
from tests.unit.accounts_fixtures import replay, system


def parse(text: str, host: str = "school-srv") -> tuple[Sudoers, list[dict[str, Any]]]:
    parsed = Sudoers()
    parse_text(text, "/etc/sudoers", parsed)
    return parsed, rules(parsed, host)


def by_principal(rows: list[dict[str, Any]], principal: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["principal"] == principal]


def test_uid_and_gid_principals_are_not_comments() -> None:
    parsed, rows = parse(
        "#1000 ALL=(ALL) ALL\n"
        "%#1001 ALL=(ALL) NOPASSWD: ALL\n"
        "# 1002 ALL=(ALL) ALL\n"
        "#alice ALL=(ALL) ALL\n"
        "#-1 ALL=/bin/true\n"
        "carol ALL=/usr/bin/id # trailing comment, not part of the command\n"
    )
    assert parsed.errors == []
    assert [(r["principal"], r["principal_kind"]) for r in rows] == [
        ("#1000", "uid"), ("%#1001", "gid"), ("#-1", "uid"), ("carol", "user")]
    assert by_principal(rows, "carol")[0]["commands"] == ["/usr/bin/id"]
    assert by_principal(rows, "carol")[0]["source"] == "/etc/sudoers:6"


def test_continuation_lines_join_and_comment_does_not_continue() -> None:
    text = ("alice ALL = /usr/bin/apt update, \\\n"
            "            /usr/bin/apt upgrade\n"
            "# a comment ending in a backslash \\\n"
            "bob ALL = ALL\n")
    assert [n for n, _ in logical_lines(text)] == [1, 4]
    _, rows = parse(text)
    assert by_principal(rows, "alice")[0]["commands"] == ["/usr/bin/apt update", "/usr/bin/apt upgrade"]
    assert by_principal(rows, "alice")[0]["source"] == "/etc/sudoers:1"
    assert by_principal(rows, "bob")[0]["all_commands"] is True


def test_nested_aliases_and_negation() -> None:
    parsed, rows = parse(
        "User_Alias TEACHERS = gv1, gv2\n"
        "User_Alias STAFF = TEACHERS, %ketoan, !gv2\n"
        "Cmnd_Alias SHELLS = /bin/sh, /bin/bash\n"
        "Cmnd_Alias SAFE = !SHELLS, /usr/bin/less\n"
        "Runas_Alias OPS = root, operator\n"
        "Host_Alias SERVERS = school-srv, web01\n"
        "STAFF SERVERS = (OPS) ALL, !SAFE\n"
    )
    assert parsed.errors == []
    principals = [r["principal"] for r in rows]
    assert principals == ["gv1", "%ketoan"]  # gv2 is negated after TEACHERS: excluded
    row = rows[0]
    assert row["via_alias"] == "STAFF"
    assert row["except"] == ["gv2"]
    assert row["runas_users"] == ["root", "operator"]
    # !SAFE = !(!SHELLS, less): the shells come out positive, less negated
    assert row["commands"] == ["ALL", "/bin/sh", "/bin/bash", "!/usr/bin/less"]
    assert row["host_match"] is True


def test_nopasswd_carries_over_until_passwd_and_runas_carries_over() -> None:
    _, rows = parse("dave ALL = (www-data) NOPASSWD: /usr/bin/php, /usr/bin/composer, "
                    "(root) /usr/sbin/service apache2 reload, PASSWD: /bin/ls, /bin/cat\n")
    got = [(r["runas"], r["nopasswd"], r["commands"]) for r in rows]
    assert got == [
        ("www-data", True, ["/usr/bin/php", "/usr/bin/composer"]),
        ("root", True, ["/usr/sbin/service apache2 reload"]),  # the tag survives a new Runas_Spec
        ("root", False, ["/bin/ls", "/bin/cat"]),
    ]


def test_tags_do_not_carry_across_colon_separated_specs() -> None:
    _, rows = parse("erin school-srv = NOPASSWD: /usr/bin/systemctl restart nginx\\, now : "
                    "web01 = /usr/bin/tail\n")
    assert [(r["hosts"], r["nopasswd"], r["commands"], r["host_match"]) for r in rows] == [
        (["school-srv"], True, ["/usr/bin/systemctl restart nginx, now"], True),
        (["web01"], False, ["/usr/bin/tail"], False),
    ]


def test_defaults_lines_are_not_rules_but_authenticate_counts() -> None:
    parsed, rows = parse(
        'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
        "Defaults:frank !authenticate\n"
        "Defaults>root !requiretty\n"
        "Defaults!/usr/bin/lpq !authenticate\n"
        "frank ALL = /usr/bin/apt\n"
        "grace ALL = /usr/bin/lpq, /usr/bin/apt\n"
        "heidi ALL = PASSWD: /usr/bin/apt\n"
    )
    assert parsed.errors == []
    assert {d.name for d in parsed.defaults} == {"secure_path", "authenticate", "requiretty"}
    assert [r["principal"] for r in rows] == ["frank", "grace", "heidi"]
    frank, grace, heidi = rows
    assert frank["nopasswd"] is True and frank["nopasswd_source"] == "/etc/sudoers:2"
    assert grace["nopasswd"] is True and grace["nopasswd_source"] == "/etc/sudoers:4"
    assert heidi["nopasswd"] is False  # an explicit tag beats Defaults


def test_global_defaults_not_authenticate() -> None:
    _, rows = parse("Defaults !authenticate\n%sudo ALL=(ALL:ALL) ALL\n")
    assert rows[0]["nopasswd"] is True and rows[0]["nopasswd_source"] == "/etc/sudoers:1"


def test_runas_forms() -> None:
    _, rows = parse("a ALL = /bin/x\nb ALL = () /bin/x\nc ALL = (:adm) /bin/x\nd ALL=(ALL : ALL) ALL\n")
    assert [(r["runas"], r["runas_users"], r["runas_groups"]) for r in rows] == [
        ("root", ["root"], []), ("", [], []), (":adm", [], ["adm"]), ("ALL:ALL", ["ALL"], ["ALL"])]


def test_multiple_users_digest_and_options() -> None:
    parsed, rows = parse(
        "ivan, %lab , +ops ALL = TIMEOUT=5m sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef /usr/local/bin/backup\n")
    assert parsed.errors == []
    assert [(r["principal"], r["principal_kind"]) for r in rows] == [
        ("ivan", "user"), ("%lab", "group"), ("+ops", "netgroup")]
    assert rows[0]["commands"] == ["/usr/local/bin/backup"]
    assert rows[0]["options"] == {"TIMEOUT": "5m"}


def test_unparseable_line_is_reported_not_guessed() -> None:
    parsed, rows = parse("this is not sudoers\nalice ALL=ALL\n")
    assert rows and rows[0]["principal"] == "alice"
    assert parsed.errors and parsed.errors[0].startswith("/etc/sudoers:1")


def test_include_dir_rules() -> None:
    assert include_dir_files(["zz", "10-admins", "README", "old~", "x.dpkg-old", "a.conf", "B"]) == [
        "10-admins", "B", "README", "zz"]


def test_includes_through_a_fixture_root(make_root) -> None:
    root = make_root(system({
        "etc/sudoers": ("Defaults env_reset\n"
                        "root ALL=(ALL:ALL) ALL\n"
                        "%sudo ALL=(ALL:ALL) ALL\n"
                        "@include sudoers.local\n"
                        "#includedir /etc/sudoers.d\n", 0o440),
        "etc/sudoers.local": "judy ALL = NOPASSWD: ALL\n",
        "etc/sudoers.d/README": "# #includedir reads this: no dot in the name\n",
        "etc/sudoers.d/10-ops": "@include ../ops-extra\nkim ALL = /usr/bin/apt\n",
        "etc/ops-extra": "leo ALL=(ALL) ALL\n",
        "etc/sudoers.d/20-old~": "mallory ALL=(ALL) NOPASSWD: ALL\n",
        "etc/sudoers.d/backup.bak": "mallory ALL=(ALL) NOPASSWD: ALL\n",
        "etc/sudoers.d/05-first": "nina ALL=(ALL) ALL\n",
    }))
    snap = facts_of(root, only={"sudoers"})
    rows = snap.table("sudo_rules")
    assert [r["principal"] for r in rows] == ["root", "%sudo", "judy", "nina", "leo", "kim"]
    assert {r["principal"]: r["source"] for r in rows}["judy"] == "/etc/sudoers.local:1"
    assert {r["principal"]: r["source"] for r in rows}["leo"] == "/etc/ops-extra:1"
    assert "sudo_rules" not in snap.unknown


def test_unreadable_sudoers_is_unknown_but_groups_still_count() -> None:
    files = system({"etc/group": "root:x:0:\nsudo:x:27:alice\nwheel:x:10:bob\nalice:x:1000:\nbob:x:1001:\n"})
    snap = replay(files, denied=["/etc/sudoers"])
    assert snap.unknown["sudo_rules"]["code"] == "permission_denied"
    assert snap.unknown["sudo_rules"]["detail"] == "/etc/sudoers"
    users = {u["name"]: u for u in snap.table("users")}
    assert users["alice"]["admin"] and users["alice"]["admin_via"] == ["group:sudo"]
    assert users["bob"]["admin"] and users["bob"]["admin_via"] == ["group:wheel"]


def test_no_sudo_installed_means_no_rules_and_not_applicable() -> None:
    snap = replay(system({"etc/sudoers": None}))
    assert snap.table("sudo_rules") == []
    assert snap.unknown["sudo_rules"]["code"] == "not_applicable"  # no sudoers and no sudo program


def test_sudo_program_without_sudoers_is_unknown_not_no_rules() -> None:
    snap = replay(system({"etc/sudoers": None, "usr/bin/sudo": "ELF"}))
    assert snap.unknown["sudo_rules"] == {"code": "not_found", "detail": "/etc/sudoers (/usr/bin/sudo is installed)"}


def test_admin_via_sudoers_lines_and_uid_gid_principals() -> None:
    files = system({
        "etc/sudoers": ("root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n"
                        "#1001 ALL=(ALL) /bin/bash\n%#1000 ALL=(postgres) ALL\n"), })
    snap = replay(files)
    users = {u["name"]: u for u in snap.table("users")}
    assert users["alice"]["admin_via"] == ["group:sudo", "/etc/sudoers:2"]
    assert users["bob"]["admin_via"] == ["/etc/sudoers:3"]  # #1001 -> bob, a root shell
    groups = {g["name"]: g for g in snap.table("groups")}
    assert groups["sudo"]["admin"] and groups["sudo"]["admin_via"] == ["name:sudo", "/etc/sudoers:2"]
    assert groups["alice"]["admin"] is False  # %#1000 only runs commands as postgres


RHEL_SUDOERS = """\
## Sudoers allows particular users to run various commands as
## the root user, without needing the root password.
Defaults   !visiblepw
Defaults    always_set_home
Defaults    env_keep =  "COLORS DISPLAY HOSTNAME HISTSIZE KDEDIR LS_COLORS"
Defaults    env_keep += "MAIL QTDIR USERNAME LANG LC_ADDRESS LC_CTYPE"
Defaults    secure_path = /sbin:/bin:/usr/sbin:/usr/bin
## Allow root to run any commands anywhere
root\tALL=(ALL) \tALL
# %sys ALL = NETWORKING, SOFTWARE, SERVICES, STORAGE, DELEGATING, PROCESSES, LOCATE, DRIVERS
## Allows people in group wheel to run all commands
%wheel\tALL=(ALL)\tALL
## Same thing without a password
# %wheel\tALL=(ALL)\tNOPASSWD: ALL
#Defaults:%sudo env_keep += "GPG_AGENT_INFO"
## Read drop-in files from /etc/sudoers.d (the # here does not mean a comment)
#includedir /etc/sudoers.d
"""


def test_distribution_default_sudoers_parse_cleanly() -> None:
    parsed, rows = parse(RHEL_SUDOERS)
    assert parsed.errors == []
    assert [(r["principal"], r["runas"], r["commands"], r["nopasswd"]) for r in rows] == [
        ("root", "ALL", ["ALL"], False), ("%wheel", "ALL", ["ALL"], False)]
    assert {d.name for d in parsed.defaults} == {"visiblepw", "always_set_home", "env_keep", "secure_path"}
    assert [d.value for d in parsed.defaults if d.name == "secure_path"] == ["/sbin:/bin:/usr/sbin:/usr/bin"]
