"""Restore drill: restore a random sample of files from the newest copy into a private temporary
directory with the backup's own tool (restic restore, borg extract, the tar/zip/compression
decoders), then compare each with the live data in `source` by SHA-256. A live file whose
modification time differs from the archived one changed after the backup: it is counted, not
reported as a mismatch."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import random
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

from secaudit.agent.config import BackupSet
from secaudit.backup.sets import CopyInfo, Listing, parse_time, tool_env
from secaudit.backup.verify import FormatError, Sink
from secaudit.backup.verify.compress import decoder_for, sniff
from secaudit.backup.verify.files import FileJob, verify_file
from secaudit.backup.verify.repo import run_tool
from secaudit.backup.verify.tar import Member, MemberHandler, looks_like_tar

CHUNK = 1 << 20


@dataclass
class Sampled:
    member: str  # the name inside the backup
    live: str | None  # the live file it came from
    restored: str  # where it was restored
    mtime: int | None = None  # archived modification time, when the format keeps it
    size: int | None = None
    complete: bool = True


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


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(view):
            h.update(view[:n])
    return h.hexdigest()


def live_path(source: str, name: str) -> str | None:
    """Where an archived name lives under `source`: archives hold absolute paths without the
    leading slash (tar, borg), paths relative to source's parent (tar -C /srv data) or to
    source itself (tar -C /srv/data .)."""
    clean = name
    while clean.startswith(("./", "/")):
        clean = clean[2:] if clean.startswith("./") else clean[1:]
    src = source.rstrip("/") or "/"
    rel_src = src.lstrip("/")
    candidates = []
    if rel_src and clean.startswith(rel_src + "/"):
        candidates.append(posixpath.join(src, clean[len(rel_src) + 1:]))
    base = posixpath.basename(src)
    if base and clean.startswith(base + "/"):
        candidates.append(posixpath.join(src, clean[len(base) + 1:]))
    candidates.append(posixpath.join(src, clean))
    for cand in candidates:
        if os.path.isfile(cand):
            return cand
    return None


def _compare(result: DrillResult, item: Sampled, copy_time: int) -> None:
    if not item.complete:
        result.mismatches.append({"file": item.live or item.member, "member": item.member, "problem": "not_restored",
                                  "detail": "the archive ends inside this file"})
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
    result.files_compared += 1
    try:
        restored_size = os.path.getsize(item.restored)
        restored = sha256_file(item.restored)
    except OSError:
        result.mismatches.append({"file": item.live, "member": item.member, "problem": "not_restored",
                                  "detail": "the restore did not produce this file"})
        return
    live = sha256_file(item.live)
    if restored != live:
        result.mismatches.append({
            "file": item.live, "member": item.member, "problem": "content_differs",
            "detail": f"restored {restored_size} bytes sha256 {restored[:16]}…, live {st.st_size} bytes "
                      f"sha256 {live[:16]}… (same modification time)"})


# -- restic and borg ------------------------------------------------------------------------------

def _stream_lines(bset: BackupSet, argv: list[str], timeout: float) -> tuple[list[dict[str, Any]], str | None]:
    exe = shutil.which(argv[0])
    if exe is None:
        return [], f"{argv[0]} is not installed"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": os.environ.get("HOME", "/root"),
           **tool_env(bset)}
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with subprocess.Popen([exe, *argv[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for raw in proc.stdout:
            if time.monotonic() > deadline:
                proc.kill()
                return rows, f"{' '.join(argv[:3])} did not finish within {int(timeout)} s"
            try:
                row = json.loads(raw)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        rc = proc.wait()
    return rows, (f"exit code {rc}: {err[-300:]}" if rc else None)


def _reservoir(items: list[Any], k: int, rng: random.Random) -> list[Any]:
    return items if len(items) <= k else rng.sample(items, k)


def _repo_candidates(bset: BackupSet, nodes: list[dict[str, Any]], is_file: str, absolute: bool
                     ) -> list[tuple[str, str | None, int | None, int | None]]:
    out = []
    for node in nodes:
        if node.get("type") != is_file:
            continue
        path = str(node.get("path") or "")
        if not path:
            continue
        live = ("/" + path.lstrip("/")) if bset.source else None
        if bset.source:
            src = bset.source.rstrip("/")
            if not live or not (live == src or live.startswith(src + "/")) or not os.path.isfile(live):
                continue
        mtime = None
        try:
            mtime = parse_time(str(node.get("mtime")))
        except (ValueError, TypeError):
            mtime = None
        size = node.get("size") if isinstance(node.get("size"), int) else None
        out.append((path if absolute else path.lstrip("/"), live, mtime, size))
    return out


def _escape_restic(path: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in path)


def drill_repo(bset: BackupSet, listing: Listing, tmp: str, rng: random.Random, timeout: float) -> DrillResult:
    result = DrillResult(at=int(time.time()))
    if not listing.copies or not listing.copies[0].id:
        result.error = ("no_copy", "there is no snapshot or archive to restore")
        return result
    newest = listing.copies[0]
    result.copy = newest.path
    if bset.kind == "restic":
        nodes, err = _stream_lines(bset, ["restic", "-r", bset.path, "ls", "--json", "--no-lock", "--no-cache",
                                          str(newest.id)], timeout)
        cands = _repo_candidates(bset, nodes, "file", absolute=True)
    else:
        nodes, err = _stream_lines(bset, ["borg", "list", "--json-lines", "--bypass-lock",
                                          f"{bset.path}::{newest.id}"], timeout)
        cands = _repo_candidates(bset, nodes, "-", absolute=False)
    if err:
        result.error = ("tool_error", f"listing {newest.path}: {err}")
        return result
    chosen = _reservoir(cands, bset.drill_files, rng)
    if not chosen:
        result.error = ("nothing_to_restore", f"no file of {newest.path} is under source {bset.source}"
                        if bset.source else f"{newest.path} holds no files")
        return result
    if bset.kind == "restic":
        argv = ["restic", "-r", bset.path, "restore", str(newest.id), "--target", tmp, "--no-lock", "--no-cache"]
        for path, *_ in chosen:
            argv += ["--include", _escape_restic(path)]
        result.method = "restic restore"
        run = run_tool(bset, argv, timeout)
    else:
        argv = ["borg", "extract", "--bypass-lock", f"{bset.path}::{newest.id}", *[p for p, *_ in chosen]]
        result.method = "borg extract"
        run = run_tool(bset, argv, timeout, cwd=tmp)
    if run.rc != 0:
        result.error = ("tool_error", f"{result.method} exited with code {run.rc}: {run.output.strip()[-300:]}")
        return result
    for path, live, mtime, size in chosen:
        restored = os.path.join(tmp, path.lstrip("/"))
        _compare(result, Sampled(path, live, restored, mtime, size), newest.time)
    return result


# -- plain copies -----------------------------------------------------------------------------------

class _Extract(MemberHandler):
    """Reservoir-samples tar members as they stream past and writes the chosen ones."""

    def __init__(self, bset: BackupSet, tmp: str, rng: random.Random) -> None:
        self.bset, self.tmp, self.rng = bset, tmp, rng
        self.seen = 0
        self.chosen: list[Sampled] = []
        self._fh: Any = None
        self._slot = -1

    def start(self, member: Member) -> bool:
        live = live_path(self.bset.source, member.name) if self.bset.source else None
        if self.bset.source and live is None:
            return False
        self.seen += 1
        k = self.bset.drill_files
        if len(self.chosen) < k:
            self._slot = len(self.chosen)
            self.chosen.append(Sampled(member.name, live, "", member.mtime, member.size))
        else:
            j = self.rng.randrange(self.seen)
            if j >= k:
                return False
            old = self.chosen[j]
            if old.restored:
                with contextlib.suppress(OSError):
                    os.unlink(old.restored)
            self._slot = j
            self.chosen[j] = Sampled(member.name, live, "", member.mtime, member.size)
        target = os.path.join(self.tmp, f"{self.seen:08d}")
        self.chosen[self._slot].restored = target
        self._fh = open(target, "wb")  # noqa: SIM115 - closed in end()
        return True

    def data(self, chunk: memoryview) -> None:
        self._fh.write(chunk)

    def end(self, member: Member, complete: bool) -> None:
        self._fh.close()
        self._fh = None
        self.chosen[self._slot].complete = complete


class _WriteSink(Sink):
    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def feed(self, data: memoryview | bytes) -> None:
        self.fh.write(data)


def _single_file(bset: BackupSet, copy: CopyInfo, tmp: str, result: DrillResult) -> None:
    """A compressed or plain single-file copy (a database file, an image) compared with a source file."""
    target = os.path.join(tmp, "restored")
    with open(copy.path, "rb") as src, open(target, "wb") as out:
        kind = sniff(src.read(8))
        src.seek(0)
        if kind:
            decoder = decoder_for(kind, _WriteSink(out))
            while chunk := src.read(CHUNK):
                decoder.feed(chunk)
            decoder.finish()
            result.method = f"{kind} decompress"
        else:
            shutil.copyfileobj(src, out, CHUNK)
            result.method = "copy"
    live = bset.source if bset.source and os.path.isfile(bset.source) else None
    _compare(result, Sampled(copy.path, live, target, None), copy.time)


def drill_files(bset: BackupSet, listing: Listing, tmp: str, rng: random.Random) -> DrillResult:
    result = DrillResult(at=int(time.time()))
    if not listing.copies:
        result.error = ("no_copy", "there is no copy to restore")
        return result
    copy = listing.copies[0]
    result.copy = copy.path
    try:
        if copy.is_dir:
            result.method = "copy from directory"
            cands = []
            for f in copy.files or []:
                rel = posixpath.relpath(f.path, copy.path)
                live = live_path(bset.source, rel) if bset.source else None
                if bset.source and live is None:
                    continue
                cands.append((f, rel, live))
            for i, (f, rel, live) in enumerate(_reservoir(cands, bset.drill_files, rng)):
                target = os.path.join(tmp, f"{i:08d}")
                shutil.copyfile(f.path, target)
                _compare(result, Sampled(rel, live, target, f.mtime, f.size), copy.time)
            return result
        with open(copy.path, "rb") as fh:
            head = fh.read(8192)
        kind = sniff(head)
        if head.startswith(b"PK\x03\x04"):
            result.method = "zip extract"
            with zipfile.ZipFile(copy.path) as archive:
                infos = [i for i in archive.infolist() if not i.is_dir() and not i.flag_bits & 1]
                pairs = [(i, live_path(bset.source, i.filename) if bset.source else None) for i in infos]
                pairs = [p for p in pairs if p[1] is not None or not bset.source]
                for n, (info, live) in enumerate(_reservoir(pairs, bset.drill_files, rng)):
                    target = os.path.join(tmp, f"{n:08d}")
                    item = Sampled(info.filename, live, target, None, info.file_size)
                    try:
                        with archive.open(info) as src, open(target, "wb") as out:
                            shutil.copyfileobj(src, out, CHUNK)
                    except (zipfile.BadZipFile, OSError, EOFError) as exc:
                        result.mismatches.append({"file": live or info.filename, "member": info.filename,
                                                  "problem": "not_restored", "detail": f"zip: {exc}"})
                        continue
                    _compare(result, item, copy.time)
            return result
        if looks_like_tar(head) or (kind and _inner_is_tar(copy.path, kind)):
            handler = _Extract(bset, tmp, rng)
            outcome = verify_file(FileJob(copy.path, copy.size or 0, (), True), handler=handler)
            result.method = f"{outcome.format or 'tar'} extract"
            for item in handler.chosen:
                _compare(result, item, copy.time)
            for p in outcome.problems:
                if p.code != "truncated" or not any(not c.complete for c in handler.chosen):
                    result.mismatches.append({"file": copy.path, "member": "", "problem": p.code, "detail": p.detail})
            return result
        _single_file(bset, copy, tmp, result)
    except FormatError as exc:
        result.error = (exc.code, f"{copy.path}: {exc.detail}")
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
        with open(path, "rb") as fh:
            while chunk := fh.read(65536):
                decoder.feed(chunk)
    except _Enough:
        pass
    except (FormatError, OSError):
        return False
    return looks_like_tar(bytes(head.buf))


def run_drill(bset: BackupSet, listing: Listing, timeout: float, seed: int | None = None) -> DrillResult:
    started = time.monotonic()
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="secaudit-drill-")  # 0700: restored files may hold personal data
    try:
        if bset.kind in ("restic", "borg"):
            result = drill_repo(bset, listing, tmp, rng, timeout)
        else:
            result = drill_files(bset, listing, tmp, rng)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result
