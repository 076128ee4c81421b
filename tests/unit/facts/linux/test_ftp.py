"""vsftpd's anonymous login (fixture roots) and hardening.ftp_anonymous: the planted anonymous_enable=YES, a
commented-out line (the built-in default is YES), Debian's shipped NO in odd case, a line vsftpd refuses."""

from __future__ import annotations

import pytest

from secaudit.facts.linux.ftp import parse_vsftpd
from tests.conftest import facts_of, run_check
from tests.unit.facts.linux.helpers import make_link

DPKG = "Package: vsftpd\nStatus: install ok installed\nVersion: 3.0.3-13+b2\n\n"
DEBIAN_CONF = ("# Example config file /etc/vsftpd.conf\nlisten=NO\nlisten_ipv6=YES\n#\n"
               "# Allow anonymous FTP? (Disabled by default).\nanonymous_enable=NO\nlocal_enable=YES\n")


def _result(make_root, conf: str | None, dpkg: str = DPKG):
    files = {"var/lib/dpkg/status": dpkg}
    if conf is not None:
        files["etc/vsftpd.conf"] = conf
    root = make_root(files)
    make_link(root, "etc/systemd/system/multi-user.target.wants/vsftpd.service", "/lib/systemd/system/vsftpd.service")
    return run_check("hardening.ftp_anonymous", facts_of(root, only={"hardening"}))


@pytest.mark.parametrize(("conf", "status", "where"), [
    (DEBIAN_CONF, "pass", "/etc/vsftpd.conf:6"),
    (DEBIAN_CONF.replace("anonymous_enable=NO", "anonymous_enable=no"), "pass", "/etc/vsftpd.conf:6"),
    (DEBIAN_CONF + "anonymous_enable=YES\n", "fail", "/etc/vsftpd.conf:8"),  # planted: a later line wins
    (DEBIAN_CONF.replace("anonymous_enable=NO", "#anonymous_enable=NO"), "fail", "built-in default"),
    (DEBIAN_CONF.replace("anonymous_enable=NO", "anonymous_enable = NO"), "warn", "/etc/vsftpd.conf:6"),
])
def test_vsftpd_anonymous(make_root, conf, status, where):
    result = _result(make_root, conf)
    assert result.status == status
    assert where in result.message["en"] and where in result.message["vi"]


def test_no_vsftpd_is_not_applicable(make_root):
    assert _result(make_root, None, dpkg="Package: bash\nStatus: install ok installed\nVersion: 5\n\n").status == \
        "not_applicable"


def test_parse_vsftpd_booleans():
    assert parse_vsftpd("anonymous_enable=TRUE\n", "f")["anonymous_enable"] is True
    assert parse_vsftpd("anonymous_enable=0\n", "f") == {"anonymous_enable": False, "source": "f:1", "broken": None}
    assert parse_vsftpd("anonymous_enable=maybe\n", "f")["broken"] == "f:1"
