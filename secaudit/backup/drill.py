"""Restore drill: restore a random sample of files from the newest copy and compare each with the
live data in `source` by SHA-256. restic and borg restore into a private temporary directory with
their own tool; plain copies (directories, tar, zip, compressed files) are decoded and hashed as
they stream, so nothing is written to disk at all. A live file whose modification time differs
from the archived one changed after the backup: it is counted, not reported as a mismatch.

What an archive says is never trusted: member names are normalised (backslashes, leading `/` and
`./`, `.` components) and a name with `..` is refused; a live file is only ever one under `source`
(links resolved); a member is decoded only up to the live file's size plus SLACK, so a tar or zip
bomb costs neither memory nor disk; and any decoder's error is a failed drill with the reason."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import random
import shutil
import stat as stat_mod
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from secaudit.backup.sets import CopyInfo, Listing, parse_time, tool_env
from secaudit.backup.verify import FormatError, Sink
from secaudit.backup.verify.compress import decoder_for, sniff
from secaudit.backup.verify.files import FileJob, verify_file
from secaudit.backup.verify.regular import open_regular
from secaudit.backup.verify.repo import run_tool
from secaudit.backup.verify.tar import Member, MemberHandler, looks_like_tar
from secaudit.backup.verify.ziparchive import open_archive, overlapping
from secaudit.config import BackupSet

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


class _Over(Exception):
    """A restored stream passed its limit: stop decoding it."""


class _Digest(Sink):
    """SHA-256 of a restored member as it streams past, up to `limit` bytes."""

    def __init__(self, limit: int, stop: bool = False) -> None:
        self.h = hashlib.sha256()
        self.limit = limit
        self.got = 0
        self.over = False
        self.stop = stop  # raise _Over when the limit is passed (a stream we may abandon)

    def feed(self, data: memoryview | bytes) -> None:
        if self.over:
            return
        if self.got + len(data) > self.limit:
            self.over = True
            if self.stop:
                raise _Over
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


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


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
    real_src = os.path.realpath(src)
    for cand in candidates:
        try:
            if os.path.isfile(cand) and _under(os.path.realpath(cand), real_src):
                return cand
        except (OSError, ValueError):
            continue
    return None


def _limit(live: str | None) -> int:
    if live is None:
        return NO_SOURCE_CAP
    try:
        return os.stat(live).st_size + SLACK
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


def _mismatch(result: DrillResult, item: Sampled, problem: str, detail: str) -> None:
    result.mismatches.append({"file": item.live or item.member, "member": item.member, "problem": problem,
                              "detail": detail})


def _compare(result: DrillResult, item: Sampled, copy_time: int) -> None:
    if item.error is not None:
        _mismatch(result, item, "not_restored", item.error)
        return
    if not item.complete:
        _mismatch(result, item, "not_restored", "the archive ends inside this file")
        return
    result.files_restored += 1
    if item.live is None:
        return
    try:
        st = os.stat(item.live)
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
            _mismatch(result, item, "not_restored", "the restore did not produce this file")
            return
        item.over = restored is None
    result.files_compared += 1
    if item.over:
        _mismatch(result, item, "content_differs",
                  f"the archived file is larger than the live one ({st.st_size} bytes): restoring stopped after "
                  f"{max(size, item.got)} bytes")
        return
    try:
        live, _ = sha256_file(item.live)
    except OSError:
        result.files_compared -= 1
        return  # replaced by something else since: nothing to compare with
    if restored != live:
        _mismatch(result, item, "content_differs",
                  f"restored {size} bytes sha256 {(restored or '')[:16]}…, live {st.st_size} bytes "
                  f"sha256 {(live or '')[:16]}… (same modification time)")


def _unsafe_finding(result: DrillResult, archive: str, names: list[str], count: int) -> None:
    if count:
        shown = ", ".join(repr(n[:120]) for n in names[:MAX_NAMED])
        result.mismatches.append({"file": archive, "member": names[0][:200] if names else "", "problem": "unsafe_name",
                                  "detail": f"{count} members have names with '..' that a restore would write "
                                            f"outside its folder ({shown}): never extracted"})


# -- restic and borg ------------------------------------------------------------------------------

def _stream_rows(bset: BackupSet, argv: list[str], timeout: float, on_row: Callable[[dict[str, Any]], None]
                 ) -> str | None:
    """Run a tool printing one JSON object per line and hand each to `on_row` as it comes (nothing
    accumulates); a watchdog kills the tool at `timeout`. Returns an error sentence or None."""
    exe = shutil.which(argv[0])
    if exe is None:
        return f"{argv[0]} is not installed"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": os.environ.get("HOME", "/root"),
           **tool_env(bset)}
    killed = threading.Event()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen([exe, *argv[1:]], stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                    env=env)
        except OSError as exc:
            return f"{argv[0]} cannot run: {exc.strerror or exc}"

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            while raw := proc.stdout.readline(MAX_LINE + 1):
                if len(raw) > MAX_LINE:  # an absurd line: skip to its end, unparsed
                    while raw and not raw.endswith(b"\n"):
                        raw = proc.stdout.readline(MAX_LINE + 1)
                    continue
                try:
                    row = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(row, dict):
                    on_row(row)
            rc = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if killed.is_set():
            return f"{' '.join(argv[:3])} did not finish within {int(timeout)} s"
        err.seek(max(0, err.seek(0, os.SEEK_END) - 4096))
        text = err.read().decode("utf-8", "replace").strip()
    return f"exit code {rc}: {text[-300:]}" if rc else None


class _Reservoir:
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


@dataclass
class _Candidate:
    path: str  # as the tool names it (restic: absolute; borg: relative)
    rel: str  # the clean relative path, where it is restored under the temporary directory
    live: str | None
    mtime: int | None
    size: int | None


def _candidate(bset: BackupSet, node: dict[str, Any], file_type: str, absolute: bool) -> _Candidate | str | None:
    """A sampled restic/borg node: a _Candidate, the name when it is unsafe, or None (not a file, not
    under source)."""
    if node.get("type") != file_type:
        return None
    path = node.get("path")
    if not isinstance(path, str) or not path:
        return None
    rel = safe_member(path)
    if rel is None:
        return path
    if path != ("/" + rel if absolute else rel):
        return None  # an odd spelling (./x, //x): the tool would not find it under that name
    live = None
    if bset.source:
        live = "/" + rel
        src = posixpath.normpath(bset.source)
        if not _under(live, src) or live_path(src, rel) != live:
            return None
    mtime = None
    with contextlib.suppress(ValueError, TypeError, OverflowError):
        mtime = parse_time(str(node.get("mtime")))
    size = node.get("size") if isinstance(node.get("size"), int) else None
    return _Candidate(path, rel, live, mtime, size)


def _escape_restic(path: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in path)


def drill_repo(bset: BackupSet, listing: Listing, tmp: str, rng: random.Random, timeout: float) -> DrillResult:
    result = DrillResult(at=int(time.time()))
    if not listing.copies or not listing.copies[0].id:
        result.error = ("no_copy", "there is no snapshot or archive to restore")
        return result
    newest = listing.copies[0]
    result.copy = newest.path
    sample = _Reservoir(bset.drill_files, rng)
    unsafe: list[str] = []
    unsafe_count = 0
    kind, absolute = ("file", True) if bset.kind == "restic" else ("-", False)

    def on_row(node: dict[str, Any]) -> None:
        nonlocal unsafe_count
        got = _candidate(bset, node, kind, absolute)
        if isinstance(got, str):
            unsafe_count += 1
            if len(unsafe) < MAX_NAMED:
                unsafe.append(got)
        elif got is not None:
            sample.offer(got)

    if bset.kind == "restic":
        err = _stream_rows(bset, ["restic", "-r", bset.path, "ls", "--json", "--no-lock", "--no-cache",
                                  str(newest.id)], timeout, on_row)
    else:
        err = _stream_rows(bset, ["borg", "list", "--json-lines", "--bypass-lock", f"{bset.path}::{newest.id}"],
                           timeout, on_row)
    if err:
        result.error = ("tool_error", f"listing {newest.path}: {err}")
        return result
    _unsafe_finding(result, newest.path, unsafe, unsafe_count)
    chosen: list[_Candidate] = [c for c in sample.items if c is not None]
    if not chosen:
        result.error = ("nothing_to_restore", f"no file of {newest.path} is under source {bset.source}"
                        if bset.source else f"{newest.path} holds no files")
        return result
    # A file the repository says is far larger than its live copy is not restored at all: it differs.
    items = [Sampled(c.path, c.live, os.path.join(tmp, c.rel), c.mtime, c.size) for c in chosen]
    restore = []
    for c, item in zip(chosen, items, strict=True):
        if c.size is not None and c.size > _limit(c.live) and c.live is not None:
            item.over, item.got = True, 0
        else:
            restore.append(c)
    if restore:
        if bset.kind == "restic":
            argv = ["restic", "-r", bset.path, "restore", str(newest.id), "--target", tmp, "--no-lock", "--no-cache"]
            argv += [f"--include={_escape_restic(c.path)}" for c in restore]
            result.method = "restic restore"
            run = run_tool(bset, argv, timeout)
        else:
            argv = ["borg", "extract", "--bypass-lock", f"{bset.path}::{newest.id}", "--", *[c.path for c in restore]]
            result.method = "borg extract"
            run = run_tool(bset, argv, timeout, cwd=tmp)
        if run.rc != 0:
            result.error = ("tool_error", f"{result.method} exited with code {run.rc}: {run.output.strip()[-300:]}")
            return result
    result.method = result.method or ("restic restore" if bset.kind == "restic" else "borg extract")
    for item in items:
        _compare(result, item, newest.time)
    return result


# -- plain copies -----------------------------------------------------------------------------------

class _Extract(MemberHandler):
    """Reservoir-samples tar members as they stream past and hashes the chosen ones."""

    def __init__(self, bset: BackupSet, rng: random.Random) -> None:
        self.bset = bset
        self.sample = _Reservoir(bset.drill_files, rng)
        self.unsafe: list[str] = []
        self.unsafe_count = 0
        self._item: Sampled | None = None
        self._digest: _Digest | None = None

    @property
    def chosen(self) -> list[Sampled]:
        return [i for i in self.sample.items if i is not None]

    def start(self, member: Member) -> bool:
        if safe_member(member.name) is None:
            self.unsafe_count += 1
            if len(self.unsafe) < MAX_NAMED:
                self.unsafe.append(member.name)
            return False
        live = live_path(self.bset.source, member.name) if self.bset.source else None
        if self.bset.source and live is None:
            return False
        index = self.sample.slot()
        if index is None:
            return False
        self._item = Sampled(member.name, live, mtime=member.mtime, size=member.size)
        self._digest = _Digest(_limit(live))
        self.sample.items[index] = self._item
        return True

    def data(self, chunk: memoryview) -> None:
        if self._digest is not None:
            self._digest.feed(chunk)

    def end(self, member: Member, complete: bool) -> None:
        if self._item is not None and self._digest is not None:
            self._digest.into(self._item)
            self._item.complete = complete
        self._item, self._digest = None, None


def _drill_dir(bset: BackupSet, copy: CopyInfo, rng: random.Random, result: DrillResult) -> None:
    result.method = "copy from directory"
    sample = _Reservoir(bset.drill_files, rng)
    for f in copy.files or []:
        rel = posixpath.relpath(f.path, copy.path)
        live = live_path(bset.source, rel) if bset.source else None
        if bset.source and live is None:
            continue
        sample.offer((f, rel, live))
    for f, rel, live in (x for x in sample.items if x is not None):
        item = Sampled(rel, live, mtime=f.mtime, size=f.size)
        try:
            item.digest, item.got = sha256_file(f.path, _limit(live), nofollow=True)
            item.over = item.digest is None
        except OSError as exc:
            item.error = f"cannot read {f.path}: {exc.strerror or exc}"
        _compare(result, item, copy.time)


def _zip_member_is_link(info: zipfile.ZipInfo) -> bool:
    return stat_mod.S_ISLNK(info.external_attr >> 16)


def _drill_zip(bset: BackupSet, copy: CopyInfo, rng: random.Random, result: DrillResult) -> None:
    result.method = "zip extract"
    with open_archive(copy.path) as archive:
        infos = archive.infolist()
        clash = overlapping(infos)
        if clash:
            result.error = ("corrupt", f"{copy.path}: zip members {clash} overlap (a zip bomb or a damaged "
                                       f"central directory): nothing extracted")
            return
        sample = _Reservoir(bset.drill_files, rng)
        unsafe: list[str] = []
        unsafe_count = 0
        for info in infos:
            if info.is_dir() or info.flag_bits & 1 or _zip_member_is_link(info):
                continue
            if safe_member(info.filename) is None:
                unsafe_count += 1
                if len(unsafe) < MAX_NAMED:
                    unsafe.append(info.filename)
                continue
            live = live_path(bset.source, info.filename) if bset.source else None
            if bset.source and live is None:
                continue
            sample.offer((info, live))
        _unsafe_finding(result, copy.path, unsafe, unsafe_count)
        for info, live in (x for x in sample.items if x is not None):
            item = Sampled(info.filename, live, mtime=None, size=info.file_size)
            digest = _Digest(_limit(live))
            try:
                with archive.open(info) as src:
                    while not digest.over and (chunk := src.read(CHUNK)):
                        digest.feed(chunk)
                digest.into(item)
            except Exception as exc:  # zlib.error, BadZipFile (CRC), EOFError...: this member does not restore
                item.error = f"zip: {type(exc).__name__}: {str(exc)[:200]}"
            _compare(result, item, copy.time)


def _drill_single(bset: BackupSet, copy: CopyInfo, result: DrillResult) -> None:
    """A compressed or plain single-file copy (a database file, an image) compared with a source file."""
    live = bset.source if bset.source and os.path.isfile(bset.source) else None
    item = Sampled(copy.path, live)
    digest = _Digest(_limit(live), stop=True)
    with open(open_regular(copy.path), "rb") as src:
        kind = sniff(src.read(8))
        src.seek(0)
        sink: Sink = decoder_for(kind, digest) if kind else digest
        result.method = f"{kind} decompress" if kind else "copy"
        try:
            while chunk := src.read(CHUNK):
                sink.feed(chunk)
            sink.finish()
        except _Over:
            pass
    digest.into(item)
    _compare(result, item, copy.time)


def drill_files(bset: BackupSet, listing: Listing, rng: random.Random) -> DrillResult:
    result = DrillResult(at=int(time.time()))
    if not listing.copies:
        result.error = ("no_copy", "there is no copy to restore")
        return result
    copy = listing.copies[0]
    result.copy = copy.path
    try:
        if copy.is_dir:
            _drill_dir(bset, copy, rng, result)
            return result
        with open(open_regular(copy.path), "rb") as fh:
            head = fh.read(8192)
        kind = sniff(head)
        if head.startswith(b"PK\x03\x04"):
            _drill_zip(bset, copy, rng, result)
            return result
        if looks_like_tar(head) or (kind and _inner_is_tar(copy.path, kind)):
            handler = _Extract(bset, rng)
            outcome = verify_file(FileJob(copy.path, copy.size or 0, (), True), handler=handler)
            result.method = f"{outcome.format or 'tar'} extract"
            _unsafe_finding(result, copy.path, handler.unsafe, handler.unsafe_count)
            for item in handler.chosen:
                _compare(result, item, copy.time)
            for p in outcome.problems:
                if p.code != "truncated" or not any(not c.complete for c in handler.chosen):
                    result.mismatches.append({"file": copy.path, "member": "", "problem": p.code, "detail": p.detail})
            return result
        _drill_single(bset, copy, result)
    except FormatError as exc:
        result.error = (exc.code, f"{copy.path}: {exc.detail}")
    except zipfile.BadZipFile as exc:
        result.error = ("corrupt", f"{copy.path}: zip: {exc}")
    except OSError as exc:
        result.error = ("unreadable", f"{copy.path}: {exc.strerror or exc}")
    return result


class _Enough(Exception):
    pass


def _inner_is_tar(path: str, kind: str) -> bool:
    class _Head(Sink):
        def __init__(self) -> None:
            self.buf = bytearray()

        def feed(self, data: memoryview | bytes) -> None:
            if len(self.buf) < 1024:
                self.buf += data[:1024]
            if len(self.buf) >= 1024:
                raise _Enough

    head = _Head()
    decoder = decoder_for(kind, head)
    try:
        with open(open_regular(path), "rb") as fh:
            while chunk := fh.read(65536):
                decoder.feed(chunk)
    except _Enough:
        pass
    except Exception:  # damaged or unreadable: not recognisably a tar (integrity reports the damage)
        return False
    return looks_like_tar(bytes(head.buf))


def run_drill(bset: BackupSet, listing: Listing, timeout: float, seed: int | None = None) -> DrillResult:
    """Never raises: whatever goes wrong is this set's drill error, with the reason."""
    started = time.monotonic()
    rng = random.Random(seed)
    try:
        if bset.kind in ("restic", "borg"):
            tmp = tempfile.mkdtemp(prefix="secaudit-drill-")  # 0700: restored files may hold personal data
            try:
                result = drill_repo(bset, listing, tmp, rng, timeout)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        else:
            result = drill_files(bset, listing, rng)
    except Exception as exc:
        result = DrillResult(at=int(time.time()), copy=listing.copies[0].path if listing.copies else "")
        result.error = ("corrupt", f"{result.copy}: the restore failed ({type(exc).__name__}: {str(exc)[:200]})")
    result.seconds = time.monotonic() - started
    return result
