"""Hosts inventory parsing, and how SshTransport maps SFTP/exec outcomes to transport errors
(with a fake SFTP session and a fake exec; the real server is in tests/integration/test_remote_audit.py)."""

from __future__ import annotations

import errno
import stat as stat_mod
from pathlib import Path
from typing import Any

import pytest

from secaudit.agent.hosts import HostsError, HostSpec, gather, load_hosts, parse_target
from secaudit.agent.remote import HostResult, exit_code, summary_table
from secaudit.transport.base import (
    FactUnavailable,
    NotFound,
    NotRegular,
    PermissionDenied,
    ReadBudget,
    TimedOut,
    TooLarge,
)
from secaudit.transport.ssh import REMOTE_PATH, SshTransport
from secaudit.transport.ssh.transport import _file_error

# -- targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "user", "host", "port"), [
    ("audit@10.0.0.5", "audit", "10.0.0.5", 22),
    ("audit@may-chu.truong.edu.vn:2222", "audit", "may-chu.truong.edu.vn", 2222),
    ("audit@Server01.", "audit", "server01", 22),
    ("audit@[fd00::5]:2200", "audit", "fd00::5", 2200),
    ("audit@[fd00::5]", "audit", "fd00::5", 22),
    ("audit@fd00::5", "audit", "fd00::5", 22),
    ("  svc.audit@h  ", "svc.audit", "h", 22),
])
def test_parse_target(text: str, user: str, host: str, port: int) -> None:
    spec = parse_target(text)
    assert (spec.user, spec.host, spec.port) == (user, host, port)


def test_target_without_user_is_the_local_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "giaovien")
    assert parse_target("10.0.0.9").user == "giaovien"


@pytest.mark.parametrize(("text", "words"), [
    ("audit@h:0", "port '0'"),
    ("audit@h:99999", "port '99999'"),
    ("audit@h:ssh", "port 'ssh'"),
    ("audit:matkhau@h", "passwords are not supported"),
    ("audit@bad_host!", "host name"),
    ("bad user@h", "user name"),
    ("audit@[fd00::5", "IPv6"),
    ("", "missing"),
])
def test_bad_targets_say_why(text: str, words: str) -> None:
    with pytest.raises(HostsError) as info:
        parse_target(text, "--host x")
    assert words in info.value.en and info.value.en.startswith("--host x:")
    assert info.value.vi.startswith("--host x:")


def test_labels_and_known_hosts_names() -> None:
    assert parse_target("a@h").address == "h"
    assert parse_target("a@h:2222").address == "[h]:2222"
    assert parse_target("a@[fd00::1]:2222").address == "[fd00::1]:2222"
    assert parse_target("a@h:2222").label == "h_2222"
    assert parse_target("a@[fd00::1]:2222").target == "a@[fd00::1]:2222"
    assert HostSpec("a", "h", name="Phòng máy 1").label == "Phòng_máy_1"
    assert HostSpec("a", "h", name="../../etc/cron.d/x").label == "etc_cron.d_x"


# -- inventory files -------------------------------------------------------------------------------

def test_text_inventory(tmp_path: Path) -> None:
    path = tmp_path / "hosts.txt"
    path.write_text(
        "# máy chủ của trường\n"
        "\n"
        "audit@10.0.0.5\n"
        "audit@thuvien:2222   key=keys/audit_ed25519  sudo=yes role=server  # thư viện\n"
        "\taudit@[fd00::7]  name=phong-may-1 role=lab sudo=no\n", encoding="utf-8")
    specs = load_hosts(str(path))
    assert [(s.host, s.port) for s in specs] == [("10.0.0.5", 22), ("thuvien", 2222), ("fd00::7", 22)]
    assert specs[0].sudo is None and specs[0].key is None and specs[0].source == f"{path}:3"
    assert specs[1].key == str(tmp_path / "keys" / "audit_ed25519")
    assert specs[1].sudo is True and specs[1].role == "server"
    assert specs[2].name == "phong-may-1" and specs[2].role == "lab" and specs[2].sudo is False
    assert specs[2].source == f"{path}:5"


@pytest.mark.parametrize(("line", "words"), [
    ("audit@h password=x", "option 'password=x' is not supported"),
    ("audit@h sudo=maybe", "sudo='maybe' must be yes or no"),
    ("audit@h role=auto", "role='auto' must be"),
    ("audit@h key=", "key= has no value"),
    ("audit@h name=a name=b", "option name= is repeated"),
    ("audit@h:70000", "port '70000'"),
])
def test_text_inventory_errors_name_file_and_line(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "hosts"
    path.write_text(f"# ok\naudit@ok\n{line}\n", encoding="utf-8")
    with pytest.raises(HostsError) as info:
        load_hosts(str(path))
    assert info.value.en.startswith(f"{path}:3: ") and words in info.value.en
    assert info.value.vi.startswith(f"{path}:3: ")


def test_toml_inventory(tmp_path: Path) -> None:
    path = tmp_path / "hosts.toml"
    path.write_text(
        '[defaults]\nuser = "audit"\nsudo = true\nkey = "~/.ssh/audit"\n\n'
        '[[host]]\naddress = "10.0.0.5"\nname = "may-chu-1"\nrole = "server"\n\n'
        '[[host]]\ntarget = "other@[fd00::9]:2200"\nsudo = false\n\n'
        '[[host]]\naddress = "thuvien"\nport = 2222\n', encoding="utf-8")
    a, b, c = load_hosts(str(path))
    assert (a.user, a.host, a.port, a.name, a.role, a.sudo) == ("audit", "10.0.0.5", 22, "may-chu-1", "server", True)
    assert a.key is not None and a.key.endswith("/.ssh/audit") and not a.key.startswith("~")
    assert (b.user, b.host, b.port, b.sudo) == ("other", "fd00::9", 2200, False)
    assert (c.user, c.host, c.port) == ("audit", "thuvien", 2222)
    assert a.source == f"{path}:6" and c.source == f"{path}:15"


@pytest.mark.parametrize(("body", "where", "words"), [
    ('[[host]]\naddress = "a"\n\n[[host]]\nport = 22\n', ":4", "address (or target) is missing"),
    ('[[host]]\naddress = "a"\npassword = "x"\n', ":1", "passwords are not supported"),
    ('[[host]]\naddress = "a"\nport = "22"\n', ":1", "port '22'"),
    ('[[host]]\naddress = "a"\nport = 0\n', ":1", "port '0'"),
    ('[[host]]\naddress = "a"\nsudo = "yes"\n', ":1", "sudo must be true or false"),
    ('[[host]]\naddress = "a"\ntarget = "u@a"\n', ":1", "either target or address"),
    ('[[host]]\naddress = "a"\nfoo = 1\n', ":1", "key 'foo' is not supported"),
    ('hosts = []\n', "", "key 'hosts' is not supported"),
    ('[[host]\naddress = "a"\n', "", "not valid TOML"),
])
def test_toml_inventory_errors(tmp_path: Path, body: str, where: str, words: str) -> None:
    path = tmp_path / "hosts.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(HostsError) as info:
        load_hosts(str(path))
    assert info.value.en.startswith(f"{path}{where}") and words in info.value.en, info.value.en


def test_missing_and_empty_inventory(tmp_path: Path) -> None:
    with pytest.raises(HostsError, match="does not exist"):
        load_hosts(str(tmp_path / "nope"))
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n\n")
    with pytest.raises(HostsError) as info:
        load_hosts(str(empty))
    assert "lists no host" in info.value.en


def test_gather_refuses_duplicates_and_separates_labels(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("audit@h\nroot@h\n")
    specs = gather(["audit@g:2222"], str(path))
    assert [s.label for s in specs] == ["g_2222", "h", "root_h"]
    with pytest.raises(HostsError) as info:
        gather(["audit@h"], str(path))
    assert "is already listed at --host audit@h" in info.value.en and info.value.en.startswith(f"{path}:1")


# -- error mapping -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("stderr", "code"), [
    ("cat: /etc/shadow: Permission denied\n", "permission_denied"),
    ("cat: /nope: No such file or directory\n", "not_found"),
    ("cat: /etc: Is a directory\n", "not_found"),
    ("stat: cannot statx '/a/b': Not a directory\n", "not_found"),
    ("sudo: a password is required\n", "permission_denied"),
    ("cat: /x: Input/output error\n", "error"),
    ("secaudit: not a regular file\n", "not_regular"),
])
def test_command_errors_map_to_codes(stderr: str, code: str) -> None:
    assert _file_error("/x", stderr).code == code


class FakeFile:
    def __init__(self, data: bytes, chunk_limit: int | None = None) -> None:
        self.data, self.pos, self.closed, self.requests = data, 0, False, 0
        self.chunk_limit = chunk_limit  # a /proc file answers short reads

    def read(self, size: int) -> bytes:
        n = min(size, self.chunk_limit or size)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        if self.chunk_limit and len(out) < size and out:  # keep reading like BufferedFile does
            return out + self.read(size - len(out))
        return out

    def _read(self, size: int) -> bytes:
        """One READ request: at most `size` (and the chunk limit), EOFError at the end."""
        self.requests += 1
        out = self.data[self.pos:self.pos + min(size, self.chunk_limit or size)]
        if not out:
            raise EOFError
        return out

    def seek(self, offset: int) -> None:
        self.pos = offset

    def stat(self) -> Any:
        return type("A", (), {"st_size": len(self.data)})()

    def prefetch(self, size: int, max_concurrent_requests: int | None = None) -> None:
        self.prefetched = size

    def _close(self, async_: bool = False) -> None:
        self.closed = True


class FakeSftp:
    """Files are bytes, or an OSError to raise."""

    def __init__(self, files: dict[str, Any]) -> None:
        self.files = files
        self.opened: list[FakeFile] = []

    def _get(self, path: str) -> Any:
        value = self.files.get(path, OSError(errno.ENOENT, "No such file"))
        if isinstance(value, BaseException):
            raise value
        return value

    def open(self, path: str, mode: str) -> FakeFile:
        value = self._get(path)
        if isinstance(value, dict):
            raise OSError("Failure")  # sftp-server: reading a directory
        fh = FakeFile(*value) if isinstance(value, tuple) else FakeFile(value)
        self.opened.append(fh)
        return fh

    def stat(self, path: str) -> Any:
        value = self._get(path)
        mode = (stat_mod.S_IFDIR | 0o755) if isinstance(value, dict) else (stat_mod.S_IFREG | 0o640)
        if isinstance(value, str):  # a FIFO or a device, named by its kind
            mode = {"fifo": stat_mod.S_IFIFO, "chr": stat_mod.S_IFCHR}[value] | 0o644
        size = len(value) if isinstance(value, bytes) else 0  # kernel files (tuples) report no size
        return type("A", (), {"st_mode": mode, "st_uid": 0, "st_gid": 42, "st_size": size,
                              "st_mtime": 1700000000})()

    def listdir(self, path: str) -> list[str]:
        value = self._get(path)
        return sorted(value)

    def close(self) -> None:
        pass


class Fake(SshTransport):
    def __init__(self, files: dict[str, Any], sudo: bool = False,
                 commands: dict[str, tuple[int, bytes, bytes]] | None = None) -> None:
        super().__init__(client=None, sudo=sudo, target="audit@h")
        self.sftp = FakeSftp(files)
        self.commands = commands or {}
        self.ran: list[str] = []
        self.discarded = 0

    def _new_sftp(self) -> Any:
        return self.sftp

    def _discard(self, sftp: Any) -> None:
        self.discarded += 1
        super()._discard(sftp)

    def _exec(self, command: str, timeout: float) -> tuple[int, bytes, bytes]:
        self.ran.append(command)
        for key, value in self.commands.items():
            if key in command:
                return value
        return 127, b"", b"env: 'x': No such file or directory\n"


def test_sftp_errors_map_to_transport_errors() -> None:
    tr = Fake({"/etc/shadow": OSError(errno.EACCES, "Permission denied"), "/etc": {"passwd": 1},
               "/etc/passwd": b"root:x:0:0::/root:/bin/bash\n", "/bad": OSError("Failure")})
    assert tr.read_text("/etc/passwd").startswith("root:x")
    with pytest.raises(PermissionDenied):
        tr.read_text("/etc/shadow")
    with pytest.raises(NotFound):
        tr.read_text("/nope")
    with pytest.raises(NotRegular):  # like LocalTransport: only regular files are read
        tr.read_bytes("/etc")
    with pytest.raises(FactUnavailable) as info:
        tr.read_bytes("/bad")
    assert info.value.code == "error" and "Failure" in info.value.detail
    assert tr.list_dir("/etc") == ["passwd"]
    st = tr.stat("/etc/passwd")
    assert (st.is_file, st.uid, st.gid, st.mtime, stat_mod.S_IMODE(st.mode)) == (True, 0, 42, 1700000000, 0o640)
    assert tr.exists("/etc") and not tr.exists("/nope") and not tr.exists("/etc/shadow")
    assert not tr.ran  # no command without sudo


def test_timeout_discards_the_sftp_session() -> None:
    tr = Fake({"/slow": TimeoutError("timed out")})
    with pytest.raises(TimedOut):
        tr.stat("/slow")
    assert tr.discarded == 1


def test_read_limit_and_large_files_are_prefetched() -> None:
    big = bytes(range(256)) * 1000  # 256 000 bytes
    tr = Fake({"/big": big, "/small": b"abc"})
    assert tr.read_bytes("/big") == big
    assert tr.sftp.opened[-1].prefetched == len(big) and tr.sftp.opened[-1].closed
    assert tr.read_bytes("/big", limit=100) == big[:100]
    assert tr.read_bytes("/big", limit=40000) == big[:40000]
    assert tr.read_bytes("/small", limit=10) == b"abc"
    assert tr.read_bytes("/small", limit=0) == b""
    assert tr.read_bytes("/small") == b"abc" and tr.sftp.opened[-1].requests == 1  # open + one READ


def test_only_regular_files_within_their_cap_are_opened() -> None:
    tr = Fake({"/fifo": "fifo", "/dev/zero": "chr", "/big": b"x" * 5000, "/proc/x": (b"y" * 5000, 100)})
    for path in ("/fifo", "/dev/zero"):
        with pytest.raises(NotRegular):
            tr.read_bytes(path)
    assert not tr.sftp.opened  # refused on STAT, never opened
    with pytest.raises(TooLarge):
        tr.read_bytes("/big", cap=4000)
    assert not tr.sftp.opened  # the size was known: not opened either
    with pytest.raises(TooLarge):  # no size (a kernel file): refused once the cap is passed
        tr.read_bytes("/proc/x", cap=4000)
    assert tr.read_bytes("/big", limit=10) == b"x" * 10  # a head is always bounded


def test_the_run_has_a_byte_budget_per_host() -> None:
    tr = Fake({"/a": b"a" * 3000, "/b": b"b" * 3000})
    tr.budget = ReadBudget(5000)
    assert len(tr.read_bytes("/a")) == 3000
    with pytest.raises(TooLarge) as info:
        tr.read_bytes("/b")
    assert "budget" in info.value.detail


def test_kernel_files_are_read_to_the_end() -> None:
    # /proc answers short reads before its end: keep reading there, never for a regular file
    tr = Fake({"/proc/net/tcp": (b"x" * 300, 100), "/empty": b""})
    assert tr.read_bytes("/proc/net/tcp") == b"x" * 300
    assert tr.read_bytes("/empty") == b""


def test_sudo_retries_refused_reads_with_sudo_cat() -> None:
    denied = OSError(errno.EACCES, "Permission denied")
    tr = Fake({"/etc/shadow": denied, "/etc/sudoers.d": denied}, sudo=True, commands={
        "sh /etc/shadow 4194305": (0, b"root:*:19000:0:99999:7:::\n", b""),
        "sh /etc/shadow 5": (0, b"root:", b""),
        "stat -L -c": (0, b"81a0 0 42 1234 1700000000 2049\n", b""),
        "find -H /etc/sudoers.d": (0, b"README\0secaudit\0", b""),
    })
    assert tr.read_text("/etc/shadow").startswith("root:*")
    assert tr.ran[-1].startswith("sudo -n -- env LC_ALL=C LANG=C PATH=")
    assert tr.ran[-1].endswith("sh /etc/shadow 4194305")
    assert "head -c" in tr.ran[-1] and "not a regular file" in tr.ran[-1]
    assert tr.read_bytes("/etc/shadow", limit=5) == b"root:"
    st = tr.stat("/etc/shadow")
    assert (st.mode, st.uid, st.gid, st.size, st.dev, st.is_file) == (0o100640, 0, 42, 1234, 2049, True)
    assert tr.list_dir("/etc/sudoers.d") == ["README", "secaudit"]


def test_sudo_refusal_is_permission_denied() -> None:
    tr = Fake({"/etc/shadow": OSError(errno.EACCES, "x")}, sudo=True,
              commands={"head -c": (1, b"", b"sudo: a password is required\n"),
                        "ss": (1, b"", b"sudo: a password is required\n")})
    with pytest.raises(PermissionDenied) as info:
        tr.read_text("/etc/shadow")
    assert "sudo -n" in info.value.detail
    with pytest.raises(PermissionDenied):
        tr.run(["ss", "-H"])


def test_run_maps_missing_commands_and_keeps_results() -> None:
    tr = Fake({}, commands={"uname -m": (0, b"x86_64\n", b""), "false": (1, b"", b"nope\n"),
                            "noexec": (126, b"", b"env: '/bin/noexec': Permission denied\n")})
    res = tr.run(["uname", "-m"])
    assert (res.rc, res.stdout) == (0, "x86_64\n")
    assert tr.ran[-1] == f"env LC_ALL=C LANG=C PATH={REMOTE_PATH} uname -m"
    assert tr.run(["false"]).rc == 1
    with pytest.raises(NotFound):
        tr.run(["nft", "list", "ruleset"])
    with pytest.raises(FactUnavailable) as info:
        tr.run(["noexec"])
    assert info.value.code == "command_failed"


def test_arguments_are_quoted_for_the_remote_shell() -> None:
    tr = Fake({}, commands={"find": (0, b"", b"")})
    tr.run(["find", "/proc", "(", "-path", "/proc/[0-9]*/task", ")", "-printf", "%p %l\\n"])
    assert "'(' -path '/proc/[0-9]*/task' ')' -printf '%p %l\\n'" in tr.ran[-1]


def test_without_sftp_reads_use_commands() -> None:
    tr = Fake({}, commands={"sh /etc/os-release": (0, b"ID=debian\n", b"")})
    tr.sftp = None  # the server has no SFTP subsystem
    assert tr.read_text("/etc/os-release") == "ID=debian\n"
    assert not tr.sftp_usable


# known_hosts matching, recording and the host-key decision: tests/hostile/test_known_hosts.py


# -- results -----------------------------------------------------------------------------------------

def _result(status: str, fail: int = 0) -> HostResult:
    report = {"summary": {"score": 80, "fail": fail}, "host": {"hostname": "h"}} if status == "ok" else None
    reason = None if status == "ok" else {"vi": "Không kết nối được.", "en": "Cannot connect."}
    return HostResult(parse_target("a@h"), status, reason, report, report_path="/r/h.json" if report else None)


def test_exit_code_precedence() -> None:
    assert exit_code([_result("ok")]) == 0
    assert exit_code([_result("ok"), _result("ok", fail=2)]) == 1
    assert exit_code([_result("ok", fail=2), _result("unreachable")]) == 2  # not audited outranks a fail
    assert exit_code([_result("host_key_refused")]) == 2


def test_summary_table_in_both_languages() -> None:
    rows = [_result("ok", fail=3), _result("unreachable")]
    en = summary_table(rows, "en")
    assert en.splitlines()[0].split() == ["Host", "Status", "Score", "Fail", "Report", "/", "reason"]
    assert "audited      80/100  3     /r/h.json" in en and "unreachable" in en and "Cannot connect." in en
    vi = summary_table(rows, "vi")
    assert "đã kiểm tra" in vi and "không kết nối được" in vi and "Không kết nối được." in vi
    assert rows[0].row()["score"] == 80 and rows[1].row()["reason"]["en"] == "Cannot connect."
