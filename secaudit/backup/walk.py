"""Walking a directory copy: every file inside with its size and time, within a cap on the entries
looked at, saying exactly what was not listed and why (the cap, a directory that cannot be read, a
FIFO or a device, nesting too deep) instead of cutting the listing silently.

On this machine (`backup verify`, a local audit) the walk never follows a symbolic link: a backup
tree holds links as links (tar, rsync), a link must not make the verifier read outside the set, and
a link to a parent cannot loop. Through other transports (--root, SSH, replay), which only offer a
`stat` that follows links, a loop is bounded by the depth limit and the entry cap."""

from __future__ import annotations

import os
import posixpath
import stat as stat_mod
from dataclasses import dataclass, field

from secaudit.transport.base import FactUnavailable, Transport

AUDIT_WALK = 20_000  # entries the audit looks at per set: it must stay fast, also over SSH
VERIFY_WALK = 1_000_000  # entries `backup verify` lists per set (about 300 bytes of memory each)
MAX_DEPTH = 64  # nested directories inside one copy
MAX_NAMED = 200  # skipped entries and unlisted directories kept by name (all are counted)


@dataclass(slots=True)
class FileEntry:
    path: str
    size: int
    mtime: int
    inside: bool = False  # found inside a directory copy (opened without following a link)


@dataclass
class CopyWalk:
    size: int | None  # bytes of every regular file; None when the walk of this copy was cut short
    newest: int | None  # newest modification time seen
    files: list[FileEntry] | None
    complete: bool


def _kind(mode: int) -> str:
    if stat_mod.S_ISFIFO(mode):
        return "fifo"
    if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode):
        return "device"
    if stat_mod.S_ISSOCK(mode):
        return "socket"
    return "special"


@dataclass
class Walker:
    """Walks the directory copies of one set; the cap is shared by all of them."""

    transport: Transport
    limit: int
    keep_files: bool
    entries: int = 0  # entries looked at
    truncated: bool = False  # the cap was reached: some entries were never looked at
    manifests: list[str] = field(default_factory=list)
    special: list[tuple[str, str]] = field(default_factory=list)  # (path, fifo|device|socket): never opened
    special_count: int = 0
    unlisted: list[tuple[str, str]] = field(default_factory=list)  # (directory, reason): its files unknown
    unlisted_count: int = 0
    symlinks: int = 0  # symbolic links inside copies, not followed (local walks only)
    vanished: int = 0  # entries gone between listing and stat (rotation while walking)

    @property
    def local(self) -> bool:
        from secaudit.transport.local import LocalTransport

        return isinstance(self.transport, LocalTransport) and self.transport.mode == "local"

    def skip_special(self, path: str, kind: str) -> None:
        self.special_count += 1
        if len(self.special) < MAX_NAMED:
            self.special.append((path, kind))

    def _unlisted(self, path: str, reason: str) -> None:
        self.unlisted_count += 1
        if len(self.unlisted) < MAX_NAMED:
            self.unlisted.append((path, reason))

    def walk(self, root: str) -> CopyWalk:
        from secaudit.backup.verify.manifest import is_manifest_name

        total, newest = 0, None
        files: list[FileEntry] | None = [] if self.keep_files else None
        complete = True
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            directory, depth = stack.pop()
            if self.entries >= self.limit:
                self.truncated, complete = True, False
                break
            try:
                entries = self._entries(directory)
            except (FactUnavailable, OSError) as exc:
                why = exc.detail if isinstance(exc, FactUnavailable) else (exc.strerror or str(exc))
                self._unlisted(directory, why)
                complete = False
                continue
            for name, kind, size, mtime in entries:
                if self.entries >= self.limit:
                    self.truncated, complete = True, False
                    break
                self.entries += 1
                path = posixpath.join(directory, name)
                if kind == "dir":
                    if depth + 1 >= MAX_DEPTH:
                        self._unlisted(path, f"nested more than {MAX_DEPTH} directories deep (a link loop?)")
                        complete = False
                    else:
                        stack.append((path, depth + 1))
                    continue
                if kind == "link":
                    self.symlinks += 1
                    continue
                if kind == "gone":
                    self.vanished += 1
                    continue
                if kind == "unreadable":
                    self._unlisted(path, "cannot be examined (stat failed)")
                    complete = False
                    continue
                if kind != "file":
                    self.skip_special(path, kind)
                    continue
                if is_manifest_name(name):
                    self.manifests.append(path)
                total += size
                newest = mtime if newest is None else max(newest, mtime)
                if files is not None:
                    files.append(FileEntry(path, size, mtime, inside=True))
            else:
                continue
            break  # the cap was reached inside this directory
        return CopyWalk(total if complete else None, newest, files, complete)

    def _entries(self, directory: str) -> list[tuple[str, str, int, int]]:
        """(name, kind, size, mtime) of a directory's entries; kind: file | dir | link | fifo | device |
        socket | gone | unreadable. At most what is left of the cap (plus one, to notice the cut)."""
        room = self.limit - self.entries + 1
        out: list[tuple[str, str, int, int]] = []
        if self.local:
            from secaudit.transport.windows import native_path

            with os.scandir(native_path(directory)) as it:
                for entry in it:
                    if len(out) >= room:
                        break
                    try:
                        lst = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        out.append((entry.name, "gone", 0, 0))
                        continue
                    except OSError:
                        out.append((entry.name, "unreadable", 0, 0))
                        continue
                    out.append((entry.name, _local_kind(lst.st_mode), lst.st_size, int(lst.st_mtime)))
            out.sort()
            return out
        for name in self.transport.list_dir(directory):
            if len(out) >= room:
                break
            try:
                st = self.transport.stat(posixpath.join(directory, name))
            except FactUnavailable as exc:
                out.append((name, "gone" if exc.code == "not_found" else "unreadable", 0, 0))
                continue
            kind = "dir" if st.is_dir else "file" if st.is_file else _kind(st.mode)
            out.append((name, kind, st.size, st.mtime))
        return out


def _local_kind(mode: int) -> str:
    if stat_mod.S_ISREG(mode):
        return "file"
    if stat_mod.S_ISDIR(mode):
        return "dir"
    if stat_mod.S_ISLNK(mode):
        return "link"
    return _kind(mode)
