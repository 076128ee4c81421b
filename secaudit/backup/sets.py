"""Expand a configured backup set into its copies, through a transport (stat and list only).

files:  a glob ("/srv/backup/db-*.sql.gz", wildcards in any component) or a directory whose
        entries are the copies (files, or one sub-directory per run);
restic: snapshots of the repository (`restic snapshots --json`);
borg:   archives of the repository (`borg list --json`).
The password file is handed to the tool through the environment, never on a command line."""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
import shlex
import stat as stat_mod
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from secaudit.backup.verify.manifest import is_manifest_name, matches
from secaudit.backup.walk import AUDIT_WALK, FileEntry, Walker
from secaudit.config import BackupSet
from secaudit.transport.base import FactUnavailable, NotFound, StatResult, Transport
from secaudit.transport.paths import expand_glob, is_glob

_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".lock", ".log", ".swp", "~")
_SKIP_NAMES = {"lost+found"}
LIST_TIMEOUT = 8.0
SNIFF_COPIES = 50  # copies whose first bytes are read to tell whether they are encrypted


@dataclass
class CopyInfo:
    path: str
    time: int  # unix seconds: mtime (files), snapshot/archive time (restic, borg)
    size: int | None
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    is_dir: bool = False
    id: str | None = None  # restic snapshot id / borg archive name
    encrypted: bool | None = None
    files: list[FileEntry] | None = None  # files inside a directory copy (when walked)
    complete: bool = True  # a directory copy: every entry inside was looked at


@dataclass
class Listing:
    copies: list[CopyInfo] = field(default_factory=list)  # newest first
    manifests: list[str] = field(default_factory=list)
    error: tuple[str, str] | None = None  # (code, detail): config | not_found | permission_denied | ...
    source: str = ""
    dir_stat: StatResult | None = None  # the directory holding the copies, or the repository
    dir_path: str = ""
    encryption: str | None = None  # repository encryption mode (borg), "repository" (restic)
    walk: Walker | None = None  # what the walk inside directory copies saw and could not see

    @property
    def complete(self) -> bool:
        """Every entry inside every directory copy was looked at (no cap, no unreadable directory)."""
        return self.walk is None or (not self.walk.truncated and not self.walk.unlisted_count)


def _skipped(name: str) -> bool:
    return (name.startswith(".") or name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES)
            or is_manifest_name(name))


def _encrypted_magic(head: bytes) -> bool | None:
    if head.startswith((b"age-encryption.org/", b"Salted__", b"-----BEGIN PGP MESSAGE", b"-----BEGIN AGE")):
        return True
    if head[:1] and head[0] in (0x85, 0x84, 0x8C, 0xC1, 0xC3, 0x8D):  # OpenPGP PKESK/SKESK packets
        return True
    if head.startswith(b"PK\x03\x04") and len(head) >= 8:
        return bool(head[6] & 0x01)  # zip general-purpose flag bit 0: encrypted member
    return False if head else None


def list_files(transport: Transport, bset: BackupSet, keep_files: bool = False, walk_limit: int | None = None,
               sniff: bool = True) -> Listing:
    """The copies of a files set. `walk_limit`: entries looked at inside directory copies (default
    AUDIT_WALK); what it leaves out is recorded in `listing.walk`, never dropped silently."""
    listing = Listing(source=f"stat {bset.path}")
    pattern = bset.path.rstrip("/") or "/"
    try:
        if is_glob(pattern):
            listing.dir_path = posixpath.dirname(pattern.split("*")[0].split("?")[0].split("[")[0]) or "/"
            if is_glob(listing.dir_path):
                listing.dir_path = "/"
            candidates = expand_glob(transport, pattern)
            if not candidates and not transport.exists(listing.dir_path):
                raise NotFound(listing.dir_path)
        else:
            st = transport.stat(pattern)
            if not st.is_dir:
                candidates = [pattern]  # a single file: the set has one copy, overwritten in place
                listing.dir_path = posixpath.dirname(pattern)
            else:
                listing.dir_path = pattern
                candidates = [posixpath.join(pattern, n) for n in transport.list_dir(pattern) if not _skipped(n)]
        listing.dir_stat = transport.stat(listing.dir_path)
    except FactUnavailable as exc:
        listing.error = (exc.code, exc.detail)
        return listing
    walker = Walker(transport, AUDIT_WALK if walk_limit is None else walk_limit, keep_files)
    listing.walk = walker
    parents: set[str] = set()
    found: list[tuple[str, StatResult]] = []
    for path in candidates:
        name = posixpath.basename(path)
        if is_glob(pattern) and (name.endswith(_SKIP_SUFFIXES) or is_manifest_name(name)):
            continue
        try:
            st = transport.stat(path)
        except FactUnavailable:
            continue
        parents.add(posixpath.dirname(path))
        if st.is_dir or st.is_file:
            found.append((path, st))
        else:  # a FIFO or a device where a copy is expected: named, never opened
            walker.skip_special(path, "fifo" if stat_mod.S_ISFIFO(st.mode) else "device")
    # The newest directories first, so that a capped walk (the audit) spends itself on recent copies.
    found.sort(key=lambda item: (item[1].mtime, item[0]), reverse=True)
    for path, st in found:
        copy = CopyInfo(path, st.mtime, st.size, st.mode, st.uid, st.gid, st.is_dir)
        if st.is_dir:
            walked = walker.walk(path)
            copy.size, copy.files, copy.complete = walked.size, walked.files, walked.complete
            copy.time = walked.newest if walked.newest is not None else st.mtime
        listing.copies.append(copy)
    listing.manifests = sorted(set(walker.manifests) | set(_manifests_beside(transport, parents)))
    if bset.manifest:
        with contextlib.suppress(FactUnavailable):
            listing.manifests = sorted(set(listing.manifests) | set(expand_glob(transport, bset.manifest)))
    listing.copies.sort(key=lambda c: (c.time, c.path), reverse=True)
    if sniff:
        for copy in listing.copies[:SNIFF_COPIES]:
            if not copy.is_dir:
                try:
                    copy.encrypted = _encrypted_magic(transport.read_bytes(copy.path, limit=64))
                except FactUnavailable:
                    copy.encrypted = None
    return listing


def _manifests_beside(transport: Transport, parents: set[str]) -> list[str]:
    found: list[str] = []
    for parent in sorted(parents):
        try:
            names = transport.list_dir(parent)
        except FactUnavailable:
            continue
        found.extend(posixpath.join(parent, n) for n in names if is_manifest_name(n) and not n.startswith("."))
    return found


def in_set(bset: BackupSet, path: str) -> bool:
    """Would `path` be a copy of this files set (for manifest entries whose file is missing)?"""
    pattern = bset.path.rstrip("/")
    if is_glob(pattern):
        return matches(pattern, path)
    return posixpath.dirname(path) == pattern or path == pattern


# -- restic and borg ----------------------------------------------------------------------------

def parse_time(value: str, assume_utc: bool = True) -> int:
    """RFC 3339 with optional fraction (restic: nanoseconds) and offset; borg prints naive UTC (TZ=UTC)."""
    text = value.strip().replace("Z", "+00:00")
    match = re.match(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.\d+)?(.*)$", text)
    if not match:
        raise ValueError(f"bad time {value!r}")
    base, offset = match.groups()
    parsed = datetime.fromisoformat(base.replace(" ", "T") + offset)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def tool_env(bset: BackupSet) -> dict[str, str]:
    """Environment for restic/borg: the password file by reference, no prompts, UTC times."""
    env = {"TZ": "UTC"}
    if bset.kind == "restic" and bset.password_file:
        env["RESTIC_PASSWORD_FILE"] = bset.password_file
    if bset.kind == "borg":
        if bset.password_file:
            env["BORG_PASSCOMMAND"] = f"cat {shlex.quote(bset.password_file)}"
        else:
            env["BORG_PASSPHRASE"] = ""  # never prompt on the terminal; an encrypted repo then fails clearly
        env["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes"
        env["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "yes"
    return env


def _env_argv(env: dict[str, str], argv: list[str]) -> list[str]:
    return ["env", *(f"{k}={v}" for k, v in env.items()), *argv]


def precheck(transport: Transport, bset: BackupSet) -> tuple[str, str] | None:
    """Configuration problems found without running the tool: (code, detail)."""
    if bset.kind == "restic" and not bset.password_file:
        return ("config", f"restic set '{bset.name}' has no password_file")
    if bset.password_file:
        try:
            transport.read_bytes(bset.password_file, limit=1)
        except FactUnavailable as exc:
            what = {"permission_denied": "cannot be read (permission denied)", "not_found": "does not exist",
                    "not_regular": "is not a regular file (never opened)"}.get(exc.code,
                                                                               f"cannot be read ({exc.detail})")
            return ("config", f"password_file {bset.password_file} {what}")
    if "://" not in bset.path and not bset.path.startswith(("sftp:", "rest:", "s3:", "b2:", "azure:", "gs:",
                                                              "rclone:", "ssh:")):
        try:
            if not transport.stat(bset.path).is_dir:
                return ("config", f"{bset.path} is not a directory, so not a {bset.kind} repository")
        except FactUnavailable as exc:
            if exc.code == "permission_denied":
                return ("permission_denied", bset.path)
            return ("config", f"no {bset.kind} repository at {bset.path} (the directory does not exist)")
    return None


def tool_error(kind: str, repo: str, stderr: str, rc: int) -> tuple[str, str]:
    text = " ".join(line.strip() for line in stderr.strip().splitlines() if line.strip())
    low = text.lower()
    if "wrong password" in low or "passphrase supplied" in low or ("incorrect" in low and "passphrase" in low):
        return ("config", f"{kind} repository {repo}: wrong password (check password_file)")
    if "is there a repository" in low or "does not exist" in low or "is not a valid repository" in low \
            or "unable to open config file" in low:
        return ("config", f"no {kind} repository at {repo}")
    if "permission denied" in low:
        return ("permission_denied", f"{repo} ({text[:160]})")
    if "lock" in low and ("failed" in low or "locked" in low):
        return ("command_failed", f"{kind} repository {repo} is locked by another process ({text[:160]})")
    return ("command_failed", f"{kind} exited with code {rc}: {text[-240:] or 'no message'}")


def _not_installed(tool: str) -> str:
    if tool == "borg" and sys.platform == "win32":
        return "borg is not installed (it has no Windows build: verify this repository on the Linux machine)"
    return f"{tool} is not installed"


def _tool_json(transport: Transport, bset: BackupSet, listing: Listing, tool: str, argv: list[str],
               timeout: float) -> Any:
    """Run a repository tool's JSON listing; on any problem record it in `listing.error` and return None."""
    problem = precheck(transport, bset)
    if problem:
        listing.error = problem
        return None
    try:
        listing.dir_stat = transport.stat(bset.path)
    except FactUnavailable:
        listing.dir_stat = None
    try:
        result = transport.run(_env_argv(tool_env(bset), argv), timeout=timeout)
    except FactUnavailable as exc:
        listing.error = (exc.code, exc.detail if exc.code != "not_found" else _not_installed(tool))
        return None
    if result.rc != 0:
        listing.error = tool_error(tool, bset.path, result.stderr, result.rc)
        return None
    if not result.stdout.strip():
        listing.error = ("command_failed", f"{' '.join(argv[:2])} ... --json printed nothing")
        return None
    try:
        return json.loads(result.stdout)
    except (ValueError, RecursionError):
        listing.error = ("command_failed", f"{' '.join(argv[:2])} ... --json printed something that is not JSON")
        return None


def _time_of(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except (ValueError, OverflowError):
        return None


def list_restic(transport: Transport, bset: BackupSet, timeout: float = LIST_TIMEOUT) -> Listing:
    listing = Listing(source=f"restic -r {bset.path} snapshots --json", dir_path=bset.path, encryption="repository")
    snaps = _tool_json(transport, bset, listing, "restic",
                       ["restic", "-r", bset.path, "snapshots", "--json", "--no-cache", "--no-lock"], timeout)
    if snaps is None:
        return listing
    if not isinstance(snaps, list):
        listing.error = ("command_failed", "restic snapshots --json printed JSON that is not a list of snapshots")
        return listing
    for snap in snaps:
        when = _time_of(snap.get("time")) if isinstance(snap, dict) else None
        if when is None:
            continue  # not a snapshot as restic prints them: not counted as a copy
        summary = snap.get("summary")
        size = summary.get("total_bytes_processed") if isinstance(summary, dict) else None
        ident = snap.get("id") if isinstance(snap.get("id"), str) else ""
        short = snap.get("short_id") if isinstance(snap.get("short_id"), str) else ident[:8]
        listing.copies.append(CopyInfo(f"{bset.path}::{short}", when,
                                       size if isinstance(size, int) and not isinstance(size, bool) else None,
                                       id=ident or short or None, encrypted=True))
    listing.copies.sort(key=lambda c: (c.time, c.path), reverse=True)
    return listing


def list_borg(transport: Transport, bset: BackupSet, timeout: float = LIST_TIMEOUT) -> Listing:
    listing = Listing(source=f"borg list --json {bset.path}", dir_path=bset.path)
    data = _tool_json(transport, bset, listing, "borg", ["borg", "list", "--json", "--bypass-lock", bset.path],
                      timeout)
    if data is None:
        return listing
    archives = data.get("archives") if isinstance(data, dict) else None
    if not isinstance(archives, list):
        listing.error = ("command_failed", "borg list --json printed JSON without a list of archives")
        return listing
    encryption = data.get("encryption")
    mode = encryption.get("mode") if isinstance(encryption, dict) else None
    mode = mode if isinstance(mode, str) and mode else None
    listing.encryption = mode
    for arch in archives:
        if not isinstance(arch, dict):
            continue
        when = _time_of(arch.get("time") or arch.get("start"))
        name = arch.get("name") or arch.get("archive")
        if when is None or not isinstance(name, str) or not name:
            continue
        listing.copies.append(CopyInfo(f"{bset.path}::{name}", when, None, id=name,
                                       encrypted=None if mode is None else mode != "none"))
    listing.copies.sort(key=lambda c: (c.time, c.path), reverse=True)
    return listing


def list_set(transport: Transport, bset: BackupSet, keep_files: bool = False, walk_limit: int | None = None
             ) -> Listing:
    if bset.kind == "restic":
        return list_restic(transport, bset)
    if bset.kind == "borg":
        return list_borg(transport, bset)
    return list_files(transport, bset, keep_files=keep_files, walk_limit=walk_limit)


def mode_string(mode: int | None) -> str | None:
    return None if mode is None else f"{stat_mod.S_IMODE(mode):04o}"
