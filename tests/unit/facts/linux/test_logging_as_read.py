"""The logging facts read configuration as the programs do (logrotate 3.21, auditd 3.0.9, rsyslog 8's
cnfDoInclude), each case checked against the real program (`logrotate -d`, `auditd -f -n -c DIR`): files the
program refuses, values it refuses, and how includes are found."""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.linux.auditd_conf import parse_auditd_conf
from secaudit.facts.linux.logrotate import parse_count, parse_size
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of
from tests.unit.logging_fixtures import debian

STANZA = "/var/log/{} {{\n  rotate 13\n  weekly\n}}\n"


def logging_of(make_root: Any, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return facts_of(make_root(debian(overrides)), only={"logging"}).table("logging")


def replayed(overrides: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    files = debian(overrides)
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()}, "stats": stats}
    return collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging"}).table("logging")


def rotated(lr: dict[str, Any]) -> set[str]:
    return {p for s in lr["stanzas"] for p in s["paths"]}


# --- logrotate: files it refuses ---------------------------------------------------------------------------


def test_group_or_other_writable_files_are_ignored_with_their_stanzas() -> None:
    lr = replayed({"etc/logrotate.d/app": STANZA.format("app"), "etc/logrotate.d/web": STANZA.format("web")},
                  {"/etc/logrotate.d/app": {"mode": 0o100664}, "/etc/logrotate.d/web": {"mode": 0o100646},
                   "/etc/logrotate.d/rsyslog": {"mode": 0o100755}})["logrotate"]  # 0755: only a warning
    assert lr["ignored"] == [{"path": "/etc/logrotate.d/app", "reason": "group_or_other_writable", "mode": "0664"},
                             {"path": "/etc/logrotate.d/web", "reason": "group_or_other_writable", "mode": "0646"}]
    assert "/var/log/app" not in rotated(lr) and "/var/log/web" not in rotated(lr)
    assert "/var/log/syslog" in rotated(lr) and "/etc/logrotate.d/app" not in lr["files"]
    assert lr["unreadable"] == []


def test_a_file_not_owned_by_root_is_ignored_and_so_is_a_refused_main_file() -> None:
    lr = replayed({"etc/logrotate.d/app": STANZA.format("app")},
                  {"/etc/logrotate.d/app": {"mode": 0o100644, "uid": 1000, "gid": 0}})["logrotate"]
    assert lr["ignored"] == [{"path": "/etc/logrotate.d/app", "reason": "not_owned_by_root", "uid": 1000}]
    assert "/var/log/app" not in rotated(lr) and "/var/log/syslog" in rotated(lr)
    # The group does not matter; a refused main file includes nothing.
    lr = replayed({}, {"/etc/logrotate.d/rsyslog": {"mode": 0o100640, "uid": 0, "gid": 4},
                       "/etc/logrotate.conf": {"mode": 0o100666}})["logrotate"]
    assert lr["stanzas"] == [] and lr["files"] == [] and lr["ignored"][0]["path"] == "/etc/logrotate.conf"


def test_owners_of_a_copied_tree_are_not_judged(make_root) -> None:
    # A tree written by a user (its "/" not owned by uid 0) says nothing about the audited system's owners.
    root = make_root(debian({"etc/logrotate.d/app": STANZA.format("app")}))
    lr = facts_of(root, only={"logging"}).table("logging")["logrotate"]
    assert lr["owners_known"] is (os.stat(root).st_uid == 0) and "/var/log/app" in rotated(lr)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_owner_on_a_mounted_root(make_root) -> None:
    root = make_root(debian({"etc/logrotate.d/app": STANZA.format("app")}))
    os.chown(root / "etc/logrotate.d/app", 1000, 0)
    lr = facts_of(root, only={"logging"}).table("logging")["logrotate"]
    assert lr["owners_known"] and lr["ignored"][0]["reason"] == "not_owned_by_root"
    assert "/var/log/app" not in rotated(lr)


def test_links_directories_devices_and_empty_directories(make_root) -> None:
    root = make_root(debian({"etc/logrotate.conf": "weekly\nrotate 4\ninclude /etc/logrotate.d\n"
                                                   "include /etc/logrotate.empty\n",
                             "etc/logrotate.d/sub/inner": STANZA.format("inner"),
                             "etc/shared/app.conf": STANZA.format("linked"),
                             "etc/shared/loose.conf": (STANZA.format("loose"), 0o664)}))
    (root / "etc/logrotate.empty").mkdir()
    d = root / "etc/logrotate.d"
    os.symlink("/etc/shared/app.conf", d / "linked")  # followed (inside the mounted root), read as its target
    os.symlink("../shared/loose.conf", d / "loose")  # the target's mode counts: writable by group
    os.symlink("/etc/nowhere", d / "dangling")
    os.symlink("/dev/null", d / "null")
    lr = facts_of(root, only={"logging"}).table("logging")["logrotate"]
    assert "/var/log/linked" in rotated(lr) and "/etc/logrotate.d/linked" in lr["files"]
    why = {i["path"]: i for i in lr["ignored"]}
    assert why["/etc/logrotate.d/loose"]["reason"] == "group_or_other_writable"
    assert why["/etc/logrotate.d/sub"] == {"path": "/etc/logrotate.d/sub", "reason": "not_regular_file",
                                           "kind": "directory"}  # not entered
    assert why["/etc/logrotate.d/dangling"]["reason"] == "dangling_link"
    assert "/var/log/inner" not in rotated(lr) and "/var/log/loose" not in rotated(lr)
    # /dev/null is outside the fixture root (a missing link there); an empty directory includes nothing.
    assert lr["unreadable"] == [] and lr["blocked"] is None


def test_a_fifo_blocks_logrotate_so_nothing_is_rotated(make_root) -> None:
    root = make_root(debian())
    os.mkfifo(root / "etc/logrotate.d/zz-pipe")
    lr = facts_of(root, only={"logging"}).table("logging")["logrotate"]
    assert lr["blocked"] == "/etc/logrotate.d/zz-pipe" and lr["stanzas"] == []
    assert lr["ignored"] == [{"path": "/etc/logrotate.d/zz-pipe", "reason": "fifo", "kind": "fifo"}]


def test_device_entries_are_ignored_in_a_replay() -> None:
    lr = replayed({"etc/logrotate.d/tty": ""}, {"/etc/logrotate.d/tty": {"mode": stat.S_IFCHR | 0o644}})["logrotate"]
    assert lr["ignored"] == [{"path": "/etc/logrotate.d/tty", "reason": "not_regular_file",
                              "kind": "character device"}]


def test_a_file_whose_mode_cannot_be_known_is_unverified_and_the_checks_say_unknown() -> None:
    from secaudit.transport.base import FactUnavailable, StatResult
    from tests.conftest import run_check

    class NoStat(ReplayTransport):
        def stat(self, path: str) -> StatResult:
            if path == "/etc/logrotate.d/rsyslog":
                raise FactUnavailable(f"{path}: stat failed")
            return super().stat(path)

        def read_bytes(self, path: str, limit: int | None = None, cap: int | None = None) -> bytes:
            if path == "/etc/logrotate.d/rsyslog":  # readable, as over SSH when only the stat fails
                return self.files[path].encode()
            return super().read_bytes(path, limit, cap)

    files = debian({"etc/rsyslog.d/60-x.conf": "local7.* /var/log/x.log\n"})
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()}}
    snap = collect(NoStat(rec, live=False), AgentConfig(), only={"logging", "host"})
    lr = snap.table("logging")["logrotate"]
    assert lr["unverified"] == ["/etc/logrotate.d/rsyslog"] and "/var/log/syslog" in rotated(lr)
    assert run_check("logs.disk_bounded", snap).status == "unknown"


# --- logrotate: values it refuses --------------------------------------------------------------------------


@pytest.mark.parametrize("value,n", [("0x10", 16), ("010", 8), ("+5", 5), (" 5", 5), ("-1", -1), ("-0", 0),
                                     ("4294967295", -1), ("4294967298", 2), ("2147483647", 2147483647),
                                     ("9223372036854775807", -1), ("9" * 5000, -1)])
def test_rotate_counts_as_logrotate_reads_them(value, n) -> None:
    assert parse_count("rotate", value) == n


@pytest.mark.parametrize("value", ["5x", "5 7", '" 3"', "5 # keep", "-2", "3000000000", "5;", "x"])
def test_rotate_counts_logrotate_refuses(value) -> None:
    with pytest.raises(ValueError):
        parse_count("rotate", value)


def test_maxage_and_sizes() -> None:
    assert parse_count("maxage", "0x10") == 16 and parse_count("maxage", "4294967296") == 0
    for bad in ("-1", "2147483648", "3000000000", "9" * 30, "30 # x", "5x"):
        with pytest.raises(ValueError):
            parse_count("maxage", bad)
    for good in ("100", "100k", "100K", "100M", "1G", "0x10"):
        assert parse_size(good) == good
    for bad in ("100m", "1g", "1.5M", "100kB", "-5", "100M5", "0x1f"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_a_refused_value_drops_its_stanza_or_the_rest_of_the_file(make_root) -> None:
    lr = logging_of(make_root, {
        "etc/logrotate.d/rsyslog": None,
        "etc/logrotate.d/a": ("/var/log/a {\n rotate 5\n daily\n}\n/var/log/b {\n rotate x5\n}\n"
                              "/var/log/c {\n Rotate 2\n DAILY\n rotate = 3\n weekly 2\n}\n/var/log/d {\n rotate 1\n"),
        "etc/logrotate.d/b": "rotate 9\n/var/log/e {\n daily\n}\nmaxage zz\n/var/log/f {\n daily\n}\n",
        "etc/logrotate.d/c": "/var/log/g {\n daily\n}\n"})["logrotate"]
    by = {s["paths"][0]: s for s in lr["stanzas"]}
    assert "/var/log/b" not in by and "/etc/logrotate.d/a:6" in lr["invalid"]  # the stanza is dropped
    # Keywords are case-sensitive ("Rotate", "DAILY" ignored); "key = value" is taken; a weekday after weekly.
    assert by["/var/log/c"]["rotate"] == 3 and by["/var/log/c"]["period"] == "weekly"
    assert by["/var/log/d"]["rotate"] == 1  # left open at the end of the file: kept
    # A global error: the rest of the file is not read and its global settings are undone.
    assert by["/var/log/e"]["rotate"] == 9 and "/var/log/f" not in by and "/etc/logrotate.d/b:5" in lr["invalid"]
    assert by["/var/log/g"]["rotate"] == 4


# --- auditd.conf -------------------------------------------------------------------------------------------

AUDITD_OK = "log_file = /var/log/audit/audit.log\nnum_logs = 5\nmax_log_file_action = ROTATE\n"


@pytest.mark.parametrize("line,why", [
    ("max_log_file_action=ROTATE", "spaces around ="), ("max_log_file_action =ROTATE", "spaces around ="),
    ("max_log_file_action\t=\tROTATE", "spaces around ="), ("max_log_file_action", "spaces around ="),
    ("\t", "spaces around ="),
    ("max_log_file_action = ROTATE # comment", "takes no option"), ("bogus_key = 1", "unknown keyword"),
    ("max_log_file_action = email", "not allowed"), ("disk_error_action = rotate", "not allowed"),
    ("disk_full_action = exec", "executable path"), ("num_logs = 1000", "999 or less"),
    ("num_logs = -1", "only be numbers"), ("num_logs = 5\t", "only be numbers"),
    ("num_logs = " + "9" * 30, "out of range")])
def test_lines_auditd_refuses(line, why) -> None:
    conf, _, refused = parse_auditd_conf(AUDITD_OK + line + "\nnum_logs = 7\n")
    assert refused is not None and refused.startswith("/etc/audit/auditd.conf:4: ") and why in refused
    assert conf["num_logs"] == 5  # read up to the refused line, where auditd stops


@pytest.mark.parametrize("line", ["MAX_LOG_FILE_ACTION = rotate", "  # indented comment", "", "   ",
                                  "disk_full_action = halt /bin/true", "disk_full_action = exec /sbin/x",
                                  "max_log_file = 8 ", "num_logs = " + "9" * 200, "name_format = NONE"])
def test_lines_auditd_takes(line) -> None:
    assert parse_auditd_conf(AUDITD_OK + line + "\n")[2] is None


def test_auditd_skips_long_lines_and_an_unterminated_last_line() -> None:
    conf, sources, refused = parse_auditd_conf(AUDITD_OK + "num_logs = 1" + "0" * 150 + "x\nbogus = 1")
    assert refused is None and conf["num_logs"] == 5 and sources["num_logs"] == "/etc/audit/auditd.conf:2"


def test_auditd_conf_refused_in_the_table() -> None:
    log = replayed({"sbin/auditd": "", "etc/audit/auditd.conf": "disk_full_action=HALT\n"}, {})
    assert log["auditd"]["conf_refused"].startswith("/etc/audit/auditd.conf:1: not `keyword = value`")
    log = replayed({"sbin/auditd": "", "etc/audit/auditd.conf": "disk_full_action = HALT\n"},
                   {"/etc/audit/auditd.conf": {"mode": 0o100640, "uid": 1000}})
    assert log["auditd"]["conf_refused"] == "/etc/audit/auditd.conf: owner uid 1000, not root"
    assert "disk_full_action" not in log["auditd"]


# --- rsyslog includes --------------------------------------------------------------------------------------

RHEL_RSYSLOG = """# rsyslog configuration file (as RHEL 9 ships it)
module(load="imuxsock"    # provides support for local system logging (e.g. via logger command)
       SysSock.Use="off") # Turn off message reception via local log socket;
                          # local messages are retrieved through imjournal now.
module(load="imjournal"             # provides access to the systemd journal
       UsePid="system" # PID nummber is retrieved as the ID of the process the journal entry originates from
       FileCreateMode="0644" # Set the access permissions for the state file
       StateFile="imjournal.state") # File to store the position in the journal
global(workDirectory="/var/lib/rsyslog")
module(load="builtin:omfile" Template="RSYSLOG_TraditionalFileFormat")
include(file="/etc/rsyslog.d/*.conf" mode="optional")
*.info;mail.none;authpriv.none;cron.none                /var/log/messages
authpriv.*                                              /var/log/secure
mail.*                                                  -/var/log/maillog
*.emerg                                                 :omusrmsg:*
local7.*                                                /var/log/boot.log
"""


def test_imjournal_only_configuration(make_root) -> None:
    rs = logging_of(make_root, {"etc/rsyslog.conf": RHEL_RSYSLOG})["rsyslog"]
    assert [(o["path"], o["source"]) for o in rs["outputs"]] == [
        ("/var/log/messages", "/etc/rsyslog.conf:12"), ("/var/log/secure", "/etc/rsyslog.conf:13"),
        ("/var/log/maillog", "/etc/rsyslog.conf:14"), ("/var/log/boot.log", "/etc/rsyslog.conf:16")]
    assert rs["forwards"] == [] and rs["unreadable"] == []


def test_rsyslog_includes_as_cnfdoinclude_finds_them(make_root) -> None:
    fwd = "*.* @@{}:514\n"
    root = make_root(debian({
        "etc/rsyslog.conf": ("$IncludeConfig /etc/rsyslog.d/ # a directory: all its files\n"
                             'include(file="/etc/extra/*/*.conf" mode="optional")\n'
                             'include(file="/etc/missing/*.conf" mode="optional")\n'
                             "$IncludeConfig /etc/nothing/*.conf\n"),
        "etc/rsyslog.d/.hidden": fwd.format("hidden.example"),  # dot files: never matched by a wildcard
        "etc/rsyslog.d/10-a": fwd.format("a.example"),
        "etc/rsyslog.d/sub/20-b.conf": fwd.format("b.example"),  # a subdirectory is included in turn
        "etc/extra/one/x.conf": fwd.format("x.example"),
        "etc/extra/one/y.txt": fwd.format("y.example")}))
    os.mkfifo(root / "etc/rsyslog.d/30-fifo")  # passed over, not read
    rs = facts_of(root, only={"logging"}).table("logging")["rsyslog"]
    assert [f["target"] for f in rs["forwards"]] == ["a.example", "b.example", "x.example"]
    assert rs["unreadable"] == [] and "/etc/rsyslog.d/sub/20-b.conf" in rs["files"]
