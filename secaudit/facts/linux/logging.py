"""The `logging` table on Linux: journald (journald.py; its files on disk: journal_files.py), rsyslog
(rsyslog.py), syslog-ng (syslog_ng.py), logrotate (logrotate.py) and the Linux audit daemon (auditd.conf as
auditd_conf.py reads it, its rules in /etc/audit/rules.d and audit.rules, the unit enabled)."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.auditd_conf import AUDITD_CONF, file_refused, parse_auditd_conf
from secaudit.facts.linux.journal_files import collect_journal_files
from secaudit.facts.linux.journald import collect_journald
from secaudit.facts.linux.logrotate import owners_known, parse_logrotate
from secaudit.facts.linux.rsyslog import parse_rsyslog
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import enabled_unit
from secaudit.facts.linux.syslog_ng import parse_syslog_ng
from secaudit.facts.registry import collector

_RULE_FLAGS = ("-a", "-A", "-w")


def parse_audit_rules(text: str, path: str) -> list[str]:
    """file:line of the rules that record something (-a/-A syscall rules, -w watches); control lines (-D,
    -b, -f, -e, --backlog_wait_time) and comments are not rules."""
    return [f"{path}:{n}" for n, line in enumerate(text.splitlines(), 1)
            if line.strip().split(None, 1)[:1] and line.strip().split(None, 1)[0] in _RULE_FLAGS]


def collect_auditd(ctx: FactContext) -> dict[str, Any]:
    installed = dpkg.is_installed(ctx, "auditd")
    if installed is None:
        installed = any(ctx.transport.exists(p) for p in ("/sbin/auditd", "/usr/sbin/auditd"))
    link = enabled_unit(ctx, "auditd.service")
    rules: list[str] = []
    rule_files = [f"/etc/audit/rules.d/{n}" for n in sorted(ctx.list_dir("/etc/audit/rules.d")) if n.endswith(".rules")]
    if not rule_files and ctx.transport.exists("/etc/audit/audit.rules"):
        rule_files = ["/etc/audit/audit.rules"]
    for path in rule_files:
        rules += parse_audit_rules(ctx.read_text(path, unknown_key="logging.auditd_conf") or "", path)
    conf: dict[str, Any] = {}
    sources: dict[str, str] = {}
    refused: str | None = None
    if ctx.transport.exists(AUDITD_CONF):
        why = file_refused(ctx.stat(AUDITD_CONF), owners_known(ctx))
        text = None if why else ctx.read_text(AUDITD_CONF, unknown_key="logging.auditd_conf")
        if why:
            refused = f"{AUDITD_CONF}: {why}"  # auditd exits before reading it
        elif text is not None:
            conf, sources, refused = parse_auditd_conf(text, AUDITD_CONF)
    return {"installed": bool(installed), "enabled": link is not None, "enabled_source": link, "rules": rules,
            "rule_files": rule_files, **conf, "sources": sources, "conf_refused": refused}


@collector("logging", ("logging",))
def collect_logging(ctx: FactContext) -> None:
    journald = {**collect_journald(ctx), "on_disk": collect_journal_files(ctx)}
    table: dict[str, Any] = {"journald": journald, "rsyslog": parse_rsyslog(ctx),
                             "syslog_ng": parse_syslog_ng(ctx), "logrotate": parse_logrotate(ctx),
                             "auditd": collect_auditd(ctx)}
    table["sources"] = (table["journald"]["files"] + table["rsyslog"]["files"] + table["syslog_ng"]["files"]
                        + table["logrotate"]["files"] + table["auditd"]["rule_files"])
    ctx.put("logging", table)
