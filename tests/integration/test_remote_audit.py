"""Agentless audit over SSH against a real OpenSSH server on 127.0.0.1, with a throwaway user and keys
(tests/integration/sshd_lab.py). Only loopback is contacted.

Equality with a local audit: the same collectors read the same files, so the file-based checks must
give the same status and evidence. Two comparisons, each between runs with the same privileges:
- without sudo, the remote audit (as the throwaway user) against a local LocalTransport collection
  done in a child process that has dropped to the same user (fork + setuid: the venv may live under
  /root, unreadable to that user, so starting a new interpreter as the user is not reliable);
- with `--sudo` (NOPASSWD for the throwaway user, removed afterwards), the remote audit against a
  local `--root /` audit (RootTransport) done as root: the one the issue names.
Live checks (processes, sockets, the running firewall and clock) are left out: psutil locally and
/proc over SSH see them differently by design, and a --root audit does not see them at all.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secaudit.agent.hosts import parse_target
from secaudit.agent.remote import RemoteRun, audit_hosts
from secaudit.checks import load_checks
from secaudit.checks.engine import run_checks
from secaudit.cli import cli
from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.pipeline import load_playbook
from secaudit.transport.local import LocalTransport, RootTransport
from secaudit.transport.ssh import SshError, SshOptions, connect
from tests.integration.sshd_lab import Lab, closed_port, run, silent_listener, sshd_lab

pytestmark = [pytest.mark.integration, pytest.mark.root]

FILE_BASED_PREFIXES = ("accounts.", "ssh.", "files.", "backup.")
# (system.updates_current also reads /run/reboot-required, runtime state that --root does not see)
FILE_BASED = ("system.os_supported", "system.auto_updates", "inventory.software_denylist")
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with sshd_lab(n_ports=3) as lab:
        yield lab


def _opts(lab: Lab, tmp_path: Path, **kw: Any) -> SshOptions:
    known = kw.pop("known_hosts", None) or str(lab.known_hosts(tmp_path / "known_hosts"))
    return SshOptions(known_hosts=known, identity=str(lab.client_key), system_known_hosts=None, **kw)


# backup.scope also names database servers from the listening sockets, which --root does not see (the test
# run's own throwaway PostgreSQL cluster listens while this test runs)
RUNTIME_BASED = ("backup.scope",)


def _file_based(ids: list[str]) -> list[str]:
    return [c for c in ids if (c.startswith(FILE_BASED_PREFIXES) or c in FILE_BASED) and c not in RUNTIME_BASED]


_LOGIN_FIELDS = ("last_login", "last_login_source", "last_login_from")


def _settled(snap: Snapshot, table: str) -> object:
    """The table without the test user's own login record, which the SSH session itself writes
    (wtmp, lastlog) between the remote and the local collection."""
    value = snap.tables.get(table)
    if table != "users" or not isinstance(value, list):
        return value
    return [{k: v for k, v in row.items() if k not in _LOGIN_FIELDS} for row in value]


def _compare(remote: Snapshot, local: Snapshot) -> list[str]:
    config = AgentConfig(role="server")
    book = load_playbook(None, config)
    ids = _file_based(sorted(load_checks()))
    assert len(ids) >= 20 and "accounts.empty_passwords" in ids and "ssh.permit_root_login" in ids
    a, b = run_checks(remote, ids, book, config), run_checks(local, ids, book, config)
    diffs = [f"{c}: remote {a[c].status} {a[c].evidence} != local {b[c].status} {b[c].evidence}"
             for c in ids if (a[c].status, a[c].evidence) != (b[c].status, b[c].evidence)]
    assert not diffs, "\n".join(diffs)
    return ids


def _collect_as_user(uid: int, gid: int, config: AgentConfig) -> Snapshot:
    """LocalTransport collection in a child that runs as uid/gid; the snapshot comes back as JSON."""
    collect(LocalTransport(), config)  # import every lazily imported module while still root
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        code = 1
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            data = json.dumps(collect(LocalTransport(), config).to_dict()).encode()
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(data)
            code = 0
        except BaseException as exc:
            os.write(2, f"child: {exc!r}\n".encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, "the collection as the test user failed"
    return Snapshot.from_dict(json.loads(data))


def test_remote_audit_equals_local_audit_as_the_same_user(lab: Lab, tmp_path: Path) -> None:
    config = AgentConfig(role="server")
    transport = connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path))
    try:
        assert transport.run(["id", "-un"]).stdout.strip() == lab.user
        started = time.monotonic()
        remote = collect(transport, config)
        TIMINGS["collect (no sudo)"] = time.monotonic() - started
    finally:
        transport.close()
    local = _collect_as_user(lab.uid, lab.gid, config)
    assert remote.mode == "ssh" and local.mode == "local"
    # unprivileged on both sides: /etc/shadow is refused the same way
    assert remote.unknown["users.password_state"]["code"] == "permission_denied"
    assert remote.unknown["users.password_state"] == local.unknown["users.password_state"]
    for table in ("users", "groups", "remote_login", "file_modes", "software", "password_policy", "pam"):
        assert _settled(remote, table) == _settled(local, table), table
    _compare(remote, local)


def test_remote_audit_with_sudo_equals_local_root_audit(lab: Lab, tmp_path: Path) -> None:
    config = AgentConfig(role="server")
    with lab.sudo_rights():
        transport = connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, sudo=True))
        try:
            assert transport.run(["id", "-u"]).stdout.strip() == "0"  # commands run through sudo -n
            started = time.monotonic()
            remote = collect(transport, config)
            TIMINGS["collect (sudo)"] = time.monotonic() - started
        finally:
            transport.close()
        local = collect(RootTransport("/"), config)
    with lab.sudo_rights():
        transport = connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, sudo=True))
        try:
            shadow = transport.read_many(["/etc/shadow"])["/etc/shadow"]
        finally:
            transport.close()
    assert shadow == Path("/etc/shadow").read_bytes()
    # /etc/shadow and /etc/sudoers were read through `sudo -n cat`
    assert "users.password_state" not in remote.unknown and "sudo_rules" not in remote.unknown
    assert any(r["principal"] == lab.user for r in remote.table("sudo_rules"))
    for table in ("users", "groups", "sudo_rules", "remote_login", "file_modes", "software", "password_policy"):
        assert _settled(remote, table) == _settled(local, table), table
    _compare(remote, local)


def test_read_many_matches_single_reads(lab: Lab, tmp_path: Path) -> None:
    binary = lab.home / "binary.dat"
    binary.write_bytes(bytes(range(256)) * 3 + b"\n\n")
    os.chown(binary, lab.uid, lab.gid)
    paths = ["/etc/passwd", "/proc/1/cmdline", str(binary), "/khong-co", "/etc/shadow", "/etc"]
    transport = connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path))
    try:
        got = transport.read_many(paths)
        limited = transport.read_many([str(binary)], limit=10)
        assert got["/etc/passwd"] == transport.read_bytes("/etc/passwd") == Path("/etc/passwd").read_bytes()
        assert got["/proc/1/cmdline"] == Path("/proc/1/cmdline").read_bytes() and b"\0" in got["/proc/1/cmdline"]
        assert got[str(binary)] == binary.read_bytes() and limited[str(binary)] == binary.read_bytes()[:10]
        codes = {p: v.code for p, v in got.items() if not isinstance(v, bytes)}
        assert codes == {"/khong-co": "not_found", "/etc/shadow": "permission_denied", "/etc": "not_regular"}
        assert transport.read_many([]) == {}
        big = lab.home / "big.dat"  # several SFTP requests, pipelined
        big.write_bytes(os.urandom(1_000_003))
        assert transport.read_bytes(str(big)) == big.read_bytes()
        for limit in (1, 32768, 40000, 1_000_003, 2_000_000):
            assert transport.read_bytes(str(big), limit=limit) == big.read_bytes()[:limit]
        header = transport.read_text("/proc/net/tcp").splitlines()[0].split()
        assert header[:3] == ["sl", "local_address", "rem_address"]
    finally:
        transport.close()


def test_sudo_without_nopasswd_is_refused_clearly(lab: Lab, tmp_path: Path) -> None:
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, sudo=True))
    assert info.value.status == "sudo_failed"
    assert "does not work without a password" in info.value.en and "NOPASSWD" in info.value.en
    assert "NOPASSWD" in info.value.vi


def test_changed_host_key_is_refused_and_nothing_is_audited(lab: Lab, tmp_path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")])
    other = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    known = lab.known_hosts(tmp_path / "known_hosts", key_line=other)
    before = known.read_text()
    with pytest.raises(SshError) as info:  # even with --accept-new
        connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, known_hosts=str(known), accept_new=True))
    err = info.value
    assert err.status == "host_key_refused" and "has CHANGED" in err.en and "man-in-the-middle" in err.en
    assert "đã THAY ĐỔI" in err.vi
    assert known.read_text() == before  # never rewritten
    out = tmp_path / "out"
    code, output, _ = _cli(lab, tmp_path, [f"{lab.user}@127.0.0.1:{lab.port}"], out, "--known-hosts", str(known))
    assert code == 2 and "host key refused" in output and "has CHANGED" in output
    assert [p.name for p in out.iterdir()] == [p.name for p in out.glob("hosts-*.json")]  # no report


def test_unknown_host_key_refused_then_accepted_and_recorded(lab: Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("# kept as it is\n")
    opts = _opts(lab, tmp_path, known_hosts=str(known))
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, opts)
    assert info.value.status == "host_key_refused" and "is not in known_hosts" in info.value.en
    assert "--accept-new" in info.value.en and "SHA256:" in info.value.en
    assert known.read_text() == "# kept as it is\n"

    accepted = connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, known_hosts=str(known), accept_new=True))
    accepted.close()
    assert accepted.recorded_key_in == str(known)
    assert known.read_text() == f"# kept as it is\n[127.0.0.1]:{lab.port} {lab.host_pub}\n"
    connect("127.0.0.1", lab.port, lab.user, opts).close()  # now known: no --accept-new needed
    assert known.read_text().count("\n") == 2


def test_revoked_host_key_is_refused_even_with_accept_new(lab: Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(f"@revoked * {lab.host_pub}\n")
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, _opts(lab, tmp_path, known_hosts=str(known), accept_new=True))
    assert info.value.status == "host_key_refused" and "@revoked" in info.value.en


def test_no_key_at_all_is_an_auth_failure(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/id_* keys
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)  # no agent
    opts = SshOptions(known_hosts=str(lab.known_hosts(tmp_path / "known_hosts")), system_known_hosts=None)
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, opts)
    assert info.value.status == "auth_failed" and "No key to log in" in info.value.en


def test_transport_for_the_facts_command(lab: Lab, tmp_path: Path) -> None:
    from secaudit.agent.remote import transport_for

    transport = transport_for(f"{lab.user}@127.0.0.1:{lab.port}", known_hosts=str(
        lab.known_hosts(tmp_path / "known_hosts")), identity=str(lab.client_key))
    try:
        snap = collect(transport, AgentConfig(), only={"remote_login"})
    finally:
        transport.close()
    assert snap.mode == "ssh" and "remote_login" in snap.tables


def test_wrong_key_is_an_auth_failure(lab: Lab, tmp_path: Path) -> None:
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "stranger")])
    opts = SshOptions(known_hosts=str(lab.known_hosts(tmp_path / "known_hosts")), system_known_hosts=None,
                      identity=str(tmp_path / "stranger"))
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, opts)
    assert info.value.status == "auth_failed" and "passwords are not supported" in info.value.en
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "matkhau", "-f", str(tmp_path / "locked")])
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", lab.port, lab.user, SshOptions(known_hosts=opts.known_hosts, system_known_hosts=None,
                                                            identity=str(tmp_path / "locked")))
    assert info.value.status == "auth_failed" and "ssh-agent" in info.value.en


def test_unreachable_hosts_are_reported_within_the_timeout(lab: Lab, tmp_path: Path) -> None:
    config = AgentConfig(role="server", state_dir=str(tmp_path / "state"))
    with silent_listener() as silent:
        specs = [parse_target(f"{lab.user}@127.0.0.1:{closed_port()}"),
                 parse_target(f"{lab.user}@127.0.0.1:{silent}")]
        run_ = RemoteRun(options=_opts(lab, tmp_path, connect_timeout=2.0), config=config,
                         playbook=load_playbook(None, config), out_dir=str(tmp_path / "out"), sign=False, parallel=2)
        started = time.monotonic()
        closed, quiet = audit_hosts(specs, run_)
        took = time.monotonic() - started
    assert closed.status == "unreachable" and "the port is closed" in closed.reason["en"]
    assert quiet.status == "unreachable" and "sent no SSH banner within 2 s" in quiet.reason["en"]
    assert "không trả lời như một máy chủ SSH" in quiet.reason["vi"]
    assert closed.report is None and quiet.report is None
    assert took < 5.0, took


def _cli(lab: Lab, tmp_path: Path, hosts: list[str], out: Path, *extra: str,
         lang: str = "en") -> tuple[int, str, list[dict[str, Any]]]:
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\nrole = "server"\n', encoding="utf-8")
    args = ["--config", str(config), "--identity", str(lab.client_key), "-o", str(out), "--lang", lang,
            "--connect-timeout", "3", "--format", "json"]
    if "--known-hosts" not in extra:
        args += ["--known-hosts", str(lab.known_hosts(tmp_path / "known_hosts"))]
    if "--key-dir" not in extra:
        args += ["--key-dir", str(tmp_path / "no-keys")]
    for host in hosts:
        args += ["--host", host]
    result = CliRunner().invoke(cli, ["audit", *args, *extra], catch_exceptions=False)
    summaries = sorted(out.glob("hosts-*.json")) if out.exists() else []
    rows = json.loads(summaries[-1].read_text())["hosts"] if summaries else []
    return result.exit_code, result.output, rows


def test_parallel_audit_one_report_per_host_and_a_summary(lab: Lab, tmp_path: Path) -> None:
    from secaudit.sign import keys

    keys.init(str(tmp_path / "keys"))
    out = tmp_path / "out"
    hosts = [f"{lab.user}@127.0.0.1:{p}" for p in lab.ports]
    inventory = tmp_path / "hosts.txt"
    inventory.write_text(f"# phòng máy\n{lab.user}@localhost:{lab.port}  name=may-localhost role=lab\n"
                         f"{lab.user}@127.0.0.1:{closed_port()}\n", encoding="utf-8")
    known = lab.known_hosts(tmp_path / "known_hosts", names=[*(f"[127.0.0.1]:{p}" for p in lab.ports),
                                                             f"[localhost]:{lab.port}"])
    started = time.monotonic()
    code, output, rows = _cli(lab, tmp_path, hosts, out, "--hosts", str(inventory), "--parallel", "4",
                              "--known-hosts", str(known), "--key-dir", str(tmp_path / "keys"))
    TIMINGS["CLI, 4 hosts + 1 unreachable, parallel 4"] = time.monotonic() - started
    assert code == 2, output  # a host could not be audited: that outranks the fails
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "ok", "unreachable"]
    assert [r["target"] for r in rows][:3] == hosts
    reports = [json.loads(Path(r["report"]).read_text()) for r in rows[:4]]
    assert len({Path(r["report"]).name for r in rows[:4]}) == 4
    assert Path(rows[3]["report"]).name.startswith("may-localhost-")
    assert all(r["mode"] == "ssh" for r in reports)
    assert reports[3]["host"]["role"] == "lab" and reports[0]["host"]["role"] == "server"
    assert len({r["report_id"] for r in reports}) == 4 and len({r["sequence"] for r in reports}) == 4
    for row, report in zip(rows, reports, strict=False):
        assert row["score"] == report["summary"]["score"] and row["fail"] == report["summary"]["fail"]
        envelope = json.loads(Path(row["signed"]).read_text())
        assert json.loads(base64.b64decode(envelope["payload"]))["report_id"] == report["report_id"]
    # the terminal: a summary per host, then the table of all hosts
    assert output.count("Information security audit report") == 4
    table = output[output.index("Host   "):]
    assert "audited" in table and "unreachable" in table and "the port is closed" in table
    for row in rows[:4]:
        assert f"{row['score']}/100" in table


def test_exit_code_is_1_when_every_host_is_audited_and_one_fails(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output, rows = _cli(lab, tmp_path, [f"{lab.user}@127.0.0.1:{lab.port}"], out, lang="vi")
    assert [r["status"] for r in rows] == ["ok"]
    assert code == (1 if rows[0]["fail"] else 0)
    assert "Báo cáo kiểm tra an toàn thông tin" in output and "đã kiểm tra" in output


def test_remote_audit_timing(lab: Lab, tmp_path: Path) -> None:
    """A full remote audit of this machine (connect, collect, evaluate, write), measured."""
    config = AgentConfig(role="server", state_dir=str(tmp_path / "state"))
    run_ = RemoteRun(options=_opts(lab, tmp_path), config=config, playbook=load_playbook(None, config),
                     out_dir=str(tmp_path / "out"), sign=False)
    started = time.monotonic()
    (result,) = audit_hosts([parse_target(f"{lab.user}@127.0.0.1:{lab.port}")], run_)
    took = time.monotonic() - started
    assert result.status == "ok", result.reason
    started = time.monotonic()
    collect(LocalTransport(), config)
    local = time.monotonic() - started
    TIMINGS["full remote audit of localhost"] = took
    TIMINGS["local collection (reference)"] = local
    print("\nremote-audit timings (s): " + ", ".join(f"{k}: {v:.2f}" for k, v in TIMINGS.items()))
    assert took < 15.0, took
