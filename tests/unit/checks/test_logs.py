"""logs.* checks on fixture roots: a stock Debian 12 (28 days of logs, nothing forwarded, no auditd) and fixed ones."""

from __future__ import annotations

import os
import time
from typing import Any

from secaudit.checks.logs import DAY
from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of, run_check
from tests.unit.logging_fixtures import LOGROTATE_RSYSLOG, LOGROTATE_SYSLOG_NG, WANTS, debian, debian_syslog_ng

KEEP_90 = LOGROTATE_RSYSLOG.replace("rotate 4", "rotate 13")


def snap_of(make_root: Any, overrides: dict[str, Any] | None = None) -> Any:
    return facts_of(make_root(debian(overrides)), only={"logging", "host"})


def ng_snap(make_root: Any, overrides: dict[str, Any] | None = None) -> Any:
    """A Debian 12 logging with syslog-ng instead of rsyslog."""
    return facts_of(make_root(debian_syslog_ng(overrides)), only={"logging", "host"})


# --- retention ---------------------------------------------------------------------------------------------


def test_stock_debian_keeps_28_days_and_fails(make_root) -> None:
    res = run_check("logs.retention", snap_of(make_root))
    assert res.status == "fail" and res.key == "fail_files"
    assert "/var/log/auth.log (28; /etc/logrotate.d/rsyslog:7)" in res.message["en"]
    assert "90" in res.message["vi"]


def test_thirteen_weeks_passes_and_twelve_warns(make_root) -> None:
    res = run_check("logs.retention", snap_of(make_root, {"etc/logrotate.d/rsyslog": KEEP_90}))
    assert res.status == "pass" and "91" in res.message["en"]
    near = LOGROTATE_RSYSLOG.replace("rotate 4", "rotate 12")  # 84 days: within 10 %
    assert run_check("logs.retention", snap_of(make_root, {"etc/logrotate.d/rsyslog": near})).status == "warn"
    # A plan asking only 30 days (level 2).
    assert run_check("logs.retention", snap_of(make_root), params={"min_days": 28}).status == "pass"


def test_logrotate_include_order_matters(make_root) -> None:
    # A later global does not change a stanza already read; an earlier one in an included file does.
    conf = "weekly\nrotate 4\ninclude /etc/logrotate.d\nrotate 52\n"
    stanza = "/var/log/syslog\n/var/log/auth.log\n{\n  missingok\n}\n"
    res = run_check("logs.retention", snap_of(make_root, {"etc/logrotate.conf": conf,
                                                          "etc/logrotate.d/rsyslog": stanza}))
    assert res.status == "fail"
    conf = "weekly\nrotate 52\ninclude /etc/logrotate.d\n"
    res = run_check("logs.retention", snap_of(make_root, {"etc/logrotate.conf": conf,
                                                          "etc/logrotate.d/rsyslog": stanza}))
    assert res.status == "pass"


def test_journal_only(make_root) -> None:
    no_rsyslog = {"etc/rsyslog.conf": None, "usr/sbin/rsyslogd": None, f"{WANTS}/rsyslog.service": None}
    res = run_check("logs.retention", snap_of(make_root, no_rsyslog))
    assert res.status == "warn" and res.key == "warn_journal_size"  # persistent, bounded by size only
    capped = {**no_rsyslog, "etc/systemd/journald.conf.d/10-keep.conf": "[Journal]\nMaxRetentionSec=1month\n"}
    res = run_check("logs.retention", snap_of(make_root, capped))
    assert res.status == "fail" and res.key == "fail_journal_cap"
    volatile = {**no_rsyslog, "var/log/journal/.keep": None}
    res = run_check("logs.retention", snap_of(make_root, volatile))
    assert res.status == "fail" and res.key == "fail_none"


def test_size_only_rotation_is_unknown(make_root) -> None:
    by_size = LOGROTATE_RSYSLOG.replace("\tweekly\n", "\tsize 100M\n")
    conf = "rotate 4\ninclude /etc/logrotate.d\n"
    res = run_check("logs.retention", snap_of(make_root, {"etc/logrotate.d/rsyslog": by_size,
                                                          "etc/logrotate.conf": conf}))
    assert res.status == "unknown" and res.key == "unknown_size_only"


# --- disk_bounded -----------------------------------------------------------------------------------------


def test_disk_bounded(make_root) -> None:
    assert run_check("logs.disk_bounded", snap_of(make_root)).status == "pass"
    extra = "local7.*  /var/log/boot-custom.log\n"
    res = run_check("logs.disk_bounded", snap_of(make_root, {"etc/rsyslog.d/60-custom.conf": extra}))
    assert res.status == "fail" and "/var/log/boot-custom.log (/etc/rsyslog.d/60-custom.conf:1)" in res.message["en"]
    capped = {"etc/systemd/journald.conf.d/10-keep.conf": "[Journal]\nMaxRetentionSec=2w\n"}
    res = run_check("logs.disk_bounded", snap_of(make_root, capped))
    assert res.status == "fail" and res.key == "fail_journal_cap"
    audit = {"sbin/auditd": "", "etc/audit/auditd.conf": "max_log_file_action = KEEP_LOGS\n"}
    assert run_check("logs.disk_bounded", snap_of(make_root, audit)).key == "warn_audit_keep"
    nothing = facts_of(make_root({"etc/os-release": "ID=debian\n"}), only={"logging", "host"})
    assert run_check("logs.disk_bounded", nothing).key == "unknown_none"


def test_auditd_that_stops_writing_when_the_disk_fills_warns(make_root) -> None:
    debian_conf = ("max_log_file_action = ROTATE\nspace_left_action = SYSLOG\nadmin_space_left_action = SUSPEND\n"
                   "disk_full_action = SUSPEND\ndisk_error_action = SUSPEND\n")  # as the auditd package ships it
    res = run_check("logs.disk_bounded", snap_of(make_root, {"sbin/auditd": "", "etc/audit/auditd.conf": debian_conf}))
    assert res.status == "warn" and res.key == "warn_audit_stops"
    assert "disk_full_action = suspend (/etc/audit/auditd.conf:4)" in res.message["en"]
    assert "admin_space_left_action = suspend (/etc/audit/auditd.conf:3)" in res.message["vi"]
    assert "disk_error_action = suspend (/etc/audit/auditd.conf:5)" in res.message["en"]
    assert res.evidence["auditd"]["disk_error_action"] == "suspend"
    # Case-insensitive, `#` comments; an unset key counts with auditd's own default (disk_full_action ignore).
    mixed = "max_log_file_action = ROTATE\ndisk_error_action = Ignore  # no\n# disk_full_action = HALT\n"
    res = run_check("logs.disk_bounded", snap_of(make_root, {"sbin/auditd": "", "etc/audit/auditd.conf": mixed}))
    assert res.key == "warn_audit_stops"
    assert res.evidence["auditd"]["stops_writing"] == ["disk_full_action = ignore",
                                                       "disk_error_action = ignore (/etc/audit/auditd.conf:2)"]
    # Single-user mode or halt keeps the trail; admin_space_left_action ignore leaves it to disk_full_action;
    # disk_error_action unset is syslog.
    safe = "max_log_file_action = ROTATE\nadmin_space_left_action = ignore\ndisk_full_action = HALT\n"
    res = run_check("logs.disk_bounded", snap_of(make_root, {"sbin/auditd": "", "etc/audit/auditd.conf": safe}))
    assert res.status == "pass" and res.evidence["auditd"]["stops_writing"] == []
    # Not installed: an auditd.conf alone is not judged.
    res = run_check("logs.disk_bounded", snap_of(make_root, {"etc/audit/auditd.conf": debian_conf}))
    assert res.status == "pass"


def test_unreadable_auditd_conf_is_not_judged_by_its_defaults() -> None:
    files = debian({"sbin/auditd": "", "etc/audit/auditd.conf": "disk_full_action = HALT\n"})
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()},
           "denied": ["/etc/audit/auditd.conf"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging", "host"})
    res = run_check("logs.disk_bounded", snap)
    assert res.key != "warn_audit_stops" and res.status == "unknown"


NO_RSYSLOG = {"etc/rsyslog.conf": None, "usr/sbin/rsyslogd": None, f"{WANTS}/rsyslog.service": None}


def journal_root(make_root: Any, days_old: float, used: int, extra: dict[str, Any] | None = None) -> Any:
    """A Debian 12 root keeping logs only in its persistent journal: two files, the older one's first entry
    `days_old` days ago, `used` bytes in all (sparse)."""
    from tests.unit.facts.linux.test_journal_files import JDIR, MID, header

    now = time.time()
    root = make_root(debian({**NO_RSYSLOG, "etc/machine-id": MID + "\n", "var/log/journal/.keep": None,
                             f"{JDIR}/system@1.journal": header(500, now - days_old * DAY, now - 86400),
                             f"{JDIR}/system.journal": header(50, now - 86400, now), **(extra or {})}))
    os.truncate(root / JDIR / "system@1.journal", used - used // 8)
    os.truncate(root / JDIR / "system.journal", used // 8)
    return facts_of(root, only={"logging", "host"})


def test_a_journal_at_its_size_cap_holding_fewer_days_fails(make_root) -> None:
    cap16 = {"etc/systemd/journald.conf.d/50-small.conf": "[Journal]\nSystemMaxUse=16M\n"}
    snap = journal_root(make_root, 12, 15 << 20, cap16)
    res = run_check("logs.retention", snap)
    assert res.status == "fail" and res.key == "fail_journal_full"
    assert "holds only 12 days" in res.message["en"] and "15 MiB of 16 MiB (SystemMaxUse, " in res.message["en"]
    assert "chỉ còn giữ 12 ngày" in res.message["vi"] and "/etc/systemd/journald.conf.d/50-small.conf:2" in \
        res.message["vi"]
    res = run_check("logs.disk_bounded", snap)
    assert res.status == "fail" and res.key == "fail_journal_full"
    assert res.evidence["journald"]["on_disk"]["oldest"]
    # Old enough: kept the days asked, whatever the size.
    old = journal_root(make_root, 120, 15 << 20, cap16)
    assert run_check("logs.retention", old).key == "warn_journal_size"
    assert run_check("logs.disk_bounded", old).status == "pass"
    # A new machine: few days, far from the cap: not judged as deleting.
    young = journal_root(make_root, 12, 2 << 20, cap16)
    assert run_check("logs.retention", young).key == "warn_journal_size"
    assert run_check("logs.disk_bounded", young).status == "pass"
    # A plan asking 10 days is met.
    assert run_check("logs.retention", snap, params={"min_days": 10}).key == "warn_journal_size"


def test_journal_default_cap_from_the_file_system(make_root) -> None:
    # Unset SystemMaxUse: 10 % of the file system; not known (no /sys in a mounted root): only the 4 GiB
    # that no default exceeds counts, so 15 MiB is not near it.
    assert run_check("logs.disk_bounded", journal_root(make_root, 12, 15 << 20)).status == "pass"
    snap = journal_root(make_root, 12, 15 << 20)
    snap.tables["logging"]["journald"]["on_disk"]["fs_bytes"] = 160 << 20  # a 160 MiB file system: 16 MiB cap
    res = run_check("logs.disk_bounded", snap)
    assert res.key == "fail_journal_full" and "15 MiB of 16 MiB (10% × 160 MiB)" in res.message["en"]
    assert run_check("logs.disk_bounded", journal_root(make_root, 12, 3900 << 20)).key == "fail_journal_full"


def test_a_full_journal_beside_rsyslog_files_is_left_to_their_retention(make_root) -> None:
    from tests.unit.facts.linux.test_journal_files import JDIR, MID, header

    root = make_root(debian({"etc/machine-id": MID + "\n", f"{JDIR}/system.journal": header(9, time.time() - DAY),
                             "etc/systemd/journald.conf.d/50-small.conf": "[Journal]\nSystemMaxUse=16M\n",
                             "etc/logrotate.d/rsyslog": KEEP_90}))
    os.truncate(root / JDIR / "system.journal", 16 << 20)
    snap = facts_of(root, only={"logging", "host"})
    assert run_check("logs.disk_bounded", snap).status == "pass"
    assert run_check("logs.retention", snap).status == "pass"


# --- forwarding -------------------------------------------------------------------------------------------


def test_forwarding(make_root) -> None:
    res = run_check("logs.forwarding", snap_of(make_root))
    assert res.status == "warn" and res.key == "none"
    assert run_check("logs.forwarding", snap_of(make_root), params={"missing_status": "fail"}).status == "fail"
    fwd = {"etc/rsyslog.d/90-central.conf": "*.* @@10.0.0.5:514\n"}
    res = run_check("logs.forwarding", snap_of(make_root, fwd))
    assert res.status == "pass" and "10.0.0.5 (tcp, /etc/rsyslog.d/90-central.conf:1)" in res.message["en"]
    off = {**fwd, f"{WANTS}/rsyslog.service": None}
    assert run_check("logs.forwarding", snap_of(make_root, off)).key == "rsyslog_off"
    upload = {f"{WANTS}/systemd-journal-upload.service": "",
              "etc/systemd/journal-upload.conf": "[Upload]\nURL=https://logs.school.edu.vn:19532\n"}
    res = run_check("logs.forwarding", snap_of(make_root, upload))
    assert res.status == "pass" and "https://logs.school.edu.vn:19532" in res.message["vi"]


# --- auditd -----------------------------------------------------------------------------------------------


def test_auditd_on_servers(make_root) -> None:
    assert run_check("logs.auditd", snap_of(make_root), role="workstation").status == "not_applicable"
    res = run_check("logs.auditd", snap_of(make_root), role="server")
    assert res.status == "fail" and res.key == "not_installed"
    installed = {"sbin/auditd": "", "etc/audit/rules.d/audit.rules": "-D\n-b 8192\n"}
    assert run_check("logs.auditd", snap_of(make_root, installed), role="server").key == "not_enabled"
    enabled = {**installed, f"{WANTS}/auditd.service": ""}
    res = run_check("logs.auditd", snap_of(make_root, enabled), role="server")
    assert res.status == "warn" and res.key == "no_rules"
    ruled = {**enabled, "etc/audit/rules.d/50-id.rules": "-w /etc/passwd -p wa -k identity\n"}
    res = run_check("logs.auditd", snap_of(make_root, ruled), role="server")
    assert res.status == "pass" and "1" in res.message["en"]


def test_unreadable_configuration_is_unknown_never_pass() -> None:
    files = debian({"etc/logrotate.d/rsyslog": KEEP_90})
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()},
           "denied": ["/etc/logrotate.d/rsyslog"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging", "host"})
    assert snap.unknown["logging.logrotate_conf"]["code"] == "permission_denied"
    res = run_check("logs.retention", snap)
    assert res.status != "pass"
    res = run_check("logs.disk_bounded", snap)
    assert res.status != "pass"


# --- syslog-ng instead of rsyslog ---------------------------------------------------------------------------

CENTRAL = {"etc/syslog-ng/conf.d/90-central.conf": (
    'destination d_central { network("10.0.0.5" transport("tcp") port(514)); };\n'
    "log { source(s_src); destination(d_central); };\n")}


def test_syslog_ng_forwarding(make_root) -> None:
    res = run_check("logs.forwarding", ng_snap(make_root))
    assert res.status == "warn" and res.key == "none" and "syslog-ng" in res.message["vi"]
    assert run_check("logs.forwarding", ng_snap(make_root), params={"missing_status": "fail"}).status == "fail"
    res = run_check("logs.forwarding", ng_snap(make_root, CENTRAL))
    assert res.status == "pass" and "10.0.0.5 (tcp, /etc/syslog-ng/conf.d/90-central.conf:1)" in res.message["en"]
    assert res.evidence["forwards"][0]["driver"] == "network"
    # Defined but used by no log path: sends nothing.
    unused = {"etc/syslog-ng/conf.d/90-central.conf": 'destination d_central { network("10.0.0.5"); };\n'}
    assert run_check("logs.forwarding", ng_snap(make_root, unused)).key == "none"


def test_syslog_ng_configured_but_disabled(make_root) -> None:
    res = run_check("logs.forwarding", ng_snap(make_root, {**CENTRAL, f"{WANTS}/syslog-ng.service": None}))
    assert res.status == "warn" and res.key == "syslog_ng_off"
    assert "10.0.0.5 (/etc/syslog-ng/conf.d/90-central.conf:1)" in res.message["en"]
    assert "dịch vụ syslog-ng không được bật" in res.message["vi"]
    assert res.evidence["configured_but_syslog_ng_off"][0]["target"] == "10.0.0.5"


def test_syslog_ng_retention_and_rotation(make_root) -> None:
    res = run_check("logs.retention", ng_snap(make_root))
    assert res.status == "fail" and res.key == "fail_files"
    assert "/var/log/syslog (7; /etc/logrotate.d/syslog-ng:2)" in res.message["en"]
    kept = LOGROTATE_SYSLOG_NG.replace("rotate 7\n\tdaily", "rotate 90\n\tdaily").replace("rotate 4", "rotate 13")
    assert run_check("logs.retention", ng_snap(make_root, {"etc/logrotate.d/syslog-ng": kept})).status == "pass"
    # Debian's default: the files logrotate does not name (uucp.log, news/*) are never created while nothing logs
    # to uucp or news; the xconsole pipe and the console are not files on disk.
    res = run_check("logs.disk_bounded", ng_snap(make_root))
    assert res.status == "pass"
    assert {o["path"] for o in res.evidence["unrotated_not_created"]} == {
        "/var/log/uucp.log", "/var/log/news/news.crit", "/var/log/news/news.err", "/var/log/news/news.notice"}
    res = run_check("logs.disk_bounded", ng_snap(make_root, {"var/log/uucp.log": "x\n"}))
    assert res.status == "fail" and "/var/log/uucp.log (/etc/syslog-ng/syslog-ng.conf:30)" in res.message["en"]
    extra = {"etc/syslog-ng/conf.d/50-school.conf": (
        'destination d_app { file("/var/log/school-app.log"); };\n'
        "log { source(s_src); filter(f_user); destination(d_app); };\n"), "var/log/school-app.log": ""}
    res = run_check("logs.disk_bounded", ng_snap(make_root, extra))
    assert res.status == "fail" and res.key == "fail_unrotated"
    assert "/var/log/school-app.log (/etc/syslog-ng/conf.d/50-school.conf:1)" in res.message["en"]
    assert "syslog-ng" in res.message["vi"]
    templated = {"etc/syslog-ng/conf.d/50-school.conf": (
        'log { source(s_src); destination { file("/var/log/hosts/$HOST.log"); }; };\n')}
    assert run_check("logs.disk_bounded", ng_snap(make_root, templated)).key == "fail_unrotated"
    # Disabled: what it would write is not judged.
    off = {**extra, f"{WANTS}/syslog-ng.service": None}
    assert run_check("logs.disk_bounded", ng_snap(make_root, off)).status == "pass"


def test_syslog_ng_alone_counts_as_a_logger(make_root) -> None:
    only_ng = facts_of(make_root({"etc/os-release": "ID=debian\n", "usr/sbin/syslog-ng": ""}),
                       only={"logging", "host"})
    assert run_check("logs.disk_bounded", only_ng).key == "pass"
    nothing = facts_of(make_root({"etc/os-release": "ID=debian\n"}), only={"logging", "host"})
    res = run_check("logs.disk_bounded", nothing)
    assert res.key == "unknown_none" and "nor syslog-ng" in res.message["en"] and "syslog-ng" in res.message["vi"]


def test_unreadable_syslog_ng_file_is_unknown_never_pass() -> None:
    files = debian_syslog_ng({"etc/syslog-ng/conf.d/90-central.conf": "log { destination(d_x); };\n"})
    rec = {"schema": "secaudit.recording/v1", "files": {"/" + k: v for k, v in files.items()},
           "denied": ["/etc/syslog-ng/conf.d/90-central.conf"]}
    snap = collect(ReplayTransport(rec, live=False), AgentConfig(), only={"logging", "host"})
    res = run_check("logs.forwarding", snap)
    assert res.status == "unknown" and "/etc/syslog-ng/conf.d/90-central.conf" in res.message["en"]


def test_a_file_never_rotated_is_kept_and_named_so(make_root) -> None:
    res = run_check("logs.retention", snap_of(make_root, {"etc/logrotate.d/rsyslog": None}))
    assert res.status == "pass" and "/var/log/syslog (∞; -)" in res.message["en"]
    assert "None" not in res.message["vi"] + res.message["en"]


# --- configuration the programs refuse ------------------------------------------------------------------------


def test_a_logrotate_file_logrotate_ignores_leaves_its_logs_unrotated(make_root) -> None:
    root = make_root(debian({"etc/logrotate.d/rsyslog": (KEEP_90, 0o664)}))
    snap = facts_of(root, only={"logging", "host"})
    res = run_check("logs.disk_bounded", snap)
    assert res.status == "fail" and res.key == "fail_unrotated_ignored"
    assert "/etc/logrotate.d/rsyslog (mode 0664)" in res.message["en"]
    assert "logrotate bỏ qua" in res.message["vi"] and "/var/log/syslog (/etc/rsyslog.conf:15)" in res.message["vi"]
    assert res.evidence["logrotate"]["ignored"][0]["reason"] == "group_or_other_writable"
    # Never rotated is never deleted: kept long enough, and named so.
    res = run_check("logs.retention", snap)
    assert res.status == "pass" and "/var/log/syslog (∞; -)" in res.message["en"]
    assert res.evidence["logrotate_ignored"][0]["path"] == "/etc/logrotate.d/rsyslog"


def test_a_fifo_among_logrotate_files_blocks_every_rotation(make_root) -> None:
    root = make_root(debian({"etc/logrotate.d/rsyslog": KEEP_90}))
    os.mkfifo(root / "etc/logrotate.d/zz")
    res = run_check("logs.disk_bounded", facts_of(root, only={"logging", "host"}))
    assert res.status == "fail" and res.key == "fail_logrotate_blocked"
    assert "hangs opening /etc/logrotate.d/zz" in res.message["en"] and "/etc/logrotate.d/zz" in res.message["vi"]


def test_auditd_refusing_its_configuration_fails(make_root) -> None:
    base = {"sbin/auditd": "", f"{WANTS}/auditd.service": "",
            "etc/audit/rules.d/50-id.rules": "-w /etc/passwd -p wa -k identity\n"}
    planted = {**base, "etc/audit/auditd.conf": "max_log_file_action = KEEP_LOGS\ndisk_full_action=SUSPEND\n"}
    res = run_check("logs.auditd", snap_of(make_root, planted), role="server")
    assert res.status == "fail" and res.key == "conf_refused"
    assert "/etc/audit/auditd.conf:2: not `keyword = value`" in res.message["en"]
    assert "auditd từ chối cấu hình" in res.message["vi"]
    # auditd does not run: its actions are not judged as if it did.
    assert run_check("logs.disk_bounded", snap_of(make_root, planted)).status == "pass"
    fine = {**base, "etc/audit/auditd.conf": "max_log_file_action = ROTATE\ndisk_full_action = HALT\n"}
    assert run_check("logs.auditd", snap_of(make_root, fine), role="server").status == "pass"
