"""ports.risky_services: the policy table per role and binding, the allow-list, evidence."""

from __future__ import annotations

import pytest

from secaudit.config import AgentConfig
from tests.conftest import run_check, snapshot


def _row(port: int, address: str = "0.0.0.0", proto: str = "tcp", process: str | None = "daemon",
         pid: int | None = 100, user: str | None = "root") -> dict[str, object]:
    family = "ipv6" if ":" in address else "ipv4"
    return {"proto": proto, "family": family, "address": address, "port": port, "pid": pid,
            "process": process, "user": user, "source": "psutil.net_connections"}


def _run(rows: list[dict[str, object]], role: str = "server", allowed: list[str] | None = None,
         params: dict[str, object] | None = None, mode: str = "local"):
    snap = snapshot({"listening_ports": rows}, mode=mode)
    return run_check("ports.risky_services", snap, config=AgentConfig(allowed_ports=allowed or []),
                     params=params, role=role)


def test_only_ssh_and_web_listening_passes():
    res = _run([_row(22), _row(22, "::"), _row(443), _row(53, "127.0.0.53", "udp")], role="workstation")
    assert res.status == "pass"
    assert "4" in res.message["en"] and "4" in res.message["vi"]


@pytest.mark.parametrize("port,proto,service", [(23, "tcp", "telnet"), (21, "tcp", "ftp"), (69, "udp", "tftp"),
                                                (512, "tcp", "rexec"), (513, "tcp", "rlogin"),
                                                (514, "tcp", "rsh")])
def test_cleartext_login_protocols_fail_everywhere_even_on_loopback(port, proto, service):
    for role in ("server", "workstation", "lab"):
        for addr in ("0.0.0.0", "127.0.0.1"):
            res = _run([_row(port, addr, proto, process="inetd", pid=450)], role=role)
            assert res.status == "fail", (service, role, addr)
            item = res.evidence["findings"][0]
            assert (item["service"], item["port"], item["proto"], item["pid"], item["process"], item["user"]) == \
                (service, port, proto, 450, "inetd", "root")
            assert service in res.message["vi"] and f"{proto}/{port}" in res.message["en"]


def test_syslog_on_udp_514_is_not_rsh():
    assert _run([_row(514, "0.0.0.0", "udp", process="rsyslogd")]).status == "pass"


@pytest.mark.parametrize("role,expected", [("server", "warn"), ("workstation", "fail"), ("lab", "warn")])
def test_database_on_all_interfaces_depends_on_role(role, expected):
    res = _run([_row(3306, "0.0.0.0", process="mysqld", user="mysql")], role=role)
    assert res.status == expected
    assert res.evidence["findings"][0]["category"] == "database"
    assert res.evidence["findings"][0]["binding"] == "all"


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.1.1"])
def test_database_on_loopback_is_fine(address):
    assert _run([_row(5432, address, process="postgres")], role="workstation").status == "pass"


def test_database_on_a_lan_address_counts_as_exposed():
    res = _run([_row(5432, "192.168.1.10", process="postgres")], role="workstation")
    assert res.status == "fail" and res.evidence["findings"][0]["binding"] == "specific"


def test_workstation_vnc_fails_smb_and_rdp_warn():
    assert _run([_row(5901, "::", process="Xvnc")], role="workstation").status == "fail"
    assert _run([_row(5901, "::", process="Xvnc")], role="lab").status == "warn"
    assert _run([_row(445, "0.0.0.0", process="smbd"), _row(139), _row(137, proto="udp")],
                role="workstation").status == "warn"
    assert _run([_row(3389, "0.0.0.0", process="xrdp")], role="workstation").status == "warn"


def test_unauthenticated_services_and_x11_fail_when_exposed():
    assert _run([_row(2375, "0.0.0.0", process="dockerd")]).status == "fail"
    assert _run([_row(11211, "0.0.0.0", "udp", process="memcached")]).status == "fail"
    assert _run([_row(6000, "0.0.0.0", process="Xorg")], role="lab").status == "fail"
    assert _run([_row(6010, "127.0.0.1", process="sshd")]).status == "pass"  # X11 forwarding over SSH


def test_fail_and_warn_together_name_both():
    res = _run([_row(23), _row(3306)], role="server")
    assert res.status == "fail"
    assert "telnet" in res.message["en"] and "mysql" in res.message["en"]
    assert "Cần xem xét thêm" in res.message["vi"]


@pytest.mark.parametrize("entry", ["tcp/3306", "3306", "TCP/3306", "tcp/3300-3310", " 3306 "])
def test_config_allow_list_suppresses_and_says_so(entry):
    res = _run([_row(3306, process="mysqld")], role="workstation", allowed=[entry])
    assert res.status == "pass"
    assert res.evidence["findings"] == []
    assert res.evidence["allowed"][0]["note"].startswith("allowed by config")
    assert "mysql" in res.message["vi"]


def test_allow_list_respects_protocol():
    assert _run([_row(161, proto="udp")], allowed=["udp/161"]).status == "pass"
    assert _run([_row(161, proto="udp")], allowed=["tcp/161"]).status == "warn"


def test_playbook_params_allow_and_extend():
    assert _run([_row(3306)], role="workstation", params={"allowed": ["tcp/3306"]}).status == "pass"
    extra = {"extra_services": [{"service": "jupyter", "proto": "tcp", "ports": [8888], "category": "no_auth"}]}
    res = _run([_row(8888, process="jupyter-noteboo")], params=extra)
    assert res.status == "fail" and res.evidence["findings"][0]["service"] == "jupyter"


def test_invalid_allow_entries_are_reported_not_fatal():
    res = _run([_row(3306)], role="workstation", allowed=["mysql", "tcp/99999", "icmp/1", "tcp/3306"])
    assert res.status == "pass"
    assert res.evidence["invalid_allowed_entries"] == ["mysql", "tcp/99999", "icmp/1"]


def test_process_unknown_still_reports_the_port():
    res = _run([_row(23, process=None, pid=None, user=None)])
    assert res.status == "fail" and "telnet (tcp/23 0.0.0.0)" in res.message["en"]


def test_root_mode_and_unreadable_table_are_not_judged():
    snap = snapshot({}, unknown={"listening_ports": {"code": "not_applicable", "detail": "--root"}}, mode="root")
    assert run_check("ports.risky_services", snap).status == "not_applicable"
    snap = snapshot({}, unknown={"listening_ports": {"code": "permission_denied", "detail": "/proc/net/tcp"}})
    assert run_check("ports.risky_services", snap).status == "unknown"
