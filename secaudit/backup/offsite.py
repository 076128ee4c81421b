"""The off-site copy (3-2-1): a second location on another device or host that is itself fresh.

Local paths are compared by device id with the primary copies and the live data. sftp:// is
checked over SSH with paramiko: host keys come from known_hosts (the user's, the system's and
`offsite_known_hosts`, matched as OpenSSH matches them: secaudit.transport.known_hosts) and an unknown,
changed or revoked key is refused, never recorded."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import posixpath
import stat as stat_mod
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from secaudit.backup.sets import Listing, list_files
from secaudit.config import BackupSet
from secaudit.transport.base import FactUnavailable, Transport
from secaudit.transport.paths import is_glob
from secaudit.transport.windows import machine_transport

CONNECT_TIMEOUT = 10.0
OFFSITE_WALK = 2000  # entries looked at inside off-site directory copies (only their newest time matters)
OP_TIMEOUT = 30.0  # one SFTP request
SFTP_ENTRIES = 200_000  # names read from one remote directory (as limits.DIR_ENTRIES for transports)
_REPO_MARKERS = {"restic": ("snapshots",), "borg": ()}


@dataclass
class OffsiteResult:
    location: str
    checked_at: int
    kind: str = "local"  # local | sftp
    reachable: bool = False
    newest_time: int | None = None
    newest_path: str | None = None
    count: int = 0
    same_device: bool | None = None  # local: on the same filesystem as the primary copies or the data
    missing: list[str] = field(default_factory=list)  # recent primary copies not found off-site
    error: tuple[str, str] | None = None
    complete: bool = True  # every entry of the off-site location was looked at (newest_time is exact)

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "checked_at": self.checked_at, "kind": self.kind,
                "reachable": self.reachable, "newest_time": self.newest_time, "newest_path": self.newest_path,
                "count": self.count, "same_device": self.same_device, "missing": self.missing,
                "error": None if self.error is None else {"code": self.error[0], "detail": self.error[1]},
                "complete": self.complete}


def redact(location: str) -> str:
    """A location for the report: never a password embedded in a URL."""
    if "://" not in location:
        return location
    url = urlsplit(location)
    if url.password:
        netloc = f"{url.username}:***@{url.hostname}" + (f":{url.port}" if url.port else "")
        return url._replace(netloc=netloc).geturl()
    return location


def _pattern(bset: BackupSet, base: str) -> str | None:
    """For a files set with a glob, the same file-name pattern in the off-site directory."""
    if bset.kind == "files" and is_glob(posixpath.basename(bset.path.rstrip("/"))) and not is_glob(base):
        return posixpath.basename(bset.path.rstrip("/"))
    return None


def _newest_name(primary: Listing) -> str | None:
    """The file name of the newest primary copy, when it is a local file or directory."""
    if not primary.copies:
        return None
    newest = primary.copies[0]
    if not newest.path.startswith("/") or "::" in newest.path:
        return None
    return posixpath.basename(newest.path.rstrip("/")) or None


def _missing(primary: Listing, present: Callable[[str], bool | None]) -> list[str]:
    """The newest primary copy when it is positively absent off-site. `present(name)` looks the name up
    itself (never "not in a listing that may have been cut short"); None means it could not tell."""
    name = _newest_name(primary)
    if name is None:
        return []
    return [primary.copies[0].path] if present(name) is False else []


def check_local(bset: BackupSet, location: str, primary: Listing, now: int, transport: Transport | None = None,
                source_dev: int | None = None) -> OffsiteResult:
    result = OffsiteResult(location, now)
    tr: Transport = transport or machine_transport()
    base = location if not is_glob(location) else (posixpath.dirname(location.split("*")[0]) or "/")
    try:
        st = tr.stat(base)
    except FactUnavailable as exc:
        if exc.code == "not_found":
            result.error = ("not_found", f"{location} does not exist (is the off-site disk mounted?)")
        else:
            result.error = (exc.code, f"{location}: {exc.detail}")
        return result
    result.reachable = True
    devices = set()
    if primary.dir_stat is not None:
        devices.add(primary.dir_stat.dev)
    if source_dev is not None:
        devices.add(source_dev)
    elif bset.source:
        with contextlib.suppress(FactUnavailable):
            devices.add(tr.stat(bset.source).dev)
    devices.discard(0)  # 0: the transport cannot tell (SFTP has no device ids)
    result.same_device = None if st.dev == 0 or not devices else st.dev in devices
    if bset.kind in ("restic", "borg"):
        _newest_repo_file(tr, bset.kind, location, result)
        return result
    pattern = _pattern(bset, location)
    target = posixpath.join(location, pattern) if pattern else location
    listing = list_files(tr, BackupSet(name=bset.name, path=target), sniff=False, walk_limit=OFFSITE_WALK)
    if listing.error:
        result.error = listing.error
        return result
    result.complete = listing.complete
    result.count = len(listing.copies)
    if listing.copies:
        result.newest_time = listing.copies[0].time
        result.newest_path = listing.copies[0].path

    def present(name: str) -> bool | None:
        try:
            tr.stat(posixpath.join(base, name))
        except FactUnavailable as exc:
            return False if exc.code == "not_found" else None
        return True

    result.missing = _missing(primary, present)
    return result


def _repo_files(kind: str, names: list[str]) -> list[str]:
    if kind == "borg":
        return [n for n in names if n.startswith(("index.", "hints.", "integrity."))]
    return names


def _newest_repo_file(tr: Transport, kind: str, repo: str, result: OffsiteResult) -> None:
    where = posixpath.join(repo, "snapshots") if kind == "restic" else repo
    try:
        names = _repo_files(kind, tr.list_dir(where))
    except FactUnavailable as exc:
        if exc.code == "not_found":
            result.error = ("not_found", f"{where}: not found (not a {kind} repository?)")
        else:
            result.error = (exc.code, f"{where}: {exc.detail}")
        return
    for name in names:
        try:
            mtime = tr.stat(posixpath.join(where, name)).mtime
        except FactUnavailable:
            continue
        result.count += 1 if kind == "restic" else 0
        if result.newest_time is None or mtime > result.newest_time:
            result.newest_time, result.newest_path = mtime, posixpath.join(where, name)
    if result.newest_time is None:
        result.error = ("not_found", f"{where}: no {kind} snapshot found")


# -- sftp ---------------------------------------------------------------------------------------------

def _client(bset: BackupSet, host: str, port: int, user: str | None, password: str | None) -> Any:
    import paramiko

    from secaudit.transport.known_hosts import HostKeyPolicy, load

    # Matched as OpenSSH matches known_hosts (wildcards, negation, hashed names, @revoked); read only:
    # an unknown key is refused, never recorded. The client holds no keys, so `policy` judges every key.
    mine, system = os.path.expanduser("~/.ssh/known_hosts"), "/etc/ssh/ssh_known_hosts"
    entries = load([mine, mine + "2", system, system + "2", bset.offsite_known_hosts])
    policy = HostKeyPolicy(entries, host, port, f"{host}:{port}", accept_new=False, record_to="")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(policy)
    try:
        client.connect(host, port=port, username=user, password=password, key_filename=bset.offsite_key_file,
                       timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT, auth_timeout=CONNECT_TIMEOUT,
                       look_for_keys=bset.offsite_key_file is None, allow_agent=bset.offsite_key_file is None,
                       transport_factory=policy.transport_factory)
    except BaseException:
        client.close()
        raise
    return client


def check_sftp(bset: BackupSet, location: str, primary: Listing, now: int) -> OffsiteResult:
    import paramiko

    from secaudit.transport.known_hosts import HostKeyError

    result = OffsiteResult(redact(location), now, kind="sftp")
    url = urlsplit(location)
    host = url.hostname or ""
    port = url.port or 22
    path = unquote(url.path) or "/"
    where = f"{url.username + '@' if url.username else ''}{host}:{port}"
    try:
        client = _client(bset, host, port, url.username, url.password)
    except HostKeyError as exc:
        if exc.kind in ("changed", "revoked"):
            why = "is marked @revoked in" if exc.kind == "revoked" else "does not match"
            result.error = ("host_key_mismatch", f"the host key of {host}:{port} {why} known_hosts: connection "
                                                 f"refused, possible interception")
        elif exc.kind == "unknown":
            result.error = ("unknown_host_key", f"{host}:{port} is not in known_hosts: check its fingerprint, then "
                                                f"add it (ssh-keyscan -p {port} {host}) or set offsite_known_hosts")
        else:  # @cert-authority only, a host certificate, an unreadable known_hosts
            result.error = ("unknown_host_key" if exc.status == "host_key_refused" else "ssh_error", exc.en)
        return result
    except paramiko.AuthenticationException as exc:
        result.error = ("auth_failed", f"authentication failed for {where}: {exc}")
        return result
    except paramiko.SSHException as exc:
        text = str(exc)
        if "known_hosts" in text or "not found in known_hosts" in text:
            result.error = ("unknown_host_key", f"{host}:{port} is not in known_hosts: check its fingerprint, then "
                                                f"add it (ssh-keyscan -p {port} {host}) or set offsite_known_hosts")
        else:
            result.error = ("ssh_error", f"{where}: {text}")
        return result
    except (TimeoutError, OSError) as exc:
        result.error = ("unreachable", f"cannot connect to {where}: {getattr(exc, 'strerror', None) or exc}")
        return result
    try:
        _sftp_check(bset, client, path, where, primary, result)
    except (OSError, EOFError, paramiko.SSHException) as exc:  # the server stopped answering, or hung up
        result.error = ("ssh_error", f"{where}: {getattr(exc, 'strerror', None) or exc or type(exc).__name__}")
    finally:
        client.close()
    return result


def _listdir(sftp: Any, path: str, result: OffsiteResult) -> list[Any]:
    """A remote directory's entries, at most SFTP_ENTRIES (a server may list without end)."""
    out: list[Any] = []
    for attrs in sftp.listdir_iter(path):
        if len(out) >= SFTP_ENTRIES:
            result.complete = False
            break
        out.append(attrs)
    return out


def _sftp_check(bset: BackupSet, client: Any, path: str, where: str, primary: Listing,
                result: OffsiteResult) -> None:
    sftp = client.open_sftp()
    sftp.get_channel().settimeout(OP_TIMEOUT)  # a server that never answers a request: socket.timeout
    result.reachable = True
    if bset.kind in ("restic", "borg"):
        base = posixpath.join(path, "snapshots") if bset.kind == "restic" else path
        try:
            attrs = [a for a in _listdir(sftp, base, result)
                     if a.filename in _repo_files(bset.kind, [a.filename])]
        except FileNotFoundError as exc:
            result.error = ("not_found", f"{where}{base}: {exc.strerror or exc} (not a {bset.kind} repository?)")
            return
        for a in attrs:
            if bset.kind == "restic":
                result.count += 1
            if a.st_mtime is not None and (result.newest_time is None or a.st_mtime > result.newest_time):
                result.newest_time, result.newest_path = int(a.st_mtime), posixpath.join(base, a.filename)
        if result.newest_time is None:
            result.error = ("not_found", f"{where}{base}: no {bset.kind} snapshot found")
        return
    pattern = _pattern(bset, path)
    try:
        attrs = _listdir(sftp, path, result)
    except FileNotFoundError as exc:
        result.error = ("not_found", f"{where}{path}: {exc.strerror or 'no such directory'}")
        return
    for a in attrs:
        name = a.filename
        if name.startswith(".") or (pattern and not fnmatch.fnmatchcase(name, pattern)):
            continue
        if a.st_mode is not None and not (stat_mod.S_ISREG(a.st_mode) or stat_mod.S_ISDIR(a.st_mode)):
            continue
        result.count += 1
        if a.st_mtime is not None and (result.newest_time is None or a.st_mtime > result.newest_time):
            result.newest_time, result.newest_path = int(a.st_mtime), posixpath.join(path, name)

    def present(name: str) -> bool | None:
        try:
            sftp.stat(posixpath.join(path, name))
        except FileNotFoundError:
            return False
        except OSError:
            return None
        return True

    result.missing = _missing(primary, present)


def check(bset: BackupSet, primary: Listing, now: int | None = None) -> OffsiteResult | None:
    if not bset.offsite:
        return None
    when = int(time.time()) if now is None else now
    if bset.offsite.startswith("sftp://"):
        return check_sftp(bset, bset.offsite, primary, when)
    return check_local(bset, bset.offsite, primary, when)
