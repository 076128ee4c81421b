"""Hostile corpus, class 7: known_hosts is matched as OpenSSH matches it (secaudit/transport/known_hosts.py).

The promise: a line OpenSSH applies to a host applies here too (wildcards, negation, [host]:port,
hashed names, markers), so a changed key behind a wildcard is never taken for a new one, and with
--accept-new nothing but a really unknown host is recorded.

Three layers of proof:
  - the matcher and parser alone: tables, hypothesis (random patterns, hosts and lines never raise;
    the matcher equals a regular-expression reference and OpenSSH's own `ssh-keygen -F`);
  - the decision against a real sshd on 127.0.0.1 (a high port) and on 127.0.0.1:22 inside a network
    namespace this module creates (for bare-name patterns such as `127.0.0.?`), with and without
    --accept-new, each case also run through OpenSSH's `ssh` client, whose verdict must be ours
    (two documented places where secaudit is stricter are marked);
  - recording and reading known_hosts when the file is hostile (FIFO, device, huge, odd names).
Only loopback is contacted (the namespace's loopback included).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.transport import known_hosts as kh
from secaudit.transport.known_hosts import CHANGED, NEW, OK, REVOKED_KEY, HostKeyError, HostKeyPolicy
from tests.conftest import need_tool
from tests.hostile.fuzzkit import FUZZ, FUZZ_FEW

T = TypeVar("T")


def _blob(name: str, *parts: bytes) -> bytes:
    out = len(name).to_bytes(4, "big") + name.encode()
    for p in parts:
        out += len(p).to_bytes(4, "big") + p
    return out


def _ed25519(seed: int) -> tuple[str, bytes]:
    blob = _blob("ssh-ed25519", bytes([seed]) * 32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()}", blob


KEY_LINE, KEY = _ed25519(1)
OTHER_LINE, OTHER = _ed25519(2)


def _ecdsa() -> tuple[str, bytes]:
    import paramiko

    key = paramiko.ECDSAKey.generate()
    return f"{key.get_name()} {key.get_base64()}", key.asbytes()


ECDSA_LINE, ECDSA = _ecdsa()
RSA_B64 = base64.b64encode(_blob("ssh-rsa", b"\x01\x00\x01", b"\x00" + b"\xc1" * 128)).decode()


def entries(text: str) -> list[kh.Entry]:
    return kh.parse(text, "known_hosts")


def decide(text: str, host: str, port: int, blob: bytes) -> str:
    return kh.check(entries(text), host, port, blob).status


# -- the matcher ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "pattern", "expected"), [
    ("10.0.0.5", "10.0.0.*", True),
    ("10.0.0.55", "10.0.0.?", False),
    ("10.0.0.5", "10.0.0.?", True),
    ("[127.0.0.1]:2222", "[127.0.0.1]:*", True),
    ("[127.0.0.1]:2222", "127.0.0.1", False),  # a bare name is only port 22
    ("[127.0.0.1]:2222", "*:2222", True),
    ("", "*", True),
    ("", "", True),
    ("a", "", False),
    ("abc", "a*b*c", True),
    ("abcb", "a*b", True),
    ("ab", "a*b*c", False),
    ("a" * 5000, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", False),  # OpenSSH recurses; this must not blow up
])
def test_match_pattern(text: str, pattern: str, expected: bool) -> None:
    started = time.monotonic()
    assert kh.match_pattern(text, pattern) is expected
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(("name", "patterns", "expected"), [
    ("may-chu.truong.edu.vn", "*.truong.edu.vn", 1),
    ("may-chu.truong.edu.vn", "*.TRUONG.edu.VN", 1),  # patterns are lowercased
    ("may-chu.truong.edu.vn", "*.truong.edu.vn,!may-chu.*", -1),  # a negated match wins
    ("may-chu.truong.edu.vn", "!may-chu.*,*.truong.edu.vn", -1),  # in any order
    ("thuvien.truong.edu.vn", "*.truong.edu.vn,!may-chu.*", 1),
    ("x", "!y", 0),  # only negated patterns: nothing positive
    ("x", "x,,", 1),
    ("x", "a" * 1023 + ",x", 0),  # OpenSSH gives up on a list with a pattern too long for its buffer
])
def test_match_pattern_list(name: str, patterns: str, expected: int) -> None:
    assert kh.match_pattern_list(name, patterns) == expected


def _reference(text: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


HOSTISH = st.text(alphabet="ab1.:[]-*?", max_size=12)


@FUZZ
@given(text=HOSTISH, pattern=HOSTISH)
@example(text="aaa", pattern="*a?")
def test_match_pattern_equals_a_regex(text: str, pattern: str) -> None:
    assert kh.match_pattern(text, pattern) == _reference(text, pattern)


@FUZZ
@given(name=st.text(max_size=40), patterns=st.text(max_size=60), line=st.text(max_size=200))
def test_matcher_and_parser_never_raise(name: str, patterns: str, line: str) -> None:
    kh.match_pattern_list(name, patterns)
    kh.match_hashed(name, patterns)
    kh.host_name(name, 2222)
    entry = kh.parse_line(line, "f:1")
    if entry is not None:
        entry.matches(name)
        assert isinstance(entry.key_ok, bool)


@FUZZ
@given(line=st.one_of(
    st.text(alphabet=" \t@#|,!*?[]:.ab1=+/\0\r", max_size=80),
    st.builds(lambda m, n, t, b: f"{m}{n} {t} {b}",
              st.sampled_from(["", "@revoked ", "@cert-authority ", "@revoked\t", "@x ", "@revoked @revoked "]),
              st.text(alphabet="ab1.*?!,[]:|", min_size=1, max_size=20),
              st.sampled_from(["ssh-ed25519", "ssh-rsa", "rsa-sha2-512", "ecdsa-sha2-nistp256", "bogus", "2048"]),
              st.one_of(st.just(KEY_LINE.split()[1]), st.text(alphabet="AQab+/=", max_size=60)))))
def test_random_known_hosts_lines_never_raise(line: str) -> None:
    for name in ("a", "[a]:2222", "127.0.0.1"):
        kh.check(entries(line + "\n" + line), name, 2222, KEY)
        kh.known_algorithms(entries(line), name, 22)


# OpenSSH itself as the oracle: `ssh-keygen -F NAME` prints the lines that apply to NAME.
@FUZZ_FEW
@given(patterns=st.lists(st.tuples(st.booleans(), st.text(alphabet="ab1.:[]-*?", min_size=1, max_size=8)),
                         min_size=1, max_size=4),
       name=st.text(alphabet="ab1.:[]-", min_size=1, max_size=8))
@example(patterns=[(False, "a*"), (True, "ab")], name="ab")
@example(patterns=[(False, "[a]:*"), (False, "?")], name="[a]:22")
def test_matcher_agrees_with_ssh_keygen(patterns: list[tuple[bool, str]], name: str) -> None:
    need_tool("ssh-keygen")
    field = ",".join(("!" if neg else "") + p for neg, p in patterns)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "known_hosts"
        path.write_text(f"{field} {KEY_LINE}\n")
        proc = subprocess.run(["ssh-keygen", "-F", name, "-f", str(path)], capture_output=True, timeout=30)
    theirs = proc.returncode == 0
    ours = bool(entries(f"{field} {KEY_LINE}\n")[0].matches(name))
    assert ours == theirs, (field, name)


def test_hashed_names_as_ssh_keygen_writes_them(tmp_path: Path) -> None:
    need_tool("ssh-keygen")
    path = tmp_path / "known_hosts"
    path.write_text(f"10.0.0.5 {KEY_LINE}\n[may-chu.truong.edu.vn]:2222 {KEY_LINE}\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(path)], check=True, capture_output=True, timeout=30)
    hashed = [e.names for e in entries(path.read_text())]
    assert len(hashed) == 2 and all(h.startswith("|1|") for h in hashed)
    assert kh.match_hashed("10.0.0.5", hashed[0]) and not kh.match_hashed("10.0.0.6", hashed[0])
    assert kh.match_hashed("[may-chu.truong.edu.vn]:2222", hashed[1])
    assert not kh.match_hashed("may-chu.truong.edu.vn", hashed[1])  # the port is part of the name
    text = path.read_text()
    assert decide(text, "10.0.0.5", 22, KEY) == OK and decide(text, "10.0.0.5", 22, OTHER) == CHANGED
    assert decide(text, "MAY-CHU.truong.edu.vn", 2222, KEY) == OK  # names are lowercased before hashing
    assert decide(text, "10.0.0.6", 22, OTHER) == NEW


@pytest.mark.parametrize("field", [
    "|1|", "|1|x|y", "|2|" + "A" * 27 + "=|" + "A" * 27 + "=", "|1|" + "A" * 24 + "|" + "A" * 27 + "=",
    "|1||", "|", "|1|" + "!" * 28 + "|abc", "|1|" + "A" * 2000 + "|x",
])
def test_damaged_hashes_never_match(field: str) -> None:
    assert not kh.match_hashed("10.0.0.5", field)
    assert decide(f"{field} {OTHER_LINE}\n", "10.0.0.5", 22, KEY) == NEW  # skipped, as OpenSSH does


# -- parsing --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "marker"), [
    (f"h {KEY_LINE}", ""),
    (f"   \th {KEY_LINE} a comment # with more", ""),
    (f"h {KEY_LINE}\r", ""),  # CRLF files
    (f"@revoked h {KEY_LINE}", "@revoked"),
    (f"@revoked  \t h {KEY_LINE}", "@revoked"),
    (f"@cert-authority *.truong.edu.vn {KEY_LINE}", "@cert-authority"),
    (f"h rsa-sha2-512 {RSA_B64}", ""),
])
def test_lines_read(line: str, marker: str) -> None:
    entry = kh.parse_line(line, "f:1")
    assert entry is not None and entry.marker == marker


@pytest.mark.parametrize("line", [
    "", "   ", "# h ssh-ed25519 AAAA", f"#h {KEY_LINE}",
    f"@revoked @revoked h {KEY_LINE}",  # one marker only
    f"@revokd h {KEY_LINE}", f"@ h {KEY_LINE}", "@revoked", f"@{'x' * 40} h {KEY_LINE}",
    # OpenSSH looks for a space first, anywhere on the line: the marker reads "@revoked\t" (ssh-keygen -F agrees)
    f"@revoked\th {KEY_LINE.replace(' ', chr(9))}", f"@revoked\t h {KEY_LINE}",
    "h", "h ssh-ed25519", "h ssh-ed25519 #AAAA", "h 2048 35 12345678901234567890",
    "h ssh-ed25519 not-base64!!", "h ssh-ed25519 AAAA", f"h bogus-type {KEY_LINE.split()[1]}",
    f"h ssh-rsa {KEY_LINE.split()[1]}",  # the type on the line is not the blob's
    f"h\0 {KEY_LINE}", f"\0h {KEY_LINE}",  # C strings end at a NUL
])
def test_lines_skipped(line: str) -> None:
    assert kh.parse_line(line, "f:1") is None


def test_a_damaged_key_is_skipped_only_where_it_matches() -> None:
    short = base64.b64encode(_blob("ssh-ed25519", b"\x01" * 7)).decode()
    text = f"10.0.0.5 ssh-ed25519 {short}\n"
    [entry] = entries(text)
    assert not entry.key_ok
    assert decide(text, "10.0.0.5", 22, KEY) == NEW  # OpenSSH skips it: the host is unknown


# -- the decision ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "host", "port", "blob", "expected"), [
    (f"* {KEY_LINE}", "10.0.0.5", 22, KEY, OK),
    (f"* {OTHER_LINE}", "10.0.0.5", 22, KEY, CHANGED),
    (f"* {ECDSA_LINE}", "10.0.0.5", 22, KEY, CHANGED),  # another key type is a changed key too
    (f"10.0.0.* {OTHER_LINE}", "10.0.0.5", 22, KEY, CHANGED),
    (f"10.0.0.? {OTHER_LINE}", "10.0.0.5", 22, KEY, CHANGED),
    (f"10.0.0.? {OTHER_LINE}", "10.0.0.55", 22, KEY, NEW),
    (f"10.0.0.*,!10.0.0.5 {OTHER_LINE}", "10.0.0.5", 22, KEY, NEW),
    (f"10.0.0.*,!10.0.0.5 {KEY_LINE}", "10.0.0.5", 22, KEY, NEW),  # a negated host is not known either
    (f"10.0.0.5 {OTHER_LINE}\n10.0.0.5 {KEY_LINE}", "10.0.0.5", 22, KEY, OK),  # one equal key is enough
    (f"[10.0.0.5]:2222 {OTHER_LINE}", "10.0.0.5", 2222, KEY, CHANGED),
    (f"[10.0.0.5]:2222 {OTHER_LINE}", "10.0.0.5", 22, KEY, NEW),
    (f"[10.0.0.5]:22 {OTHER_LINE}", "10.0.0.5", 22, KEY, NEW),  # port 22 is looked up bare
    (f"10.0.0.5 {KEY_LINE}", "10.0.0.5", 2222, KEY, OK),  # OpenSSH: "found matching key w/out port"
    (f"10.0.0.5 {OTHER_LINE}", "10.0.0.5", 2222, KEY, NEW),  # ... but a different one is not "changed"
    (f"* {OTHER_LINE}", "10.0.0.5", 2222, KEY, CHANGED),
    (f"@revoked * {KEY_LINE}\n10.0.0.5 {KEY_LINE}", "10.0.0.5", 22, KEY, REVOKED_KEY),
    (f"@revoked 10.0.0.5 {KEY_LINE}", "10.0.0.5", 2222, KEY, REVOKED_KEY),  # stricter: bare-name revocation
    (f"@revoked 10.9.9.9 {KEY_LINE}\n10.0.0.5 {KEY_LINE}", "10.0.0.5", 22, KEY, OK),  # scoped like OpenSSH
    (f"@revoked * {OTHER_LINE}\n10.0.0.5 {KEY_LINE}", "10.0.0.5", 22, KEY, OK),
    (f"@cert-authority * {KEY_LINE}", "10.0.0.5", 22, KEY, NEW),  # never makes a host known
])
def test_decisions(text: str, host: str, port: int, blob: bytes, expected: str) -> None:
    assert decide(text, host, port, blob) == expected


def test_cert_authority_is_noted() -> None:
    verdict = kh.check(entries(f"@cert-authority *.truong.edu.vn {OTHER_LINE}\n"), "may-chu.truong.edu.vn", 22, KEY)
    assert verdict.status == NEW and verdict.cert_authority


def test_known_key_types_are_asked_for_first() -> None:
    text = f"[10.0.0.5]:2222 {ECDSA_LINE}\n10.0.0.5 ssh-rsa {RSA_B64}\n"
    algs = kh.known_algorithms(entries(text), "10.0.0.5", 2222)
    assert algs[0] == "ecdsa-sha2-nistp256" and "rsa-sha2-512" in algs
    default = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
    assert kh.order_algorithms(default, ["ecdsa-sha2-nistp256"]) == [
        "ecdsa-sha2-nistp256", "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]


# -- the policy paramiko calls (fake client, real keys) ---------------------------------------------

class _FakeTransport:
    def __init__(self, host_key_type: str) -> None:
        self.host_key_type = host_key_type


class _FakeClient:
    def __init__(self, host_key_type: str = "ssh-ed25519") -> None:
        self.transport = _FakeTransport(host_key_type)

    def get_transport(self) -> _FakeTransport:
        return self.transport


def _paramiko_key(blob: bytes) -> Any:
    import paramiko

    return paramiko.PKey.from_type_string("ssh-ed25519", blob)


def _policy(tmp_path: Path, text: str, port: int, accept_new: bool) -> tuple[HostKeyPolicy, Path]:
    path = tmp_path / "known_hosts"
    path.write_text(text)
    return HostKeyPolicy(kh.load([str(path)]), "10.0.0.5", port, f"audit@10.0.0.5:{port}", accept_new,
                         str(path)), path


def test_policy_refuses_a_changed_key_behind_a_wildcard_even_with_accept_new(tmp_path: Path) -> None:
    policy, path = _policy(tmp_path, f"10.0.0.* {OTHER_LINE}\n", 22, accept_new=True)
    with pytest.raises(HostKeyError) as info:
        policy.missing_host_key(_FakeClient(), "10.0.0.5", _paramiko_key(KEY))
    assert info.value.kind == "changed" and info.value.status == "host_key_refused"
    assert "has CHANGED" in info.value.en and f"{path}:1" in info.value.en and "THAY ĐỔI" in info.value.vi
    assert path.read_text() == f"10.0.0.* {OTHER_LINE}\n" and policy.recorded is None


def test_policy_records_only_a_really_new_host(tmp_path: Path) -> None:
    policy, path = _policy(tmp_path, f"10.0.0.*,!10.0.0.5 {OTHER_LINE}\n", 2222, accept_new=True)
    policy.missing_host_key(_FakeClient(), "[10.0.0.5]:2222", _paramiko_key(KEY))
    assert policy.recorded == str(path)
    assert path.read_text().splitlines()[1] == f"[10.0.0.5]:2222 {KEY_LINE}"
    assert decide(path.read_text(), "10.0.0.5", 2222, KEY) == OK


@pytest.mark.parametrize(("text", "kind", "words"), [
    (f"@cert-authority * {OTHER_LINE}\n", "cert_authority", "@cert-authority"),
    (f"@revoked 10.0.0.5 {KEY_LINE}\n", "revoked", "@revoked"),
])
def test_policy_refusals_say_why(tmp_path: Path, text: str, kind: str, words: str) -> None:
    policy, path = _policy(tmp_path, text, 22, accept_new=True)
    with pytest.raises(HostKeyError) as info:
        policy.missing_host_key(_FakeClient(), "10.0.0.5", _paramiko_key(KEY))
    assert info.value.kind == kind and words in info.value.en and words in info.value.vi
    assert path.read_text() == text


def test_policy_refuses_a_host_certificate(tmp_path: Path) -> None:
    policy, _ = _policy(tmp_path, "", 22, accept_new=True)
    with pytest.raises(HostKeyError) as info:
        policy.missing_host_key(_FakeClient("ssh-ed25519-cert-v01@openssh.com"), "10.0.0.5", _paramiko_key(KEY))
    assert info.value.kind == "certificate" and "certificate" in info.value.en


# -- hostile known_hosts files ---------------------------------------------------------------------

def test_unreadable_known_hosts_fail_closed_and_fast(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge"
    with huge.open("wb") as fh:
        fh.truncate(8 << 20)  # sparse, over the 4 MiB cap
    device = tmp_path / "zero"
    device.symlink_to("/dev/zero")
    started = time.monotonic()
    for path, words in ((fifo, "not a regular file"), (device, "not a regular file"), (tmp_path, "not a regular file"),
                        (huge, "larger than 4 MiB")):
        with pytest.raises(HostKeyError) as info:
            kh.load([str(path)])
        assert words in info.value.en and info.value.status == "error", info.value.en
    assert time.monotonic() - started < 5.0
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert kh.load([None, str(tmp_path / "missing"), str(dangling)]) == []


def test_recording_refuses_what_known_hosts_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "known_hosts"
    kh.record(str(path), "10.0.0.5", 2222, "ssh-ed25519", KEY_LINE.split()[1])
    kh.record(str(path), "May-Chu", 22, "ssh-ed25519", KEY_LINE.split()[1])
    assert path.read_text() == f"[10.0.0.5]:2222 {KEY_LINE}\nmay-chu {KEY_LINE}\n"
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    for bad in ("*", "10.0.0.*", "a,b", "a b", "a\nb", "!a", "#a", "|1|x|y", "@revoked", "", "a\x1b[2Jb"):
        with pytest.raises(OSError):
            kh.record(str(path), bad, 22, "ssh-ed25519", KEY_LINE.split()[1])
    assert path.read_text().count("\n") == 2
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(OSError):  # never blocks waiting for a reader
        kh.record(str(fifo), "10.0.0.5", 22, "ssh-ed25519", KEY_LINE.split()[1])
    assert time.monotonic() - started < 2.0


# == against a real sshd ==========================================================================

@dataclass
class Sshd:
    lab: Any  # tests.integration.sshd_lab.Lab
    ns: str  # a namespace of ours where the same sshd answers on 127.0.0.1:22
    proc22: subprocess.Popen[bytes]
    key: str  # "ssh-ed25519 AAAA..." of the server
    other: str  # another ed25519 key
    ecdsa: str  # a key of another type


_CLONE_NEWNET = 0x40000000


def _in_netns(ns: str | None, fn: Callable[[], T]) -> T:
    """Run `fn` in a thread that has entered the network namespace `ns` (setns is per thread), so the
    test process itself never leaves its own namespace."""
    if ns is None:
        return fn()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if libc.setns(fd, _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
            box["result"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    from tests.integration.sshd_lab import need_root, run, sshd_lab

    need_tool("ip")
    need_root("a network namespace and sshd")
    with sshd_lab() as lab:
        for name, kind in (("other", "ed25519"), ("ecdsa", "ecdsa")):
            run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(lab.work / name)])
        pub = {n: " ".join((lab.work / f"{n}.pub").read_text().split()[:2]) for n in ("other", "ecdsa")}
        ns = f"sa-kh{os.getpid() % 100000}"
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        run(["ip", "netns", "add", ns])
        proc: subprocess.Popen[bytes] | None = None
        try:
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            config = (lab.work / "sshd_config").read_text()
            config = re.sub(r"(?m)^Port \d+$", "Port 22", config).replace("sshd.pid", "sshd22.pid")
            (lab.work / "sshd_config22").write_text(config)
            proc = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f",
                                     str(lab.work / "sshd_config22")], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            _in_netns(ns, lambda: _wait_port(22))
            yield Sshd(lab, ns, proc, lab.host_pub, pub["other"], pub["ecdsa"])
        finally:
            if proc is not None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _wait_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _hashed(name: str) -> str:
    return kh.hash_name(name)


def _known_hosts(s: Sshd, template: str, port: int) -> str:
    name = f"[127.0.0.1]:{port}" if port != 22 else "127.0.0.1"
    damaged = "ssh-ed25519 " + base64.b64encode(_blob("ssh-ed25519", b"\x01" * 7)).decode()
    return template.format(KEY=s.key, OTHER=s.other, ECDSA=s.ecdsa, P=port, NAME=name, HASHED=_hashed(name),
                           DAMAGED=damaged)


def _ours(s: Sshd, port: int, text: str, accept_new: bool, tmp: Path) -> tuple[str, str]:
    """Our verdict (ok, recorded, new, changed, revoked, cert_authority) and the file afterwards."""
    from secaudit.transport.ssh import SshError, SshOptions, connect

    path = tmp / f"ours-{port}-{accept_new}"
    path.write_text(text)
    opts = SshOptions(known_hosts=str(path), system_known_hosts=None, identity=str(s.lab.client_key),
                      accept_new=accept_new, connect_timeout=5)
    try:
        transport = _in_netns(s.ns if port == 22 else None, lambda: connect("127.0.0.1", port, s.lab.user, opts))
    except SshError as exc:
        assert exc.status == "host_key_refused", exc.en
        words = {"has CHANGED": "changed", "@revoked": "revoked", "@cert-authority": "cert_authority",
                 "is not in known_hosts": "new"}
        return next(v for k, v in words.items() if k in exc.en), path.read_text()
    transport.close()
    return ("recorded" if transport.recorded_key_in else "ok"), path.read_text()


def _openssh(s: Sshd, port: int, text: str, accept_new: bool, tmp: Path) -> tuple[str, str]:
    """OpenSSH's own verdict for the same file, with StrictHostKeyChecking=yes or accept-new."""
    path = tmp / f"openssh-{port}-{accept_new}"
    path.write_text(text)
    argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            "-o", f"StrictHostKeyChecking={'accept-new' if accept_new else 'yes'}",
            "-o", f"UserKnownHostsFile={path}", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no",
            "-o", "UpdateHostKeys=no", "-o", "HashKnownHosts=no", "-o", "IdentitiesOnly=yes",
            "-i", str(s.lab.client_key), "-p", str(port), f"{s.lab.user}@127.0.0.1", "true"]
    if port == 22:
        argv = ["ip", "netns", "exec", s.ns, *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    after = path.read_text()
    if proc.returncode == 0:
        return ("recorded" if after != text else "ok"), after
    if "IDENTIFICATION HAS CHANGED" in proc.stderr:
        return "changed", after
    if "REVOKED HOST KEY" in proc.stderr:
        return "revoked", after
    assert "Host key verification failed" in proc.stderr, proc.stderr
    return "new", after


# (id, port: "high" or 22, known_hosts template, ours without / with --accept-new, OpenSSH differs)
CASES: list[tuple[str, str | int, str, str, str, bool]] = [
    ("star-same", "high", "* {KEY}\n", "ok", "ok", False),
    ("star-changed", "high", "* {OTHER}\n", "changed", "changed", False),
    ("star-changed-other-type", "high", "* {ECDSA}\n", "changed", "changed", False),
    ("address-wildcard-changed", "high", "[127.0.0.?]:{P} {OTHER}\n", "changed", "changed", False),
    ("port-wildcard-changed", "high", "[127.0.0.1]:* {OTHER}\n", "changed", "changed", False),
    ("other-network-wildcard", "high", "10.0.0.*,[10.0.0.*]:* {OTHER}\n", "new", "recorded", False),
    ("negated-changed", "high", "[127.0.0.1]:*,![127.0.0.1]:{P} {OTHER}\n", "new", "recorded", False),
    ("negated-same-key", "high", "*,!127.0.0.1,![127.0.0.1]:{P} {KEY}\n", "new", "recorded", False),
    ("hashed-same", "high", "{HASHED} {KEY}\n", "ok", "ok", False),
    ("hashed-changed", "high", "{HASHED} {OTHER}\n", "changed", "changed", False),
    ("two-keys-one-equal", "high", "{NAME} {OTHER}\n{NAME} {KEY}\n", "ok", "ok", False),
    ("comments-blank-damage", "high", "# c\n\n  \n@bogus * {OTHER}\n{NAME} {DAMAGED}\n  {NAME} {KEY} note\n",
     "ok", "ok", False),
    ("damaged-only", "high", "{NAME} {DAMAGED}\n", "new", "recorded", False),
    ("revoked", "high", "@revoked [127.0.0.1]:* {KEY}\n{NAME} {KEY}\n", "revoked", "revoked", False),
    ("revoked-hashed", "high", "@revoked {HASHED} {KEY}\n", "revoked", "revoked", False),
    ("revoked-for-another-host", "high", "@revoked 10.9.9.9 {KEY}\n{NAME} {KEY}\n", "ok", "ok", False),
    ("two-markers", "high", "@revoked @revoked * {KEY}\n", "new", "recorded", False),
    ("bare-name-same-key", "high", "127.0.0.1 {KEY}\n", "ok", "ok", False),
    ("bare-wildcard-changed", "high", "127.0.0.? {OTHER}\n", "new", "recorded", False),
    # stricter than OpenSSH, on purpose (see secaudit/transport/known_hosts.py):
    ("cert-authority-only", "high", "@cert-authority * {OTHER}\n", "cert_authority", "cert_authority", True),
    ("revoked-bare-name", "high", "@revoked 127.0.0.1 {KEY}\n", "revoked", "revoked", True),
    # port 22, in the namespace: bare names and patterns
    ("22-question-mark-changed", 22, "127.0.0.? {OTHER}\n", "changed", "changed", False),
    ("22-star-changed-other-type", 22, "127.0.0.* {ECDSA}\n", "changed", "changed", False),
    ("22-wildcard-same", 22, "127.0.0.* {KEY}\n", "ok", "ok", False),
    ("22-other-network", 22, "10.0.0.* {OTHER}\n", "new", "recorded", False),
    ("22-bracketed-22-is-not-the-name", 22, "[127.0.0.1]:22 {OTHER}\n", "new", "recorded", False),
    ("22-negated", 22, "127.0.0.*,!127.0.0.1 {OTHER}\n", "new", "recorded", False),
    ("22-hashed-changed", 22, "{HASHED} {OTHER}\n", "changed", "changed", False),
]


@pytest.mark.integration
@pytest.mark.root
@pytest.mark.parametrize(("case", "where", "template", "strict", "accepting", "differs"), CASES,
                         ids=[c[0] for c in CASES])
def test_against_real_sshd_and_openssh(sshd: Sshd, tmp_path: Path, case: str, where: str | int, template: str,
                                       strict: str, accepting: str, differs: bool) -> None:
    port = sshd.lab.port if where == "high" else 22
    text = _known_hosts(sshd, template, port)
    got, after = _ours(sshd, port, text, False, tmp_path)
    assert got == strict and after == text
    got, after = _ours(sshd, port, text, True, tmp_path)
    assert got == accepting
    name = f"[127.0.0.1]:{port}" if port != 22 else "127.0.0.1"
    assert after == (text + f"{name} {sshd.key}\n" if accepting == "recorded" else text)
    if got == "recorded":  # what was recorded is then known, without --accept-new
        assert _ours(sshd, port, after, False, tmp_path)[0] == "ok"
    need_tool("ssh")
    theirs = (_openssh(sshd, port, text, False, tmp_path)[0], _openssh(sshd, port, text, True, tmp_path)[0])
    if differs:
        assert theirs != (strict, accepting)
    else:
        assert theirs == (strict, accepting), f"OpenSSH says {theirs}"


@pytest.mark.integration
@pytest.mark.root
def test_remote_audit_refuses_a_wildcard_changed_key_with_accept_new(sshd: Sshd, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from secaudit.cli import cli

    known = tmp_path / "known_hosts"
    known.write_text(f"127.0.0.*,[127.0.0.*]:* {sshd.other}\n")
    config = tmp_path / "secaudit.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "audit", "--config", str(config), "--identity", str(sshd.lab.client_key), "-o", str(out), "--lang", "en",
        "--connect-timeout", "5", "--format", "json", "--key-dir", str(tmp_path / "no-keys"),
        "--known-hosts", str(known), "--accept-new", "--host", f"{sshd.lab.user}@127.0.0.1:{sshd.lab.port}"],
        catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "has CHANGED" in result.output and "host key refused" in result.output
    assert known.read_text() == f"127.0.0.*,[127.0.0.*]:* {sshd.other}\n"
    assert not list(out.glob("127.0.0.1*")) if out.exists() else True  # no report for that host


@pytest.mark.integration
@pytest.mark.root
@pytest.mark.parametrize(("template", "code"), [
    ("* {OTHER}\n", "host_key_mismatch"),
    ("127.0.0.1,[127.0.0.?]:* {ECDSA}\n", "host_key_mismatch"),
    ("@revoked * {KEY}\n{NAME} {KEY}\n", "host_key_mismatch"),
    ("[127.0.0.1]:*,![127.0.0.1]:{P} {KEY}\n", "unknown_host_key"),
    ("@cert-authority * {KEY}\n", "unknown_host_key"),
    ("{HASHED} {KEY}\n", None),
    ("[127.0.0.*]:* {KEY}\n", None),
])
def test_backup_offsite_sftp_uses_the_same_matching(sshd: Sshd, tmp_path: Path, template: str,
                                                    code: str | None) -> None:
    from secaudit.backup.offsite import check_sftp
    from secaudit.backup.sets import Listing
    from secaudit.config import BackupSet

    known = tmp_path / "known_hosts"
    text = _known_hosts(sshd, template, sshd.lab.port)
    known.write_text(text)
    bset = BackupSet(name="CSDL", path="/nowhere/db-*.sql.gz", offsite_known_hosts=str(known),
                     offsite_key_file=str(sshd.lab.client_key))
    result = check_sftp(bset, f"sftp://{sshd.lab.user}@127.0.0.1:{sshd.lab.port}/tmp", Listing(), int(time.time()))
    assert (result.error[0] if result.error else None) == code, result.error
    assert result.reachable is (code is None)
    assert known.read_text() == text  # read only, never recorded


@pytest.mark.integration
@pytest.mark.root
def test_a_key_pinned_in_known_hosts2_is_not_new(sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenSSH's default UserKnownHostsFile is ~/.ssh/known_hosts and ~/.ssh/known_hosts2."""
    from secaudit.transport.ssh import SshError, SshOptions, connect

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir(mode=0o700)
    (tmp_path / ".ssh" / "known_hosts2").write_text(f"[127.0.0.*]:* {sshd.other}\n")
    opts = SshOptions(system_known_hosts=None, identity=str(sshd.lab.client_key), accept_new=True, connect_timeout=5)
    with pytest.raises(SshError) as info:
        connect("127.0.0.1", sshd.lab.port, sshd.lab.user, opts)
    assert info.value.status == "host_key_refused" and "has CHANGED" in info.value.en
    assert "known_hosts2:1" in info.value.en and not (tmp_path / ".ssh" / "known_hosts").exists()
