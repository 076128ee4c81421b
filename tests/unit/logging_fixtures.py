"""A Debian 12 root's logging configuration (rsyslog, logrotate, journald, auditd), for the logging collector and
the logs.* checks."""

from __future__ import annotations

from typing import Any

from tests.conftest import overlay

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
    return overlay(files, overrides)

# syslog-ng as Debian 12's syslog-ng-core 3.38 ships it (written for these tests after the package's layout): the
# classic syslogd files through destination/filter/log statements, news and uucp files no logrotate stanza names,
# the console through the SCL's getvirtconsole(), the network example commented out, conf.d included at the end.
SYSLOG_NG_CONF = """@version: 3.38
@include "scl.conf"

# syslog-ng configuration compatible with the classic Debian syslogd layout.

# Global options.
options { chain_hostnames(off); flush_lines(0); use_dns(no); use_fqdn(no);
          dns_cache(no); owner("root"); group("adm"); perm(0640);
          stats(freq(0)); bad_hostname("^gconfd$");
};

# Sources: local messages only (system() and syslog-ng's own).
source s_src {
       system();
       internal();
};

# Uncomment to receive from other machines:
#source s_net { tcp(ip(127.0.0.1) port(1000)); };

# Destinations.
destination d_auth { file("/var/log/auth.log"); };
destination d_cron { file("/var/log/cron.log"); };
destination d_daemon { file("/var/log/daemon.log"); };
destination d_kern { file("/var/log/kern.log"); };
destination d_lpr { file("/var/log/lpr.log"); };
destination d_mail { file("/var/log/mail.log"); };
destination d_syslog { file("/var/log/syslog"); };
destination d_user { file("/var/log/user.log"); };
destination d_uucp { file("/var/log/uucp.log"); };
destination d_mailinfo { file("/var/log/mail.info"); };
destination d_mailwarn { file("/var/log/mail.warn"); };
destination d_mailerr { file("/var/log/mail.err"); };
destination d_newscrit { file("/var/log/news/news.crit"); };
destination d_newserr { file("/var/log/news/news.err"); };
destination d_newsnotice { file("/var/log/news/news.notice"); };
destination d_debug { file("/var/log/debug"); };
destination d_error { file("/var/log/error"); };
destination d_messages { file("/var/log/messages"); };
destination d_console { usertty("root"); };
destination d_console_all { getvirtconsole(); };
destination d_xconsole { pipe("/dev/xconsole"); };
#destination d_net { tcp("127.0.0.1" port(1000) log_fifo_size(1000)); };
destination d_ppp { file("/var/log/ppp.log"); };

# Filters.
filter f_dbg { level(debug); };
filter f_info { level(info); };
filter f_warn { level(warn); };
filter f_err { level(err); };
filter f_crit { level(crit .. emerg); };
filter f_debug { level(debug) and not facility(auth, authpriv, news, mail); };
filter f_error { level(err .. emerg) ; };
filter f_messages { level(info,notice,warn) and
                    not facility(auth,authpriv,cron,daemon,mail,news); };
filter f_auth { facility(auth, authpriv) and not filter(f_dbg); };
filter f_cron { facility(cron) and not filter(f_dbg); };
filter f_daemon { facility(daemon) and not filter(f_dbg); };
filter f_kern { facility(kern) and not filter(f_dbg); };
filter f_lpr { facility(lpr) and not filter(f_dbg); };
filter f_mail { facility(mail) and not filter(f_dbg); };
filter f_news { facility(news) and not filter(f_dbg); };
filter f_syslog3 { not facility(auth, authpriv, mail) and not filter(f_dbg); };
filter f_user { facility(user) and not filter(f_dbg); };
filter f_uucp { facility(uucp) and not filter(f_dbg); };
filter f_ppp { facility(local2) and not filter(f_dbg); };
filter f_console { level(warn .. emerg); };

# Log paths.
log { source(s_src); filter(f_auth); destination(d_auth); };
log { source(s_src); filter(f_cron); destination(d_cron); };
log { source(s_src); filter(f_daemon); destination(d_daemon); };
log { source(s_src); filter(f_kern); destination(d_kern); };
log { source(s_src); filter(f_lpr); destination(d_lpr); };
log { source(s_src); filter(f_syslog3); destination(d_syslog); };
log { source(s_src); filter(f_user); destination(d_user); };
log { source(s_src); filter(f_uucp); destination(d_uucp); };
log { source(s_src); filter(f_mail); destination(d_mail); };
#log { source(s_src); filter(f_mail); filter(f_info); destination(d_mailinfo); };
log { source(s_src); filter(f_news); filter(f_crit); destination(d_newscrit); };
log { source(s_src); filter(f_news); filter(f_err); destination(d_newserr); };
log { source(s_src); filter(f_news); destination(d_newsnotice); };
#log { source(s_src); filter(f_ppp); destination(d_ppp); };
log { source(s_src); filter(f_debug); destination(d_debug); };
log { source(s_src); filter(f_error); destination(d_error); };
log { source(s_src); filter(f_messages); destination(d_messages); };
log { source(s_src); filter(f_console); destination(d_console_all);
                                    destination(d_xconsole); };
log { source(s_src); filter(f_crit); destination(d_console); };

# Send everything to another host:
#log { source(s_src); destination(d_net); };

# Local additions.
@include "/etc/syslog-ng/conf.d/*.conf"
"""

# Debian's /etc/logrotate.d/syslog-ng: 7 daily copies of syslog, 4 weekly of the others (not uucp.log nor news).
LOGROTATE_SYSLOG_NG = """/var/log/syslog
{
	rotate 7
	daily
	missingok
	notifempty
	delaycompress
	compress
	postrotate
		invoke-rc.d syslog-ng reload > /dev/null
	endscript
}

/var/log/mail.info
/var/log/mail.warn
/var/log/mail.err
/var/log/mail.log
/var/log/daemon.log
/var/log/kern.log
/var/log/auth.log
/var/log/user.log
/var/log/lpr.log
/var/log/cron.log
/var/log/debug
/var/log/messages
/var/log/error
{
	rotate 4
	weekly
	missingok
	notifempty
	compress
	delaycompress
	sharedscripts
	postrotate
		invoke-rc.d syslog-ng reload > /dev/null
	endscript
}
"""

# Debian keeps scl.conf beside syslog-ng.conf; it loads the SCL library.
SCL_CONF = "@module appmodel\n@include 'scl/*/*.conf'\n"

SYSLOG_NG_DPKG = ("Package: syslog-ng-core\nStatus: install ok installed\nVersion: 3.38.1-5\nArchitecture: amd64\n\n"
                  "Package: logrotate\nStatus: install ok installed\nVersion: 3.21.0-1\nArchitecture: amd64\n")


def debian_syslog_ng(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Debian 12 root logging with syslog-ng instead of rsyslog (rsyslog removed, syslog-ng-core installed and
    enabled, Debian's logrotate stanzas for it); `overrides` as for debian()."""
    files = debian({"etc/rsyslog.conf": None, "etc/rsyslog.d/.keep": None, "usr/sbin/rsyslogd": None,
                    f"{WANTS}/rsyslog.service": None, "etc/logrotate.d/rsyslog": None,
                    "etc/syslog-ng/syslog-ng.conf": SYSLOG_NG_CONF, "etc/syslog-ng/scl.conf": SCL_CONF,
                    "etc/syslog-ng/conf.d/.keep": "",
                    "etc/logrotate.d/syslog-ng": LOGROTATE_SYSLOG_NG, "usr/sbin/syslog-ng": "",
                    f"{WANTS}/syslog-ng.service": "", "var/lib/dpkg/status": SYSLOG_NG_DPKG})
    return overlay(files, overrides)
