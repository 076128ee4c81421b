"""Issue 9, property-based fuzzing: sshd_config (Include/Match), listening sockets (/proc/net, ss,
/proc/<pid>/*), antivirus (ClamAV CVD headers, configs, scan logs, vendor JSON). See
test_fuzz_parsers.py for the method."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.facts.linux import antivirus, ports, procs, remote_login
from secaudit.facts.linux.antivirus import CvdHeader, parse_clam_conf, parse_cvd_header
from secaudit.facts.linux.ports import Socket, parse_fd_listing, parse_proc_net, parse_ss
from secaudit.facts.linux.sshd_config import SshdConfig, argv_split, parse_sshd_config, split_line
from secaudit.facts.registry import rfc3339
from secaudit.transport.base import FactUnavailable
from tests.hostile.fuzzkit import (
    FUZZ,
    FUZZ_FEW,
    MemTransport,
    collect_one,
    context,
    mutated,
    mutated_bytes,
    real_file,
    seeds,
    timed,
)
from tests.unit.facts.linux.test_antivirus import CLAMD_DEBIAN_DEFAULT, DPKG_CLAMAV, SCAN_LOG, cvd, tzif
from tests.unit.facts.linux.test_ports import FD_LISTING, PROC_TCP, PROC_TCP6, PROC_UDP, SS_NONROOT, SS_OUT
from tests.unit.facts.linux.test_sshd_config import DEBIAN_MAIN

# -- sshd_config --------------------------------------------------------------------------------------------

SSHD_SAMPLES = seeds(DEBIAN_MAIN, real_file("/etc/ssh/sshd_config"), """\
Port 2222
Port=22
"PermitRootLogin" = "no"  # trailing
MaxAuthTries 99999999999999999999999
AuthenticationMethods publickey,password publickey
Match User admin Address 10.0.0.0/8
    PasswordAuthentication yes
    Include /etc/ssh/match.d/*.conf
Match all
ListenAddress [::]:22
AllowUsers 'a b' c\\ d
""")


@FUZZ
@given(mutated(SSHD_SAMPLES))
@example('Port "unbalanced\n')
@example("=\n")
@example("Match\n")
def test_sshd_line_splitting(text: str) -> None:
    for line in text.splitlines():
        try:
            got = split_line(line)
        except ValueError:
            continue  # a line sshd rejects: the parser records it in errors
        assert got is None or (isinstance(got[0], str) and all(isinstance(a, str) for a in got[1]))
        args = argv_split(line)
        assert args is None or all(isinstance(a, str) for a in args)


@FUZZ_FEW
@given(mutated(SSHD_SAMPLES), mutated(SSHD_SAMPLES), mutated(SSHD_SAMPLES))
def test_sshd_config_with_includes(main: str, dropin: str, match: str) -> None:
    files = {
        "/etc/ssh/sshd_config": "Include sshd_config.d/*.conf\n" + main + "\nInclude /etc/ssh/sshd_config\n",
        "/etc/ssh/sshd_config.d/10-a.conf": dropin,
        "/etc/ssh/sshd_config.d/20-b.conf": "Include /etc/ssh/sshd_config.d/*.conf\n" + dropin,
        "/etc/ssh/match.d/x.conf": match,
        "/usr/sbin/sshd": "",
    }
    transport = MemTransport(files, live=False)
    config = parse_sshd_config(transport)
    assert isinstance(config, SshdConfig)
    json.dumps(remote_login.ssh_facts(config))
    collect_one(remote_login.collect_remote_login, transport)


def test_sshd_include_fanout_is_bounded() -> None:
    """Eight drop-ins that each include all eight: 8^16 files for a naive reader."""
    files: dict[str, str | bytes] = {"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n"}
    for i in range(8):
        files[f"/etc/ssh/sshd_config.d/{i}.conf"] = "PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\n"
    config: list[SshdConfig] = []
    assert timed(lambda: config.append(parse_sshd_config(MemTransport(files, live=False)))) < 5
    assert config[0].errors and config[0].first("passwordauthentication") is not None


def test_sshd_past_the_directive_budget_is_unknown_not_default() -> None:
    """An attacker pads the file so that PermitRootLogin lies past the budget: never `prohibit-password`."""
    from secaudit.facts.linux.sshd_config import MAX_DIRECTIVES

    text = "PasswordAuthentication no\n" + "AcceptEnv X\n" * MAX_DIRECTIVES + "PermitRootLogin yes\n"
    transport = MemTransport({"/etc/ssh/sshd_config": text, "/usr/sbin/sshd": ""}, live=False)
    ctx = context(transport)
    remote_login.collect_remote_login(ctx)
    ssh = ctx.snapshot.tables["remote_login"]["ssh"]
    assert ssh["password_authentication"] == "no"  # decided before the cut
    assert ctx.snapshot.unknown["remote_login.ssh.permit_root_login"]["code"] == "too_large"
    assert len(ssh["errors"]) <= 102


# -- listening sockets ------------------------------------------------------------------------------------


def _assert_sockets(got: list[Socket]) -> None:
    for s in got:
        assert isinstance(s.address, str) and isinstance(s.port, int)
        assert s.pid is None or isinstance(s.pid, int)


@FUZZ
@given(mutated((PROC_TCP, PROC_TCP6, PROC_UDP)), st.sampled_from([("tcp", "ipv4"), ("tcp", "ipv6"), ("udp", "ipv4")]))
@example("0: 0100007F:0016 00000000:0000 0A 0 0 0 ² 0 1\n", ("tcp", "ipv4"))
@example("0: 0100007F:0016 00000000:0000 0A 0 0 0 0 0 " + "9" * 5000 + "\n", ("tcp", "ipv4"))
@example("0: 01000:0016 00000000:0000 0A 0 0 0 0 0 1\n", ("tcp", "ipv6"))
def test_proc_net(text: str, kind: tuple[str, str]) -> None:
    _assert_sockets(parse_proc_net(text, kind[0], kind[1], "/proc/net/tcp"))


@FUZZ
@given(mutated((FD_LISTING,)))
@example("/proc/" + "9" * 5000 + "/fd/3 socket:[1]\n")
@example("/proc/1/fd/3 socket:[" + "9" * 5000 + "]\n")
@example("/proc/١/fd/3 socket:[٢]\n")
def test_fd_listing(text: str) -> None:
    for inode, pid in parse_fd_listing(text).items():
        assert isinstance(inode, int) and isinstance(pid, int)


@FUZZ
@given(mutated((SS_OUT, SS_NONROOT)))
@example("tcp LISTEN 0 128 0.0.0.0:² 0.0.0.0:*\n")
@example('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("a",pid=' + "9" * 5000 + ",fd=3)) ino:1\n")
@example("tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* uid:" + "9" * 5000 + " ino:" + "9" * 5000 + "\n")
def test_ss(text: str) -> None:
    _assert_sockets(parse_ss(text))


class BatchTransport(MemTransport):
    """With read_many, as the SSH transport has: /proc/<pid>/{comm,cmdline,status} in one request."""

    def read_many(self, paths: list[str], limit: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path in paths:
            try:
                out[path] = self.read_bytes(path, limit)
            except FactUnavailable as exc:
                out[path] = exc
        return out


@FUZZ_FEW
@given(st.data(), st.booleans())
def test_ports_and_processes_collectors(data: st.DataObject, batched: bool) -> None:
    draw = data.draw
    files: dict[str, str | bytes] = {
        "/proc/net/tcp": draw(mutated((PROC_TCP,))), "/proc/net/tcp6": draw(mutated((PROC_TCP6,))),
        "/proc/net/udp": draw(mutated((PROC_UDP,))), "/etc/passwd": "root:x:0:0::/root:/bin/bash\n",
        "/proc/1/comm": "systemd\n",
    }
    for pid in draw(st.lists(st.sampled_from(["812", "1300", "²", "9" * 30, "٣"]), max_size=3, unique=True)):
        files[f"/proc/{pid}/comm"] = draw(mutated(("sshd\n",)))
        files[f"/proc/{pid}/cmdline"] = draw(mutated_bytes((b"/usr/sbin/sshd\0-D\0",)))
        files[f"/proc/{pid}/status"] = draw(mutated_bytes((b"Name:\tsshd\nUid:\t0\t0\t0\t0\n",
                                                           b"Uid:\t1\tabc\n", b"Uid:\t1\t" + b"9" * 5000 + b"\n")))
    commands: dict[str, str | tuple[int, str, str]] = {"ss -H -tulpne": draw(mutated((SS_OUT,)))}
    if draw(st.booleans()):  # else the find command is missing and ss names the owners
        commands[shlex.join(ports.FIND_ARGV)] = draw(mutated((FD_LISTING,)))
    transport = (BatchTransport if batched else MemTransport)(files, commands)
    collect_one(ports.collect_listening_ports, transport)
    table = procs.process_table(context(transport))
    assert all(isinstance(p.pid, int) and isinstance(p.comm, str) for p in table.procs)


# -- antivirus ----------------------------------------------------------------------------------------------


@FUZZ
@given(mutated_bytes((cvd(), cvd("18 Nov 2026 07:35 -0500", stime=None), cvd(stime=99999999999999))))
@example(b"ClamAV-VDB:18 Nov 2026 07-35 -0500:\xb2:1:90:x:y:z:1763469300")  # '²' in latin-1
@example("ClamAV-VDB:x:²:²:90:m:d:b:²".encode())
@example(b"ClamAV-VDB:x:1:1:90:m:d:b:" + b"9" * 400)
@example(b"ClamAV-VDB:01 Jan 0001 00-00 +2359:1:1:90:m:d:b:")
def test_cvd_header(data: bytes) -> None:
    head = parse_cvd_header(data)
    if head is None:
        return
    assert isinstance(head, CvdHeader)
    if head.time is not None:
        rfc3339(head.time)  # the collector writes it as the signature time


@FUZZ
@given(mutated((CLAMD_DEBIAN_DEFAULT, "#Example\nDatabaseDirectory\t/x/db\nOnAccessIncludePath /home\n")))
def test_clam_conf(text: str) -> None:
    conf = parse_clam_conf(text, "/etc/clamav/clamd.conf")
    for key, values in conf.options.items():
        assert isinstance(key, str) and all(isinstance(v, str) and isinstance(w, str) for v, w in values)


MDATP = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"


@FUZZ_FEW
@given(st.data())
def test_antivirus_collector(data: st.DataObject) -> None:
    draw = data.draw
    files: dict[str, str | bytes] = {
        "/usr/bin/clamscan": "", "/usr/sbin/clamd": "", "/opt/microsoft/mdatp/sbin/wdavdaemon": "",
        "/var/lib/dpkg/status": draw(mutated((DPKG_CLAMAV,))),
        "/etc/localtime": draw(mutated_bytes((tzif(7 * 3600, "+07"),))),
        "/etc/timezone": draw(mutated(("Asia/Ho_Chi_Minh\n", "Nowhere/Land\n"))),
        "/etc/clamav/clamd.conf": draw(mutated((CLAMD_DEBIAN_DEFAULT + "OnAccessIncludePath /home\n",))),
        "/etc/clamav/freshclam.conf": draw(mutated(("DatabaseDirectory /srv/clamdb\n",))),
        "/srv/clamdb/daily.cld": draw(mutated_bytes((cvd(),))),
        "/var/lib/clamav/daily.cvd": draw(mutated_bytes((cvd(stime=None),))),
        "/var/log/clamav/scan.log": draw(mutated((SCAN_LOG, "SCAN SUMMARY\nEnd Date:   0001:01:01 00:00:00\n"))),
        "/etc/cron.d/clamav-update": draw(mutated(("0 */3 * * * clamupdate /usr/bin/freshclam --quiet\n",))),
        MDATP: draw(st.one_of(mutated(('{"antivirusEngine": {"enforcementLevel": "real_time"}}',)),
                              st.just("[" * 100_000), st.just('{"antivirusEngine": 5}'))),
        "/proc/1/comm": "systemd\n", "/proc/70/comm": draw(st.sampled_from(["clamonacc\n", "clamd\n"])),
    }
    collect_one(antivirus.collect_antivirus, MemTransport(files, live=draw(st.booleans())))


def test_socket_counts_are_bounded(monkeypatch: Any) -> None:
    """`ss` or `find` output of 64 MiB was millions of rows; past the bound: unknown, with the reason."""
    monkeypatch.setattr(ports, "MAX_SOCKETS", 100)
    monkeypatch.setattr(ports, "MAX_FDS", 100)
    ss = "".join(f"tcp LISTEN 0 1 10.0.0.1:{i} 0.0.0.0:*\n" for i in range(1, 102))
    fds = "".join(f"/proc/1/fd/{i} socket:[{i}]\n" for i in range(102))
    ctx = context(MemTransport({}, {"ss -H -tulpne": ss}))
    with pytest.raises(FactUnavailable):  # the registry records the table as too_large
        ports.collect_listening_ports(ctx)
    ctx = context(MemTransport({"/proc/net/tcp": PROC_TCP}, {shlex.join(ports.FIND_ARGV): fds}))
    ports.collect_listening_ports(ctx)
    assert ctx.snapshot.tables["listening_ports"]  # the sockets; their processes unknown
    assert ctx.snapshot.unknown["listening_ports.process"]["code"] == "too_large"
