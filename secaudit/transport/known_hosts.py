"""known_hosts as OpenSSH reads it, and the host-key decision for an SSH connection.

paramiko's own HostKeys compares names literally: no wildcards, no negation, markers unknown. A
known_hosts line that OpenSSH applies to a host must apply here too, or a changed key behind a
wildcard entry would be taken for a new one (and recorded with --accept-new). So the lookup is ours,
following OpenSSH 9 (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", hostfile.c, match.c):

  - the name looked up is `host` on port 22 and `[host]:port` on any other port, lowercased;
  - the host field is a comma-separated pattern list (`*`, `?`; `!pattern` negates: a line whose
    negated pattern matches does not apply, whatever else matches) or one hashed name
    `|1|salt|HMAC-SHA1(salt, name)`;
  - `@revoked` lines refuse their key for the hosts they match; `@cert-authority` lines are not
    supported (host certificates are not verified) and never make a host known;
  - comments, blank lines and lines OpenSSH would skip (a bad marker, a bad hash, a key that does
    not parse) are skipped;
  - a key equal to a matching entry's is known; a host with matching entries but none equal is a
    CHANGED key, whatever the key types (OpenSSH 9 does the same: it warns "REMOTE HOST
    IDENTIFICATION HAS CHANGED" and refuses, even with StrictHostKeyChecking=accept-new);
  - on another port than 22, a key equal to one known for the bare `host` is known (OpenSSH's
    "found matching key w/out port"); a different key there is neither known nor changed.

Deliberately stricter than OpenSSH: a key @revoked for the bare host is refused on every port; a
host matched only by @cert-authority lines is refused even with accept_new (OpenSSH would record
a plain key the server offers, undoing the administrator's choice of certificates).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import stat as stat_mod
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from secaudit import limits
from secaudit.errors import SecauditError
from secaudit.fsutil import NotRegularFile, TooLarge, lock, read_capped, set_blocking

REVOKED, CERT_AUTHORITY = "@revoked", "@cert-authority"
OK, NEW, CHANGED, REVOKED_KEY = "ok", "new", "changed", "revoked"
HASH_MAGIC = "|1|"
_SUBPATTERN_MAX = 1023  # OpenSSH's buffer: a longer pattern makes the whole list not match
_BLANKS = " \t"
_CERT = "-cert-v01@openssh.com"
# Key names OpenSSH knows (sshkey_type_from_name), by family: a line's key type must name the
# blob's family, as sshkey_read requires.
_FAMILIES = {
    "ssh-ed25519": "ssh-ed25519", "sk-ssh-ed25519@openssh.com": "sk-ssh-ed25519@openssh.com",
    "ssh-rsa": "ssh-rsa", "rsa-sha2-256": "ssh-rsa", "rsa-sha2-512": "ssh-rsa", "ssh-dss": "ssh-dss",
    "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com": "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-xmss@openssh.com": "ssh-xmss@openssh.com",
}
_RECORD_LOCK = threading.Lock()


class HostKeyError(SecauditError):
    """The host key was refused (status "host_key_refused"), or known_hosts could not be read or
    written (status "error"). `kind`: unknown, changed, revoked, cert_authority, certificate, file."""

    def __init__(self, status: str, kind: str, vi: str, en: str) -> None:
        super().__init__(vi, en)
        self.status, self.kind = status, kind


# -- matching -------------------------------------------------------------------------------------

def _lower(text: str) -> str:
    """ASCII lowercase only, like C's tolower in the C locale."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def host_name(host: str, port: int) -> str:
    """The name OpenSSH looks up and records: `host` on port 22, `[host]:port` otherwise."""
    host = _lower(host)
    return host if port in (0, 22) else f"[{host}]:{port}"


def match_pattern(text: str, pattern: str) -> bool:
    """OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal. Greedy
    with one backtrack point, so linear in practice and never exponential (OpenSSH recurses)."""
    t = p = 0
    star_p, star_t = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star_p, star_t = p, t
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            t += 1
            p += 1
        elif star_p >= 0:
            star_t += 1
            t, p = star_t, star_p + 1
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def match_pattern_list(text: str, patterns: str, dolower: bool = True) -> int:
    """OpenSSH's match_pattern_list: 1 when a pattern matches, -1 when a negated one does (that
    wins over any positive match), 0 otherwise."""
    positive = 0
    for sub in patterns.split(","):
        negated = sub.startswith("!")
        if negated:
            sub = sub[1:]
        if len(sub) >= _SUBPATTERN_MAX:
            return 0
        if match_pattern(text, _lower(sub) if dolower else sub):
            if negated:
                return -1
            positive = 1
    return positive


def _split_hash(field: str) -> tuple[bytes, bytes] | None:
    """(salt, HMAC) of a hashed host field `|1|salt|hash`; None when it is damaged. OpenSSH compares
    the whole field with its own encoding, so only the canonical base64 of 20-byte values can match."""
    if not field.startswith(HASH_MAGIC):
        return None
    salt_text, sep, hash_text = field[len(HASH_MAGIC):].partition("|")
    if not sep or not 0 < len(salt_text) <= 1024:
        return None
    try:
        salt = base64.b64decode(salt_text, validate=True)
        digest = base64.b64decode(hash_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    size = hashlib.sha1().digest_size
    if len(salt) != size or len(digest) != size:
        return None
    if f"{HASH_MAGIC}{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}" != field:
        return None
    return salt, digest


def _hash_matches(name: str, parts: tuple[bytes, bytes]) -> bool:
    salt, digest = parts
    return hmac.compare_digest(hmac.digest(salt, name.encode("utf-8", "surrogateescape"), "sha1"), digest)


def match_hashed(name: str, field: str) -> bool:
    """Whether a hashed host field `|1|salt|hash` is `name` (a damaged one never is)."""
    parts = _split_hash(field)
    return parts is not None and _hash_matches(name, parts)


def hash_name(name: str, salt: bytes | None = None) -> str:
    """A hashed host field, as `ssh-keygen -H` writes it (for tests and tools)."""
    salt = salt if salt is not None else os.urandom(hashlib.sha1().digest_size)
    digest = hmac.new(salt, name.encode("utf-8", "surrogateescape"), hashlib.sha1).digest()
    return f"{HASH_MAGIC}{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


# -- parsing --------------------------------------------------------------------------------------

@dataclass(eq=False)
class Entry:
    """One usable known_hosts line."""

    marker: str  # "", "@revoked" or "@cert-authority"
    names: str  # the host field as written: a pattern list or one hashed name
    key_type: str  # as written on the line
    blob: bytes  # the public key, decoded
    source: str  # "path:line"

    def matches(self, name: str) -> bool:
        """Whether the line applies to `name` (a damaged hashed name applies to none)."""
        if self.names.startswith("|"):
            return self._hash is not None and _hash_matches(name, self._hash)
        return match_pattern_list(name, self.names) == 1

    @cached_property
    def _hash(self) -> tuple[bytes, bytes] | None:
        return _split_hash(self.names)

    @property
    def family(self) -> str:
        return _blob_type(self.blob) or ""

    @cached_property
    def key_ok(self) -> bool:
        """Whether the key parses (checked only for lines that match, as OpenSSH does)."""
        return _key_parses(self.family, self.blob)


def _token(text: str) -> tuple[str, str]:
    """The text up to the next blank, and the rest after the blanks that follow it."""
    word = _WORD.match(text)
    end = word.end() if word else 0
    return text[:end], text[end:].lstrip(_BLANKS)


_WORD = re.compile(r"[^ \t]*")


def _blob_type(blob: bytes) -> str | None:
    """The key type name an SSH public-key blob starts with (uint32 length, name)."""
    if len(blob) < 4:
        return None
    size = int.from_bytes(blob[:4], "big")
    if not 0 < size <= 64 or len(blob) < 4 + size:
        return None
    try:
        return blob[4:4 + size].decode("ascii")
    except UnicodeDecodeError:
        return None


def _family(name: str) -> str | None:
    plain = name[:-len(_CERT)] if name.endswith(_CERT) else name
    return _FAMILIES.get(plain)


def _key_parses(blob_type: str, blob: bytes) -> bool:
    """Whether paramiko can load the key, for the types it knows; other types OpenSSH knows are kept
    (they are never equal to a key paramiko negotiated, so they can only make a host changed)."""
    import paramiko

    try:
        paramiko.PKey.from_type_string(blob_type, blob)
    except paramiko.UnknownKeyType:
        return True
    except Exception:  # a damaged key: OpenSSH skips the line
        return False
    return True


def parse_line(line: str, source: str) -> Entry | None:
    """One known_hosts line; None for a comment, a blank line or a line OpenSSH would skip."""
    rest = line.split("\0", 1)[0].lstrip(_BLANKS)  # C strings end at a NUL
    if not rest or rest.startswith("#"):
        return None
    marker = ""
    while rest.startswith("@"):
        if marker:  # only one marker is allowed
            return None
        end = rest.find(" ")
        if end < 0:
            end = rest.find("\t")
        if not 1 < end < 32:
            return None
        marker = rest[:end]
        if marker not in (REVOKED, CERT_AUTHORITY):
            return None
        rest = rest[end:].lstrip(_BLANKS)
    names, rest = _token(rest)
    if not rest or rest.startswith("#"):
        return None
    key_type, rest = _token(rest)
    blob_text, _comment = _token(rest)
    try:
        blob = base64.b64decode("".join(blob_text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    blob_type = _blob_type(blob)
    family = _family(key_type)
    if blob_type is None or family is None or _family(blob_type) != family:
        return None
    return Entry(marker, names, key_type, blob, source)


def parse(text: str, path: str) -> list[Entry]:
    out: list[Entry] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        entry = parse_line(line, f"{path}:{lineno}")
        if entry is not None:
            out.append(entry)
    return out


def load(paths: Iterable[str | None]) -> list[Entry]:
    """Entries of the known_hosts files that exist, in order. A file that exists but cannot be read
    (not a regular file, larger than the cap, permission) is an error: skipping it could turn a
    changed key into a new one."""
    out: list[Entry] = []
    for path in paths:
        if not path or not os.path.lexists(path):
            continue
        try:
            data = read_capped(path, limits.CONFIG_FILE)
        except NotRegularFile:
            raise _file_error(path, "không phải tệp thông thường", "it is not a regular file") from None
        except TooLarge:
            cap = limits.mib(limits.CONFIG_FILE)
            raise _file_error(path, f"lớn hơn {cap}", f"it is larger than {cap}") from None
        except FileNotFoundError:  # a dangling symlink, or removed meanwhile
            continue
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise _file_error(path, why, why) from None
        out.extend(_parsed(path, data))
    return out


_PARSED: dict[tuple[str, bytes], list[Entry]] = {}
_PARSED_LOCK = threading.Lock()


def _parsed(path: str, data: bytes) -> list[Entry]:
    """parse(), remembered by content: a parallel audit of many hosts reads the same files again."""
    key = (path, hashlib.sha256(data).digest())
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
    if hit is not None:
        return hit
    entries = parse(data.decode("utf-8", "surrogateescape"), path)
    with _PARSED_LOCK:
        if len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = entries
    return entries


def _file_error(path: str, vi: str, en: str) -> HostKeyError:
    return HostKeyError("error", "file", f"Không đọc được tệp known_hosts {path}: {vi}.",
                        f"Cannot read the known_hosts file {path}: {en}.")


# -- the decision ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    status: str  # ok | new | changed | revoked
    entry: Entry | None = None  # the equal entry (ok), a differing one (changed), the @revoked one
    cert_authority: bool = False  # a @cert-authority line matches the host (not supported)


@dataclass(frozen=True)
class Found:
    """The usable lines that apply to host:port (`matched`) and, off port 22, to the bare host (`bare`)."""

    matched: list[Entry]
    bare: list[Entry]


def lookup(entries: Sequence[Entry], host: str, port: int) -> Found:
    def matching(name: str) -> list[Entry]:
        return [e for e in entries if e.matches(name) and e.key_ok]

    return Found(matching(host_name(host, port)), matching(host_name(host, 22)) if port not in (0, 22) else [])


def check(entries: Sequence[Entry] | Found, host: str, port: int, blob: bytes) -> Verdict:
    """What OpenSSH's check_host_key decides for `blob` offered by host:port (see the module doc)."""
    found = entries if isinstance(entries, Found) else lookup(entries, host, port)
    matched, bare = found.matched, found.bare
    revoked = next((e for e in matched + bare if e.marker == REVOKED and e.blob == blob), None)
    if revoked is not None:
        return Verdict(REVOKED_KEY, revoked)
    plain = [e for e in matched if not e.marker]
    equal = next((e for e in plain if e.blob == blob), None)
    if equal is not None:
        return Verdict(OK, equal)
    if plain:
        family = _blob_type(blob)
        known = next((e for e in plain if e.family == family), plain[0])
        return Verdict(CHANGED, known)
    equal = next((e for e in bare if not e.marker and e.blob == blob), None)
    if equal is not None:
        return Verdict(OK, equal)
    return Verdict(NEW, cert_authority=any(e.marker == CERT_AUTHORITY for e in matched))


def known_algorithms(entries: Sequence[Entry] | Found, host: str, port: int) -> list[str]:
    """Host-key algorithms of the keys known for host:port (then for the bare host), so the server
    is asked for a key we can check (OpenSSH's order_hostkeyalgs)."""
    found = entries if isinstance(entries, Found) else lookup(entries, host, port)
    out: list[str] = []
    for e in found.matched + found.bare:
        if e.marker:
            continue
        algs = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] if e.family == "ssh-rsa" else [e.family]
        out.extend(a for a in algs if a not in out)
    return out


def order_algorithms(default: Sequence[str], known: Sequence[str]) -> list[str]:
    """`default` with the known algorithms first, each group in `default`'s order."""
    return [a for a in default if a in known] + [a for a in default if a not in known]


# -- recording ------------------------------------------------------------------------------------

_NOT_IN_NAMES = frozenset(" \t\r\n,*?!#|\\\"'") | {chr(c) for c in range(32)} | {"\x7f"}


def record(path: str, host: str, port: int, key_type: str, key_base64: str) -> None:
    """Append `name keytype base64` to known_hosts (~/.ssh created 0700, the file 0600); `name` is
    `[host]:port` on another port than 22. Refuses a host name that known_hosts would read as a
    pattern or a comment, and a known_hosts that is not a regular file."""
    name = host_name(host, port)
    bare = _lower(host)
    if not bare or bare.startswith("@") or any(c in _NOT_IN_NAMES for c in bare):
        raise OSError(0, "the host name cannot be written in known_hosts")
    target = Path(path)
    with _RECORD_LOCK:
        if target.parent != Path(os.path.expanduser("~")):
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0), 0o600)
        try:
            if not stat_mod.S_ISREG(os.fstat(fd).st_mode):
                raise NotRegularFile(path)
            set_blocking(fd)
            lock(fd)
            line = f"{name} {key_type} {key_base64}\n".encode()
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)


# -- paramiko's host-key policy -------------------------------------------------------------------

def fingerprint_of(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public-key blob."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def fingerprint(key: Any) -> str:
    """OpenSSH's SHA256 fingerprint of a paramiko key."""
    return fingerprint_of(key.asbytes())


class HostKeyPolicy:
    """The whole host-key decision for one connection. The SSHClient is given no host keys, so
    paramiko calls `missing_host_key` for every server key and the decision is only ours."""

    def __init__(self, entries: Sequence[Entry], host: str, port: int, target: str, accept_new: bool,
                 record_to: str) -> None:
        self.host, self.port, self.target = host, port, target
        self.accept_new, self.record_to = accept_new, record_to
        self.recorded: str | None = None
        self.found = lookup(entries, host, port)  # once: hashed names cost an HMAC per line
        self.algorithms = known_algorithms(self.found, host, port)

    def transport_factory(self, *args: Any, **kwargs: Any) -> Any:
        """A paramiko Transport that asks first for the key types known for this host."""
        import paramiko

        transport = paramiko.Transport(*args, **kwargs)
        opts = transport.get_security_options()
        opts.key_types = order_algorithms(list(opts.key_types), self.algorithms)
        return transport

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        transport = client.get_transport()
        negotiated = str(getattr(transport, "host_key_type", "") or "")
        if negotiated.endswith(_CERT):  # only a server offering nothing but certificates gets here
            raise self._refused("certificate",
                                f"{self.target} chỉ đưa ra chứng thư khóa máy chủ ({negotiated}); secaudit chưa hỗ "
                                f"trợ chứng thư, chỉ kiểm tra khóa thường trong known_hosts: đã từ chối.",
                                f"{self.target} offers only a host certificate ({negotiated}); secaudit does not "
                                f"support certificates, only plain keys in known_hosts: refused.")
        verdict = check(self.found, self.host, self.port, key.asbytes())
        shown = f"{key.get_name()} {fingerprint(key)}"
        if verdict.status == OK:
            return
        if verdict.status == REVOKED_KEY:
            where = verdict.entry.source if verdict.entry else "known_hosts"
            raise self._refused("revoked",
                                f"Khóa máy chủ của {self.target} ({shown}) bị đánh dấu @revoked trong known_hosts "
                                f"({where}): đã từ chối.",
                                f"The host key of {self.target} ({shown}) is marked @revoked in known_hosts "
                                f"({where}): refused.")
        if verdict.status == CHANGED and verdict.entry is not None:
            raise self._changed(shown, verdict.entry)
        if verdict.cert_authority:
            raise self._refused("cert_authority",
                                f"{self.target} chỉ được known_hosts xác nhận qua dòng @cert-authority, mà secaudit "
                                f"chưa hỗ trợ chứng thư máy chủ: khóa {shown} bị từ chối (kể cả với --accept-new). "
                                f"Hãy thêm khóa thường của máy vào known_hosts sau khi đối chiếu dấu vân tay.",
                                f"{self.target} is vouched for in known_hosts only by a @cert-authority line, and "
                                f"secaudit does not support host certificates: the key {shown} was refused (even "
                                f"with --accept-new). Add the host's plain key to known_hosts after checking its "
                                f"fingerprint.")
        if not self.accept_new:
            raise self._refused("unknown",
                                f"Khóa máy chủ của {self.target} ({shown}) chưa có trong known_hosts nên bị từ chối: "
                                f"hãy đối chiếu dấu vân tay với quản trị máy đó rồi chạy lại với --accept-new.",
                                f"The host key of {self.target} ({shown}) is not in known_hosts and was refused: "
                                f"check the fingerprint with the host's administrator, then run again with "
                                f"--accept-new.")
        try:
            record(self.record_to, self.host, self.port, key.get_name(), key.get_base64())
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise HostKeyError("error", "file", f"Không ghi được khóa máy chủ mới vào {self.record_to}: {why}.",
                               f"Cannot record the new host key in {self.record_to}: {why}.") from None
        self.recorded = self.record_to

    def _refused(self, kind: str, vi: str, en: str) -> HostKeyError:
        return HostKeyError("host_key_refused", kind, vi, en)

    def _changed(self, shown: str, known: Entry) -> HostKeyError:
        was = f"{known.key_type} {fingerprint_of(known.blob)}"
        return self._refused(
            "changed",
            f"CẢNH BÁO: khóa máy chủ của {self.target} đã THAY ĐỔI ({shown}, khác khóa đã biết {was} ở "
            f"{known.source}); có thể đang bị tấn công xen giữa nên đã từ chối, kể cả "
            f"với --accept-new — chỉ sửa known_hosts sau khi xác minh khóa mới.",
            f"WARNING: the host key of {self.target} has CHANGED ({shown} instead of the known {was} at "
            f"{known.source}); this may be a man-in-the-middle attack, so it was "
            f"refused, even with --accept-new: fix known_hosts only after verifying the new key.")


__all__ = ["Found", "HostKeyError", "HostKeyPolicy", "Verdict", "check", "fingerprint", "fingerprint_of", "host_name",
           "load", "lookup", "match_hashed", "match_pattern", "match_pattern_list", "parse", "parse_line", "record"]
