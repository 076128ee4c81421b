"""What every restore drill shares: the sampled item and the drill result, member names made safe and
mapped to live files under `source`, the streaming digest, the comparison with the live file."""

from __future__ import annotations

import hashlib
import os
import posixpath
import random
from dataclasses import dataclass, field
from typing import Any

from secaudit.backup.verify import Sink
from secaudit.backup.verify.regular import open_regular
from secaudit.transport.windows import native_path

CHUNK = 1 << 20
SLACK = 1 << 20  # bytes a restored member may exceed its live file by before decoding it stops
NO_SOURCE_CAP = 256 << 20  # without a live file to compare with, a member is decoded this far at most
MAX_LINE = 1 << 20  # one JSON line of `restic ls --json` / `borg list --json-lines`
MAX_NAMED = 5  # unsafe member names quoted in a finding (all are counted)


@dataclass
class Sampled:
    member: str  # the name inside the backup
    live: str | None  # the live file it came from
    restored: str = ""  # where the tool restored it (restic, borg); "" when hashed as it streamed
    mtime: int | None = None  # archived modification time, when the format keeps it
    size: int | None = None
    complete: bool = True
    digest: str | None = None  # sha256 of the restored bytes, when hashed while streaming
    got: int = 0  # restored bytes hashed
    over: bool = False  # larger than the live file plus SLACK: decoding stopped there
    error: str | None = None  # the member could not be restored: why


@dataclass
class DrillResult:
    at: int
    copy: str = ""
    method: str = ""
    files_restored: int = 0
    files_compared: int = 0
    skipped_changed: int = 0
    mismatches: list[dict[str, str]] = field(default_factory=list)
    error: tuple[str, str] | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "copy": self.copy, "method": self.method, "files_restored": self.files_restored,
                "files_compared": self.files_compared, "skipped_changed": self.skipped_changed,
                "mismatches": self.mismatches,
                "error": None if self.error is None else {"code": self.error[0], "detail": self.error[1]},
                "seconds": int(self.seconds)}


class Over(Exception):
    """A restored stream passed its limit: stop decoding it."""


class Digest(Sink):
    """SHA-256 of a restored member as it streams past, up to `limit` bytes."""

    def __init__(self, limit: int, stop: bool = False) -> None:
        self.h = hashlib.sha256()
        self.limit = limit
        self.got = 0
        self.over = False
        self.stop = stop  # raise Over when the limit is passed (a stream we may abandon)

    def feed(self, data: memoryview | bytes) -> None:
        if self.over:
            return
        if self.got + len(data) > self.limit:
            self.over = True
            if self.stop:
                raise Over
            return
        self.h.update(data)
        self.got += len(data)

    def into(self, item: Sampled) -> None:
        item.got, item.over = self.got, self.over
        item.digest = None if self.over else self.h.hexdigest()


def safe_member(name: str) -> str | None:
    """A member name as a clean relative path: backslashes are separators, leading `/` and `./` and
    `.` components go; None when a `..` component remains or nothing is left (it would escape)."""
    if "\x00" in name:
        return None
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts) or None


def under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _real(path: str) -> str:
    """The path with links resolved, "/"-separated (Windows' realpath gives D:\\x for /D:/x)."""
    return os.path.realpath(native_path(path)).replace(os.sep, "/")


def live_path(source: str, name: str) -> str | None:
    """Where an archived name lives under `source`: archives hold absolute paths without the
    leading slash (tar, borg), paths relative to source's parent (tar -C /srv data) or to
    source itself (tar -C /srv/data .). Only a regular file under `source`, links resolved."""
    clean = safe_member(name)
    if clean is None:
        return None
    src = posixpath.normpath(source) if source.startswith("/") else source.rstrip("/")
    rel_src = src.lstrip("/")
    candidates = []
    if rel_src and clean.startswith(rel_src + "/"):
        candidates.append(posixpath.join(src, clean[len(rel_src) + 1:]))
    base = posixpath.basename(src)
    if base and clean.startswith(base + "/"):
        candidates.append(posixpath.join(src, clean[len(base) + 1:]))
    candidates.append(posixpath.join(src, clean))
    real_src = _real(src)
    for cand in candidates:
        try:
            if os.path.isfile(native_path(cand)) and under(_real(cand), real_src):
                return cand
        except (OSError, ValueError):
            continue
    return None


def limit_for(live: str | None) -> int:
    if live is None:
        return NO_SOURCE_CAP
    try:
        return os.stat(native_path(live)).st_size + SLACK
    except OSError:
        return SLACK


def sha256_file(path: str, limit: int | None = None, nofollow: bool = False) -> tuple[str | None, int]:
    """(sha256, bytes) of a regular file; the digest is None when it is longer than `limit`."""
    h = hashlib.sha256()
    got = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(open_regular(path, nofollow), "rb", buffering=0) as fh:
        while n := fh.readinto(view):
            got += n
            if limit is not None and got > limit:
                return None, got
            h.update(view[:n])
    return h.hexdigest(), got


def mismatch(result: DrillResult, item: Sampled, problem: str, detail: str) -> None:
    result.mismatches.append({"file": item.live or item.member, "member": item.member, "problem": problem,
                              "detail": detail})


def compare(result: DrillResult, item: Sampled, copy_time: int) -> None:
    if item.error is not None:
        mismatch(result, item, "not_restored", item.error)
        return
    if not item.complete:
        mismatch(result, item, "not_restored", "the archive ends inside this file")
        return
    result.files_restored += 1
    if item.live is None:
        return
    try:
        st = os.stat(native_path(item.live))
    except OSError:
        return  # deleted since the backup
    changed = (int(st.st_mtime) != item.mtime) if item.mtime is not None else int(st.st_mtime) > copy_time
    if changed:
        result.skipped_changed += 1
        return
    limit = st.st_size + SLACK
    restored, size = item.digest, item.got
    if not item.over and restored is None:
        try:
            restored, size = sha256_file(item.restored, limit, nofollow=True)
        except OSError:
            result.files_compared += 1
            mismatch(result, item, "not_restored", "the restore did not produce this file")
            return
        item.over = restored is None
    result.files_compared += 1
    if item.over:
        mismatch(result, item, "content_differs",
                  f"the archived file is larger than the live one ({st.st_size} bytes): restoring stopped after "
                  f"{max(size, item.got)} bytes")
        return
    try:
        live, _ = sha256_file(item.live)
    except OSError:
        result.files_compared -= 1
        return  # replaced by something else since: nothing to compare with
    if restored != live:
        mismatch(result, item, "content_differs",
                  f"restored {size} bytes sha256 {(restored or '')[:16]}…, live {st.st_size} bytes "
                  f"sha256 {(live or '')[:16]}… (same modification time)")


def unsafe_finding(result: DrillResult, archive: str, names: list[str], count: int) -> None:
    if count:
        shown = ", ".join(repr(n[:120]) for n in names[:MAX_NAMED])
        result.mismatches.append({"file": archive, "member": names[0][:200] if names else "", "problem": "unsafe_name",
                                  "detail": f"{count} members have names with '..' that a restore would write "
                                            f"outside its folder ({shown}): never extracted"})


class Reservoir:
    """Uniform sample of k items from a stream of unknown length, in O(k) memory."""

    def __init__(self, k: int, rng: random.Random) -> None:
        self.k, self.rng = k, rng
        self.seen = 0
        self.items: list[Any] = []

    def slot(self) -> int | None:
        """Where the next item goes, or None when it is not sampled."""
        self.seen += 1
        if len(self.items) < self.k:
            self.items.append(None)
            return len(self.items) - 1
        j = self.rng.randrange(self.seen)
        return j if j < self.k else None

    def offer(self, item: Any) -> None:
        index = self.slot()
        if index is not None:
            self.items[index] = item
