"""The logging table on Linux: journald drop-in order and units, rsyslog includes and forwarding syntax,
logrotate includes, globals and retention, auditd."""

from __future__ import annotations

import pytest

from secaudit.facts.linux.journald import parse_timespan
from secaudit.facts.linux.logrotate import retention_days
from tests.conftest import facts_of
from tests.unit.logging_fixtures import WANTS, debian


def logging_of(make_root, overrides=None):
    return facts_of(make_root(debian(overrides)), only={"logging"}).table("logging")


def test_stock_debian(make_root) -> None:
    log = logging_of(make_root)
    rs = log["rsyslog"]
    assert rs["installed"] and rs["enabled"] and rs["forwards"] == []  # the /* */ block is a comment
    assert [o["path"] for o in rs["outputs"]][:2] == ["/var/log/auth.log", "/var/log/syslog"]
    assert rs["outputs"][0] == {"path": "/var/log/auth.log", "selector": "auth,authpriv.*",
                                "source": "/etc/rsyslog.conf:14"}
    st = next(s for s in log["logrotate"]["stanzas"] if "/var/log/auth.log" in s["paths"])
    assert st["retention_days"] == 28 and st["source"] == "/etc/logrotate.d/rsyslog:7"
    assert log["logrotate"]["files"] == ["/etc/logrotate.conf", "/etc/logrotate.d/apt", "/etc/logrotate.d/rsyslog"]
    j = log["journald"]
    assert j["storage"] == "auto" and j["persistent"] is True and j["max_retention_sec"] is None
    assert log["auditd"]["installed"] is False


def test_journald_dropins_override_in_systemd_order(make_root) -> None:
    log = logging_of(make_root, {
        "etc/systemd/journald.conf": "[Journal]\nSystemMaxUse=2G\nStorage=volatile\n[Other]\nStorage=none\n",
        "usr/lib/systemd/journald.conf.d/50-vendor.conf": "[Journal]\nStorage=volatile\nMaxRetentionSec=1w\n",
        "etc/systemd/journald.conf.d/50-vendor.conf": "[Journal]\nStorage=persistent\n",  # hides /usr/lib's
        "run/systemd/journald.conf.d/60-x.conf": "[Journal]\nMaxRetentionSec=3month\n",
        "etc/systemd/journald.conf.d/70-reset.conf": "[Journal]\nSystemMaxUse=\n",  # back to the default
        "etc/systemd/journald.conf.d/README": "[Journal]\nStorage=none\n",  # not a .conf
        "var/log/journal/.keep": None})
    j = log["journald"]
    assert j["storage"] == "persistent" and j["persistent"] and not j["journal_dir"]
    assert j["max_retention_sec"] == 7889400 and j["sources"]["maxretentionsec"].startswith("/run/systemd/")
    assert j["system_max_use"] is None
    assert j["sources"]["storage"] == "/etc/systemd/journald.conf.d/50-vendor.conf:2"


def test_journald_auto_without_journal_dir_is_volatile(make_root) -> None:
    j = logging_of(make_root, {"var/log/journal/.keep": None})["journald"]
    assert j["storage"] == "auto" and j["persistent"] is False


@pytest.mark.parametrize("text,seconds", [("3month", 7889400), ("90d", 7776000), ("1y 2M", 36817200),
                                          ("3600", 3600), ("5min", 300), ("2 weeks", 1209600)])
def test_timespans(text, seconds) -> None:
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize("text", ["", "3 fortnights", "9" * 400 + "d", "1e9999y", "-5d", "d"])
def test_bad_timespans_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_timespan(text)


def test_rsyslog_forwarding_syntaxes(make_root) -> None:
    rs = logging_of(make_root, {
        "etc/rsyslog.d/50-remote.conf": (
            '*.* @@logs.school.edu.vn:10514\n'
            'auth.* @10.0.0.9\n'
            '# *.* @@old.example:514\n'
            'action(type="omfwd"\n       target="10.1.1.1" port="514"\n       protocol="tcp") # multi-line\n'
            'if $programname == "sshd" then @@[2001:db8::1]:514\n'
            'include(file="/etc/rsyslog.d/extra/*.conf" mode="optional")\n'),
        "etc/rsyslog.d/extra/a.conf": ':omrelp:relp.example:2514\n',
        "etc/rsyslog.d/50-remote.conf.bak": '*.* @@ignored.example\n'})["rsyslog"]
    got = [(f["target"], f["protocol"], f["source"]) for f in rs["forwards"]]
    assert got == [("logs.school.edu.vn", "tcp", "/etc/rsyslog.d/50-remote.conf:1"),
                   ("10.0.0.9", "udp", "/etc/rsyslog.d/50-remote.conf:2"),
                   ("10.1.1.1", "tcp", "/etc/rsyslog.d/50-remote.conf:4"),
                   ("2001:db8::1", "tcp", "/etc/rsyslog.d/50-remote.conf:7"),
                   ("relp.example", "relp", "/etc/rsyslog.d/extra/a.conf:1")]


def test_rsyslog_not_enabled(make_root) -> None:
    rs = logging_of(make_root, {f"{WANTS}/rsyslog.service": None})["rsyslog"]
    assert rs["installed"] and not rs["enabled"]


def test_logrotate_globals_includes_and_scripts(make_root) -> None:
    log = logging_of(make_root, {
        "etc/logrotate.conf": "daily\nrotate 7\ninclude /etc/logrotate.d\nmonthly\n/var/log/wtmp {\n rotate 1\n}\n",
        "etc/logrotate.d/rsyslog": ('/var/log/syslog /var/log/auth.log {\n  rotate 13\n  postrotate\n'
                                    '    echo "rotate 1 } weekly"\n  endscript\n}\n'),
        "etc/logrotate.d/apt": "/var/log/apt/*.log {\n  maxage 30\n}\n",
        "etc/logrotate.d/old.dpkg-old": "/var/log/x {\n rotate 1\n}\n"})["logrotate"]
    by = {s["paths"][0]: s for s in log["stanzas"]}
    assert by["/var/log/syslog"]["retention_days"] == 13 and by["/var/log/syslog"]["period"] == "daily"
    assert by["/var/log/apt/*.log"]["retention_days"] == 7  # rotate 7 daily, maxage 30
    assert by["/var/log/wtmp"]["period"] == "monthly" and by["/var/log/wtmp"]["retention_days"] == 30
    assert "/var/log/x" not in by and log["invalid"] == []


def test_retention_arithmetic() -> None:
    assert retention_days({"rotate": 13, "period": "weekly"}) == 91
    assert retention_days({"rotate": 3, "period": "monthly", "maxage": 60}) == 60
    assert retention_days({"rotate": 4, "size": "100M"}) is None
    assert retention_days({"rotate": -1, "period": "weekly", "maxage": 400}) == 400
    assert retention_days({"period": "weekly"}) == 0


def test_auditd(make_root) -> None:
    a = logging_of(make_root, {
        "sbin/auditd": "", f"{WANTS}/auditd.service": "",
        "etc/audit/auditd.conf": "log_file = /var/log/audit/audit.log\nnum_logs = 5\nmax_log_file = 8\n"
                                 "max_log_file_action = ROTATE\nspace_left_action = SYSLOG # comment\n",
        "etc/audit/rules.d/audit.rules": "-D\n-b 8192\n--backlog_wait_time 60000\n-f 1\n",
        "etc/audit/rules.d/50-identity.rules": "-w /etc/passwd -p wa -k identity\n# -w /etc/shadow\n"})["auditd"]
    assert a["installed"] and a["enabled"] and a["num_logs"] == 5 and a["max_log_file_action"] == "rotate"
    assert a["space_left_action"] == "syslog" and a["conf_refused"] is None  # an action may take one option
    assert a["rules"] == ["/etc/audit/rules.d/50-identity.rules:1"]


def test_rsyslog_statements_quotes_and_long_lines() -> None:
    from secaudit.facts.linux.rsyslog import strip_comments

    text = 'action(type="omfile" file="/var/log/a(b#c")  # comment\n*.* @@h # comment\n'
    assert strip_comments(text) == [(1, 'action(type="omfile" file="/var/log/a(b#c")'), (2, "*.* @@h")]
    long = 'action(type="omfwd" target="x" ' + "a" * 200_000 + ")\n" + "*.* /var/log/x\n" * 20_000
    assert len(strip_comments(long)) == 20_001  # linear: a long line is not re-scanned per character


def test_huge_numbers_do_not_break_the_collector(make_root) -> None:
    log = logging_of(make_root, {
        "etc/logrotate.d/rsyslog": "/var/log/syslog {\n  rotate " + "9" * 5000 + "\n  hourly\n}\n",
        "sbin/auditd": "", "etc/audit/auditd.conf": "num_logs = " + "9" * 5000 + "\nmax_log_file = 8\n"})
    st = next(s for s in log["logrotate"]["stanzas"] if "/var/log/syslog" in s["paths"])
    # strtol saturates at LONG_MAX, which logrotate's int holds as -1: never deleted.
    assert st["rotate"] == -1 and st["retention_days"] == 10 ** 6
    # auditd skips a line over 158 bytes ("too long") and reads on.
    assert "num_logs" not in log["auditd"] and log["auditd"]["max_log_file"] == 8
    assert log["auditd"]["conf_refused"] is None


def test_syslog_ng_part_and_sources(make_root) -> None:
    from tests.unit.logging_fixtures import debian_syslog_ng

    log = logging_of(make_root)
    assert log["syslog_ng"]["installed"] is False and log["syslog_ng"]["files"] == []
    log = facts_of(make_root(debian_syslog_ng()), only={"logging"}).table("logging")
    assert log["rsyslog"]["installed"] is False and log["syslog_ng"]["enabled"] is True
    assert "/etc/syslog-ng/syslog-ng.conf" in log["sources"] and "/etc/logrotate.d/syslog-ng" in log["sources"]


def test_logrotate_taboo_directives(make_root) -> None:
    stanza = "/var/log/{} {{\n  rotate 13\n}}\n"
    files = {"etc/logrotate.d/foo.bak": stanza.format("bak"), "etc/logrotate.d/old.dpkg-old": stanza.format("old"),
             "etc/logrotate.d/app.x": stanza.format("x"), "etc/logrotate.d/.hidden.swp": stanza.format("hidden")}

    def read(conf: str) -> tuple[set[str], list[str]]:
        lr = logging_of(make_root, {"etc/logrotate.conf": conf, **files})["logrotate"]
        return {p for s in lr["stanzas"] for p in s["paths"]}, lr["skipped"]

    # The startup list: foo.bak and old.dpkg-old skipped; a leading dot is not matched by "*" (FNM_PERIOD).
    paths, skipped = read("include /etc/logrotate.d\n")
    assert "/var/log/x" in paths and "/var/log/hidden" in paths and "/var/log/old" not in paths
    assert "/etc/logrotate.d/old.dpkg-old" in skipped and "/etc/logrotate.d/foo.bak" in skipped
    # "+" adds; without it the list is replaced, so .dpkg-old files are read again.
    paths, skipped = read("tabooext + .bak\ninclude /etc/logrotate.d\n")
    assert "/var/log/bak" not in paths and "/var/log/old" not in paths
    paths, skipped = read("tabooext .x\ninclude /etc/logrotate.d\n")
    assert {"/var/log/old", "/var/log/bak"} <= paths and "/var/log/x" not in paths
    assert skipped == ["/etc/logrotate.d/app.x"]
    # taboopat shares the list (replaces extensions too); comma and/or space separated; only later includes.
    paths, _ = read("taboopat app.*, .h*\ninclude /etc/logrotate.d\n")
    assert "/var/log/x" not in paths and "/var/log/hidden" not in paths and "/var/log/old" in paths
    paths, _ = read("tabooext + ,.x  .y\ninclude /etc/logrotate.d\n")
    assert "/var/log/x" not in paths and "/var/log/old" not in paths
    paths, _ = read("include /etc/logrotate.d\ntabooext .x\n")
    assert "/var/log/x" in paths and "/var/log/old" not in paths


def test_logrotate_taboo_set_in_an_included_file_applies_to_later_includes(make_root) -> None:
    lr = logging_of(make_root, {
        "etc/logrotate.conf": "include /etc/logrotate.d\ninclude /etc/logrotate.extra\n",
        "etc/logrotate.d/00-taboo": "tabooext + .off\n/var/log/a {\n  tabooext .z\n  rotate 1\n}\n",
        "etc/logrotate.extra/b.off": "/var/log/b {\n  rotate 1\n}\n"})["logrotate"]
    assert "/etc/logrotate.extra/b.off" in lr["skipped"]
    assert lr["invalid"] == ["/etc/logrotate.d/00-taboo:3"]  # not inside a stanza: that stanza is dropped
    assert "/var/log/a" not in {p for s in lr["stanzas"] for p in s["paths"]}
