"""A Debian 12 root's logging configuration (rsyslog, logrotate, journald, auditd), for the logging collector and
the logs.* checks."""

from __future__ import annotations

from typing import Any

RSYSLOG_CONF = """# /etc/rsyslog.conf configuration file for rsyslog
module(load="imuxsock") # provides support for local system logging
module(load="imklog")   # provides kernel logging support
$FileOwner root
$FileGroup adm
$WorkDirectory /var/spool/rsyslog
#
# Include all config files in /etc/rsyslog.d/
#
$IncludeConfig /etc/rsyslog.d/*.conf
/* a block
   *.* @@commented.example:514
*/
auth,authpriv.*			/var/log/auth.log
*.*;auth,authpriv.none		-/var/log/syslog
cron.*				-/var/log/cron.log
kern.*				-/var/log/kern.log
mail.*				-/var/log/mail.log
user.*				-/var/log/user.log
*.emerg				:omusrmsg:*
"""

LOGROTATE_CONF = """# see "man logrotate" for details
weekly
rotate 4
create
#dateext
#compress
include /etc/logrotate.d
"""

LOGROTATE_RSYSLOG = """/var/log/syslog
/var/log/mail.log
/var/log/kern.log
/var/log/auth.log
/var/log/user.log
/var/log/cron.log
{
	rotate 4
	weekly
	missingok
	notifempty
	compress
	delaycompress
	sharedscripts
	postrotate
		/usr/lib/rsyslog/rsyslog-rotate
	endscript
}
"""

JOURNALD_CONF = "[Journal]\n#Storage=auto\n#Compress=yes\n#SystemMaxUse=\n#MaxRetentionSec=\n"

WANTS = "etc/systemd/system/multi-user.target.wants"


def debian(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Files of a stock Debian 12 with rsyslog (weekly × 4: 28 days), no forwarding, no auditd; `overrides` maps
    "etc/x" to new content (None removes it)."""
    files: dict[str, Any] = {
        "etc/os-release": 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
        "etc/rsyslog.conf": RSYSLOG_CONF,
        "etc/rsyslog.d/.keep": "",
        "etc/logrotate.conf": LOGROTATE_CONF,
        "etc/logrotate.d/rsyslog": LOGROTATE_RSYSLOG,
        "etc/logrotate.d/apt": "/var/log/apt/term.log {\n  rotate 12\n  monthly\n  compress\n  missingok\n}\n",
        "etc/systemd/journald.conf": JOURNALD_CONF,
        "usr/sbin/rsyslogd": "",
        f"{WANTS}/rsyslog.service": "",
        "var/log/journal/.keep": "",
    }
    for path, value in (overrides or {}).items():
        if value is None:
            files.pop(path, None)
        else:
            files[path] = value
    return files
