"""Drills of plain copies (a directory, tar, zip, a compressed or single file): the sampled members are
decoded and hashed as they stream, so nothing is written to disk."""

from __future__ import annotations

import os
import posixpath
import random
import stat as stat_mod
import time
import zipfile

from secaudit.backup.drill.compare import (
    CHUNK,
    MAX_NAMED,
    Digest,
    DrillResult,
    Over,
    Reservoir,
    Sampled,
    compare,
    limit_for,
    live_path,
    safe_member,
    sha256_file,
    unsafe_finding,
)
from secaudit.backup.sets import CopyInfo, Listing
from secaudit.backup.verify import FormatError, Sink
from secaudit.backup.verify.compress import decoder_for, sniff
from secaudit.backup.verify.files import FileJob, verify_file
from secaudit.backup.verify.regular import open_regular
from secaudit.backup.verify.tar import Member, MemberHandler, looks_like_tar
from secaudit.backup.verify.ziparchive import open_archive, overlapping
from secaudit.config import BackupSet
from secaudit.transport.windows import native_path


class _Extract(MemberHandler):
    """Reservoir-samples tar members as they stream past and hashes the chosen ones."""

    def __init__(self, bset: BackupSet, rng: random.Random) -> None:
        self.bset = bset
        self.sample = Reservoir(bset.drill_files, rng)
        self.unsafe: list[str] = []
        self.unsafe_count = 0
        self._item: Sampled | None = None
        self._digest: Digest | None = None

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
        self._digest = Digest(limit_for(live))
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
    sample = Reservoir(bset.drill_files, rng)
    for f in copy.files or []:
        rel = posixpath.relpath(f.path, copy.path)
        live = live_path(bset.source, rel) if bset.source else None
        if bset.source and live is None:
            continue
        sample.offer((f, rel, live))
    for f, rel, live in (x for x in sample.items if x is not None):
        item = Sampled(rel, live, mtime=f.mtime, size=f.size)
        try:
            item.digest, item.got = sha256_file(f.path, limit_for(live), nofollow=True)
            item.over = item.digest is None
        except OSError as exc:
            item.error = f"cannot read {f.path}: {exc.strerror or exc}"
        compare(result, item, copy.time)


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
        sample = Reservoir(bset.drill_files, rng)
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
        unsafe_finding(result, copy.path, unsafe, unsafe_count)
        for info, live in (x for x in sample.items if x is not None):
            item = Sampled(info.filename, live, mtime=None, size=info.file_size)
            digest = Digest(limit_for(live))
            try:
                with archive.open(info) as src:
                    while not digest.over and (chunk := src.read(CHUNK)):
                        digest.feed(chunk)
                digest.into(item)
            except Exception as exc:  # zlib.error, BadZipFile (CRC), EOFError...: this member does not restore
                item.error = f"zip: {type(exc).__name__}: {str(exc)[:200]}"
            compare(result, item, copy.time)


def _drill_single(bset: BackupSet, copy: CopyInfo, result: DrillResult) -> None:
    """A compressed or plain single-file copy (a database file, an image) compared with a source file."""
    live = bset.source if bset.source and os.path.isfile(native_path(bset.source)) else None
    item = Sampled(copy.path, live)
    digest = Digest(limit_for(live), stop=True)
    with open(open_regular(copy.path), "rb") as src:
        kind = sniff(src.read(8))
        src.seek(0)
        sink: Sink = decoder_for(kind, digest) if kind else digest
        result.method = f"{kind} decompress" if kind else "copy"
        try:
            while chunk := src.read(CHUNK):
                sink.feed(chunk)
            sink.finish()
        except Over:
            pass
    digest.into(item)
    compare(result, item, copy.time)


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
            unsafe_finding(result, copy.path, handler.unsafe, handler.unsafe_count)
            for item in handler.chosen:
                compare(result, item, copy.time)
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
