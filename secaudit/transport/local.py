"""The machine the agent runs on, and a mounted filesystem of another one (--root)."""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat as stat_mod
import subprocess

from secaudit.transport.base import (
    CommandFailed,
    CommandResult,
    FactUnavailable,
    NotApplicable,
    NotFound,
    PermissionDenied,
    StatResult,
    TimedOut,
)

_MAX_SYMLINKS = 40


def _os_error(exc: OSError, path: str) -> FactUnavailable:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDenied(path)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return NotFound(path)
    return FactUnavailable(f"{path}: {exc.strerror}")


class LocalTransport:
    """Reads this machine. `prefix` maps the audited system's `/` onto the host filesystem."""

    mode = "local"
    live = True

    def _host_path(self, path: str) -> str:
        return path

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        real = self._host_path(path)
        try:
            with open(real, "rb") as fh:
                return fh.read() if limit is None else fh.read(limit)
        except IsADirectoryError:
            raise NotFound(path) from None
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def stat(self, path: str) -> StatResult:
        try:
            st = os.stat(self._host_path(path))
        except OSError as exc:
            raise _os_error(exc, path) from exc
        return StatResult(
            mode=st.st_mode,
            uid=st.st_uid,
            gid=st.st_gid,
            size=st.st_size,
            mtime=int(st.st_mtime),
            is_dir=stat_mod.S_ISDIR(st.st_mode),
            is_file=stat_mod.S_ISREG(st.st_mode),
            dev=st.st_dev,
        )

    def list_dir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._host_path(path)))
        except OSError as exc:
            raise _os_error(exc, path) from exc

    def exists(self, path: str) -> bool:
        try:
            os.stat(self._host_path(path))
        except OSError:
            return False
        return True

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        exe = shutil.which(argv[0])
        if exe is None:
            raise NotFound(argv[0])
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LC_ALL": "C", "LANG": "C"}
        try:
            proc = subprocess.run(
                [exe, *argv[1:]],
                capture_output=True,
                timeout=timeout,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TimedOut(" ".join(argv)) from None
        except OSError as exc:
            raise CommandFailed(f"{' '.join(argv)}: {exc.strerror}") from exc
        return CommandResult(
            proc.returncode,
            proc.stdout.decode("utf-8", errors="replace"),
            proc.stderr.decode("utf-8", errors="replace"),
        )


class RootTransport(LocalTransport):
    """A mounted filesystem: every path, and every absolute symlink, resolves under `root`."""

    mode = "root"
    live = False

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise NotFound(root)

    def _host_path(self, path: str) -> str:
        # Resolve component by component so that an absolute symlink inside the image
        # (e.g. /etc/localtime -> /usr/share/zoneinfo/...) stays inside the image.
        parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = os.path.join(self.root, *resolved, part)
            if os.path.islink(candidate):
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise FactUnavailable(f"{path}: too many symbolic links")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in target.split("/") if p and p != "."] + parts
                continue
            resolved.append(part)
        return os.path.join(self.root, *resolved)

    def run(self, argv: list[str], timeout: float = 10.0) -> CommandResult:
        raise NotApplicable("commands do not run against a mounted filesystem")
